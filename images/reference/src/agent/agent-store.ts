// The agent's local observability store, next to where Coral keeps `metrics.duckdb`
// (~/.coral/agent/, contract observability.md §1.4 step 1): a session id that survives restarts
// (it changes only when the store is recreated) and one seq-id table per data type.
import { randomUUID } from "node:crypto";
import { existsSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { log } from "../common/log.js";
import { configBase } from "./config.js";
import { LocalTable } from "./local-table.js";
import type { CpuSampleRow } from "./cpu-profiler.js";
import type { ObservabilityConfig } from "./observability-config.js";
import type { EbpfGrpcRow, EbpfHttpRow, EbpfSqlRow } from "./otlp-metrics.js";
import type { SpanRow } from "./otlp-spans.js";
import type { SystemMetricRow } from "./system-metrics.js";

const STORE_DIR_NAME = "reference-store";

/** A span of beyla_traces_local (EbpfTraceSpan, §3.2); times in ms and µs. */
export interface EbpfTraceSpanRow {
  traceId: string;
  spanId: string;
  parentSpanId: string;
  serviceName: string;
  spanName: string;
  spanKind: string;
  startTime: number;
  durationUs: number;
  statusCode: number;
  attributes: Record<string, string>;
  processPid: number;
}
const RETENTION_SWEEP_MS = 60_000;
const EBPF_RETENTION_MS = 3_600_000;

function sessionIdIn(dir: string): string {
  const file = join(dir, "db_metadata.json");
  if (existsSync(file)) {
    try {
      const id = (JSON.parse(readFileSync(file, "utf8")) as { session_id?: unknown }).session_id;
      if (typeof id === "string" && id) return id;
    } catch {
      // Unreadable metadata: start a new session, as Coral does with a recreated DuckDB file.
    }
  }
  const id = randomUUID();
  writeFileSync(file, JSON.stringify({ session_id: id }) + "\n");
  return id;
}

export class AgentStore {
  readonly sessionId: string;
  readonly spans: LocalTable<SpanRow>;
  readonly systemMetrics: LocalTable<SystemMetricRow>;
  readonly ebpfHttp: LocalTable<EbpfHttpRow>;
  readonly ebpfGrpc: LocalTable<EbpfGrpcRow>;
  readonly ebpfSql: LocalTable<EbpfSqlRow>;
  readonly cpuSamples: LocalTable<CpuSampleRow>;
  readonly ebpfTraces: LocalTable<EbpfTraceSpanRow>;

  constructor(readonly dir: string, config: ObservabilityConfig) {
    mkdirSync(dir, { recursive: true });
    this.sessionId = sessionIdIn(dir);
    this.spans = new LocalTable(dir, "otel_spans_local", {
      retentionMs: config.telemetry.retentionMs,
      timestampOf: (row) => row.timestamp,
      keyOf: (row) => `${row.traceId}/${row.spanId}`,
    });
    this.systemMetrics = new LocalTable(dir, "system_metrics_local", {
      retentionMs: config.systemMetrics.retentionMs,
      timestampOf: (row) => row.timestamp,
    });
    const ebpf = { retentionMs: EBPF_RETENTION_MS, timestampOf: (row: { timestamp: number }) => row.timestamp };
    this.ebpfHttp = new LocalTable<EbpfHttpRow>(dir, "beyla_http_metrics_local", ebpf);
    this.ebpfGrpc = new LocalTable<EbpfGrpcRow>(dir, "beyla_grpc_metrics_local", ebpf);
    this.ebpfSql = new LocalTable<EbpfSqlRow>(dir, "beyla_sql_metrics_local", ebpf);
    this.ebpfTraces = new LocalTable<EbpfTraceSpanRow>(dir, "beyla_traces_local", { retentionMs: EBPF_RETENTION_MS, timestampOf: (row) => row.startTime });
    this.cpuSamples = new LocalTable<CpuSampleRow>(dir, "cpu_profile_samples_local", {
      retentionMs: config.profiling.retentionMs,
      timestampOf: (row) => row.timestamp,
    });
    setInterval(() => this.sweep(), RETENTION_SWEEP_MS).unref();
  }

  static open(config: ObservabilityConfig, env: NodeJS.ProcessEnv = process.env): AgentStore {
    const store = new AgentStore(join(configBase(env), ".coral", "agent", STORE_DIR_NAME), config);
    log.info("Agent storage opened", { path: store.dir, session_id: store.sessionId });
    return store;
  }

  private sweep(): void {
    for (const table of [this.spans, this.systemMetrics, this.ebpfHttp, this.ebpfGrpc, this.ebpfSql, this.ebpfTraces, this.cpuSamples]) {
      try {
        table.prune();
      } catch (err) {
        log.warn("Retention cleanup failed", { table: table.name, error: err instanceof Error ? err.message : String(err) });
      }
    }
  }
}
