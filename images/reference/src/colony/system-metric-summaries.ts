// Host samples fetched from an agent → system_metric_samples → system_metrics_summaries rows
// recomputed per (minute of the sample, metric, attributes) from every stored sample, so later polls
// add to a minute instead of replacing it (§4.3 step 2, §10 #7). p95 uses linear interpolation
// (DuckDB quantile_cont); delta = max − min for counters, 0 otherwise.
import type { SystemMetric } from "../../../../proto/gen/coral/agent/v1/agent_pb.js";
import { insertRows, type ColonyDatabase, type SqlParams } from "./database.js";
import { minuteBucket } from "./span-percentiles.js";
import { timestampParam } from "./span-summaries.js";


function sampleRow(agentId: string, sessionId: string, m: SystemMetric): SqlParams {
  const ts = Number(m.timestamp);
  return [agentId, sessionId, m.seqId, timestampParam(ts), timestampParam(minuteBucket(ts)), m.name, m.value, m.unit, m.metricType, m.attributes ?? ""];
}

export async function storeSystemMetrics(db: ColonyDatabase, agentId: string, sessionId: string, metrics: SystemMetric[]): Promise<void> {
  if (metrics.length === 0) return;
  const buckets = [...new Set(metrics.map((m) => minuteBucket(Number(m.timestamp))))];
  await db.exclusive(async (run) => {
    await insertRows(run, "INSERT OR IGNORE INTO system_metric_samples", metrics, (m) => sampleRow(agentId, sessionId, m));
    await run(
      `INSERT OR REPLACE INTO system_metrics_summaries
         (bucket_time, agent_id, metric_name, min_value, max_value, avg_value, p95_value, delta_value,
          sample_count, unit, metric_type, attributes, created_at)
       SELECT bucket_time, agent_id, metric_name, min(value), max(value), avg(value),
              quantile_cont(value, 0.95),
              CASE WHEN any_value(metric_type) = 'counter' THEN max(value) - min(value) ELSE 0 END,
              count(*), any_value(unit), any_value(metric_type), attributes, CURRENT_TIMESTAMP
         FROM system_metric_samples
        WHERE agent_id = ? AND bucket_time IN (${buckets.map(() => "?").join(",")})
        GROUP BY bucket_time, agent_id, metric_name, attributes`,
      [agentId, ...buckets.map(timestampParam)],
    );
  });
}
