// Read-only subcommands run next to a colony (`docker exec`): status, agents, ca status, psk show.
// status/agents ask the running colony over its local :9000 API (contract §4.2).
import { fromJson } from "@bufbuild/protobuf";
import { join } from "node:path";
import { AgentSchema, GetStatusResponseSchema, ListAgentsResponseSchema, type GetStatusResponse } from "../../../../proto/gen/coral/colony/v1/colony_pb.js";
import { derFingerprintHex, loadColonyCA } from "../common/ca.js";
import { CliError } from "./cli-error.js";
import { applyColonyEnv, colonyDir, loadColonyConfig, loadGlobalView, resolveColonyId, type ColonyConfig } from "./config.js";
import { goJsonList } from "./go-json.js";
import { loadPsk } from "./psk.js";

/** Go's time.Time JSON: RFC 3339 with nanoseconds, trailing zeros trimmed. */
function goTime(seconds: bigint, nanos: number): string {
  const base = new Date(Number(seconds) * 1000).toISOString().slice(0, 19);
  const frac = nanos ? "." + String(nanos).padStart(9, "0").replace(/0+$/, "") : "";
  return `${base}${frac}Z`;
}

function requireConfig(flag: string | undefined): ColonyConfig {
  const id = resolveColonyId(flag);
  if (!id) throw new CliError("no colony specified: use --colony or run 'coral-colony init'");
  const cfg = loadColonyConfig(id);
  if (!cfg) throw new CliError(`failed to load colony config: colony ${id} not found`);
  applyColonyEnv(cfg);
  return cfg;
}

async function callLocal(cfg: ColonyConfig, method: string): Promise<unknown> {
  const res = await fetch(`http://localhost:${cfg.services.connect_port}/coral.colony.v1.ColonyService/${method}`, {
    method: "POST",
    headers: { "Content-Type": "application/json" },
    body: "{}",
    signal: AbortSignal.timeout(15_000),
  });
  if (!res.ok) throw new Error(`${method}: HTTP ${res.status}`);
  return res.json();
}

export async function statusCommand(flags: { colony?: string; output?: string }): Promise<void> {
  const cfg = requireConfig(flags.colony);
  let live: GetStatusResponse | undefined;
  try {
    live = fromJson(GetStatusResponseSchema, (await callLocal(cfg, "GetStatus")) as never, { ignoreUnknownFields: true });
  } catch {
    live = undefined;
  }
  const port = cfg.services.connect_port;
  const doc = {
    colony_id: cfg.colony_id,
    application: cfg.application_name,
    environment: cfg.environment,
    storage_path: cfg.storage_path,
    wireguard: {
      public_key: cfg.wireguard.public_key,
      port: cfg.wireguard.port,
      mesh_ipv4: cfg.wireguard.mesh_ipv4,
      mesh_ipv6: cfg.wireguard.mesh_ipv6,
      mesh_network_ipv4: cfg.wireguard.mesh_network_ipv4,
      ...(live?.wireguard ? { telemetry: { mesh_ip: live.wireguard.meshIp, mesh_subnet: live.wireguard.meshSubnet } } : {}),
    },
    connect_port: port,
    discovery_endpoint: loadGlobalView().discoveryEndpoint,
    status: live ? "running" : "configured",
    ...(live
      ? {
          uptime_seconds: Number(live.uptimeSeconds),
          agent_count: live.agentCount,
          active_agent_count: live.activeAgentCount,
          degraded_agent_count: live.degradedAgentCount,
          started_at: live.startedAt ? goTime(live.startedAt.seconds, live.startedAt.nanos) : "",
          dashboard_url: live.dashboardUrl,
          storage_bytes: Number(live.storageBytes),
          network_endpoints: {
            local_endpoint: `http://localhost:${port}`,
            mesh_endpoint: `http://${cfg.wireguard.mesh_ipv4}:${port}`,
            public_endpoint: live.publicEndpointUrl,
            wireguard_endpoints: live.wireguardEndpoints,
            wireguard_port: live.wireguardPort,
            wireguard_public_key: live.wireguardPublicKey,
          },
        }
      : {}),
  };
  if (flags.output === "json") {
    console.log(JSON.stringify(doc, null, 2));
    return;
  }
  if (!live) {
    console.log(`Colony: ${cfg.colony_id}`);
    console.log("Status: Colony is configured (not running)");
    return;
  }
  console.log(
    [
      `Colony: ${cfg.colony_id}`,
      `Application: ${cfg.application_name} (${cfg.environment})`,
      `Status: running`,
      `Uptime: ${doc.uptime_seconds}s`,
      `Agents: ${live.agentCount} (${live.activeAgentCount} healthy, ${live.degradedAgentCount} degraded)`,
      `Mesh IP: ${cfg.wireguard.mesh_ipv4}`,
      `WireGuard: ${live.wireguardEndpoints.join(", ")} (${cfg.wireguard.public_key})`,
      `Connect: http://localhost:${port}`,
      `Discovery: ${doc.discovery_endpoint}`,
    ].join("\n"),
  );
}

export async function agentsCommand(flags: { colony?: string; output?: string }): Promise<void> {
  const cfg = requireConfig(flags.colony);
  let agents;
  try {
    agents = fromJson(ListAgentsResponseSchema, (await callLocal(cfg, "ListAgents")) as never, { ignoreUnknownFields: true }).agents;
  } catch (err) {
    throw new CliError(`failed to list agents: is the colony running? ${(err as Error).message}`);
  }
  if (flags.output === "json") {
    console.log(goJsonList(AgentSchema, agents));
    return;
  }
  if (!agents.length) {
    console.log("No agents connected.");
    return;
  }
  const rows = agents.map((a) => [a.agentId, a.meshIpv4, a.status, a.lastSeen ? new Date(Number(a.lastSeen.seconds) * 1000).toISOString() : "", String(a.services.length)]);
  const head = ["AGENT ID", "MESH IP", "STATUS", "LAST SEEN", "SERVICES"];
  const widths = head.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i]!.length)));
  for (const r of [head, ...rows]) console.log(r.map((c, i) => c.padEnd(widths[i]!)).join("  ").trimEnd());
}

export async function caStatusCommand(flags: { colony?: string }): Promise<void> {
  const cfg = requireConfig(flags.colony);
  const ca = await loadColonyCA(join(colonyDir(cfg.colony_id), "ca"));
  const expires = (d: Date) => d.toISOString().slice(0, 10);
  console.log(
    [
      "Certificate Authority Status",
      "",
      "Root CA:",
      `  Path: ${ca.root.certPath}`,
      `  Fingerprint: sha256:${derFingerprintHex(ca.root.certPem)}`,
      `  Expires: ${expires(ca.root.cert.notAfter)}`,
      "",
      `Server Intermediate: expires ${expires(ca.server.cert.notAfter)}`,
      `Agent Intermediate: expires ${expires(ca.agent.cert.notAfter)}`,
      `Policy Signing: expires ${expires(ca.policy.cert.notAfter)}`,
      "",
      `Colony SPIFFE ID: spiffe://coral/colony/${cfg.colony_id}`,
    ].join("\n"),
  );
}

export async function pskShowCommand(flags: { colony?: string }): Promise<void> {
  const cfg = requireConfig(flags.colony);
  const ca = await loadColonyCA(join(colonyDir(cfg.colony_id), "ca"));
  console.log(`Bootstrap PSK:\n  ${await loadPsk(ca)}`);
}
