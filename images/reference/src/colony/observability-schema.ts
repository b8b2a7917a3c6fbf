// The colony DuckDB tables the L1/L2 pollers and query RPCs use (contract observability.md §5.4):
// Coral's column names and types for otel_summaries, system_metrics_summaries, polling_checkpoints,
// services and the beyla_* tables (L0), plus two raw tables of the reference's own.
// The raw tables let each poll merge into a minute's summary instead of overwriting it (§10 #7).
// Profiling and debug tables: debug-schema.ts.
import { PROFILING_DEBUG_SCHEMA } from "./debug-schema.js";

export const OBSERVABILITY_SCHEMA: string[] = [
  `CREATE TABLE IF NOT EXISTS otel_summaries (
    bucket_time TIMESTAMP NOT NULL,
    agent_id TEXT NOT NULL,
    service_name TEXT NOT NULL,
    span_kind TEXT,
    p50_ms DOUBLE,
    p95_ms DOUBLE,
    p99_ms DOUBLE,
    error_count INTEGER DEFAULT 0,
    total_spans INTEGER DEFAULT 0,
    sample_traces TEXT,
    created_at TIMESTAMP DEFAULT CURRENT_TIMESTAMP,
    PRIMARY KEY (bucket_time, agent_id, service_name, span_kind)
  )`,
  `CREATE TABLE IF NOT EXISTS system_metrics_summaries (
    bucket_time TIMESTAMP NOT NULL,
    agent_id TEXT NOT NULL,
    metric_name VARCHAR(50) NOT NULL,
    min_value DOUBLE PRECISION,
    max_value DOUBLE PRECISION,
    avg_value DOUBLE PRECISION,
    p95_value DOUBLE PRECISION,
    delta_value DOUBLE PRECISION,
    sample_count BIGINT,
    unit VARCHAR(20),
    metric_type VARCHAR(10),
    attributes TEXT,
    created_at TIMESTAMP DEFAULT CURRENT_TIMESTAMP,
    PRIMARY KEY (bucket_time, agent_id, metric_name, attributes)
  )`,
  `CREATE TABLE IF NOT EXISTS polling_checkpoints (
    agent_id TEXT NOT NULL,
    data_type TEXT NOT NULL,
    session_id TEXT NOT NULL,
    last_seq_id UBIGINT NOT NULL,
    last_poll_time TIMESTAMP NOT NULL DEFAULT CURRENT_TIMESTAMP,
    created_at TIMESTAMP NOT NULL DEFAULT CURRENT_TIMESTAMP,
    updated_at TIMESTAMP NOT NULL DEFAULT CURRENT_TIMESTAMP,
    PRIMARY KEY (agent_id, data_type)
  )`,
  `CREATE TABLE IF NOT EXISTS services (
    id TEXT PRIMARY KEY,
    name TEXT NOT NULL,
    app_id TEXT,
    version TEXT,
    agent_id TEXT NOT NULL,
    labels TEXT,
    status TEXT NOT NULL,
    registered_at TIMESTAMP NOT NULL,
    last_seen TIMESTAMP NOT NULL
  )`,
  // L0 (Beyla) tables, filled by the Beyla poller (beyla-poller.ts, §4.1 step 5): one row per
  // histogram bucket, upserted on Coral's keys; beyla_traces keyed by (trace_id, span_id).
  `CREATE TABLE IF NOT EXISTS beyla_http_metrics (
    timestamp TIMESTAMPTZ NOT NULL,
    agent_id TEXT NOT NULL,
    service_name TEXT NOT NULL,
    http_method VARCHAR(10),
    http_route VARCHAR(255),
    http_status_code SMALLINT,
    latency_bucket_ms DOUBLE NOT NULL,
    count BIGINT NOT NULL,
    attributes JSON,
    PRIMARY KEY (timestamp, agent_id, service_name, http_method, http_route, http_status_code, latency_bucket_ms)
  )`,
  `CREATE TABLE IF NOT EXISTS beyla_grpc_metrics (
    timestamp TIMESTAMPTZ NOT NULL,
    agent_id TEXT NOT NULL,
    service_name TEXT NOT NULL,
    grpc_method VARCHAR(255),
    grpc_status_code SMALLINT,
    latency_bucket_ms DOUBLE NOT NULL,
    count BIGINT NOT NULL,
    attributes JSON,
    PRIMARY KEY (timestamp, agent_id, service_name, grpc_method, grpc_status_code, latency_bucket_ms)
  )`,
  `CREATE TABLE IF NOT EXISTS beyla_sql_metrics (
    timestamp TIMESTAMPTZ NOT NULL,
    agent_id TEXT NOT NULL,
    service_name TEXT NOT NULL,
    sql_operation VARCHAR(50),
    table_name VARCHAR(255),
    latency_bucket_ms DOUBLE NOT NULL,
    count BIGINT NOT NULL,
    attributes JSON,
    PRIMARY KEY (timestamp, agent_id, service_name, sql_operation, table_name, latency_bucket_ms)
  )`,
  `CREATE TABLE IF NOT EXISTS beyla_traces (
    trace_id TEXT NOT NULL,
    span_id TEXT NOT NULL,
    parent_span_id TEXT,
    agent_id TEXT NOT NULL,
    service_name TEXT NOT NULL,
    span_name TEXT,
    span_kind TEXT,
    start_time TIMESTAMP NOT NULL,
    duration_us BIGINT NOT NULL,
    status_code INTEGER,
    process_pid INTEGER,
    attributes JSON,
    PRIMARY KEY (trace_id, span_id)
  )`,
  // Raw spans as fetched (deduplicated by id): the input every otel_summaries row is recomputed from.
  `CREATE TABLE IF NOT EXISTS otel_spans (
    agent_id TEXT NOT NULL,
    trace_id TEXT NOT NULL,
    span_id TEXT NOT NULL,
    service_name TEXT NOT NULL,
    span_kind TEXT NOT NULL,
    start_time TIMESTAMP NOT NULL,
    bucket_time TIMESTAMP NOT NULL,
    duration_ms DOUBLE NOT NULL,
    is_error BOOLEAN NOT NULL,
    http_status INTEGER,
    http_method TEXT,
    http_route TEXT,
    attributes TEXT,
    PRIMARY KEY (agent_id, trace_id, span_id)
  )`,
  // Raw host samples as fetched: the input every system_metrics_summaries row is recomputed from.
  `CREATE TABLE IF NOT EXISTS system_metric_samples (
    agent_id TEXT NOT NULL,
    session_id TEXT NOT NULL,
    seq_id UBIGINT NOT NULL,
    timestamp TIMESTAMP NOT NULL,
    bucket_time TIMESTAMP NOT NULL,
    metric_name TEXT NOT NULL,
    value DOUBLE NOT NULL,
    unit TEXT,
    metric_type TEXT,
    attributes TEXT NOT NULL,
    PRIMARY KEY (agent_id, session_id, seq_id)
  )`,
  ...PROFILING_DEBUG_SCHEMA,
];
