// QueryUnifiedMetrics (contract observability.md §3.4): eBPF HTTP rows aggregated per (service,
// method, route, status) over the window, plus one synthetic "<svc> [OTLP]" row per otel_summaries
// row with latencyBuckets [p50, p95, p99]. Filters 3-7 are ignored, as in Coral.
import { create } from "@bufbuild/protobuf";
import { EbpfHttpMetricSchema, type EbpfHttpMetric } from "../../../../proto/gen/coral/agent/v1/agent_pb.js";
import { QueryUnifiedMetricsResponseSchema, type QueryUnifiedMetricsRequest } from "../../../../proto/gen/coral/colony/v1/queries_pb.js";
import type { DuckDBListValue } from "@duckdb/node-api";
import type { ColonyDatabase } from "./database.js";
import { otelSummaryRows } from "./otel-summary-rows.js";
import { timestampParam } from "./span-summaries.js";
import { windowStart } from "./time-range.js";

async function ebpfHttpMetrics(db: ColonyDatabase, sinceMs: number, service: string): Promise<EbpfHttpMetric[]> {
  const reader = await db.read(
    `WITH per_bound AS (
       SELECT service_name, http_method, http_route, http_status_code, latency_bucket_ms,
              sum(count) AS n, max(timestamp) AS last_seen
         FROM beyla_http_metrics
        WHERE timestamp >= ? AND (? = '' OR service_name = ?)
        GROUP BY ALL)
     SELECT service_name, http_method, http_route, http_status_code,
            list(latency_bucket_ms ORDER BY latency_bucket_ms) AS bounds,
            list(n ORDER BY latency_bucket_ms) AS counts,
            sum(n) AS requests, epoch_ms(max(last_seen)) AS last_ms
       FROM per_bound
      GROUP BY ALL
      ORDER BY service_name, http_route, http_method, http_status_code`,
    [timestampParam(sinceMs), service, service],
  );
  return reader.getRows().map(([name, method, route, status, bounds, counts, requests, lastMs]) =>
    create(EbpfHttpMetricSchema, {
      serviceName: String(name),
      httpMethod: String(method ?? ""),
      httpRoute: String(route ?? ""),
      httpStatusCode: Number(status ?? 0),
      latencyBuckets: (bounds as DuckDBListValue).items.map(Number),
      latencyCounts: (counts as DuckDBListValue).items.map((c) => BigInt(c as bigint)),
      requestCount: BigInt(requests as bigint),
      timestamp: BigInt(lastMs as bigint),
    }),
  );
}

export async function queryUnifiedMetrics(db: ColonyDatabase, req: QueryUnifiedMetricsRequest) {
  const since = windowStart(req.timeRange);
  const httpMetrics = await ebpfHttpMetrics(db, since, req.service);
  for (const row of await otelSummaryRows(db, since, req.service)) {
    const n = BigInt(row.totalSpans);
    httpMetrics.push(
      create(EbpfHttpMetricSchema, {
        serviceName: `${row.serviceName} [OTLP]`,
        httpMethod: row.spanKind,
        httpRoute: "aggregated",
        httpStatusCode: 200,
        latencyBuckets: [row.p50, row.p95, row.p99],
        latencyCounts: [n, n, n],
        requestCount: n,
      }),
    );
  }
  return create(QueryUnifiedMetricsResponseSchema, { httpMetrics, totalMetrics: httpMetrics.length });
}
