// Layer 0 (Beyla RED metrics): an unmodified HTTP service next to an agent shows up with request
// counts and latency buckets at the agent, at the colony, and as server spans, without any
// instrumentation (observability.md §4.1, §5.2, §10 #3, #4, #9, #19). Runs on the L0 agent
// (monitor-all, Beyla's privileges); skipped with the reason when Beyla is missing or crash-loops.
// Not asserted (§10): status codes, bucket bounds and their unit, routes, the agent's requestCount.
import { EbpfMetricType, type EbpfHttpMetric } from "../proto/gen/coral/agent/v1/agent_pb.js";
import { ServiceSource } from "../proto/gen/coral/colony/v1/queries_pb.js";
import type { AppNode } from "../src/coral/apps.js";
import type { AgentNode } from "../src/coral/nodes.js";
import { FIXTURES, TIMERS } from "../src/coral/settings.js";
import type { Check, Module, T } from "./support.js";
import { PARTS } from "../src/coral/parts.js";

const APP = FIXTURES.redApp;
const BEYLA = { capabilities: ["beyla"] };
const L0_AGENT = { observes: [PARTS.l0Agent] };
/** A fixed-latency endpoint of the program: no CPU burnt, a known count. */
const PATH = "/sleep/20";
const REQUESTS = 20;

/** Σ latencyCounts over the service's rows: the request count (§10 #19: requestCount is 0 in Coral). */
const counted = (rows: EbpfHttpMetric[]) => rows.reduce((n, r) => n + r.latencyCounts.reduce((m, c) => m + Number(c), 0), 0);

async function appOnL0Agent(t: T): Promise<{ agent: AgentNode; app: AppNode }> {
  const { agent } = await t.env.l0Agent();
  return { agent, app: await t.env.startApp(agent, APP) };
}

async function agentRows(t: T, agent: AgentNode): Promise<EbpfHttpMetric[]> {
  const api = await agent.api();
  const res = await api.queryEbpfMetrics({ serviceNames: [APP.name], metricTypes: [EbpfMetricType.HTTP], maxRecords: 50_000 }, { signal: t.signal });
  return res.httpMetrics;
}

const agentInstruments: Check = {
  id: "red-metrics/agent-instruments-app",
  title: `the agent's eBPF HTTP metrics of ${APP.name} count every request the runner sent`,
  requires: BEYLA,
  touches: L0_AGENT,
  timeoutMs: 150_000,
  async run(t) {
    const { agent, app } = await appOnL0Agent(t);
    // Traffic starts at once; discovery + export may take a sync interval and an export interval (§4.1).
    let warmup = 0;
    await t.waitFor(
      `${agent.agentId} to hold eBPF HTTP metrics named ${APP.name} (discovery, then one export)`,
      async () => {
        warmup += await app.hit(PATH, 2, 20_000);
        const rows = await agentRows(t, agent);
        return { rows: rows.length, services: [...new Set(rows.map((r) => r.serviceName))], counted: counted(rows) };
      },
      (seen) => seen.rows > 0,
      { timeoutMs: 3 * 5_000 + 3 * TIMERS.beylaMetricsIntervalMs + 20_000, intervalMs: 1_000 },
    );
    t.observe("warm-up requests sent", warmup);
    const before = counted(await agentRows(t, agent));
    const answered = await app.hit(PATH, REQUESTS);
    t.verify(answered === REQUESTS, `${APP.name} answered all ${REQUESTS} requests to ${PATH}`, answered);
    const seen = await t.waitFor(
      `${agent.agentId}'s Σ latencyCounts for ${APP.name} to grow by ≥ ${REQUESTS} (from ${before})`,
      async () => {
        const rows = await agentRows(t, agent);
        return { counted: counted(rows), rows };
      },
      (s) => s.counted - before >= REQUESTS,
      { timeoutMs: 2 * TIMERS.beylaMetricsIntervalMs + 15_000, intervalMs: 1_000 },
    );
    t.metric("requests counted after the burst", seen.counted - before, "requests");
    t.verify(seen.rows.every((r) => r.serviceName === APP.name), `every row is named ${APP.name}, the name it was connected with`, [...new Set(seen.rows.map((r) => r.serviceName))]);
    t.verify(seen.rows.every((r) => r.latencyBuckets.length === r.latencyCounts.length), "latencyBuckets and latencyCounts are parallel arrays", seen.rows.slice(0, 2));
  },
};

const colonyMetrics: Check = {
  id: "red-metrics/colony-metrics",
  title: `the colony's unified metrics and ListServices show ${APP.name} as observed`,
  needs: ["red-metrics/agent-instruments-app"],
  requires: BEYLA,
  touches: L0_AGENT,
  timeoutMs: 60_000,
  async run(t) {
    const colony = await t.env.colony.api();
    const metrics = await t.waitFor(
      `the colony's QueryUnifiedMetrics(${APP.name}, 10m) to list ${APP.name} with requestCount > 0`,
      async () => (await colony.queryUnifiedMetrics({ service: APP.name, timeRange: "10m" }, { signal: t.signal })).httpMetrics.filter((m) => m.serviceName === APP.name),
      (rows) => rows.some((r) => r.requestCount > 0n),
      { timeoutMs: 20_000, intervalMs: 500 },
    );
    t.observe("requestCount per route", metrics.map((m) => `${m.httpMethod} ${m.httpRoute}: ${m.requestCount}`));
    const listed = await t.waitFor(
      `the colony's ListServices to show ${APP.name} as OBSERVED or VERIFIED`,
      async () => (await colony.listServices({ timeRange: "10m" }, { signal: t.signal })).services.find((s) => s.name === APP.name),
      (s) => s?.source === ServiceSource.OBSERVED || s?.source === ServiceSource.VERIFIED,
      { timeoutMs: 20_000, intervalMs: 500 },
    );
    t.observe("service", listed);
  },
};

const serverSpans: Check = {
  id: "red-metrics/server-spans",
  title: `server spans of ${APP.name} reach the colony`,
  needs: ["red-metrics/agent-instruments-app"],
  requires: BEYLA,
  touches: L0_AGENT,
  timeoutMs: 60_000,
  async run(t) {
    const colony = await t.env.colony.api();
    const spans = await t.waitFor(
      `the colony's QueryUnifiedTraces(${APP.name}, 10m) to hold SERVER spans of ${APP.name}`,
      async () => (await colony.queryUnifiedTraces({ service: APP.name, timeRange: "10m", maxTraces: 100 }, { signal: t.signal })).spans.filter((s) => s.serviceName === APP.name),
      (s) => s.some((x) => x.spanKind === "SERVER"),
      { timeoutMs: 20_000, intervalMs: 500 },
    );
    t.observe("spans", spans.slice(0, 3).map((s) => `${s.spanKind} ${s.spanName} ${s.durationUs}µs`));
  },
};

export const redMetrics: Module = {
  name: "red-metrics",
  phase: "observability",
  layer: 0,
  checks: [agentInstruments, colonyMetrics, serverSpans],
};
