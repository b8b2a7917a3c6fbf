// Colony tables of L2 continuous profiling and L3 (contract observability.md §5.4), with Coral's names.
// cpu_profile_summaries keeps the frames themselves (joined with '\n') instead of Coral's frame-id
// list + profile_frame_dictionary; debug_events.id is the event's index in the agent collector's
// ordered buffer, which is what makes repeated persists idempotent (§10 #25).
export const PROFILING_DEBUG_SCHEMA: string[] = [
  `CREATE TABLE IF NOT EXISTS cpu_profile_summaries (
    timestamp TIMESTAMP NOT NULL,
    agent_id TEXT NOT NULL,
    service_name TEXT NOT NULL,
    build_id TEXT NOT NULL,
    tgid UINTEGER NOT NULL,
    stack_hash TEXT NOT NULL,
    stack_frames VARCHAR NOT NULL,
    sample_count BIGINT NOT NULL,
    PRIMARY KEY (timestamp, agent_id, service_name, build_id, tgid, stack_hash)
  )`,
  `CREATE TABLE IF NOT EXISTS functions (
    service_name TEXT NOT NULL,
    function_name TEXT NOT NULL,
    package TEXT,
    file_path TEXT,
    line_number INTEGER,
    "offset" BIGINT,
    has_dwarf BOOLEAN,
    agent_id TEXT NOT NULL,
    updated_at TIMESTAMP NOT NULL,
    PRIMARY KEY (agent_id, service_name, function_name)
  )`,
  `CREATE TABLE IF NOT EXISTS debug_sessions (
    session_id TEXT PRIMARY KEY,
    collector_id TEXT NOT NULL,
    service_name TEXT NOT NULL,
    function_name TEXT NOT NULL,
    agent_id TEXT NOT NULL,
    sdk_addr TEXT,
    started_at TIMESTAMP NOT NULL,
    expires_at TIMESTAMP NOT NULL,
    status TEXT NOT NULL,
    requested_by TEXT,
    event_count INTEGER NOT NULL DEFAULT 0
  )`,
  `CREATE TABLE IF NOT EXISTS debug_events (
    id BIGINT NOT NULL,
    session_id TEXT NOT NULL,
    timestamp TIMESTAMP_NS NOT NULL,
    collector_id TEXT,
    agent_id TEXT,
    service_name TEXT,
    function_name TEXT,
    event_type TEXT NOT NULL,
    duration_ns UBIGINT,
    pid INTEGER,
    tid INTEGER,
    PRIMARY KEY (session_id, id)
  )`,
];
