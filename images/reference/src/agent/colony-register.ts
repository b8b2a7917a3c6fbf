// MeshService/Register over the UNDERLAY (contract connectivity.md §3.4): Connect binary proto over
// HTTP/1.1; candidate URLs are each discovery endpoint host on the connect port, then the colony's
// mesh IPv4 and IPv6, with the URL that worked last moved to the front; 3 attempts per URL with a
// 5 s timeout, sleeping 1 s and then 2 s between attempts.
import { createClient } from "@connectrpc/connect";
import { createConnectTransport } from "@connectrpc/connect-node";
import { MeshService, type RegisterResponse } from "../../../../proto/gen/coral/mesh/v1/auth_pb.js";
import { log } from "../common/log.js";
import type { AgentState } from "./agent-state.js";
import { hostOf } from "./bootstrap.js";
import { REGISTER_PROTOCOL_VERSION_STRING } from "./config.js";
import { errorText, sleep } from "./errors.js";

const ATTEMPTS_PER_URL = 3;
const REGISTER_TIMEOUT_MS = 5_000;
const SLEEP_BETWEEN_ATTEMPTS_MS = [1_000, 2_000];

export function meshRegisterUrl(state: AgentState): string {
  return `http://${state.colonyMeshIpv4()}:${state.colonyConnectPort()}`;
}

export function candidateRegisterUrls(state: AgentState): string[] {
  const port = state.colonyConnectPort();
  const urls = (state.colony?.endpoints ?? []).map((endpoint) => `http://${hostOf(endpoint)}:${port}`);
  urls.push(meshRegisterUrl(state), `http://[${state.colonyMeshIpv6()}]:${port}`);
  const unique = [...new Set(urls)];
  const last = state.lastWorkingRegisterUrl;
  return last && unique.includes(last) ? [last, ...unique.filter((u) => u !== last)] : unique;
}

function registerRequest(state: AgentState) {
  const { config } = state;
  return {
    agentId: config.agentId,
    colonyId: config.colonyId,
    version: REGISTER_PROTOCOL_VERSION_STRING,
    labels: {},
    wireguardPubkey: state.wireguardPublicKey,
    services: config.services.map((s) => ({ name: s.name, port: s.port, healthEndpoint: s.healthEndpoint, serviceType: s.serviceType })),
    runtimeContext: state.runtimeContext,
    ebpfCapabilities: state.runtimeContext?.ebpfCapabilities,
  };
}

export class RegistrationRejected extends Error {}

/** Registers with the colony; rejects when every URL failed or the colony refused. */
export async function registerWithColony(state: AgentState): Promise<RegisterResponse> {
  const urls = candidateRegisterUrls(state);
  log.debug("Registering with colony", { candidate_urls: urls });
  let lastError: unknown;
  for (const url of urls) {
    const client = createClient(MeshService, createConnectTransport({ baseUrl: url, httpVersion: "1.1", useBinaryFormat: true }));
    for (let attempt = 1; attempt <= ATTEMPTS_PER_URL; attempt++) {
      log.info("Attempting colony registration", { endpoint: url, attempt });
      try {
        const res = await client.register(registerRequest(state), { timeoutMs: REGISTER_TIMEOUT_MS });
        if (!res.accepted) throw new RegistrationRejected(`registration rejected: ${res.reason}`);
        state.lastWorkingRegisterUrl = url;
        log.info("Successfully registered with colony", { assigned_ip: res.assignedIp, mesh_subnet: res.meshSubnet, successful_url: url });
        return res;
      } catch (err) {
        if (err instanceof RegistrationRejected) {
          log.error("Colony rejected registration", { endpoint: url, error: err.message });
          throw err;
        }
        lastError = err;
        log.warn("Colony registration attempt failed", { attempt, endpoint: url, error: errorText(err) });
        if (attempt < ATTEMPTS_PER_URL) await sleep(SLEEP_BETWEEN_ATTEMPTS_MS[attempt - 1]!);
      }
    }
  }
  throw new Error(`failed to register with colony at any endpoint: ${errorText(lastError)}`);
}
