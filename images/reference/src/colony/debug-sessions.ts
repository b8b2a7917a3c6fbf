// Uprobe debug sessions in `debug_sessions` (contract observability.md §3.5, §4.6). A session that
// passed expires_at without a DetachUprobe is reported "expired" — the status the proto promises and
// Coral never writes (§10 #18) — computed at read time; the agent expires its own collector.
import { Code, ConnectError } from "@connectrpc/connect";
import type { ColonyDatabase } from "./database.js";
import { timestampParam } from "./span-summaries.js";

export type SessionStatus = "active" | "stopped" | "expired";

export interface DebugSessionRecord {
  sessionId: string;
  collectorId: string;
  serviceName: string;
  functionName: string;
  agentId: string;
  sdkAddr: string;
  startedAtMs: number;
  expiresAtMs: number;
  /** As stored: "active" or "stopped". */
  status: string;
  requestedBy: string;
  eventCount: number;
}

export function effectiveStatus(s: DebugSessionRecord, now = Date.now()): string {
  return s.status === "active" && s.expiresAtMs <= now ? "expired" : s.status;
}

const COLUMNS = `session_id, collector_id, service_name, function_name, agent_id, sdk_addr,
  epoch_ms(started_at) AS started_ms, epoch_ms(expires_at) AS expires_ms, status, requested_by, event_count`;

function toRecord(r: Record<string, unknown>): DebugSessionRecord {
  return {
    sessionId: String(r.session_id),
    collectorId: String(r.collector_id),
    serviceName: String(r.service_name),
    functionName: String(r.function_name),
    agentId: String(r.agent_id),
    sdkAddr: String(r.sdk_addr ?? ""),
    startedAtMs: Number(r.started_ms),
    expiresAtMs: Number(r.expires_ms),
    status: String(r.status),
    requestedBy: String(r.requested_by ?? ""),
    eventCount: Number(r.event_count ?? 0),
  };
}

export async function insertSession(db: ColonyDatabase, s: DebugSessionRecord): Promise<void> {
  await db.read(
    `INSERT INTO debug_sessions (session_id, collector_id, service_name, function_name, agent_id, sdk_addr,
       started_at, expires_at, status, requested_by, event_count)
     VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
    [s.sessionId, s.collectorId, s.serviceName, s.functionName, s.agentId, s.sdkAddr,
      timestampParam(s.startedAtMs), timestampParam(s.expiresAtMs), s.status, s.requestedBy, s.eventCount],
  );
}

export async function findSession(db: ColonyDatabase, sessionId: string): Promise<DebugSessionRecord | undefined> {
  const reader = await db.read(`SELECT ${COLUMNS} FROM debug_sessions WHERE session_id = ?`, [sessionId]);
  const row = reader.getRowObjectsJS()[0];
  return row ? toRecord(row) : undefined;
}

/** The session, or Connect not_found with Coral's text (§3.5). */
export async function requireSession(db: ColonyDatabase, sessionId: string): Promise<DebugSessionRecord> {
  const session = sessionId ? await findSession(db, sessionId) : undefined;
  if (!session) throw new ConnectError(`session not found: ${sessionId}`, Code.NotFound);
  return session;
}

/** Every session, newest first. */
export async function allSessions(db: ColonyDatabase): Promise<DebugSessionRecord[]> {
  const reader = await db.read(`SELECT ${COLUMNS} FROM debug_sessions ORDER BY started_at DESC, session_id`);
  return reader.getRowObjectsJS().map(toRecord);
}

/** Stored "active" sessions whose expiry is after `expiredAfterMs` (the persister's working set). */
export async function activeSessions(db: ColonyDatabase, expiredAfterMs: number): Promise<DebugSessionRecord[]> {
  const reader = await db.read(`SELECT ${COLUMNS} FROM debug_sessions WHERE status = 'active' AND expires_at > ?`, [
    timestampParam(expiredAfterMs),
  ]);
  return reader.getRowObjectsJS().map(toRecord);
}

export async function setSessionStatus(db: ColonyDatabase, sessionId: string, status: SessionStatus): Promise<void> {
  await db.read("UPDATE debug_sessions SET status = ? WHERE session_id = ?", [status, sessionId]);
}
