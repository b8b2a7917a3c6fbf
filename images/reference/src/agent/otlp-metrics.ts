// OTLP metrics → Beyla-style RED rows (contract observability.md §4.1 step 4, §4.2 step 5): only
// histograms with the four whitelisted names become rows, one per non-empty bucket with the
// bucket's upper bound as exported (the overflow bucket is dropped). Each export is transformed
// once when it arrives — Coral's re-write of every buffered export every 5 s (§10 #22) is not
// copied — and cumulative series are turned into deltas so that counts are not inflated.
import { AggregationTemporality, type HistogramDataPoint } from "../../../../proto/gen/opentelemetry/proto/metrics/v1/metrics_pb.js";
import type { ExportMetricsServiceRequest } from "../../../../proto/gen/opentelemetry/proto/collector/metrics/v1/metrics_service_pb.js";
import { attributeMap, serviceNameOf } from "./otlp-attributes.js";

interface BucketRow {
  /** Unix ms of the data point. */
  timestamp: number;
  serviceName: string;
  bucketBound: number;
  count: number;
  attributes: Record<string, string>;
}
export interface EbpfHttpRow extends BucketRow {
  httpMethod: string;
  httpRoute: string;
  httpStatusCode: number;
}
export interface EbpfGrpcRow extends BucketRow {
  grpcMethod: string;
  grpcStatusCode: number;
}
export interface EbpfSqlRow extends BucketRow {
  sqlOperation: string;
  tableName: string;
}

export interface EbpfRows {
  http: EbpfHttpRow[];
  grpc: EbpfGrpcRow[];
  sql: EbpfSqlRow[];
  /** Names of metrics that were not whitelisted histograms (Coral's `Skipping unknown metric`). */
  skipped: string[];
}

const HTTP_NAMES = new Set(["http.server.request.duration", "http.server.duration"]);
const GRPC_NAME = "rpc.server.duration";
const SQL_NAME = "db.client.operation.duration";

const first = (attrs: Record<string, string>, keys: string[], fallback: string): string =>
  keys.map((k) => attrs[k]).find((v) => v !== undefined && v !== "") ?? fallback;
const integer = (text: string): number => (Number.isFinite(Number.parseInt(text, 10)) ? Number.parseInt(text, 10) : 0);

/** Remembers the last cumulative bucket counts per series to emit deltas. */
export class CumulativeDeltas {
  private last = new Map<string, { start: bigint; counts: bigint[] }>();

  counts(seriesKey: string, point: HistogramDataPoint, temporality: AggregationTemporality): bigint[] {
    if (temporality !== AggregationTemporality.CUMULATIVE) return point.bucketCounts;
    const previous = this.last.get(seriesKey);
    this.last.set(seriesKey, { start: point.startTimeUnixNano, counts: point.bucketCounts });
    if (!previous || previous.start !== point.startTimeUnixNano || previous.counts.length !== point.bucketCounts.length) {
      return point.bucketCounts;
    }
    return point.bucketCounts.map((c, i) => (c >= previous.counts[i]! ? c - previous.counts[i]! : c));
  }
}

function buckets(point: HistogramDataPoint, counts: bigint[]): Array<{ bound: number; count: number }> {
  return point.explicitBounds
    .map((bound, i) => ({ bound, count: Number(counts[i] ?? 0n) }))
    .filter((b) => b.count > 0);
}

export function histogramRows(request: ExportMetricsServiceRequest, deltas: CumulativeDeltas): EbpfRows {
  const rows: EbpfRows = { http: [], grpc: [], sql: [], skipped: [] };
  for (const rm of request.resourceMetrics) {
    const serviceName = serviceNameOf(rm.resource?.attributes);
    for (const sm of rm.scopeMetrics) {
      for (const metric of sm.metrics) {
        const isWhitelisted = HTTP_NAMES.has(metric.name) || metric.name === GRPC_NAME || metric.name === SQL_NAME;
        if (!isWhitelisted || metric.data.case !== "histogram") {
          rows.skipped.push(metric.name);
          continue;
        }
        const histogram = metric.data.value;
        for (const point of histogram.dataPoints) {
          const attributes = attributeMap(point.attributes);
          const key = `${serviceName}\u0000${metric.name}\u0000${JSON.stringify(attributes)}`;
          const timestamp = Number(point.timeUnixNano / 1_000_000n);
          for (const { bound, count } of buckets(point, deltas.counts(key, point, histogram.aggregationTemporality))) {
            const base = { timestamp, serviceName, bucketBound: bound, count, attributes };
            if (HTTP_NAMES.has(metric.name)) {
              rows.http.push({
                ...base,
                httpMethod: first(attributes, ["http.request.method", "http.method"], "GET"),
                httpRoute: first(attributes, ["http.route", "url.path"], "/"),
                httpStatusCode: integer(first(attributes, ["http.response.status_code", "http.status_code"], "0")),
              });
            } else if (metric.name === GRPC_NAME) {
              rows.grpc.push({
                ...base,
                grpcMethod: first(attributes, ["rpc.method"], ""),
                grpcStatusCode: integer(first(attributes, ["rpc.grpc.status_code"], "0")),
              });
            } else {
              rows.sql.push({
                ...base,
                sqlOperation: first(attributes, ["db.operation.name", "db.operation"], ""),
                tableName: first(attributes, ["db.collection.name", "db.sql.table"], ""),
              });
            }
          }
        }
      }
    }
  }
  return rows;
}
