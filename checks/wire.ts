// Wire: every RPC the runner relies on, called once with raw Connect JSON, its answer held against
// Coral v0.3.0's wire schema (proto/wire/): each field present must be a field of its message with
// its JSON shape — enums known names, 64-bit integers decimal strings, nested messages, lists and
// maps followed. The typed clients drop a drifted field to keep the other checks going
// (src/coral/lenient-json.ts); these checks are where the drift is reported, naming each field by its
// path. First in the connectivity phase, and after each observability layer's checks (whose data
// they hold: an answer without the lists those checks read has nothing to hold and fails).
import { newWireGuardKey, type Check, type Module, type T } from "./support.js";
import { PARTS } from "../src/coral/parts.js";
import { appOnEbpfAgent, keepBusy } from "./ebpf-support.js";
import { postRaw } from "../src/coral/clients.js";
import type { AgentNode } from "../src/coral/nodes.js";
import { FIXTURES } from "../src/coral/settings.js";
import { checkWireJson, summariseDeviations } from "../src/coral/wire-json.js";
import { CORAL_WIRE_VERSION, coralWireSchema } from "../src/coral/wire-schema.js";

type Json = Record<string, unknown>;

interface RawCall {
  /** "coral.colony.v1.ColonyService/ListAgents" */
  rpc: string;
  /** Base URL of the server (host port, resolved per call). */
  at: () => Promise<string>;
  request: Json;
  /** Who answers, when it is not obvious from the method ("agent-0"). */
  who?: string;
  /** Top-level repeated fields the runner's checks read: they must not be empty. */
  holds?: string[];
  timeoutMs?: number;
}

/** Calls RPCs raw and collects each answer's deviations; `verdict` fails naming every one. */
class WireHolder {
  private readonly deviations: string[] = [];
  private readonly held: string[] = [];

  constructor(private readonly t: T) {}

  async call(call: RawCall): Promise<Json> {
    const { t } = this;
    const schema = coralWireSchema();
    const rpc = schema.rpcs.get(call.rpc);
    if (!rpc) return t.fail(`${call.rpc} is not an RPC of Coral ${CORAL_WIRE_VERSION}'s wire schema`);
    const name = `${call.who ? `${call.who} ` : ""}${call.rpc.split("/")[1]}`;
    const holds = call.holds ?? [];
    let answer: Json = {};
    await t.waitFor(
      holds.length ? `${name} to answer ${holds.join(", ")} (else there is nothing to hold against the schema)` : `${name} to answer`,
      async () => {
        const res = await postRaw(`${await call.at()}/${call.rpc}`, JSON.stringify(call.request), { signal: t.signal, timeoutMs: call.timeoutMs });
        if ("transportError" in res) return { answered: `no answer: ${res.transportError}` };
        let json: unknown;
        try {
          json = JSON.parse(res.body);
        } catch {
          return { answered: `HTTP ${res.status}, not JSON: ${res.body.slice(0, 200)}` };
        }
        if (res.status !== 200) return { answered: `HTTP ${res.status}: ${res.body.slice(0, 300)}` };
        answer = json as Json;
        return { answered: "HTTP 200", counts: Object.fromEntries(holds.map((f) => [f, Array.isArray(answer[f]) ? (answer[f] as unknown[]).length : answer[f] ?? "absent"])) };
      },
      (seen) => seen.answered === "HTTP 200" && holds.every((f) => typeof seen.counts?.[f] === "number" && seen.counts[f] > 0),
      { timeoutMs: call.timeoutMs ?? 15_000, intervalMs: 1_000 },
    );
    const found = summariseDeviations(checkWireJson(schema, rpc.output, answer));
    this.deviations.push(...found.map((line) => `${name}: ${line}`));
    this.held.push(`${name}${found.length ? ` (${found.length} deviating)` : ""}`);
    return answer;
  }

  verdict(): void {
    const { t } = this;
    const pruned = t.env.rpcHistory.flatMap((r) => (r.pruned ?? []).map((p) => `${r.procedure.split("/").pop()}: ${p.path}: expected ${p.expected}, saw ${p.seen}`));
    if (pruned.length) t.observe("fields the typed clients dropped so far in this run (drifted shapes)", [...new Set(pruned)].slice(0, 50));
    if (this.deviations.length) {
      t.fail(`${this.deviations.length} field(s) deviate from Coral ${CORAL_WIRE_VERSION}'s wire schema: ${this.deviations.join("; ")}`, this.deviations);
    }
    t.verify(true, `every answer has Coral ${CORAL_WIRE_VERSION}'s JSON shapes: ${this.held.join(", ")}`);
  }
}

const SERVICE = {
  discovery: "coral.discovery.v1.DiscoveryService",
  colony: "coral.colony.v1.ColonyService",
  mesh: "coral.mesh.v1.MeshService",
  colonyDebug: "coral.colony.v1.ColonyDebugService",
  agent: "coral.agent.v1.AgentService",
  agentDebug: "coral.agent.v1.AgentDebugService",
};

/** A call answered by an agent, named after it. */
const onAgent = (agent: AgentNode, rpc: string, request: Json, holds?: string[], timeoutMs?: number): RawCall => ({
  rpc,
  at: () => agent.url(),
  who: agent.agentId,
  request,
  holds,
  timeoutMs,
});

/** ExecuteQuery on the colony's database, as the layer's checks run it. */
const executeQuery = (t: T, sql: string, maxRows: number): RawCall => ({ rpc: `${SERVICE.colony}/ExecuteQuery`, at: () => t.env.colony.url(), request: { sql, maxRows }, holds: ["rows"] });

const connectivityRpcs: Check = {
  id: "wire/connectivity-rpcs",
  title: "the answers of discovery, the colony and an agent to the connectivity RPCs have Coral's JSON shapes",
  // A wrong-colony Register among them: it takes nothing from the pool, as Coral answers it.
  touches: { observes: [PARTS.discovery, PARTS.agents, PARTS.ipPool] },
  timeoutMs: 90_000,
  async run(t) {
    const { discovery, colony } = t.env;
    const agent = t.env.agents[0]!;
    const wire = new WireHolder(t);
    const colonyUrl = () => colony.url();
    await wire.call({ rpc: `${SERVICE.discovery}/Health`, at: () => discovery.url(), request: {} });
    await wire.call({ rpc: `${SERVICE.discovery}/LookupColony`, at: () => discovery.url(), request: { meshId: colony.id }, holds: ["endpoints"] });
    await wire.call({ rpc: `${SERVICE.colony}/GetStatus`, at: colonyUrl, request: {} });
    await wire.call({ rpc: `${SERVICE.colony}/GetCAStatus`, at: colonyUrl, request: {} });
    await wire.call({ rpc: `${SERVICE.colony}/ListAgents`, at: colonyUrl, request: {}, holds: ["agents"] });
    await wire.call({ rpc: `${SERVICE.colony}/MeshPing`, at: colonyUrl, request: { agentId: agent.agentId, count: 1, timeoutMs: 1000 }, holds: ["results"] });
    await wire.call({ rpc: `${SERVICE.colony}/MeshAudit`, at: colonyUrl, request: { agentId: agent.agentId }, holds: ["results"] });
    // The rejection registration/wrong-colony-rejected provokes: it leaves nothing behind (§3.4).
    await wire.call({
      rpc: `${SERVICE.mesh}/Register`,
      at: colonyUrl,
      request: { agentId: "coral-e2e-wire", colonyId: `${colony.id}-not`, wireguardPubkey: newWireGuardKey(), version: "coral-e2e" },
    });
    await wire.call(onAgent(agent, `${SERVICE.agent}/GetRuntimeContext`, {}));
    wire.verdict();
  },
};

const RED_APP = FIXTURES.redApp.name;

const redMetricsRpcs: Check = {
  id: "wire/red-metrics-rpcs",
  title: "the answers to the L0 RPCs (agent eBPF metrics, colony unified metrics, services and traces) have Coral's JSON shapes",
  requires: { capabilities: ["beyla"] },
  touches: { observes: [PARTS.l0Agent] },
  timeoutMs: 90_000,
  async run(t) {
    const { agent } = await t.env.l0Agent();
    const colonyUrl = () => t.env.colony.url();
    const wire = new WireHolder(t);
    await wire.call(onAgent(agent, `${SERVICE.agent}/QueryEbpfMetrics`, { serviceNames: [RED_APP], metricTypes: ["EBPF_METRIC_TYPE_HTTP"], maxRecords: 1000 }, ["httpMetrics"]));
    await wire.call({ rpc: `${SERVICE.colony}/QueryUnifiedMetrics`, at: colonyUrl, request: { service: RED_APP, timeRange: "10m" }, holds: ["httpMetrics"] });
    await wire.call({ rpc: `${SERVICE.colony}/ListServices`, at: colonyUrl, request: { timeRange: "10m" }, holds: ["services"] });
    await wire.call({ rpc: `${SERVICE.colony}/QueryUnifiedTraces`, at: colonyUrl, request: { service: RED_APP, timeRange: "10m", maxTraces: 100 }, holds: ["spans"] });
    wire.verdict();
  },
};

const otlpRpcs: Check = {
  id: "wire/otlp-rpcs",
  title: "the answers to the L1 RPCs (agent telemetry, colony summaries and queries) have Coral's JSON shapes",
  touches: { observes: [PARTS.agents] },
  timeoutMs: 90_000,
  async run(t) {
    const wire = new WireHolder(t);
    await wire.call(onAgent(t.env.agents[0]!, `${SERVICE.agent}/QueryTelemetry`, { maxRecords: 1000 }, ["spans"]));
    await wire.call(executeQuery(t, "SELECT service_name, span_kind, p50_ms, p95_ms, p99_ms, total_spans, error_count FROM otel_summaries LIMIT 5", 5));
    await wire.call({ rpc: `${SERVICE.colony}/QueryUnifiedSummary`, at: () => t.env.colony.url(), request: { timeRange: "10m" }, holds: ["summaries"] });
    wire.verdict();
  },
};

const systemMetricsRpcs: Check = {
  id: "wire/system-metrics-rpcs",
  title: "the answers to the L2 host-metrics RPCs (agent system metrics, colony summaries) have Coral's JSON shapes",
  touches: { observes: [PARTS.agents] },
  timeoutMs: 60_000,
  async run(t) {
    const wire = new WireHolder(t);
    await wire.call(onAgent(t.env.agents[0]!, `${SERVICE.agent}/QuerySystemMetrics`, { maxRecords: 100 }, ["metrics"]));
    await wire.call(executeQuery(t, "SELECT agent_id, count(DISTINCT metric_name) FROM system_metrics_summaries GROUP BY agent_id", 100));
    wire.verdict();
  },
};

const CPU_APP = FIXTURES.cpuApp.name;
const EBPF = { capabilities: ["ebpf"] };

const profilingRpcs: Check = {
  id: "wire/profiling-rpcs",
  title: "the answers to the L2 profiling RPCs (agent services and CPU samples, colony historical profile) have Coral's JSON shapes",
  requires: EBPF,
  touches: { observes: [PARTS.ebpfAgent] },
  timeoutMs: 60_000,
  async run(t) {
    const { agent } = await t.env.ebpfAgent();
    const wire = new WireHolder(t);
    await wire.call(onAgent(agent, `${SERVICE.agent}/ListServices`, {}, ["services"]));
    await wire.call(onAgent(agent, `${SERVICE.agentDebug}/QueryCPUProfileSamples`, { serviceName: CPU_APP }, ["samples"]));
    const now = Date.now();
    await wire.call({
      rpc: `${SERVICE.colonyDebug}/QueryHistoricalCPUProfile`,
      at: () => t.env.colony.url(),
      request: { serviceName: CPU_APP, startTime: new Date(now - 10 * 60_000).toISOString(), endTime: new Date(now + 60_000).toISOString() },
      holds: ["samples"],
    });
    wire.verdict();
  },
};

const SDK = FIXTURES.sdkApp;

const debugRpcs: Check = {
  id: "wire/debug-rpcs",
  title: "the answers to the L3 RPCs (on-demand profile, function registry, a uprobe session) have Coral's JSON shapes",
  requires: EBPF,
  // It keeps cpu-app busy for a profile and runs a uprobe session of its own on sdk-app.
  touches: { observes: [PARTS.ebpfAgent], disturbs: [PARTS.cpuApp, PARTS.sdkApp] },
  timeoutMs: 150_000,
  async run(t) {
    const colonyUrl = () => t.env.colony.url();
    const wire = new WireHolder(t);
    const { app: cpuApp } = await appOnEbpfAgent(t, FIXTURES.cpuApp);
    const load = keepBusy(t, cpuApp);
    try {
      await wire.call({
        rpc: `${SERVICE.colonyDebug}/ProfileCPU`,
        at: colonyUrl,
        request: { serviceName: CPU_APP, durationSeconds: 1, frequencyHz: 99 },
        holds: ["samples"],
        timeoutMs: 60_000,
      });
    } finally {
      await load.stop();
    }
    // The function registry of cpu-app (indexed from DWARF): v0.3.0 leaves sdk-app's empty (§10 #32),
    // and the colony is asked first, so no GetFunctions lands during an indexing.
    await wire.call({ rpc: `${SERVICE.colonyDebug}/QueryFunctions`, at: colonyUrl, request: { serviceName: CPU_APP, query: "burnCPU", maxResults: 20 }, holds: ["results"] });
    const { agent, app: sdkApp } = await appOnEbpfAgent(t, SDK);
    await wire.call(onAgent(agent, `${SERVICE.agent}/GetFunctions`, { serviceName: CPU_APP }, ["functions"], 60_000));
    // A session of its own, so every answer holds data: attach, two calls, events, detach, results.
    const attached = await wire.call({
      rpc: `${SERVICE.colonyDebug}/AttachUprobe`,
      at: colonyUrl,
      request: { serviceName: SDK.name, functionName: SDK.probeFunction, duration: "30s" },
      timeoutMs: 60_000,
    });
    const sessionId = typeof attached.sessionId === "string" ? attached.sessionId : "";
    t.verify(attached.success === true && sessionId !== "", `AttachUprobe(${SDK.name}, ${SDK.probeFunction}) gives a session to hold the session RPCs' answers against`, attached);
    await sdkApp.get("/trigger?n=2", 30_000);
    await wire.call({ rpc: `${SERVICE.colonyDebug}/QueryUprobeEvents`, at: colonyUrl, request: { sessionId, maxEvents: 100 }, holds: ["events"] });
    await wire.call({ rpc: `${SERVICE.colonyDebug}/DetachUprobe`, at: colonyUrl, request: { sessionId } });
    await wire.call({ rpc: `${SERVICE.colonyDebug}/GetDebugResults`, at: colonyUrl, request: { sessionId } });
    await wire.call({ rpc: `${SERVICE.colonyDebug}/ListDebugSessions`, at: colonyUrl, request: { serviceName: SDK.name }, holds: ["sessions"] });
    wire.verdict();
  },
};

/** First in the connectivity phase: a drifted field is named before any check trips over it. */
export const wireConnectivity: Module = { name: "wire", phase: "connectivity", checks: [connectivityRpcs] };
/** After each layer's own checks, whose data they hold against the schema. */
export const wireL0: Module = { name: "wire", phase: "observability", layer: 0, checks: [redMetricsRpcs] };
export const wireL1: Module = { name: "wire", phase: "observability", layer: 1, checks: [otlpRpcs] };
export const wireL2: Module = { name: "wire", phase: "observability", layer: 2, checks: [systemMetricsRpcs, profilingRpcs] };
export const wireL3: Module = { name: "wire", phase: "observability", layer: 3, checks: [debugRpcs] };
