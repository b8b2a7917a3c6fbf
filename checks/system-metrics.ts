// Layer 2 (metrics): every agent samples the 13 host metrics with their units and types, from its
// first interval on, with plausible values; the colony keeps per-agent summaries (contract
// observability.md §3.2, §4.3, §10 #21, #27).
import type { SystemMetric } from "../proto/gen/coral/agent/v1/agent_pb.js";
import type { AgentNode } from "../src/coral/nodes.js";
import { TIMERS } from "../src/coral/settings.js";
import { waitAgentsHealthy, type Check, type Module, type T } from "./support.js";
import { PARTS } from "../src/coral/parts.js";

/** name → [unit, metric type] as Coral reports them. */
export const SYSTEM_METRICS: Record<string, [string, string]> = {
  "system.cpu.utilization": ["percent", "gauge"],
  "system.cpu.time": ["seconds", "counter"],
  "system.memory.usage": ["bytes", "gauge"],
  "system.memory.limit": ["bytes", "gauge"],
  "system.memory.utilization": ["percent", "gauge"],
  "system.disk.io.read": ["bytes", "counter"],
  "system.disk.io.write": ["bytes", "counter"],
  "system.disk.usage": ["bytes", "gauge"],
  "system.disk.utilization": ["percent", "gauge"],
  "system.network.io.receive": ["bytes", "counter"],
  "system.network.io.transmit": ["bytes", "counter"],
  "system.network.errors.receive": ["count", "counter"],
  "system.network.errors.transmit": ["count", "counter"],
};

async function samples(t: T, agent: AgentNode): Promise<SystemMetric[]> {
  return (await (await agent.api()).querySystemMetrics({ maxRecords: 50_000 }, { signal: t.signal })).metrics;
}

/** The latest sample of each metric name (a missing `value` is 0, §10 #27). */
function latest(metrics: SystemMetric[]): Map<string, SystemMetric> {
  const out = new Map<string, SystemMetric>();
  for (const m of metrics) if (!out.has(m.name) || out.get(m.name)!.seqId < m.seqId) out.set(m.name, m);
  return out;
}

const agentsReport: Check = {
  id: "system-metrics/agents-report",
  title: "every agent reports the 13 host metrics with units, types and plausible values",
  touches: { observes: [PARTS.agents] },
  timeoutMs: 90_000,
  async run(t) {
    await waitAgentsHealthy(t, t.env.agents, "every agent healthy", 60_000);
    for (const agent of t.env.agents) {
      const first = await t.waitFor(
        `${agent.agentId} to report all 13 system metrics`,
        async () => latest(await samples(t, agent)),
        (m) => Object.keys(SYSTEM_METRICS).every((name) => m.has(name)),
        { timeoutMs: 4 * TIMERS.systemMetricsIntervalMs + 5_000, intervalMs: 500 },
      );
      for (const [name, [unit, type]] of Object.entries(SYSTEM_METRICS)) {
        const m = first.get(name)!;
        t.verify(m.unit === unit && m.metricType === type, `${agent.agentId} ${name} is a ${type} in ${unit}`, { unit: m.unit, type: m.metricType });
      }
      const v = (name: string) => first.get(name)!.value;
      for (const name of ["system.cpu.utilization", "system.memory.utilization", "system.disk.utilization"]) {
        t.verify(v(name) >= 0 && v(name) <= 100, `${agent.agentId} ${name} is within 0-100`, v(name));
      }
      t.verify(v("system.memory.limit") >= v("system.memory.usage") && v("system.memory.usage") > 0, `${agent.agentId} memory limit ≥ usage > 0`, {
        usage: v("system.memory.usage"),
        limit: v("system.memory.limit"),
      });
      t.verify(v("system.disk.usage") > 0, `${agent.agentId} disk usage > 0`, v("system.disk.usage"));
      // Counters never go down between two samples.
      const firstSeq = Math.max(...[...first.values()].map((m) => Number(m.seqId)));
      const second = await t.waitFor(
        `${agent.agentId} to take a second sample`,
        async () => latest(await samples(t, agent)),
        (m) => [...m.values()].some((x) => Number(x.seqId) > firstSeq),
        { timeoutMs: 2 * TIMERS.systemMetricsIntervalMs + 5_000, intervalMs: 500 },
      );
      for (const [name, [, type]] of Object.entries(SYSTEM_METRICS)) {
        if (type !== "counter" || !second.has(name)) continue;
        t.verify(second.get(name)!.value >= first.get(name)!.value, `${agent.agentId} counter ${name} does not decrease`, { before: first.get(name)!.value, after: second.get(name)!.value });
      }
    }
  },
};

const firstSampleOnTime: Check = {
  id: "system-metrics/first-sample-within-interval",
  title: "an agent's first host-metrics sample arrives within one interval of its start",
  needs: ["system-metrics/agents-report"],
  touches: { observes: [PARTS.agents] },
  timeoutMs: 60_000,
  async run(t) {
    const agent = t.env.agents[0]!;
    const started = Date.parse((await agent.container.inspect()).State.StartedAt);
    const all = await samples(t, agent);
    t.verify(all.length > 0, `${agent.agentId} has samples`, all.length);
    const firstTs = Math.min(...all.map((m) => Number(m.timestamp)));
    const lag = firstTs - started;
    t.metric("first sample after agent start", lag, "ms");
    // The oldest sample still held must be from the first interval (retention is an hour).
    t.verify(lag <= TIMERS.systemMetricsIntervalMs + 5_000, `the first sample came ${(lag / 1000).toFixed(1)} s after the agent started (interval ${TIMERS.systemMetricsInterval})`, { startedAt: new Date(started).toISOString(), first: new Date(firstTs).toISOString() });
  },
};

const colonySummaries: Check = {
  id: "system-metrics/colony-summaries",
  title: "the colony holds host-metric summaries for every agent",
  needs: ["system-metrics/agents-report"],
  touches: { observes: [PARTS.agents] },
  timeoutMs: 60_000,
  async run(t) {
    const colony = await t.env.colony.api();
    const ids = t.env.agents.map((a) => a.agentId);
    const seen = await t.waitFor(
      "system_metrics_summaries rows for every agent",
      async () => {
        const res = await colony.executeQuery({ sql: "SELECT agent_id, count(DISTINCT metric_name) FROM system_metrics_summaries GROUP BY agent_id", maxRows: 100 }, { signal: t.signal });
        return new Map(res.rows.map((r) => [r.values[0]!, Number(r.values[1])]));
      },
      (m) => ids.every((id) => (m.get(id) ?? 0) >= Object.keys(SYSTEM_METRICS).length),
      { timeoutMs: 30_000, intervalMs: 1_000 },
    );
    t.observe("metric names summarised per agent", Object.fromEntries(seen));
  },
};

export const systemMetrics: Module = {
  name: "system-metrics",
  phase: "observability",
  layer: 2,
  checks: [agentsReport, firstSampleOnTime, colonySummaries],
};
