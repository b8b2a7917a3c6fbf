// ConfigureAgentMesh (contract connectivity.md §1.7, §3.4): the assigned IP as /32 on wg0, the
// colony as the only peer (AllowedIPs colony mesh IPv4/32 + IPv6/128, keepalive 25), routes to
// the colony's mesh IPs, then a TCP dial to <colony mesh IP>:9000 to trigger the handshake.
import { isIPv4 } from "node:net";
import { connect } from "node:net";
import { log } from "../common/log.js";
import { PERSISTENT_KEEPALIVE_SECONDS, type AgentState } from "./agent-state.js";
import { hostOf } from "./bootstrap.js";
import { errorText } from "./errors.js";

const CONNECTIVITY_DIAL_TIMEOUT_MS = 3_000;
const DEFAULT_COLONY_WG_PORT = 51820;

/** GetColonyEndpoint: a routable observed endpoint, else the first endpoint host with the WG port. */
export function colonyWireGuardEndpoint(state: AgentState): string {
  const colony = state.colony;
  if (!colony) return "";
  const observed = colony.observedEndpoints.find((e) => isIPv4(e.ip) && !e.ip.startsWith("127.") && e.port !== 0);
  if (observed) return `${observed.ip}:${observed.port}`;
  if (state.colonyPeerEndpoint) return state.colonyPeerEndpoint;
  const first = colony.endpoints[0];
  if (!first) return "";
  const port = colony.observedEndpoints[0]?.port || Number(colony.metadata.wireguard_port) || DEFAULT_COLONY_WG_PORT;
  return `${hostOf(first)}:${port}`;
}

export function tcpDial(host: string, port: number, timeoutMs: number): Promise<void> {
  return new Promise((resolve, reject) => {
    const socket = connect({ host, port });
    const timer = setTimeout(() => {
      socket.destroy();
      reject(new Error(`dial tcp ${host}:${port}: i/o timeout`));
    }, timeoutMs);
    socket.once("connect", () => {
      clearTimeout(timer);
      socket.destroy();
      resolve();
    });
    socket.once("error", (err) => {
      clearTimeout(timer);
      reject(err);
    });
  });
}

export interface MeshAssignment {
  assignedIp: string;
  meshSubnet: string;
  /** Restored from the enrollment checkpoint: the colony peer gets an empty endpoint (§3.4). */
  fromCheckpoint?: boolean;
}

export async function configureAgentMesh(state: AgentState, assignment: MeshAssignment): Promise<void> {
  const device = state.device;
  const colony = state.colony;
  if (!device || !colony) throw new Error("cannot configure mesh: WireGuard device or colony information missing");
  await device.flushAddresses();
  await device.addAddress(`${assignment.assignedIp}/32`);
  state.meshIp = assignment.assignedIp;
  state.meshSubnet = assignment.meshSubnet;
  log.debug("Assigned mesh IP to WireGuard interface", { interface: device.ifname, ip: `${assignment.assignedIp}/32` });

  const endpoint = assignment.fromCheckpoint ? "" : colonyWireGuardEndpoint(state);
  const meshV4 = state.colonyMeshIpv4();
  const meshV6 = state.colonyMeshIpv6();
  log.info("Adding colony as WireGuard peer", { endpoint, public_key: colony.pubkey.slice(0, 8) + "...", allowed_ips: [`${meshV4}/32`, `${meshV6}/128`] });
  // Re-adding (rather than updating) drops any session with a previous colony instance, so the
  // next packet starts a fresh handshake.
  await device.removePeer(colony.pubkey).catch(() => undefined);
  await device.setPeer({
    publicKey: colony.pubkey,
    endpoint: endpoint || undefined,
    allowedIps: [`${meshV4}/32`, `${meshV6}/128`],
    keepaliveSeconds: PERSISTENT_KEEPALIVE_SECONDS,
  });
  if (endpoint) state.colonyPeerEndpoint = endpoint;
  log.info("Colony peer added successfully", { endpoint });

  await device.addRoute(`${meshV4}/32`);
  try {
    await device.addRoute(`${meshV6}/128`);
  } catch (err) {
    log.debug("Failed to add IPv6 route to colony (ignored)", { error: errorText(err) });
  }

  const port = state.colonyConnectPort();
  try {
    await tcpDial(meshV4, port, CONNECTIVITY_DIAL_TIMEOUT_MS);
    log.info("Successfully verified connectivity to colony via WireGuard mesh", { target: `${meshV4}:${port}` });
  } catch (err) {
    log.warn("Could not verify connectivity to colony via WireGuard mesh - tunnel may still be establishing", {
      target: `${meshV4}:${port}`,
      error: errorText(err),
    });
  }
}
