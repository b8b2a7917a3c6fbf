// The agent's observability query RPCs (contract observability.md §3.2): rows with
// seq_id > start_seq_id, ascending, at most max_records (default 10000, capped at 50000), with
// the highest returned seq_id (0 if none) and the store's session id.
import { create } from "@bufbuild/protobuf";
import {
  EbpfMetricType,
  QueryEbpfMetricsResponseSchema,
  QuerySystemMetricsResponseSchema,
  QueryTelemetryResponseSchema,
  type QueryEbpfMetricsRequest,
  type QueryEbpfMetricsResponse,
  type QuerySystemMetricsRequest,
  type QuerySystemMetricsResponse,
  type QueryTelemetryRequest,
  type QueryTelemetryResponse,
} from "../../../../proto/gen/coral/agent/v1/agent_pb.js";
import type { AgentStore } from "./agent-store.js";
import type { Stored } from "./local-table.js";

const DEFAULT_MAX_RECORDS = 10_000;
const MAX_RECORDS_CAP = 50_000;

export function recordLimit(requested: number): number {
  return requested > 0 ? Math.min(requested, MAX_RECORDS_CAP) : DEFAULT_MAX_RECORDS;
}

const maxSeq = (rows: Array<{ seqId: number }>): bigint => BigInt(rows.at(-1)?.seqId ?? 0);

function inList(names: string[]): (name: string) => boolean {
  const wanted = new Set(names);
  return (name) => wanted.size === 0 || wanted.has(name);
}

export function queryTelemetry(store: AgentStore, telemetryEnabled: boolean, req: QueryTelemetryRequest): QueryTelemetryResponse {
  if (!telemetryEnabled) return create(QueryTelemetryResponseSchema, { sessionId: store.sessionId });
  const wanted = inList(req.serviceNames);
  const rows = store.spans.query(Number(req.startSeqId), recordLimit(req.maxRecords), (r) => wanted(r.serviceName));
  return create(QueryTelemetryResponseSchema, {
    spans: rows.map((r) => ({ ...r, timestamp: BigInt(r.timestamp), seqId: BigInt(r.seqId) })),
    totalSpans: rows.length,
    maxSeqId: maxSeq(rows),
    sessionId: store.sessionId,
  });
}

export function querySystemMetrics(store: AgentStore, req: QuerySystemMetricsRequest): QuerySystemMetricsResponse {
  const wanted = inList(req.metricNames);
  const rows = store.systemMetrics.query(Number(req.startSeqId), recordLimit(req.maxRecords), (r) => wanted(r.name));
  return create(QuerySystemMetricsResponseSchema, {
    metrics: rows.map((r) => ({ ...r, timestamp: BigInt(r.timestamp), seqId: BigInt(r.seqId) })),
    totalMetrics: rows.length,
    maxSeqId: maxSeq(rows),
    sessionId: store.sessionId,
  });
}

/** One row per bucket, as stored: the bucket bound and its count as one-element parallel arrays. */
function bucketFields(r: Stored<{ timestamp: number; bucketBound: number; count: number }>) {
  return {
    timestamp: BigInt(r.timestamp),
    latencyBuckets: [r.bucketBound],
    latencyCounts: [BigInt(r.count)],
    seqId: BigInt(r.seqId),
  };
}

/** Spans only with include_traces (§3.2), optionally of one trace. */
function tracesOf(store: AgentStore, req: QueryEbpfMetricsRequest, wanted: (name: string) => boolean, limit: number) {
  if (!req.includeTraces) return {};
  const max = req.maxTraces > 0 ? Math.min(req.maxTraces, limit) : limit;
  const rows = store.ebpfTraces.query(Number(req.tracesStartSeqId), max, (r) => wanted(r.serviceName) && (!req.traceId || r.traceId === req.traceId));
  return {
    traceSpans: rows.map((r) => ({ ...r, startTime: BigInt(r.startTime), durationUs: BigInt(r.durationUs), seqId: BigInt(r.seqId) })),
    totalTraces: new Set(rows.map((r) => r.traceId)).size,
    tracesMaxSeqId: maxSeq(rows),
  };
}

/** Empty but for the session id when no Beyla manager exists (§3.2, §4.2 step 5). */
export function queryEbpfMetrics(store: AgentStore, beylaManagerExists: boolean, req: QueryEbpfMetricsRequest): QueryEbpfMetricsResponse {
  if (!beylaManagerExists) return create(QueryEbpfMetricsResponseSchema, { sessionId: store.sessionId });
  const types = new Set<EbpfMetricType>(req.metricTypes.filter((t) => t !== EbpfMetricType.UNSPECIFIED));
  const wantType = (t: EbpfMetricType): boolean => types.size === 0 || types.has(t);
  const wanted = inList(req.serviceNames);
  const limit = recordLimit(req.maxRecords);
  const byService = (r: { serviceName: string }): boolean => wanted(r.serviceName);
  const http = wantType(EbpfMetricType.HTTP) ? store.ebpfHttp.query(Number(req.httpStartSeqId), limit, byService) : [];
  const grpc = wantType(EbpfMetricType.GRPC) ? store.ebpfGrpc.query(Number(req.grpcStartSeqId), limit, byService) : [];
  const sql = wantType(EbpfMetricType.SQL) ? store.ebpfSql.query(Number(req.sqlStartSeqId), limit, byService) : [];
  return create(QueryEbpfMetricsResponseSchema, {
    httpMetrics: http.map((r) => ({ ...bucketFields(r), serviceName: r.serviceName, httpMethod: r.httpMethod, httpRoute: r.httpRoute, httpStatusCode: r.httpStatusCode, requestCount: BigInt(r.count), attributes: r.attributes })),
    grpcMetrics: grpc.map((r) => ({ ...bucketFields(r), serviceName: r.serviceName, grpcMethod: r.grpcMethod, grpcStatusCode: r.grpcStatusCode, requestCount: BigInt(r.count), attributes: r.attributes })),
    sqlMetrics: sql.map((r) => ({ ...bucketFields(r), serviceName: r.serviceName, sqlOperation: r.sqlOperation, tableName: r.tableName, queryCount: BigInt(r.count), attributes: r.attributes })),
    totalMetrics: http.length + grpc.length + sql.length,
    ...tracesOf(store, req, wanted, limit),
    httpMaxSeqId: maxSeq(http),
    grpcMaxSeqId: maxSeq(grpc),
    sqlMaxSeqId: maxSeq(sql),
    sessionId: store.sessionId,
  });
}
