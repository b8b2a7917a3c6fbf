// coral.colony.v1.ColonyService (contract §2.4): status, agents, CA, mesh diagnostics, certificates,
// and the observability query methods (query-service.ts).
import { create } from "@bufbuild/protobuf";
import { timestampFromDate } from "@bufbuild/protobuf/wkt";
import { createClient, type ServiceImpl } from "@connectrpc/connect";
import { createConnectTransport } from "@connectrpc/connect-node";
import { AgentService, type ServiceStatus } from "../../../../proto/gen/coral/agent/v1/agent_pb.js";
import {
  AgentSchema,
  CAStatisticsSchema,
  CertificateStatusSchema,
  ColonyService,
  GetCAStatusResponseSchema,
  GetStatusResponseSchema,
  ListAgentsResponseSchema,
} from "../../../../proto/gen/coral/colony/v1/colony_pb.js";
import { ServiceInfoSchema, type ServiceInfo } from "../../../../proto/gen/coral/mesh/v1/auth_pb.js";
import { MeshTelemetrySchema } from "../../../../proto/gen/coral/network/v1/network_pb.js";
import { derFingerprintHex, type CertAndKey } from "../common/ca.js";
import { log } from "../common/log.js";
import { certificateRequestHandler } from "./certificate-request.js";
import type { ColonyContext } from "./context.js";
import { meshAudit, meshPing } from "./mesh-diagnostics.js";
import { queryServiceImpl } from "./query-service.js";
import { liveness, type AgentEntry } from "./registry.js";
import { storageBytes } from "./storage.js";

const AGENT_API_PORT = 9001;
const SERVICES_QUERY_TIMEOUT_MS = 3_000;

export function publicEndpointUrl(ctx: ColonyContext): string {
  const pe = ctx.cfg.public_endpoint;
  return pe.enabled ? `https://${pe.host}:${pe.port}` : "";
}

export function statusCounts(ctx: ColonyContext) {
  const now = Date.now();
  let active = 0;
  let degraded = 0;
  for (const e of ctx.registry.all()) {
    const s = liveness(e.lastSeen, now);
    if (s === "healthy") active++;
    else if (s === "degraded") degraded++;
  }
  return { total: ctx.registry.size(), active, degraded };
}

export function getStatus(ctx: ColonyContext) {
  const counts = statusCounts(ctx);
  const wg = ctx.cfg.wireguard;
  return create(GetStatusResponseSchema, {
    colonyId: ctx.colonyId,
    appName: ctx.cfg.application_name,
    environment: ctx.cfg.environment,
    status: "running",
    startedAt: timestampFromDate(ctx.startedAt),
    uptimeSeconds: BigInt(Math.floor((Date.now() - ctx.startedAt.getTime()) / 1000)),
    agentCount: counts.total,
    dashboardUrl: `http://localhost:${ctx.cfg.services.dashboard_port}`,
    storageBytes: BigInt(storageBytes(ctx.dbPath)),
    wireguardPort: wg.port,
    wireguardPublicKey: wg.public_key,
    wireguardEndpoints: ctx.wireguardEndpoints,
    connectPort: ctx.cfg.services.connect_port,
    meshIpv4: wg.mesh_ipv4,
    meshIpv6: wg.mesh_ipv6,
    activeAgentCount: counts.active,
    degradedAgentCount: counts.degraded,
    publicEndpointUrl: publicEndpointUrl(ctx),
    // v0.3.0 defect (§6.12): only these two telemetry fields ever reach GetStatus.
    wireguard: create(MeshTelemetrySchema, { meshIp: wg.mesh_ipv4, meshSubnet: wg.mesh_network_ipv4 }),
  });
}

function toServiceInfo(s: ServiceStatus): ServiceInfo {
  return create(ServiceInfoSchema, {
    name: s.name,
    port: s.port,
    healthEndpoint: s.healthEndpoint,
    serviceType: s.serviceType,
    labels: s.labels,
    processId: s.processId,
    binaryPath: s.binaryPath,
    binaryHash: s.binaryHash,
    exePattern: s.exePattern,
  });
}

/** Live services from the agent over the mesh; falls back to what it registered (§2.4, §6.21). */
async function agentServices(entry: AgentEntry, status: string): Promise<ServiceInfo[]> {
  if ((status !== "healthy" && status !== "degraded") || !entry.meshIpv4) return entry.services;
  const client = createClient(
    AgentService,
    createConnectTransport({ baseUrl: `http://${entry.meshIpv4}:${AGENT_API_PORT}`, httpVersion: "1.1" }),
  );
  try {
    const res = await client.listServices({}, { timeoutMs: SERVICES_QUERY_TIMEOUT_MS });
    return res.services.map(toServiceInfo);
  } catch (err) {
    log.debug("Failed to query agent services", { agent_id: entry.agentId, error: err });
    return entry.services;
  }
}

async function listAgents(ctx: ColonyContext) {
  const now = Date.now();
  const agents = await Promise.all(
    ctx.registry.all().map(async (entry) => {
      const status = liveness(entry.lastSeen, now);
      return create(AgentSchema, {
        agentId: entry.agentId,
        componentName: entry.componentName,
        meshIpv4: entry.meshIpv4,
        lastSeen: timestampFromDate(entry.lastSeen),
        status,
        services: await agentServices(entry, status),
        runtimeContext: entry.runtimeContext,
      });
    }),
  );
  return create(ListAgentsResponseSchema, { agents });
}

function certStatus(c: CertAndKey, withFingerprint: boolean) {
  return create(CertificateStatusSchema, {
    path: c.certPath,
    fingerprint: withFingerprint ? derFingerprintHex(c.certPem) : "",
    expiresAt: timestampFromDate(c.cert.notAfter),
    // subject is never filled by v0.3.0's mapper (§2.4).
  });
}

export function getCAStatus(ctx: ColonyContext) {
  return create(GetCAStatusResponseSchema, {
    rootCa: certStatus(ctx.ca.root, true),
    serverIntermediate: certStatus(ctx.ca.server, false),
    agentIntermediate: certStatus(ctx.ca.agent, false),
    policySigning: certStatus(ctx.ca.policy, false),
    colonySpiffeId: `spiffe://coral/colony/${ctx.colonyId}`,
    statistics: create(CAStatisticsSchema, ctx.certificates.statistics()),
  });
}

export function colonyServiceImpl(ctx: ColonyContext): Partial<ServiceImpl<typeof ColonyService>> {
  return {
    getStatus: async () => getStatus(ctx),
    listAgents: () => listAgents(ctx),
    getCAStatus: async () => getCAStatus(ctx),
    meshPing: (req) => meshPing(ctx, req),
    meshAudit: (req) => meshAudit(ctx, req),
    requestCertificate: certificateRequestHandler(ctx),
    ...queryServiceImpl(ctx.db),
  };
}
