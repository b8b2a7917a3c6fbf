// What the agent reports about its WireGuard side: the MeshTelemetry message of GetRuntimeContext
// (agent peers are filled, contract connectivity.md §2.5) and the `wireguard` part of GET /status
// (§1.6).
import { create } from "@bufbuild/protobuf";
import { MeshTelemetrySchema, type MeshTelemetry } from "../../../../proto/gen/coral/network/v1/network_pb.js";
import { runCommand, type WgPeerStats } from "../common/wireguard.js";
import { PERSISTENT_KEEPALIVE_SECONDS, type AgentState } from "./agent-state.js";
import { tcpDial } from "./mesh.js";

const INTERFACE = "wg0";

/** Go's time format `2006-01-02T15:04:05Z`; the zero handshake renders as 1970-01-01T00:00:00Z. */
export const handshakeTime = (unixSec: number): string => new Date(unixSec * 1000).toISOString().replace(/\.\d{3}Z$/, "Z");

async function peerStats(state: AgentState): Promise<WgPeerStats[]> {
  try {
    return (await state.device?.peers()) ?? [];
  } catch {
    return [];
  }
}

interface LinkInfo {
  exists: boolean;
  up: boolean;
  addresses: string[];
}

async function linkInfo(): Promise<LinkInfo> {
  const r = await runCommand("ip", ["-j", "addr", "show", "dev", INTERFACE]);
  if (r.code !== 0) return { exists: false, up: false, addresses: [] };
  try {
    const [link] = JSON.parse(r.stdout) as Array<{ flags?: string[]; addr_info?: Array<{ local: string; prefixlen: number }> }>;
    return {
      exists: true,
      up: Boolean(link?.flags?.includes("UP")),
      addresses: (link?.addr_info ?? []).map((a) => `${a.local}/${a.prefixlen}`),
    };
  } catch {
    return { exists: true, up: false, addresses: [] };
  }
}

async function routeLines(args: string[]): Promise<string[]> {
  const r = await runCommand("ip", ["route", "show", ...args]);
  return r.code === 0 ? r.stdout.split("\n").map((l) => l.trim()).filter(Boolean) : [];
}

export async function meshTelemetry(state: AgentState): Promise<MeshTelemetry> {
  const [peers, link] = await Promise.all([peerStats(state), linkInfo()]);
  return create(MeshTelemetrySchema, {
    meshIp: state.meshIp,
    meshSubnet: state.meshSubnet,
    publicKey: state.wireguardPublicKey,
    listenPort: state.wireguardListenPort,
    endpoints: state.observedEndpoints,
    status: {
      interfaceExists: link.exists,
      linkStatus: link.up ? "up" : "down",
      peers: peers.map((p) => ({
        publicKey: p.publicKey,
        endpoint: p.endpoint,
        rxBytes: BigInt(p.rxBytes),
        txBytes: BigInt(p.txBytes),
        lastHandshakeTime: handshakeTime(p.lastHandshakeUnixSec),
      })),
    },
  });
}

async function pingColony(target: string): Promise<{ ping_error?: string; ping_output: string }> {
  const r = await runCommand("ping", ["-c", "1", "-W", "1", target], 3_000);
  if (r.code === 127 && /ENOENT/.test(r.stderr)) return { ping_error: 'exec: "ping": executable file not found in $PATH', ping_output: "" };
  return r.code === 0 ? { ping_output: r.stdout } : { ping_error: `exit status ${r.code}`, ping_output: r.stdout + r.stderr };
}

/** The `wireguard` object of GET :9001/status. */
export async function statusWireguardDocument(state: AgentState): Promise<Record<string, unknown>> {
  const colonyIp = state.colonyMeshIpv4();
  const port = state.colonyConnectPort();
  const [peers, link, routes, allRoutes, reachable, ping] = await Promise.all([
    peerStats(state),
    linkInfo(),
    routeLines(["dev", INTERFACE]),
    routeLines([]),
    tcpDial(colonyIp, port, 2_000).then(
      () => true,
      () => false,
    ),
    pingColony(colonyIp),
  ]);
  const colony = state.colony;
  return {
    agent_id: state.config.agentId,
    mesh_ip: state.meshIp,
    mesh_subnet: state.meshSubnet,
    status: {
      interface_name: INTERFACE,
      listen_port: state.wireguardListenPort,
      interface_exists: link.exists,
      ip_addresses: link.addresses,
      link_status: link.up ? "up" : "down",
      peers: peers.map((p) => ({
        public_key: p.publicKey.slice(0, 16) + "...",
        configured_endpoint: p.publicKey === colony?.pubkey ? state.colonyPeerEndpoint : "",
        allowed_ips: p.allowedIps,
        persistent_keepalive: PERSISTENT_KEEPALIVE_SECONDS,
        endpoint: p.endpoint,
        rx_bytes: p.rxBytes,
        tx_bytes: p.txBytes,
        last_handshake_time: handshakeTime(p.lastHandshakeUnixSec),
      })),
      peer_count: peers.length,
      endpoints: state.observedEndpoints,
    },
    colony: {
      id: state.config.colonyId,
      mesh_ipv4: colony?.meshIpv4 ?? "",
      mesh_ipv6: colony?.meshIpv6 ?? "",
      connect_port: colony?.connectPort ?? 0,
      endpoints: colony?.endpoints ?? [],
      observed_endpoints: (colony?.observedEndpoints ?? []).map((e) => ({ ip: e.ip, port: e.port, protocol: e.protocol })),
    },
    routes,
    all_routes: allRoutes,
    colony_connectivity: { reachable, target: `${colonyIp}:${port}` },
    ...ping,
  };
}
