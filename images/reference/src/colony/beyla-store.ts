// What the Beyla poller fetched (QueryEbpfMetrics, contract observability.md §3.2, §4.1 step 5) →
// the colony's beyla_* tables (§5.4), agent_id filled by the colony:
// * each (latency_buckets[i], latency_counts[i]) pair of an HTTP/gRPC/SQL metric is one row, upserted
//   on Coral's key (timestamp, agent, labels, bucket). A conflict replaces the count, so fetching the
//   same agent rows again (a retried poll, a re-read from 0 after a session change) counts nothing
//   twice. Within one fetch, rows with the same key but different attribute sets are different
//   series (Coral reads every status as 0, §10 #3, so 200s and 500s can share a key) and are added;
//   identical copies (Coral's agent re-writes its buffer, §10 #5) count once. Zero counts are skipped.
// * trace spans → beyla_traces, insert-or-ignore on (trace_id, span_id).
// Metric seq_ids are not used: Coral's agent leaves them 0 (§3.2).
import type { DuckDBValue } from "@duckdb/node-api";
import type { EbpfTraceSpan, QueryEbpfMetricsResponse } from "../../../../proto/gen/coral/agent/v1/agent_pb.js";
import { insertRows, type ColonyDatabase, type Run, type SqlParams } from "./database.js";
import { timestampParam } from "./span-summaries.js";

const DAY_MS = 24 * 3_600_000;

/** beyla.retention.{http,grpc,sql,traces}_days defaults (§1.3). */
export const BEYLA_RETENTION: ReadonlyArray<{ table: string; column: string; days: number }> = [
  { table: "beyla_http_metrics", column: "timestamp", days: 30 },
  { table: "beyla_grpc_metrics", column: "timestamp", days: 30 },
  { table: "beyla_sql_metrics", column: "timestamp", days: 14 },
  { table: "beyla_traces", column: "start_time", days: 7 },
];

interface BucketTable {
  table: string;
  /** Label columns of the key, between agent_id and latency_bucket_ms. */
  labels: string[];
}

const HTTP_TABLE: BucketTable = { table: "beyla_http_metrics", labels: ["service_name", "http_method", "http_route", "http_status_code"] };
const GRPC_TABLE: BucketTable = { table: "beyla_grpc_metrics", labels: ["service_name", "grpc_method", "grpc_status_code"] };
const SQL_TABLE: BucketTable = { table: "beyla_sql_metrics", labels: ["service_name", "sql_operation", "table_name"] };

/** One metric message as the poller sees it, whatever its protocol. */
interface BucketMetric {
  timestamp: bigint;
  labels: Array<string | number>;
  latencyBuckets: number[];
  latencyCounts: bigint[];
  attributes: Record<string, string>;
}

interface BucketRow {
  timestampMs: number;
  labels: Array<string | number>;
  bound: number;
  /** Count per attribute set (JSON text): one series each. */
  series: Map<string, bigint>;
}

const SMALLINT_MAX = 32_767;
const smallint = (code: number): number => (code >= 0 && code <= SMALLINT_MAX ? code : 0);

/** Expands the parallel bucket arrays into one row per (key), merging series as described above. */
export function bucketRows(metrics: readonly BucketMetric[], nowMs: number): BucketRow[] {
  const rows = new Map<string, BucketRow>();
  for (const m of metrics) {
    // A metric without a timestamp would land in 1970, outside every window: take the poll time.
    const timestampMs = m.timestamp > 0n ? Number(m.timestamp) : nowMs;
    const attributes = JSON.stringify(m.attributes ?? {});
    const n = Math.min(m.latencyBuckets.length, m.latencyCounts.length);
    for (let i = 0; i < n; i++) {
      const bound = m.latencyBuckets[i]!;
      const count = m.latencyCounts[i]!;
      if (count === 0n || !Number.isFinite(bound)) continue;
      const key = JSON.stringify([timestampMs, ...m.labels, bound]);
      let row = rows.get(key);
      if (!row) {
        row = { timestampMs, labels: m.labels, bound, series: new Map() };
        rows.set(key, row);
      }
      row.series.set(attributes, count);
    }
  }
  return [...rows.values()];
}

async function upsertBuckets(run: Run, spec: BucketTable, agentId: string, rows: BucketRow[]): Promise<void> {
  const keyColumns = ["timestamp", "agent_id", ...spec.labels, "latency_bucket_ms"];
  await insertRows(
    run,
    `INSERT INTO ${spec.table} (${[...keyColumns, "count", "attributes"].join(", ")})`,
    rows,
    (r): SqlParams => {
      let count = 0n;
      for (const c of r.series.values()) count += c;
      const attributes = r.series.keys().next().value ?? "{}";
      return [timestampParam(r.timestampMs), agentId, ...(r.labels as DuckDBValue[]), r.bound, count, attributes];
    },
    `ON CONFLICT (${keyColumns.join(", ")}) DO UPDATE SET count = excluded.count, attributes = excluded.attributes`,
  );
}

function spanRow(agentId: string, s: EbpfTraceSpan, nowMs: number): SqlParams {
  return [
    s.traceId,
    s.spanId,
    s.parentSpanId,
    agentId,
    s.serviceName || "unknown",
    s.spanName,
    s.spanKind,
    timestampParam(s.startTime > 0n ? Number(s.startTime) : nowMs),
    s.durationUs,
    s.statusCode,
    s.processPid,
    JSON.stringify(s.attributes ?? {}),
  ];
}

function insertSpans(run: Run, agentId: string, spans: EbpfTraceSpan[], nowMs: number): Promise<void> {
  return insertRows(
    run,
    "INSERT OR IGNORE INTO beyla_traces (trace_id, span_id, parent_span_id, agent_id, service_name, span_name, span_kind, start_time, duration_us, status_code, process_pid, attributes)",
    spans.filter((s) => s.traceId && s.spanId),
    (s) => spanRow(agentId, s, nowMs),
  );
}

export interface StoredCounts {
  http: number;
  grpc: number;
  sql: number;
  spans: number;
}

/** Stores one QueryEbpfMetrics answer in one transaction; returns the bucket rows / spans written. */
export async function storeBeylaData(db: ColonyDatabase, agentId: string, res: QueryEbpfMetricsResponse, nowMs = Date.now()): Promise<StoredCounts> {
  const http = bucketRows(
    res.httpMetrics.map((m) => ({ ...m, labels: [m.serviceName || "unknown", m.httpMethod, m.httpRoute, smallint(m.httpStatusCode)] })),
    nowMs,
  );
  const grpc = bucketRows(
    res.grpcMetrics.map((m) => ({ ...m, labels: [m.serviceName || "unknown", m.grpcMethod, smallint(m.grpcStatusCode)] })),
    nowMs,
  );
  const sql = bucketRows(
    res.sqlMetrics.map((m) => ({ ...m, labels: [m.serviceName || "unknown", m.sqlOperation, m.tableName] })),
    nowMs,
  );
  const counts = { http: http.length, grpc: grpc.length, sql: sql.length, spans: res.traceSpans.length };
  if (counts.http + counts.grpc + counts.sql + counts.spans === 0) return counts;
  await db.exclusive(async (run) => {
    await run("BEGIN TRANSACTION");
    try {
      await upsertBuckets(run, HTTP_TABLE, agentId, http);
      await upsertBuckets(run, GRPC_TABLE, agentId, grpc);
      await upsertBuckets(run, SQL_TABLE, agentId, sql);
      await insertSpans(run, agentId, res.traceSpans, nowMs);
      await run("COMMIT");
    } catch (err) {
      await run("ROLLBACK").catch(() => undefined);
      throw err;
    }
  });
  return counts;
}

/** Deletes rows past Coral's default retention (§1.3). */
export async function deleteExpiredBeylaRows(db: ColonyDatabase, nowMs = Date.now()): Promise<void> {
  for (const { table, column, days } of BEYLA_RETENTION) {
    await db.read(`DELETE FROM ${table} WHERE ${column} < ?`, [timestampParam(nowMs - days * DAY_MS)]);
  }
}
