// Certificate bootstrap (contract connectivity.md §3.3): a referral ticket from discovery, a lookup
// of the colony (retrying only "not found"), the fingerprint check of the colony's public endpoint,
// then ColonyService/RequestCertificate with the bootstrap PSK. Any failure is fatal for `start`.
import { createClient } from "@connectrpc/connect";
import { createConnectTransport } from "@connectrpc/connect-node";
import { ColonyService } from "../../../../proto/gen/coral/colony/v1/colony_pb.js";
import { faults } from "../common/faults.js";
import { log } from "../common/log.js";
import { agentSpiffeId, createCsr, saveCertificates } from "./certs.js";
import { verifyColonyEndpoint } from "./colony-trust.js";
import type { AgentConfig } from "./config.js";
import { DISCOVERY_TIMEOUT_MS, lookupColony, type ColonyInfo, type DiscoveryClient } from "./discovery-client.js";
import { errorText, jitter, sleep } from "./errors.js";

const LOOKUP_RETRIES = 30;
const REQUEST_CERTIFICATE_TIMEOUT_MS = 30_000;
const DEFAULT_PUBLIC_PORT = 8443;

export class BootstrapError extends Error {}

async function lookupWithNotFoundRetry(discovery: DiscoveryClient, colonyId: string): Promise<ColonyInfo> {
  let backoffMs = 2_000;
  for (let attempt = 1; ; attempt++) {
    try {
      return await lookupColony(discovery, colonyId);
    } catch (err) {
      const text = `failed to lookup colony: ${errorText(err)}`;
      if (!text.includes("not found")) throw new BootstrapError(`colony lookup failed: ${text}`);
      if (attempt >= LOOKUP_RETRIES) throw new BootstrapError(`colony lookup failed: failed after ${LOOKUP_RETRIES} retries: ${text}`);
      log.debug("Colony not found in discovery yet - retrying", { attempt, retry_in: backoffMs });
      await sleep(jitter(backoffMs));
      backoffMs = Math.min(backoffMs * 2, 10_000);
    }
  }
}

function candidateBootstrapUrls(config: AgentConfig, info: ColonyInfo): string[] {
  if (config.colonyEndpointOverride) return [config.colonyEndpointOverride.replace(/\/+$/, "")];
  const port = info.publicPort || DEFAULT_PUBLIC_PORT;
  return info.endpoints.map((endpoint) => `https://${hostOf(endpoint)}:${port}`);
}

/** `host:port` / `[v6]:port` → host (brackets kept for IPv6). */
export function hostOf(endpoint: string): string {
  const colon = endpoint.lastIndexOf(":");
  return colon > 0 && !endpoint.endsWith("]") ? endpoint.slice(0, colon) : endpoint;
}

/** Runs the bootstrap; returns the colony information it looked up. */
export async function runCertificateBootstrap(config: AgentConfig, discovery: DiscoveryClient): Promise<ColonyInfo> {
  log.info("Starting certificate bootstrap", { agent_id: config.agentId, colony_id: config.colonyId });
  let jwt: string;
  try {
    const token = await discovery.createBootstrapToken(
      { reefId: "default", colonyId: config.colonyId, agentId: config.agentId, intent: "register" },
      { timeoutMs: DISCOVERY_TIMEOUT_MS },
    );
    jwt = token.jwt;
  } catch (err) {
    throw new BootstrapError(`discovery token request failed: failed to create bootstrap token: ${errorText(err)}`);
  }
  const info = await lookupWithNotFoundRetry(discovery, config.colonyId);

  const skipCheck = faults.has("skip-fingerprint-check");
  let trusted: { url: string; rootCaPem: string } | undefined;
  for (const url of candidateBootstrapUrls(config, info)) {
    try {
      trusted = await verifyColonyEndpoint(url, config.colonyId, config.caFingerprint, skipCheck);
      log.info("Validated colony trust via fingerprint", { endpoint: url });
      break;
    } catch (err) {
      log.debug("Colony endpoint failed fingerprint validation", { endpoint: url, error: errorText(err) });
    }
  }
  if (!trusted) {
    throw new BootstrapError(
      "none of the discovered endpoints passed fingerprint validation (set --bootstrap-public-endpoint/CORAL_BOOTSTRAP_PUBLIC_ENDPOINT to use the rendezvous fallback)",
    );
  }

  const { csrPem, privateKeyPem } = await createCsr(config.colonyId, config.agentId);
  const transport = createConnectTransport({
    baseUrl: trusted.url,
    httpVersion: "1.1",
    useBinaryFormat: true,
    nodeOptions: { rejectUnauthorized: false },
  });
  let certificatePem: string;
  let caChainPem: string;
  try {
    const res = await createClient(ColonyService, transport).requestCertificate(
      { jwt, csr: new TextEncoder().encode(csrPem), bootstrapPsk: config.bootstrapPsk },
      { timeoutMs: REQUEST_CERTIFICATE_TIMEOUT_MS },
    );
    certificatePem = new TextDecoder().decode(res.certificate);
    caChainPem = new TextDecoder().decode(res.caChain);
  } catch (err) {
    throw new BootstrapError(`request failed: ${errorText(err)}`);
  }
  saveCertificates(config.certsDir, config.agentId, { certificatePem, privateKeyPem, rootCaPem: trusted.rootCaPem, caChainPem });
  log.info("Certificate bootstrap completed successfully", {
    agent_id: config.agentId,
    spiffe_id: agentSpiffeId(config.colonyId, config.agentId),
    certs_dir: config.certsDir,
  });
  return info;
}
