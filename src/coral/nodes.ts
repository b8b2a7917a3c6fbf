// The deployment's view of each Coral component: what checks call instead of containers. URLs are
// resolved on each use, because a restarted container gets a new ephemeral host port.
import type { ContainerHandle, ExecResult } from "../docker/container.js";
import type { RunScope } from "../docker/run-scope.js";
import {
  type AgentClient,
  type AgentDebugClient,
  type ColonyClient,
  type ColonyDebugClient,
  type DiscoveryClient,
  type MeshClient,
  type RpcRecorder,
  agentClient,
  agentDebugClient,
  colonyClient,
  colonyDebugClient,
  discoveryClient,
  getDocument,
  meshClient,
} from "./clients.js";
import { type InterfaceInfo, parseAddresses, parseLink, parseRoutes } from "./netinfo.js";
import { PORTS } from "./settings.js";

/** The iptables rule (after -I/-D) that drops inbound traffic to a port. */
function inboundDrop(protocol: "tcp" | "udp", port: number, iface?: string): string[] {
  return ["INPUT", ...(iface ? ["-i", iface] : []), "-p", protocol, "--dport", String(port), "-j", "DROP"];
}

/** Lifecycle faults the runner injects; shared by every component. */
abstract class Node {
  constructor(
    protected readonly scope: RunScope,
    readonly container: ContainerHandle,
    protected readonly record?: RpcRecorder,
  ) {}

  get role(): string {
    return this.container.role;
  }

  stop = (graceSeconds = 10) => this.container.stop(graceSeconds);
  start = () => this.container.start();
  restart = (graceSeconds = 10) => this.container.restart(graceSeconds);
  pause = () => this.container.pause();
  unpause = () => this.container.unpause();
  state = () => this.container.state();
  logs = (tail?: number) => this.container.logs({ tail });
  exec = (cmd: string[], timeoutMs = 15_000): Promise<ExecResult> => this.container.exec(cmd, { timeoutMs });
  disconnect = () => this.scope.disconnect(this.container);
  reconnect = () => this.scope.reconnect(this.container);

  protected async baseUrl(port: number): Promise<string> {
    return `http://127.0.0.1:${await this.container.hostPort(port)}`;
  }

  /** wg0 as `ip` shows it inside the container. */
  async wg0(): Promise<InterfaceInfo> {
    const [link, addr, route] = await Promise.all([
      this.exec(["ip", "-o", "link", "show", "dev", "wg0"]),
      this.exec(["ip", "-4", "-o", "addr", "show", "dev", "wg0"]),
      this.exec(["ip", "-4", "route", "show", "dev", "wg0"]),
    ]);
    const { exists, up } = link.exitCode === 0 ? parseLink(link.stdout) : { exists: false, up: false };
    return { exists, up, addresses: parseAddresses(addr.stdout), routes: route.exitCode === 0 ? parseRoutes(route.stdout) : [] };
  }

  /** Drops inbound UDP to a port inside the container (needs NET_ADMIN and iptables there). */
  async dropUdp(port: number): Promise<void> {
    await this.mustExec(["iptables", "-I", ...inboundDrop("udp", port)]);
  }

  async allowUdp(port: number): Promise<void> {
    await this.mustExec(["iptables", "-D", ...inboundDrop("udp", port)]);
  }

  /** Drops inbound TCP to a port inside the container, on one interface or on all of them. */
  async dropTcp(port: number, iface?: string): Promise<void> {
    await this.mustExec(["iptables", "-I", ...inboundDrop("tcp", port, iface)]);
  }

  protected async mustExec(cmd: string[]): Promise<string> {
    const result = await this.exec(cmd);
    if (result.exitCode !== 0) throw new Error(`${cmd.join(" ")} in ${this.container.name} exited ${result.exitCode}: ${result.stderr.trim()}`);
    return result.stdout;
  }
}

export class DiscoveryNode extends Node {
  /** The URL other containers use. */
  readonly internalUrl = `http://discovery:${PORTS.discovery}`;

  async url(): Promise<string> {
    return this.baseUrl(PORTS.discovery);
  }

  async client(): Promise<DiscoveryClient> {
    return discoveryClient(await this.url(), this.record);
  }

  async health(timeoutMs?: number) {
    return getDocument(`${await this.url()}/health`, timeoutMs);
  }
}

export interface ColonyIdentity {
  id: string;
  caFingerprint: string; // "sha256:<hex of the root CA DER>"
  bootstrapPsk: string; // secret: registered with the report masker
}

export class ColonyNode extends Node {
  constructor(
    scope: RunScope,
    container: ContainerHandle,
    readonly identity: ColonyIdentity,
    record?: RpcRecorder,
  ) {
    super(scope, container, record);
  }

  get id(): string {
    return this.identity.id;
  }

  async url(): Promise<string> {
    return this.baseUrl(PORTS.colonyConnect);
  }

  async api(): Promise<ColonyClient> {
    return colonyClient(await this.url(), this.record);
  }

  async mesh(): Promise<MeshClient> {
    return meshClient(await this.url(), this.record);
  }

  /** ColonyDebugService on :9000: profiles, uprobe sessions, the historical profile. */
  async debug(): Promise<ColonyDebugClient> {
    return colonyDebugClient(await this.url(), this.record);
  }

  /** The raw `GET :9000/status` document (peers live only here, contract §6.12). */
  async statusDocument(timeoutMs?: number) {
    return getDocument(`${await this.url()}/status`, timeoutMs);
  }

  /** Runs the colony's own CLI inside its container. */
  cli(args: string[], timeoutMs = 20_000): Promise<ExecResult> {
    return this.exec(["coral-colony", ...args], timeoutMs);
  }
}

export class AgentNode extends Node {
  /** Coral names an agent after its hostname (contract §1.3). */
  readonly agentId: string;

  constructor(scope: RunScope, container: ContainerHandle, agentId: string, record?: RpcRecorder) {
    super(scope, container, record);
    this.agentId = agentId;
  }

  async url(): Promise<string> {
    return this.baseUrl(PORTS.agentApi);
  }

  async api(): Promise<AgentClient> {
    return agentClient(await this.url(), this.record);
  }

  async debug(): Promise<AgentDebugClient> {
    return agentDebugClient(await this.url(), this.record);
  }

  async statusDocument(timeoutMs?: number) {
    return getDocument(`${await this.url()}/status`, timeoutMs);
  }

  cli(args: string[], timeoutMs = 20_000): Promise<ExecResult> {
    return this.exec(["coral-agent", ...args], timeoutMs);
  }

  /** Exit code once the agent process has ended, undefined while it runs. */
  exitCode(): Promise<number | undefined> {
    return this.container.exitCode();
  }
}
