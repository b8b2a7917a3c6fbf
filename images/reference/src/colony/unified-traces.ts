// QueryUnifiedTraces (contract observability.md §3.4): the stored OTLP spans as ordinary spans (span
// name = http.route, as Coral's beyla_traces copy shows them) and the L0 spans of beyla_traces, plus
// one synthetic "<svc> [OTLP]" span per otel_summaries row carrying the minute's percentiles as
// 2-decimal strings. total_traces = distinct trace ids of everything returned.
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

/**
 * Spans of the window from both stores: otel_spans (OTLP, span name = http.route, no status) and
 * beyla_traces (L0; Coral's agent also copies OTLP spans there, so a span already in otel_spans is
 * shown once, as before). Filters as Coral applies them: service, trace id, minimum duration, and
 * the `max_traces` most recent traces (by their latest span).
 */
async function storedSpans(db: ColonyDatabase, req: QueryUnifiedTracesRequest, sinceMs: number): Promise<EbpfTraceSpan[]> {
  const maxTraces = req.maxTraces > 0 ? req.maxTraces : DEFAULT_MAX_TRACES;
  const since = timestampParam(sinceMs);
  const reader = await db.read(
    `WITH spans AS (
       SELECT trace_id, span_id, '' AS parent_span_id, service_name, coalesce(http_route, '') AS span_name, span_kind,
              start_time, duration_ms * 1000 AS duration_us, NULL::INTEGER AS status_code, attributes::VARCHAR AS attributes
         FROM otel_spans
        WHERE start_time >= ? AND (? = '' OR service_name = ?) AND duration_ms >= ?
       UNION ALL
       SELECT b.trace_id, b.span_id, coalesce(b.parent_span_id, ''), b.service_name, coalesce(b.span_name, ''),
              coalesce(b.span_kind, ''), b.start_time, b.duration_us::DOUBLE, b.status_code, b.attributes::VARCHAR
         FROM beyla_traces b
        WHERE b.start_time >= ? AND (? = '' OR b.service_name = ?) AND b.duration_us >= ? * 1000
          AND NOT EXISTS (SELECT 1 FROM otel_spans o WHERE o.trace_id = b.trace_id AND o.span_id = b.span_id)),
     picked AS (
       SELECT trace_id FROM spans WHERE (? = '' OR trace_id = ?)
        GROUP BY trace_id ORDER BY max(start_time) DESC LIMIT ?)
     SELECT s.trace_id, s.span_id, s.parent_span_id, s.service_name, s.span_name, s.span_kind,
            epoch_ms(s.start_time) AS start_ms, s.duration_us, s.status_code, s.attributes
       FROM spans s JOIN picked USING (trace_id)
      ORDER BY s.start_time DESC, s.trace_id, s.span_id`,
    [
      since, req.service, req.service, req.minDurationMs,
      since, req.service, req.service, req.minDurationMs,
      req.traceId, req.traceId, maxTraces,
    ],
  );
  return reader.getRowObjectsJS().map((r) =>
    create(EbpfTraceSpanSchema, {
      traceId: String(r.trace_id),
      spanId: String(r.span_id),
      parentSpanId: String(r.parent_span_id ?? ""),
      serviceName: String(r.service_name),
      spanName: String(r.span_name ?? ""),
      spanKind: String(r.span_kind ?? ""),
      startTime: BigInt(r.start_ms as bigint),
      durationUs: BigInt(Math.round(Number(r.duration_us))),
      statusCode: r.status_code === null || r.status_code === undefined ? 0 : Number(r.status_code),
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
