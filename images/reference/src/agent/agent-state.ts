// What the running agent knows, shared by the startup sequence, the loops and the API server.
import type { RuntimeContextResponse } from "../../../../proto/gen/coral/agent/v1/agent_pb.js";
import { log } from "../common/log.js";
import type { WireGuardDevice } from "../common/wireguard.js";
import type { AgentConfig } from "./config.js";
import type { ColonyInfo } from "./discovery-client.js";

/** The connection states the agent logs (contract connectivity.md §2.5). */
export type ConnectionState = "waiting_discovery" | "unregistered" | "registering" | "registered" | "healthy";

export const MESH_SUBNET_DEFAULT = "100.64.0.0/10";
export const COLONY_MESH_IPV4_DEFAULT = "100.64.0.1";
export const COLONY_MESH_IPV6_DEFAULT = "fd42::1";
export const COLONY_CONNECT_PORT_DEFAULT = 9000;
export const PERSISTENT_KEEPALIVE_SECONDS = 25;

export class AgentState {
  colony?: ColonyInfo;
  device?: WireGuardDevice;
  wireguardPrivateKey = "";
  wireguardPublicKey = "";
  wireguardListenPort = 0;
  meshIp = "";
  meshSubnet = "";
  /** The colony peer endpoint as configured (empty after a checkpoint restore). */
  colonyPeerEndpoint = "";
  /** Register URL that worked last; tried first next time (§3.4). */
  lastWorkingRegisterUrl = "";
  /** `ip:port` strings this agent believes it is reachable at (the STUN result, or local IP:0). */
  observedEndpoints: string[] = [];
  runtimeContext?: RuntimeContextResponse;
  private connectionState: ConnectionState = "unregistered";

  constructor(readonly config: AgentConfig) {}

  get state(): ConnectionState {
    return this.connectionState;
  }

  setState(next: ConnectionState): void {
    if (next === this.connectionState) return;
    log.info("Connection state changed", { old_state: this.connectionState, new_state: next });
    this.connectionState = next;
  }

  colonyMeshIpv4(): string {
    return this.colony?.meshIpv4 || COLONY_MESH_IPV4_DEFAULT;
  }

  colonyMeshIpv6(): string {
    return this.colony?.meshIpv6 || COLONY_MESH_IPV6_DEFAULT;
  }

  colonyConnectPort(): number {
    return this.colony?.connectPort || COLONY_CONNECT_PORT_DEFAULT;
  }
}
