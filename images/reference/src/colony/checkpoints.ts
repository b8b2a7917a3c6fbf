// Per-agent, per-data-type seq_id checkpoints (RFD 089, contract observability.md §3.2): a poll asks
// for rows after the stored seq_id; a different agent session_id means a new agent store, so the
// checkpoint restarts at 0.
import type { ColonyDatabase } from "./database.js";

export type DataType = "telemetry" | "system_metrics" | "cpu_profile" | "beyla_http" | "beyla_grpc" | "beyla_sql" | "beyla_traces";

export interface Checkpoint {
  sessionId: string;
  lastSeqId: bigint;
}

export async function loadCheckpoint(db: ColonyDatabase, agentId: string, dataType: DataType): Promise<Checkpoint | undefined> {
  const reader = await db.read("SELECT session_id, last_seq_id FROM polling_checkpoints WHERE agent_id = ? AND data_type = ?", [agentId, dataType]);
  const row = reader.getRows()[0];
  return row ? { sessionId: String(row[0]), lastSeqId: BigInt(row[1] as bigint) } : undefined;
}

export async function saveCheckpoint(db: ColonyDatabase, agentId: string, dataType: DataType, cp: Checkpoint): Promise<void> {
  await db.read(
    `INSERT INTO polling_checkpoints (agent_id, data_type, session_id, last_seq_id)
     VALUES (?, ?, ?, ?)
     ON CONFLICT (agent_id, data_type) DO UPDATE SET
       session_id = excluded.session_id, last_seq_id = excluded.last_seq_id,
       last_poll_time = now()::TIMESTAMP, updated_at = now()::TIMESTAMP`,
    [agentId, dataType, cp.sessionId, cp.lastSeqId],
  );
}

/**
 * Fetches rows after the checkpoint; when the agent answers with another session, fetches again
 * from 0 (the seq_ids of the old session mean nothing in the new one). Saves the new checkpoint
 * only after `store` succeeded, so a failed store is retried by the next poll.
 */
export function pollWithCheckpoint<R extends { maxSeqId: bigint; sessionId: string }>(
  db: ColonyDatabase,
  agentId: string,
  dataType: DataType,
  fetch: (startSeqId: bigint) => Promise<R>,
  store: (res: R) => Promise<void>,
): Promise<R> {
  return pollWithCheckpoints(db, agentId, [dataType], (start) => fetch(start[dataType]), (res) => ({ [dataType]: res.maxSeqId }) as Record<DataType, bigint>, store);
}

/**
 * The same for one request that carries the start seq_ids of several data types (the Beyla poller's
 * QueryEbpfMetrics): every type whose checkpoint belongs to another agent session restarts at 0,
 * and every checkpoint advances to its type's max_seq_id only after `store`.
 */
export async function pollWithCheckpoints<K extends DataType, R extends { sessionId: string }>(
  db: ColonyDatabase,
  agentId: string,
  dataTypes: readonly K[],
  fetch: (start: Record<K, bigint>) => Promise<R>,
  maxSeqIds: (res: R) => Record<K, bigint>,
  store: (res: R) => Promise<void>,
): Promise<R> {
  const stored = new Map<K, Checkpoint | undefined>();
  for (const type of dataTypes) stored.set(type, await loadCheckpoint(db, agentId, type));
  const start = Object.fromEntries(dataTypes.map((t) => [t, stored.get(t)?.lastSeqId ?? 0n])) as Record<K, bigint>;
  let res = await fetch({ ...start });
  const stale = dataTypes.filter((t) => {
    const cp = stored.get(t);
    return cp !== undefined && cp.sessionId !== res.sessionId && start[t] !== 0n;
  });
  if (stale.length > 0) {
    for (const type of stale) start[type] = 0n;
    res = await fetch({ ...start });
  }
  await store(res);
  const max = maxSeqIds(res);
  for (const type of dataTypes) {
    const lastSeqId = max[type] > start[type] ? max[type] : start[type];
    await saveCheckpoint(db, agentId, type, { sessionId: res.sessionId, lastSeqId });
  }
  return res;
}
