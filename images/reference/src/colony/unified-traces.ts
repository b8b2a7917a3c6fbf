// QueryUnifiedTraces (contract observability.md §3.4): the stored OTLP spans as ordinary spans (span
// name = http.route, as Coral's beyla_traces copy shows them), plus one synthetic "<svc> [OTLP]" span
// per otel_summaries row carrying the minute's percentiles as 2-decimal strings.
import { create } from "@bufbuild/protobuf";
import { EbpfTraceSpanSchema, type EbpfTraceSpan } from "../../../../proto/gen/coral/agent/v1/agent_pb.js";
import { QueryUnifiedTracesResponseSchema, type QueryUnifiedTracesRequest } from "../../../../proto/gen/coral/colony/v1/queries_pb.js";
import type { ColonyDatabase } from "./database.js";
import { otelSummaryRows, type OtelSummaryRow } from "./otel-summary-rows.js";
import { timestampParam } from "./span-summaries.js";
import { windowStart } from "./time-range.js";

const DEFAULT_MAX_TRACES = 100;

function attributesOf(text: unknown): Record<string, string> {
  try {
    return JSON.parse(String(text ?? "{}")) as Record<string, string>;
  } catch {
    return {};
  }
}

async function storedSpans(db: ColonyDatabase, req: QueryUnifiedTracesRequest, sinceMs: number): Promise<EbpfTraceSpan[]> {
  const maxTraces = req.maxTraces > 0 ? req.maxTraces : DEFAULT_MAX_TRACES;
  const reader = await db.read(
    `WITH picked AS (
       SELECT trace_id FROM otel_spans
        WHERE start_time >= ? AND (? = '' OR service_name = ?) AND (? = '' OR trace_id = ?) AND duration_ms >= ?
        GROUP BY trace_id ORDER BY max(start_time) DESC LIMIT ?)
     SELECT s.trace_id, s.span_id, s.service_name, s.http_route, s.span_kind, epoch_ms(s.start_time) AS start_ms,
            s.duration_ms, s.attributes
       FROM otel_spans s JOIN picked USING (trace_id)
      WHERE s.start_time >= ? AND (? = '' OR s.service_name = ?) AND s.duration_ms >= ?
      ORDER BY s.start_time DESC`,
    [
      timestampParam(sinceMs), req.service, req.service, req.traceId, req.traceId, req.minDurationMs, maxTraces,
      timestampParam(sinceMs), req.service, req.service, req.minDurationMs,
    ],
  );
  return reader.getRowObjectsJS().map((r) =>
    create(EbpfTraceSpanSchema, {
      traceId: String(r.trace_id),
      spanId: String(r.span_id),
      serviceName: String(r.service_name),
      spanName: String(r.http_route ?? ""),
      spanKind: String(r.span_kind),
      startTime: BigInt(r.start_ms as bigint),
      durationUs: BigInt(Math.round(Number(r.duration_ms) * 1000)),
      attributes: attributesOf(r.attributes),
    }),
  );
}

function summarySpan(row: OtelSummaryRow): EbpfTraceSpan {
  return create(EbpfTraceSpanSchema, {
    traceId: row.sampleTraces[0] ?? "",
    spanId: `otlp-${row.serviceName}-${Math.floor(row.bucketMs / 1000)}`,
    serviceName: `${row.serviceName} [OTLP]`,
    spanName: `OTLP Summary (${row.spanKind})`,
    spanKind: row.spanKind,
    startTime: BigInt(row.bucketMs),
    durationUs: BigInt(Math.round(row.p95 * 1000)),
    attributes: {
      source: "OTLP",
      total_spans: String(row.totalSpans),
      error_count: String(row.errorCount),
      p50_ms: row.p50.toFixed(2),
      p95_ms: row.p95.toFixed(2),
      p99_ms: row.p99.toFixed(2),
    },
  });
}

export async function queryUnifiedTraces(db: ColonyDatabase, req: QueryUnifiedTracesRequest) {
  const since = windowStart(req.timeRange);
  const spans = await storedSpans(db, req, since);
  for (const row of await otelSummaryRows(db, since, req.service)) {
    if (req.traceId && !row.sampleTraces.includes(req.traceId)) continue;
    if (row.p95 < req.minDurationMs) continue;
    spans.push(summarySpan(row));
  }
  const totalTraces = new Set(spans.map((s) => s.traceId).filter(Boolean)).size;
  return create(QueryUnifiedTracesResponseSchema, { spans, totalTraces });
}
