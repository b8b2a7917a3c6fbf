// otel_summaries rows of a time window, the input of the synthetic "[OTLP]" entries of
// QueryUnifiedMetrics / QueryUnifiedTraces and of rule (b) of QueryUnifiedSummary (§3.4, §4.2).
import type { ColonyDatabase } from "./database.js";
import type { SpanStats } from "./span-percentiles.js";
import { timestampParam } from "./span-summaries.js";

export interface OtelSummaryRow extends SpanStats {
  bucketMs: number;
  agentId: string;
  serviceName: string;
  spanKind: string;
}

function parseTraces(text: unknown): string[] {
  try {
    const parsed = JSON.parse(String(text ?? "[]"));
    return Array.isArray(parsed) ? parsed.map(String) : [];
  } catch {
    return [];
  }
}

export async function otelSummaryRows(db: ColonyDatabase, sinceMs: number, service: string): Promise<OtelSummaryRow[]> {
  const reader = await db.read(
    `SELECT bucket_time, agent_id, service_name, span_kind, p50_ms, p95_ms, p99_ms, error_count, total_spans, sample_traces
       FROM otel_summaries
      WHERE bucket_time >= ? AND (? = '' OR service_name = ?)
      ORDER BY bucket_time, service_name, span_kind, agent_id`,
    [timestampParam(Math.floor(sinceMs / 60_000) * 60_000), service, service],
  );
  return reader.getRowObjectsJS().map((r) => ({
    bucketMs: (r.bucket_time as Date).getTime(),
    agentId: String(r.agent_id),
    serviceName: String(r.service_name),
    spanKind: String(r.span_kind ?? ""),
    p50: Number(r.p50_ms),
    p95: Number(r.p95_ms),
    p99: Number(r.p99_ms),
    errorCount: Number(r.error_count ?? 0),
    totalSpans: Number(r.total_spans ?? 0),
    sampleTraces: parseTraces(r.sample_traces),
  }));
}
