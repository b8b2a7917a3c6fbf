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
  postRaw,
} from "./clients.js";
import type { Ledger } from "./ledger.js";
import { type InterfaceInfo, parseAddresses, parseLink, parseRoutes } from "./netinfo.js";
import { PARTS } from "./parts.js";
import { PORTS } from "./settings.js";

/** The iptables rule (after -I/-D) that drops inbound traffic to a port, optionally from one source. */
function inboundDrop(protocol: "tcp" | "udp", port: number, options: { iface?: string; source?: string } = {}): string[] {
  const { iface, source } = options;
  return ["INPUT", ...(iface ? ["-i", iface] : []), ...(source ? ["-s", source] : []), "-p", protocol, "--dport", String(port), "-j", "DROP"];
}

/**
 * Lifecycle faults the runner injects; shared by every component. Each fault goes through the
 * ledger, which records it for the check that acts (its `touches` must name this part) and as a
 * window on the run's timeline, healed by its counterpart (stop → start, pause → unpause, …).
 */
abstract class Node {
  constructor(
    protected readonly scope: RunScope,
    readonly container: ContainerHandle,
    protected readonly ledger: Ledger,
    protected readonly record?: RpcRecorder,
  ) {}

  /** The part this node is in `touches` declarations: "colony", "discovery", the agent's id. */
  get role(): string {
    return this.container.role;
  }

  async stop(graceSeconds = 10): Promise<void> {
    this.ledger.inject(this.role, "stop");
    await this.container.stop(graceSeconds);
  }

  /** SIGKILL: no grace, the process gets no chance to clean up. Healed by start(). */
  async kill(): Promise<void> {
    this.ledger.inject(this.role, "kill");
    await this.container.kill("SIGKILL");
  }

  /** Starts a stopped or killed container again. */
  async start(): Promise<void> {
    await this.container.start();
    this.ledger.heal(this.role, "stop");
    this.ledger.heal(this.role, "kill");
    this.restarted();
  }

  async restart(graceSeconds = 10): Promise<void> {
    await this.ledger.during(this.role, "restart", () => this.container.restart(graceSeconds));
    this.restarted();
  }

  async pause(): Promise<void> {
    this.ledger.inject(this.role, "pause");
    await this.container.pause();
  }

  async unpause(): Promise<void> {
    await this.container.unpause();
    this.ledger.heal(this.role, "pause");
  }

  async disconnect(): Promise<void> {
    this.ledger.inject(this.role, "disconnect");
    await this.scope.disconnect(this.container);
  }

  async reconnect(): Promise<void> {
    await this.scope.reconnect(this.container);
    this.ledger.heal(this.role, "disconnect");
  }

  /** The same container's process started again (agents: from their enrollment checkpoint). */
  protected restarted(): void {}

  state = () => this.container.state();
  logs = (tail?: number) => this.container.logs({ tail });
  exec = (cmd: string[], timeoutMs = 15_000): Promise<ExecResult> => this.container.exec(cmd, { timeoutMs });

  /** This container's address on the run's network (the underlay). */
  underlayIp(): Promise<string> {
    return this.container.networkIp();
  }

  /** The runner's URL for a container port (src/docker/container.ts endpoint: host or in-container). */
  protected async baseUrl(port: number): Promise<string> {
    const { host, port: reached } = await this.container.endpoint(port);
    return `http://${host}:${reached}`;
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
    this.ledger.inject(this.role, "drop-udp", `:${port}`);
    await this.mustExec(["iptables", "-I", ...inboundDrop("udp", port)]);
  }

  async allowUdp(port: number): Promise<void> {
    await this.mustExec(["iptables", "-D", ...inboundDrop("udp", port)]);
    this.ledger.heal(this.role, "drop-udp", `:${port}`);
  }

  /** Drops inbound TCP to a port inside the container, on one interface or on all of them. */
  async dropTcp(port: number, iface?: string): Promise<void> {
    this.ledger.inject(this.role, "drop-tcp", `:${port}${iface ? ` on ${iface}` : ""}`);
    await this.mustExec(["iptables", "-I", ...inboundDrop("tcp", port, { iface })]);
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

  /** RegisterColony on behalf of someone else: it may change the colony's record (split brain). */
  async registerColony(request: Parameters<DiscoveryClient["registerColony"]>[0], signal?: AbortSignal) {
    const client = await this.client();
    return this.ledger.during(this.role, "register-colony", () => client.registerColony(request, { signal }), request.meshId);
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
    ledger: Ledger,
    record?: RpcRecorder,
  ) {
    super(scope, container, ledger, record);
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

  /**
   * A Register the runner makes itself over the underlay (a probe agent with no tunnel): it takes an
   * address from the colony's pool, as an agent joining would.
   */
  async registerProbe(request: Parameters<MeshClient["register"]>[0], signal?: AbortSignal) {
    const mesh = await this.mesh();
    return this.ledger.during(PARTS.ipPool, "fake-register", () => mesh.register(request, { signal }), request.agentId, "use");
  }

  /**
   * A Register with a malformed key. It disturbs the address pool: Coral v0.3.0 burns or poisons
   * addresses on it (§3.4, §6.16). A key of any length goes through the typed client; one the
   * handler cannot even log (under 8 characters) is sent raw, since its answer may be no answer.
   */
  async registerMalformedProbe(request: Parameters<MeshClient["register"]>[0], signal?: AbortSignal) {
    const mesh = await this.mesh();
    return this.ledger.during(PARTS.ipPool, "malformed-register", () => mesh.register(request, { signal }), request.agentId);
  }

  async registerMalformed(body: Record<string, unknown>, signal?: AbortSignal) {
    const url = `${await this.url()}/coral.mesh.v1.MeshService/Register`;
    return this.ledger.during(PARTS.ipPool, "malformed-register", () => postRaw(url, JSON.stringify(body), { signal }), String(body.agentId ?? ""));
  }

  /** Drops the WireGuard UDP of one agent inside the colony: that agent's tunnel alone goes down. */
  async dropWireGuardFrom(agent: AgentNode): Promise<() => Promise<void>> {
    const rule = inboundDrop("udp", PORTS.colonyWireGuard, { source: await agent.underlayIp() });
    this.ledger.inject(agent.agentId, "drop-udp", `WireGuard UDP from ${agent.agentId} dropped in the colony`);
    await this.mustExec(["iptables", "-I", ...rule]);
    return async () => {
      await this.mustExec(["iptables", "-D", ...rule]);
      this.ledger.heal(agent.agentId, "drop-udp", `WireGuard UDP from ${agent.agentId} dropped in the colony`);
    };
  }
}

export class AgentNode extends Node {
  /** Coral names an agent after its hostname (contract §1.3). */
  readonly agentId: string;
  /**
   * Its process was started again in the same container, so it runs from its enrollment checkpoint:
   * it skips Register and tries the mesh URL first when it re-registers (contract §3.4).
   */
  restoredFromCheckpoint = false;

  constructor(scope: RunScope, container: ContainerHandle, agentId: string, ledger: Ledger, record?: RpcRecorder) {
    super(scope, container, ledger, record);
    this.agentId = agentId;
  }

  protected override restarted(): void {
    this.restoredFromCheckpoint = true;
  }

  /**
   * Rejects the agent's TCP to the colony's underlay address on :9000: only what travels through
   * the tunnel (to 100.64.0.1) still reaches the colony. Returns the heal.
   */
  async cutUnderlayToColony(colony: ColonyNode): Promise<() => Promise<void>> {
    const rule = ["OUTPUT", "-p", "tcp", "-d", await colony.underlayIp(), "--dport", String(PORTS.colonyConnect), "-j", "REJECT"];
    this.ledger.inject(this.agentId, "cut-underlay", `${this.agentId} → colony:${PORTS.colonyConnect} rejected`);
    await this.mustExec(["iptables", "-I", ...rule]);
    return async () => {
      await this.mustExec(["iptables", "-D", ...rule]);
      this.ledger.heal(this.agentId, "cut-underlay", `${this.agentId} → colony:${PORTS.colonyConnect} rejected`);
    };
  }

  /**
   * CPU pressure: busy loops in the agent's container while the container is held to a CPU quota,
   * so the agent competes for a fraction of a core and the host loses at most `cpus` of one. The
   * loops end by themselves after `maxSeconds` should the runner die. Returns the heal.
   */
  async cpuPressure(options: { cpus: number; burners: number; maxSeconds: number }): Promise<() => Promise<void>> {
    const detail = `${options.burners} busy loops in ${this.agentId}, held to ${options.cpus} CPU`;
    this.ledger.inject(this.agentId, "cpu-pressure", detail);
    await this.container.limitCpus(options.cpus);
    const loop = `bash -c 'while [ $SECONDS -lt ${Math.ceil(options.maxSeconds)} ]; do :; done' >/dev/null 2>&1 & echo $!`;
    const pids = (await this.mustExec(["bash", "-c", `for i in $(seq ${options.burners}); do ${loop}; done`])).trim().split(/\s+/);
    return async () => {
      await this.exec(["kill", ...pids]); // a loop that already ended is not an error
      await this.container.limitCpus(undefined);
      this.ledger.heal(this.agentId, "cpu-pressure", detail);
    };
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

  /** The agent's OTLP/gRPC receiver as a gRPC target (`host:port`). */
  async otlpGrpcTarget(): Promise<string> {
    const { host, port } = await this.container.endpoint(PORTS.otlpGrpc);
    return `${host}:${port}`;
  }

  /** The agent's OTLP/HTTP receiver. */
  otlpHttpUrl(): Promise<string> {
    return this.baseUrl(PORTS.otlpHttp);
  }

  cli(args: string[], timeoutMs = 20_000): Promise<ExecResult> {
    return this.exec(["coral-agent", ...args], timeoutMs);
  }

  /** Exit code once the agent process has ended, undefined while it runs. */
  exitCode(): Promise<number | undefined> {
    return this.container.exitCode();
  }
}
