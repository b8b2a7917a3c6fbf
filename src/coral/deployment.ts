// One Coral deployment per run: discovery, then a colony registered with it, then N agents
// (contract §1.9, §6.5 ordering). Readiness is observed, never slept on. The same steps drive
// real Coral images and the reference images.
import type { DockerClient } from "../docker/client.js";
import { REACH_LABEL } from "../docker/labels.js";
import { RunScope } from "../docker/run-scope.js";
import type { Action, PartsModel } from "../runner/claims.js";
import type { ContainerEvidence, RunEnvironment } from "../runner/environment.js";
import { pollUntil } from "../util/poll.js";
import { pause } from "../util/time.js";
import type { RpcRecord } from "./clients.js";
import { COLONY_ENTRYPOINT, initColony } from "./colony-setup.js";
import { AgentNode, ColonyNode, DiscoveryNode } from "./nodes.js";
import { AppNode, type AppSpec } from "./apps.js";
import { Ledger } from "./ledger.js";
import { EBPF_AGENT_HOSTNAME, L0_AGENT_HOSTNAME, PARTS } from "./parts.js";
import { ebpfFacts, ebpfGaps, type EbpfFacts, type EbpfGaps } from "./ebpf.js";
import { KERNEL_PROBE, L0_AGENT_ENTRYPOINT, l0Gap, parseKernelFacts } from "./l0.js";
import { BEYLA_AGENT_ENV, BEYLA_PRIVILEGES, type CoralImages, EBPF_PRIVILEGES, OBSERVABILITY_ENV, PORTS, READY_MS, STUN_NOWHERE, TIMERS } from "./settings.js";
import { type CoralVersion, detectVersion } from "./version.js";

export interface DeploymentOptions {
  runId: string;
  images: CoralImages;
  agents: number;
  timeoutScale: number;
  /** Reference-image fault switches per role (CORAL_REF_FAULTS); real Coral ignores them. */
  refFaults?: Partial<Record<"discovery" | "colony" | "agent", string>>;
  /** false: the eBPF agent gets no extra privileges (its layers are then skipped with the reason). */
  ebpfPrivileges?: boolean;
  /**
   * How many planned checks name each part: the layer agents among them are started with the
   * deployment, and one spare agent for each check that disturbs one.
   */
  wants?: { parts: Record<string, number>; capabilities: string[] };
  onSecret?: (value: string) => void;
  progress?: (message: string) => void;
  signal?: AbortSignal;
}

export interface AgentOverrides {
  env?: Record<string, string>;
  /** Coral's own defaults for the observability timers and sampling (no shortened env). */
  coralDefaults?: boolean;
  /** Extra reference faults for this agent only. */
  refFaults?: string;
  /** Capabilities and security options beyond WireGuard's: those of L0, or of L2 profiling and L3 (§7). */
  privileges?: { capAdd: readonly string[]; securityOpt: readonly string[] };
  /** PID 1 instead of `coral-agent start` (it must exec that in the end). */
  entrypoint?: string[];
}

/** The agent that runs L2 profiling and L3, and what its preflight found. */
export interface EbpfAgent {
  agent: AgentNode;
  facts: EbpfFacts;
  gaps: EbpfGaps;
}

export { EBPF_AGENT_HOSTNAME, L0_AGENT_HOSTNAME, PARTS };

/** The L0 agent and why L0 cannot run on it, if it cannot. */
export interface L0Agent {
  agent: AgentNode;
  unavailable?: string;
}

/** One readiness probe: short, since a published port accepts before the container listens. */
const PROBE_MS = 750;

const TUN = { capAdd: ["NET_ADMIN"], devices: ["/dev/net/tun"] };

export class CoralDeployment implements RunEnvironment {
  readonly rpcHistory: RpcRecord[] = [];
  readonly scope: RunScope;
  readonly ledger = new Ledger();
  discovery!: DiscoveryNode;
  colony!: ColonyNode;
  /** The run agents (--agents): checks watch them, none disturbs them. */
  agents: AgentNode[] = [];
  /** One agent for each planned check that disturbs one: lent to it by the engine (pool "spare-agent"). */
  spares: AgentNode[] = [];
  version: CoralVersion = { version: "unknown", evidence: "not detected yet" };
  readonly timings: Record<string, number> = {};
  /** Log lines a check provoked on purpose (a known crash); the closing scan does not count them. */
  readonly provokedLogLines: RegExp[] = [];
  /** Started apps by agent/name; the promise, so checks asking at the same time share one start. */
  private readonly apps = new Map<string, Promise<AppNode>>();
  private ebpf?: Promise<EbpfAgent>;
  private l0?: Promise<L0Agent>;

  constructor(
    docker: DockerClient,
    readonly options: DeploymentOptions,
  ) {
    this.scope = new RunScope(docker, options.runId);
  }

  private readonly record = (r: RpcRecord) => {
    if (this.rpcHistory.length < 5000) this.rpcHistory.push(r);
  };

  scaled(ms: number): number {
    return Math.round(ms * this.options.timeoutScale);
  }

  async up(): Promise<void> {
    const t0 = Date.now();
    const mark = (name: string) => {
      this.timings[name] = Date.now() - t0;
      this.ledger.milestone(name.replace(/[A-Z]/g, (c) => ` ${c.toLowerCase()}`));
    };
    const progress = this.options.progress ?? (() => {});
    await this.scope.createNetwork();

    progress("starting discovery");
    await this.startDiscovery();
    mark("discoveryHealthy");

    progress("initialising and starting the colony");
    await this.startColony();
    mark("colonyRegistered");

    const spares = this.options.wants?.parts[PARTS.spareAgent] ?? 0;
    progress(`starting ${this.options.agents} agents${spares ? ` and ${spares} spare ${spares === 1 ? "agent" : "agents"}` : ""}`);
    const started = await Promise.all([
      ...Array.from({ length: this.options.agents }, (_, i) => this.startAgent(`agent-${i}`)),
      ...Array.from({ length: spares }, (_, i) => this.startAgent(`spare-${i}`)),
    ]);
    this.agents = started.slice(0, this.options.agents);
    this.spares = started.slice(this.options.agents);
    await this.waitForAgentsListed(started);
    mark("agentsListed");
    if (this.agents[0]) this.version = await detectVersion(this.agents[0]);
    this.prepareLayerAgents();
  }

  /**
   * Starts the layer agents the planned checks name, without waiting: their start and preflight
   * overlap the first checks, which find them ready (ebpfAgent()/l0Agent() return the same promise).
   */
  private prepareLayerAgents(): void {
    const wanted = new Set(Object.keys(this.options.wants?.parts ?? {}));
    const ready = (name: string) => () => this.ledger.milestone(`${name} ready`);
    if (wanted.has(PARTS.ebpfAgent)) this.ebpfAgent().then(ready(EBPF_AGENT_HOSTNAME), () => undefined);
    if (wanted.has(PARTS.l0Agent)) this.l0Agent().then(ready(L0_AGENT_HOSTNAME), () => undefined);
  }

  private async startDiscovery(): Promise<void> {
    const container = await this.scope.start({
      role: "discovery",
      image: this.options.images.discovery,
      hostname: "discovery",
      aliases: ["discovery"],
      publish: [PORTS.discovery],
      env: this.refFaultEnv("discovery"),
      cmd: [
        "npx", "wrangler", "dev", "--ip", "0.0.0.0", "--port", String(PORTS.discovery),
        "--persist-to", "/tmp/wrangler-persist",
        "--var", `DEFAULT_TTL_SECONDS:${TIMERS.discoveryTtlSeconds}`,
        "--var", `CLEANUP_INTERVAL_MS:${TIMERS.discoveryCleanupMs}`,
      ],
    });
    this.discovery = new DiscoveryNode(this.scope, container, this.ledger, this.record);
    await pollUntil("discovery GET /health to answer 200", () => this.discovery.health(PROBE_MS), (r) => r.status === 200, {
      timeoutMs: this.scaled(READY_MS.discovery),
      signal: this.options.signal,
    });
  }

  private async startColony(): Promise<void> {
    const container = await this.scope.start({
      role: "colony",
      image: this.options.images.colony,
      hostname: "colony",
      aliases: ["colony"],
      entrypoint: COLONY_ENTRYPOINT,
      cmd: [],
      publish: [PORTS.colonyConnect, PORTS.colonyPublic],
      ...TUN,
      env: {
        CORAL_DISCOVERY_ENDPOINT: this.discovery.internalUrl,
        CORAL_PUBLIC_ENDPOINT: `colony:${PORTS.colonyWireGuard}`,
        CORAL_DISCOVERY_REGISTER_INTERVAL: TIMERS.registerInterval,
        ...OBSERVABILITY_ENV.colony,
        ...this.refFaultEnv("colony"),
      },
    });
    const identity = await initColony(container, this.discovery.internalUrl);
    this.options.onSecret?.(identity.bootstrapPsk);
    this.colony = new ColonyNode(this.scope, container, identity, this.ledger, this.record);

    // :9000/status is the readiness gate (§1.2 step 8, §6.27); then discovery must know the colony.
    await pollUntil("colony GET :9000/status to answer 200", () => this.colony.statusDocument(PROBE_MS), (r) => r.status === 200, {
      timeoutMs: this.scaled(READY_MS.colony),
      signal: this.options.signal,
    });
    const discovery = await this.discovery.client();
    await pollUntil(
      `discovery LookupColony(${identity.id}) to return the colony`,
      () => discovery.lookupColony({ meshId: identity.id }, { timeoutMs: 5_000 }),
      (r) => r.pubkey.length > 0,
      { timeoutMs: this.scaled(READY_MS.colony), signal: this.options.signal },
    );
  }

  /** Starts an agent named by its hostname; also used by checks for extra or misconfigured agents. */
  async startAgent(hostname: string, overrides: AgentOverrides = {}): Promise<AgentNode> {
    // It looks the colony up in discovery and takes an address from the colony's pool.
    this.ledger.create(hostname);
    this.ledger.use(PARTS.discovery, `start agent ${hostname}`);
    this.ledger.use(PARTS.ipPool, `join agent ${hostname}`);
    const faults = [this.options.refFaults?.agent, overrides.refFaults].filter(Boolean).join(",");
    const container = await this.scope.start({
      role: hostname,
      image: this.options.images.agent,
      hostname,
      aliases: [hostname],
      entrypoint: overrides.entrypoint ?? ["coral-agent"],
      cmd: overrides.entrypoint ? [] : ["start"],
      publish: [PORTS.agentApi, PORTS.otlpGrpc, PORTS.otlpHttp],
      ...TUN,
      ...(overrides.privileges ? { capAdd: [...TUN.capAdd, ...overrides.privileges.capAdd], securityOpt: [...overrides.privileges.securityOpt] } : {}),
      env: {
        CORAL_COLONY_ID: this.colony.identity.id,
        CORAL_CA_FINGERPRINT: this.colony.identity.caFingerprint,
        CORAL_BOOTSTRAP_PSK: this.colony.identity.bootstrapPsk,
        CORAL_DISCOVERY_ENDPOINT: this.discovery.internalUrl,
        CORAL_HEARTBEAT_INTERVAL: TIMERS.heartbeatInterval,
        CORAL_STUN_SERVERS: STUN_NOWHERE,
        CORAL_AGENT_BIND_ALL: "true",
        CORAL_MONITOR_ALL: "false",
        ...(overrides.coralDefaults ? {} : OBSERVABILITY_ENV.agent),
        ...(faults ? { CORAL_REF_FAULTS: faults } : {}),
        ...overrides.env,
      },
    });
    return new AgentNode(this.scope, container, hostname, this.ledger, this.record);
  }

  /**
   * Starts a fixture app in an agent's network and PID namespaces and connects it to the agent with
   * its health endpoint. Started once per (agent, name); later calls return the same app.
   */
  async startApp(agent: AgentNode, spec: AppSpec): Promise<AppNode> {
    const key = `${agent.agentId}/${spec.name}`;
    this.ledger.use(agent.agentId, `start ${spec.name} next to`);
    let app = this.apps.get(key);
    if (!app) {
      app = this.launchApp(agent, spec);
      this.apps.set(key, app);
      app.catch(() => this.apps.get(key) === app && this.apps.delete(key));
    }
    return app;
  }

  private async launchApp(agent: AgentNode, spec: AppSpec): Promise<AppNode> {
    await this.scope.start({
      role: `${agent.agentId}-${spec.name}`,
      image: spec.image,
      networkOf: agent.container,
      pidOf: agent.container,
      env: spec.env,
      entrypoint: spec.entrypoint,
      labels: { [REACH_LABEL]: `docker exec ${agent.container.name} curl -s localhost:${spec.port}${spec.healthPath}` },
    });
    const app = new AppNode(agent, spec);
    await pollUntil(`${spec.name} to answer ${spec.healthPath} next to ${agent.agentId}`, () => app.get(spec.healthPath, 3_000), () => true, {
      timeoutMs: this.scaled(30_000),
      signal: this.options.signal,
    });
    const api = await agent.api();
    const connected = await api.connectService({
      name: spec.name,
      port: spec.port,
      healthEndpoint: spec.healthPath,
      ...(spec.sdk ? {} : { sdkCapabilities: { sdkEnabled: false } }),
    });
    if (!connected.success) throw new Error(`${agent.agentId} refused ConnectService(${spec.name}): ${connected.error || "no reason given"}`);
    return app;
  }

  /**
   * Replaces an agent's container with a new one of the same hostname: a new container, new keys,
   * the same agent id (contract §1.8: the address must come back).
   */
  async recreateAgent(agent: AgentNode): Promise<AgentNode> {
    return this.ledger.during(agent.agentId, "recreate", async () => {
      await agent.container.remove();
      // Its apps died with its namespaces (observability.md §10 #24).
      for (const key of [...this.apps.keys()]) if (key.startsWith(`${agent.agentId}/`)) this.apps.delete(key);
      const fresh = await this.startAgent(agent.agentId);
      this.agents = this.agents.map((a) => (a === agent ? fresh : a));
      this.spares = this.spares.map((a) => (a === agent ? fresh : a));
      return fresh;
    });
  }

  /** Run and spare agents that no fault touched since `sinceMs`: the bystanders of a check's own fault. */
  quietAgents(sinceMs: number, except: AgentNode[] = []): AgentNode[] {
    return [...this.agents, ...this.spares].filter((a) => !except.some((e) => e.agentId === a.agentId) && !this.ledger.faultedSince(a.agentId, sinceMs));
  }

  /** Every agent the deployment started with it, in start order: run agents, then spares. */
  get setupAgents(): AgentNode[] {
    return [...this.agents, ...this.spares];
  }

  /** The spare agent with this id (the member of the pool "spare-agent" a check was lent). */
  spare(agentId: string): AgentNode {
    const found = this.spares.find((a) => a.agentId === agentId);
    if (!found) throw new Error(`no spare agent ${agentId} (the run has ${this.spares.map((a) => a.agentId).join(", ") || "none"})`);
    return found;
  }

  /**
   * Setup waits until every agent is listed with a mesh IP, or has exited. It does not judge
   * health or tunnels (the checks do, with messages naming the cause); a timeout here only means
   * the checks start on a deployment that is not ready, and they will say what they saw.
   */
  private async waitForAgentsListed(agents: AgentNode[]): Promise<void> {
    try {
      await this.untilListed(agents);
    } catch (error) {
      if (this.options.signal?.aborted) throw error;
      this.options.progress?.(`agents not all registered: ${(error as Error).message}`);
    }
  }

  /**
   * Until every agent is listed by the colony with a mesh IP, or has exited: a check that brings an
   * agent back (a heal in its finally) waits for it to have joined before its parts are freed.
   */
  async untilListed(agents: AgentNode[]): Promise<void> {
    const api = await this.colony.api();
    await pollUntil(
      `${agents.map((a) => a.agentId).join(", ")} listed by the colony with a mesh IP`,
      async () => {
        const listed = (await api.listAgents({})).agents.filter((a) => a.meshIpv4);
        const exited = await Promise.all(agents.map(async (a) => ((await a.exitCode()) !== undefined ? a.agentId : undefined)));
        return { listed: listed.map((a) => a.agentId), exited: exited.filter(Boolean) };
      },
      (seen) => agents.every((a) => seen.listed.includes(a.agentId) || seen.exited.includes(a.agentId)),
      { timeoutMs: this.scaled(READY_MS.agents), intervalMs: 200, signal: this.options.signal },
    );
  }

  private refFaultEnv(role: "discovery" | "colony" | "agent"): Record<string, string> {
    const faults = this.options.refFaults?.[role];
    return faults ? { CORAL_REF_FAULTS: faults } : {};
  }

  // RunEnvironment

  properties(): Record<string, string> {
    return {
      "run.id": this.options.runId,
      "image.discovery": this.options.images.discovery,
      "image.colony": this.options.images.colony,
      "image.agent": this.options.images.agent,
      "coral.version": this.version.version,
      "coral.version.evidence": this.version.evidence,
      agents: String(this.options.agents),
      ...(this.colony ? { "colony.id": this.colony.id } : {}),
      ...Object.fromEntries(Object.entries(this.timings).map(([k, v]) => [`setup.ms.${k}`, String(v)])),
    };
  }

  /**
   * The agent of L2 profiling and L3, started on first use with the privileges of §7 (one per run,
   * outside `agents`, so the connectivity checks never see it) and its preflight (§5.1).
   */
  ebpfAgent(): Promise<EbpfAgent> {
    this.ebpf ??= (async () => {
      const agent = await this.startAgent(EBPF_AGENT_HOSTNAME, this.options.ebpfPrivileges === false ? {} : { privileges: EBPF_PRIVILEGES });
      const facts = await this.runtimeFacts(agent);
      return { agent, facts, gaps: ebpfGaps(facts) };
    })();
    return this.ebpf;
  }

  private async runtimeFacts(agent: AgentNode): Promise<EbpfFacts> {
    const ctx = await pollUntil(`${agent.agentId} to answer GetRuntimeContext`, async () => (await agent.api()).getRuntimeContext({}, { timeoutMs: 5_000 }), () => true, {
      timeoutMs: this.scaled(READY_MS.agents),
      signal: this.options.signal,
    });
    return ebpfFacts(ctx);
  }

  /**
   * The agent of L0, started on first use: monitor-all on (the Beyla manager), Beyla's privileges
   * (§7), short Beyla timers, tracefs mounted by its entrypoint. L0 is available when Beyla starts
   * and stays up, the kernel has kprobes and Beyla loaded its process watcher: "Beyla process
   * started" is also logged before every crash, so an exit within the stability window, "Beyla
   * binary not found", a kernel without kprobes or "Unable to load eBPF watcher" make it
   * unavailable (§4.1 step 7, §5.1, §10 #23, #34) — nothing else reports it.
   */
  l0Agent(): Promise<L0Agent> {
    this.l0 ??= (async () => {
      const agent = await this.startAgent(L0_AGENT_HOSTNAME, {
        env: BEYLA_AGENT_ENV,
        entrypoint: L0_AGENT_ENTRYPOINT,
        ...(this.options.ebpfPrivileges === false ? {} : { privileges: BEYLA_PRIVILEGES }),
      });
      const gap = ebpfGaps(await this.runtimeFacts(agent)).ebpf;
      if (gap) return { agent, unavailable: gap };
      await pollUntil(`${agent.agentId} to log "Beyla process started" or "Beyla binary not found"`, () => agent.logs(), (logs) => /Beyla process started|Beyla binary not found/.test(logs), {
        timeoutMs: this.scaled(60_000),
        intervalMs: 250,
        signal: this.options.signal,
      });
      // A negative (no crash, no watcher error) can only be seen over a window of time.
      if (!/Beyla binary not found/.test(await agent.logs())) await pause(TIMERS.beylaStableMs, this.options.signal);
      const probe = await agent.exec(KERNEL_PROBE);
      if (probe.exitCode !== 0) throw new Error(`cannot read ${agent.agentId}'s kernel facts: ${probe.stderr.trim() || `exit ${probe.exitCode}`}`);
      return { agent, unavailable: l0Gap(await agent.logs(), parseKernelFacts(probe.stdout), TIMERS.beylaStableMs) };
    })();
    return this.l0;
  }

  parts(): PartsModel {
    return {
      pools: { [PARTS.spareAgent]: this.spares.map((a) => a.agentId) },
      groups: { [PARTS.agents]: this.agents.map((a) => a.agentId) },
      implicit: [PARTS.colony],
    };
  }

  actionsOf(checkId: string): Action[] {
    return this.ledger.actionsOf(checkId);
  }

  timeline() {
    return this.ledger.timeline();
  }

  async missing(requirement: { minAgents?: number; capabilities?: string[] }): Promise<string | undefined> {
    if (requirement.minAgents !== undefined && this.agents.length < requirement.minAgents) {
      return `needs ${requirement.minAgents} agents, the run has ${this.agents.length} (--agents)`;
    }
    const gaps: string[] = [];
    for (const capability of requirement.capabilities ?? []) {
      if (capability === "tun") continue;
      if (capability === "beyla") {
        const { unavailable } = await this.l0Agent();
        if (unavailable) gaps.push(unavailable);
        continue;
      }
      if (capability === "ebpf" || capability === "ebpf-return-probes") {
        const { gaps: found } = await this.ebpfAgent();
        const gap = capability === "ebpf" ? found.ebpf : (found.ebpf ?? found.returnProbes);
        if (gap) gaps.push(gap);
        continue;
      }
      gaps.push(`capability not available: ${capability}`);
    }
    return gaps.length ? [...new Set(gaps)].join("; ") : undefined;
  }

  async snapshot(): Promise<ContainerEvidence[]> {
    return snapshotScope(this.scope);
  }
}

export async function snapshotScope(scope: RunScope): Promise<ContainerEvidence[]> {
  return Promise.all(
    scope.containers().map(async (c) => ({
      name: c.name,
      role: c.role,
      state: await c.state().catch((e: Error) => `unknown (${e.message})`),
      logs: await c.logs({ tail: 2000 }),
    })),
  );
}

