// Spans fetched from an agent → otel_spans (deduplicated by trace/span id) → otel_summaries rows
// recomputed from every stored span of each touched minute, so a later poll adds to a minute
// instead of replacing it (Coral's overwrite-per-poll, §10 #7, is not copied).
import type { TelemetrySpan } from "../../../../proto/gen/coral/agent/v1/agent_pb.js";
import { DuckDBListValue, DuckDBTimestampValue } from "@duckdb/node-api";
import { insertRows, type ColonyDatabase, type SqlParams } from "./database.js";
import { minuteBucket, spanStats } from "./span-percentiles.js";


export function timestampParam(unixMs: number): DuckDBTimestampValue {
  return new DuckDBTimestampValue(BigInt(Math.round(unixMs)) * 1000n);
}

function spanRow(agentId: string, s: TelemetrySpan): SqlParams {
  const startMs = Number(s.timestamp);
  return [
    agentId,
    s.traceId,
    s.spanId,
    s.serviceName || "unknown",
    s.spanKind || "UNSPECIFIED",
    timestampParam(startMs),
    timestampParam(minuteBucket(startMs)),
    s.durationMs,
    s.isError,
    s.httpStatus,
    s.httpMethod,
    s.httpRoute,
    JSON.stringify(s.attributes ?? {}),
  ];
}

/** Stores a poll's spans and refreshes the summaries of the minutes they fall in. */
export async function storeSpans(db: ColonyDatabase, agentId: string, spans: TelemetrySpan[]): Promise<number> {
  if (spans.length === 0) return 0;
  const buckets = [...new Set(spans.map((s) => minuteBucket(Number(s.timestamp))))];
  return db.exclusive(async (run) => {
    await insertRows(run, "INSERT OR IGNORE INTO otel_spans", spans, (s) => spanRow(agentId, s));
    const grouped = await run(
      `SELECT bucket_time, service_name, span_kind,
              list(duration_ms) AS durations,
              count(*) FILTER (WHERE is_error) AS errors,
              list(trace_id ORDER BY start_time) AS trace_ids
         FROM otel_spans
        WHERE agent_id = ? AND bucket_time IN (${buckets.map(() => "?").join(",")})
        GROUP BY bucket_time, service_name, span_kind`,
      [agentId, ...buckets.map(timestampParam)],
    );
    const rows = grouped.getRows();
    for (const [bucket, service, kind, durations, errors, traceIds] of rows) {
      const stats = spanStats(
        (durations as DuckDBListValue).items as number[],
        Number(errors),
        (traceIds as DuckDBListValue).items as string[],
      );
      await run(
        `INSERT OR REPLACE INTO otel_summaries
           (bucket_time, agent_id, service_name, span_kind, p50_ms, p95_ms, p99_ms, error_count, total_spans, sample_traces, created_at)
         VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, CURRENT_TIMESTAMP)`,
        [bucket!, agentId, service!, kind!, stats.p50, stats.p95, stats.p99, stats.errorCount, stats.totalSpans, JSON.stringify(stats.sampleTraces)],
      );
    }
    return rows.length;
  });
}
