// Per-agent host figures for QueryUnifiedSummary (contract observability.md §3.4 fields 8-12,
// §4.3 step 3), read from system_metrics_summaries over the query window.
import type { ColonyDatabase } from "./database.js";
import { timestampParam } from "./span-summaries.js";

export interface HostFigures {
  cpuMax: number;
  cpuAvg: number;
  memoryUsageGb: number;
  memoryLimitGb: number;
  memoryUtilization: number;
}

const BYTES_PER_GB = 1e9;

export async function hostFiguresByAgent(db: ColonyDatabase, sinceMs: number): Promise<Map<string, HostFigures>> {
  const reader = await db.read(
    `SELECT agent_id, metric_name, max(max_value) AS max_value, avg(avg_value) AS avg_value
       FROM system_metrics_summaries
      WHERE bucket_time >= ? AND metric_name IN
            ('system.cpu.utilization', 'system.memory.usage', 'system.memory.limit', 'system.memory.utilization')
      GROUP BY agent_id, metric_name`,
    [timestampParam(Math.floor(sinceMs / 60_000) * 60_000)],
  );
  const out = new Map<string, HostFigures>();
  for (const r of reader.getRowObjectsJS()) {
    const agent = String(r.agent_id);
    const f = out.get(agent) ?? { cpuMax: 0, cpuAvg: 0, memoryUsageGb: 0, memoryLimitGb: 0, memoryUtilization: 0 };
    const max = Number(r.max_value ?? 0);
    switch (r.metric_name) {
      case "system.cpu.utilization":
        f.cpuMax = max;
        f.cpuAvg = Number(r.avg_value ?? 0);
        break;
      case "system.memory.usage":
        f.memoryUsageGb = max / BYTES_PER_GB;
        break;
      case "system.memory.limit":
        f.memoryLimitGb = max / BYTES_PER_GB;
        break;
      case "system.memory.utilization":
        f.memoryUtilization = max;
        break;
    }
    out.set(agent, f);
  }
  return out;
}
