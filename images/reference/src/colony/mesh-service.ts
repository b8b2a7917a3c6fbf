// coral.mesh.v1.MeshService on :9000 (contract §2.3, §3.4, §3.5, §6.16).
import { create } from "@bufbuild/protobuf";
import { timestampFromDate } from "@bufbuild/protobuf/wkt";
import type { HandlerContext, ServiceImpl } from "@connectrpc/connect";
import {
  HeartbeatResponseSchema,
  MeshService,
  PeerInfoSchema,
  RegisterResponseSchema,
  type RegisterRequest,
} from "../../../../proto/gen/coral/mesh/v1/auth_pb.js";
import { faults } from "../common/faults.js";
import { log } from "../common/log.js";
import { kRawRequest, peerAddr, type ColonyContext } from "./context.js";
import { callDiscovery } from "./discovery-client.js";
import { AllocationError } from "./ip-allocator.js";

const KEEPALIVE_SECONDS = 25; // hard-coded in Coral whatever the config says (§1.2)
const AGENT_LOOKUP_TIMEOUT_MS = 2_000;

function reject(reason: string) {
  return create(RegisterResponseSchema, { accepted: false, reason });
}

/** Go's `log` prefix, for the http: panic line Coral's net/http prints to stderr. */
function goLogTime(): string {
  const d = new Date();
  const p = (n: number) => String(n).padStart(2, "0");
  return `${d.getFullYear()}/${p(d.getMonth() + 1)}/${p(d.getDate())} ${p(d.getHours())}:${p(d.getMinutes())}:${p(d.getSeconds())}`;
}

/** The agent's endpoint as discovery observed it, preferring the Register's source IP (§3.4 step 4). */
async function lookupAgentEndpoint(ctx: ColonyContext, agentId: string, sourceIp: string): Promise<string> {
  try {
    const res = await callDiscovery<{ observedEndpoints?: Array<{ ip?: string; port?: number }> }>(
      ctx.discoveryUrl,
      "LookupAgent",
      { agentId, meshId: ctx.colonyId },
      AGENT_LOOKUP_TIMEOUT_MS,
    );
    const usable = (res.observedEndpoints ?? []).filter((e) => e.ip && e.port && !e.ip.startsWith("127.") && e.ip !== "::1");
    const chosen = usable.find((e) => e.ip === sourceIp) ?? usable[0];
    return chosen ? `${chosen.ip}:${chosen.port}` : "";
  } catch (err) {
    log.debug("Failed to lookup agent in discovery", { agent_id: agentId, error: err });
    return "";
  }
}

/** Coral checks only the length before AddPeer; 44 characters that are not base64 pass (§6.16). */
function peerKeyProblem(key: string): string | undefined {
  if (key.length !== 44) return `invalid peer config: invalid public key length: expected 44 characters, got ${key.length}`;
  return undefined;
}

function isRealKey(key: string): boolean {
  const raw = Buffer.from(key, "base64");
  return raw.length === 32 && raw.toString("base64") === key;
}

async function register(ctx: ColonyContext, req: RegisterRequest, hctx: HandlerContext) {
  const raw = hctx.values.get(kRawRequest);
  const addr = peerAddr(raw);
  log.info("Agent registration request received", { agent_id: req.agentId, component_name: req.componentName || undefined, peer_addr: addr });

  if (req.colonyId !== ctx.colonyId && !faults.has("accept-wrong-colony")) {
    log.warn("Agent registration rejected: wrong colony ID", { agent_id: req.agentId, expected: ctx.colonyId, received: req.colonyId });
    return reject("wrong_colony");
  }
  const pubkey = req.wireguardPubkey;
  if (!pubkey) {
    log.warn("Agent registration rejected: missing WireGuard public key", { agent_id: req.agentId });
    return reject("missing_wireguard_pubkey");
  }
  if (pubkey.length < 8 && faults.has("fix-short-key-panic")) {
    log.warn("Agent registration rejected: invalid WireGuard public key", { agent_id: req.agentId, length: pubkey.length });
    return reject("invalid_wireguard_pubkey");
  }

  const known = ctx.allocator.lookup(req.agentId);
  let meshIp: string;
  try {
    meshIp = ctx.allocator.allocate(req.agentId, {
      fresh: faults.has("new-ip-on-reconnect") && known !== undefined,
      fixedIp: faults.has("duplicate-mesh-ip") && known === undefined,
    });
  } catch (err) {
    if (!(err instanceof AllocationError)) throw err;
    log.error("Failed to allocate IP for agent", { agent_id: req.agentId, error: err });
    return reject("ip_allocation_failed");
  }
  log.info("Allocated mesh IP for agent", { agent_id: req.agentId, mesh_ip: meshIp });

  const sourceIp = raw?.socket.remoteAddress?.replace(/^::ffff:/, "") ?? "";
  const endpoint = await lookupAgentEndpoint(ctx, req.agentId, sourceIp);
  if (!endpoint) {
    log.info("No endpoint available for agent, WireGuard roaming mode enabled (endpoint learned from the agent's first handshake)", {
      agent_id: req.agentId,
    });
  }

  if (pubkey.length < 8) {
    // v0.3.0 slices pubkey[:8] for this log line and panics: net/http drops the connection, no reply,
    // and the IP allocated above stays burned (§6.16).
    process.stderr.write(
      `${goLogTime()} http: panic serving ${addr}: runtime error: slice bounds out of range [:8] with length ${pubkey.length}\n` +
        `goroutine 1 [running]:\nnet/http.(*conn).serve.func1()\n`,
    );
    raw?.socket.destroy();
    throw new Error("handler panic");
  }
  log.info("Adding agent as WireGuard peer", { agent_id: req.agentId, pubkey: `${pubkey.slice(0, 8)}...`, mesh_ip: meshIp, endpoint });

  if (!faults.has("skip-wireguard-peer")) {
    const problem = peerKeyProblem(pubkey);
    try {
      if (problem) throw new Error(problem);
      const allowedIps = [`${meshIp}/32`];
      if (isRealKey(pubkey)) {
        await ctx.wg.setPeer({ publicKey: pubkey, endpoint: endpoint || undefined, allowedIps, keepaliveSeconds: KEEPALIVE_SECONDS });
        ctx.configuredPeers.set(pubkey, { publicKey: pubkey, allowedIps, configuredEndpoint: endpoint, keepalive: KEEPALIVE_SECONDS });
      }
    } catch (err) {
      log.error("Failed to add agent as WireGuard peer", { agent_id: req.agentId, error: err });
      ctx.allocator.release(req.agentId, meshIp, { purgeRow: faults.has("fix-bad-key-poisoning") });
      return reject("peer_add_failed");
    }
    try {
      await ctx.wg.addRoute(`${meshIp}/32`);
    } catch (err) {
      log.warn("Failed to add route for agent", { agent_id: req.agentId, error: err });
    }
  }

  ctx.registry.register({
    agentId: req.agentId,
    componentName: req.componentName,
    meshIpv4: meshIp,
    wireguardPubkey: pubkey,
    registeredEndpoint: endpoint,
    services: req.services,
    runtimeContext: req.runtimeContext,
  });
  log.info("Agent registered successfully", { agent_id: req.agentId, mesh_ip: meshIp, services: req.services.length });

  const peers = ctx.registry
    .all()
    .filter((e) => e.agentId !== req.agentId && e.meshIpv4 && e.wireguardPubkey)
    .map((e) => create(PeerInfoSchema, { meshIp: `${e.meshIpv4}/32`, wireguardPubkey: e.wireguardPubkey }));
  return create(RegisterResponseSchema, {
    accepted: true,
    assignedIp: meshIp,
    meshSubnet: ctx.cfg.wireguard.mesh_network_ipv4,
    peers,
    registeredAt: timestampFromDate(new Date()),
  });
}

export function meshServiceImpl(ctx: ColonyContext): Partial<ServiceImpl<typeof MeshService>> {
  return {
    register: (req, hctx) => register(ctx, req, hctx),
    heartbeat: async (req) => {
      log.debug("Agent heartbeat received", { agent_id: req.agentId, status: req.status });
      if (!ctx.registry.touch(req.agentId, faults.has("ignore-heartbeats"))) {
        log.warn("Failed to update agent heartbeat", { agent_id: req.agentId, error: `agent not found: ${req.agentId}` });
        return create(HeartbeatResponseSchema, { ok: false });
      }
      log.debug("Agent heartbeat updated successfully", { agent_id: req.agentId });
      return create(HeartbeatResponseSchema, { ok: true });
    },
  };
}
