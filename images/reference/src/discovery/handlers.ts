// The DiscoveryService RPCs as the Worker answers them (contract connectivity.md §2.2). Bodies are
// plain JSON with lowerCamelCase keys, and responses are built by hand, quirks included: `nat` is an
// integer, int64 values are strings, and `expiresAt`/`lastSeen` treat Unix seconds as milliseconds
// (the "1970-01-21" bug, §6.11) unless the `fix-discovery-timestamps` fault switch is set.
import { faults } from "../common/faults.js";
import type { DiscoveryConfig } from "./config.js";
import type { EndpointRecord, Registry } from "./registry.js";
import { signBootstrapToken } from "./signing.js";

export type Json = Record<string, unknown>;

export class RpcError extends Error {
  constructor(readonly code: "invalid_argument" | "not_found" | "already_exists" | "unimplemented" | "internal", message: string) {
    super(message);
  }
}

export interface RpcContext {
  /** The caller's IP as the Worker sees it (`CF-Connecting-IP`). */
  clientIp: string;
}

export type RpcHandler = (body: Json, ctx: RpcContext) => Json;

export function createHandlers(config: DiscoveryConfig, registry: Registry): Record<string, RpcHandler> {
  const startedMs = Date.now();
  return {
    RegisterColony: (body, ctx) => registerColony(body, ctx, config, registry),
    LookupColony: (body) => lookupColony(body, registry),
    RegisterAgent: (body, ctx) => registerAgent(body, ctx, config, registry),
    LookupAgent: (body) => lookupAgent(body, registry),
    Health: () => ({ status: "ok", version: config.serviceVersion, uptimeSeconds: String(Math.floor((Date.now() - startedMs) / 1000)) }),
    CreateBootstrapToken: (body) => createBootstrapToken(body),
    RequestRelay: () => {
      throw new RpcError("unimplemented", "Relay not supported in Workers");
    },
    ReleaseRelay: () => {
      throw new RpcError("unimplemented", "Relay not supported in Workers");
    },
  };
}

/** Unix seconds rendered as the Worker renders them: as if they were milliseconds. */
export function workerTimestamp(unixSeconds: number): string {
  const ms = faults.has("fix-discovery-timestamps") ? unixSeconds * 1000 : unixSeconds;
  return new Date(ms).toISOString();
}

const str = (value: unknown): string => (typeof value === "string" ? value : "");
const strList = (value: unknown): string[] => (Array.isArray(value) ? value.filter((v): v is string => typeof v === "string") : []);
const num = (value: unknown): number | undefined => (typeof value === "number" && Number.isFinite(value) ? value : undefined);
const strMap = (value: unknown): Record<string, string> => {
  const out: Record<string, string> = {};
  if (value && typeof value === "object" && !Array.isArray(value)) {
    for (const [k, v] of Object.entries(value)) if (typeof v === "string") out[k] = v;
  }
  return out;
};

function isPrivateOrLoopback(ip: string): boolean {
  const v4 = /^(\d+)\.(\d+)\.\d+\.\d+$/.exec(ip);
  if (v4) {
    const [a, b] = [Number(v4[1]), Number(v4[2])];
    return a === 10 || a === 127 || (a === 172 && b >= 16 && b <= 31) || (a === 192 && b === 168);
  }
  const lower = ip.toLowerCase();
  return lower.startsWith("fc") || lower.startsWith("fd") || lower === "::1";
}

/** The given observed endpoint, or the caller's IP when the given one is missing or private. */
function observedEndpointOf(given: unknown, clientIp: string): EndpointRecord {
  const g = given && typeof given === "object" ? (given as Json) : {};
  const ip = str(g.ip);
  const port = num(g.port) ?? 0;
  if (ip && !isPrivateOrLoopback(ip)) return { ip, port, protocol: str(g.protocol) || "udp" };
  return { ip: clientIp, port, protocol: "udp" };
}

function requireField(body: Json, key: string, name: string): string {
  const value = str(body[key]);
  if (!value) throw new RpcError("invalid_argument", `${name} is required`);
  return value;
}

/** Registrations need somewhere to reach the peer: listed endpoints or an observed one. */
function requireEndpoints(body: Json): string[] {
  const endpoints = strList(body.endpoints);
  if (endpoints.length === 0 && !body.observedEndpoint) {
    throw new RpcError("invalid_argument", "at least one endpoint or observed_endpoint is required");
  }
  return endpoints;
}

function registerColony(body: Json, ctx: RpcContext, config: DiscoveryConfig, registry: Registry): Json {
  const meshId = requireField(body, "meshId", "mesh_id");
  const pubkey = requireField(body, "pubkey", "pubkey");
  const endpoints = requireEndpoints(body);
  const nowMs = Date.now();
  const existing = registry.liveColony(meshId, nowMs);
  if (existing && existing.pubkey !== pubkey && !faults.has("allow-split-brain")) {
    throw new RpcError("already_exists", `mesh_id ${meshId} already registered with different pubkey`);
  }
  const observed = observedEndpointOf(body.observedEndpoint, ctx.clientIp);
  const nowSec = Math.floor(nowMs / 1000);
  registry.putColony({
    meshId,
    pubkey,
    endpoints,
    meshIpv4: str(body.meshIpv4),
    meshIpv6: str(body.meshIpv6),
    connectPort: num(body.connectPort) ?? 0,
    publicPort: num(body.publicPort) ?? 0,
    metadata: strMap(body.metadata),
    observedEndpoint: observed,
    publicEndpoint: body.publicEndpoint && typeof body.publicEndpoint === "object" ? body.publicEndpoint : undefined,
    lastSeenSec: nowSec,
    expiresAtMs: nowMs + config.ttlSeconds * 1000,
  });
  return { success: true, ttl: config.ttlSeconds, expiresAt: workerTimestamp(nowSec + config.ttlSeconds), observedEndpoint: observed };
}

function lookupColony(body: Json, registry: Registry): Json {
  const meshId = requireField(body, "meshId", "mesh_id");
  // Fault unknown-mesh-found: an unknown mesh id is answered with whichever colony is registered.
  const colony = registry.liveColony(meshId) ?? (faults.has("unknown-mesh-found") ? registry.anyLiveColony() : undefined);
  if (!colony) throw new RpcError("not_found", `colony ${meshId} not found`);
  const answer: Json = {
    meshId: colony.meshId,
    pubkey: colony.pubkey,
    endpoints: colony.endpoints,
    meshIpv4: colony.meshIpv4,
    meshIpv6: colony.meshIpv6,
    connectPort: colony.connectPort,
    publicPort: colony.publicPort,
    metadata: colony.metadata,
    lastSeen: workerTimestamp(colony.lastSeenSec),
    observedEndpoints: colony.observedEndpoint ? [colony.observedEndpoint] : [],
    nat: 0,
  };
  if (colony.publicEndpoint) answer.publicEndpoint = colony.publicEndpoint;
  return answer;
}

function registerAgent(body: Json, ctx: RpcContext, config: DiscoveryConfig, registry: Registry): Json {
  const agentId = requireField(body, "agentId", "agent_id");
  const meshId = requireField(body, "meshId", "mesh_id");
  const pubkey = requireField(body, "pubkey", "pubkey");
  const endpoints = requireEndpoints(body);
  const nowMs = Date.now();
  const nowSec = Math.floor(nowMs / 1000);
  const observed = observedEndpointOf(body.observedEndpoint, ctx.clientIp);
  registry.putAgent({
    agentId,
    meshId,
    pubkey,
    endpoints,
    observedEndpoint: observed,
    metadata: strMap(body.metadata),
    lastSeenSec: nowSec,
    expiresAtMs: nowMs + config.ttlSeconds * 1000,
  });
  return { success: true, ttl: config.ttlSeconds, expiresAt: workerTimestamp(nowSec + config.ttlSeconds), observedEndpoint: observed };
}

function lookupAgent(body: Json, registry: Registry): Json {
  const agentId = requireField(body, "agentId", "agent_id");
  const meshId = str(body.meshId);
  if (!meshId) {
    throw new RpcError("invalid_argument", "mesh_id required for agent lookup in Workers implementation (include meshId in request body)");
  }
  const agent = registry.liveAgent(meshId, agentId);
  if (!agent) throw new RpcError("not_found", `agent ${agentId} not found`);
  return {
    agentId: agent.agentId,
    meshId: agent.meshId,
    pubkey: agent.pubkey,
    endpoints: agent.endpoints,
    observedEndpoints: agent.observedEndpoint ? [agent.observedEndpoint] : [],
    nat: 0,
    metadata: agent.metadata,
    lastSeen: workerTimestamp(agent.lastSeenSec),
  };
}

function createBootstrapToken(body: Json): Json {
  const reefId = requireField(body, "reefId", "reef_id");
  const colonyId = requireField(body, "colonyId", "colony_id");
  const agentId = requireField(body, "agentId", "agent_id");
  const intent = requireField(body, "intent", "intent");
  const { jwt, expiresAt } = signBootstrapToken({ reefId, colonyId, agentId, intent });
  return { jwt, expiresAt: String(expiresAt) };
}
