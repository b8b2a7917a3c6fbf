// Uprobe events of a debug session (contract observability.md §4.6 steps 4–6): fetched from the agent
// collector's ordered, never-cleared buffer, mirrored into `debug_events` with the buffer index as id.
// Only indexes not stored yet are inserted, so the 10 s persister and DetachUprobe's flush never store
// an event twice (Coral does, §10 #25). Queries never send time bounds to the agent: the reference's
// bounds are applied here, on wall-clock timestamps (Coral's are 1970-based, §10 #10).
import { create } from "@bufbuild/protobuf";
import { TimestampSchema, type Timestamp } from "@bufbuild/protobuf/wkt";
import { DuckDBTimestampNanosecondsValue } from "@duckdb/node-api";
import { UprobeEventSchema, type UprobeEvent } from "../../../../proto/gen/coral/agent/v1/debug_pb.js";
import { agentDebugClient } from "./agent-client.js";
import { insertRows, type ColonyDatabase, type SqlParams } from "./database.js";
import type { DebugSessionRecord } from "./debug-sessions.js";
import type { Registry } from "./registry.js";

/** The whole buffer: the agent caps it itself (config.max_events). */
const FETCH_ALL_EVENTS = 1_000_000;
const QUERY_TIMEOUT_MS = 10_000;
const NS_PER_S = 1_000_000_000n;

export function timestampNanos(ts: Timestamp | undefined): bigint {
  return ts ? ts.seconds * NS_PER_S + BigInt(ts.nanos) : 0n;
}

function timestampFromNanos(ns: bigint): Timestamp {
  return create(TimestampSchema, { seconds: ns / NS_PER_S, nanos: Number(ns % NS_PER_S) });
}

export interface TimeBounds {
  startNs?: bigint;
  endNs?: bigint;
}

export function boundsOf(startTime: Timestamp | undefined, endTime: Timestamp | undefined): TimeBounds {
  return { startNs: startTime ? timestampNanos(startTime) : undefined, endNs: endTime ? timestampNanos(endTime) : undefined };
}

function inBounds(ns: bigint, b: TimeBounds): boolean {
  return (b.startNs === undefined || ns >= b.startNs) && (b.endNs === undefined || ns <= b.endNs);
}

/** Every event the agent still buffers for the session's collector, in buffer order. */
export async function fetchAgentEvents(registry: Registry, session: DebugSessionRecord): Promise<UprobeEvent[]> {
  const agent = registry.get(session.agentId);
  if (!agent?.meshIpv4) throw new Error(`agent ${session.agentId} has no mesh address`);
  const res = await agentDebugClient(agent.meshIpv4).queryUprobeEvents(
    { collectorId: session.collectorId, maxEvents: FETCH_ALL_EVENTS },
    { timeoutMs: QUERY_TIMEOUT_MS },
  );
  return res.events;
}

function eventRow(session: DebugSessionRecord, index: number, e: UprobeEvent): SqlParams {
  return [
    BigInt(index),
    session.sessionId,
    new DuckDBTimestampNanosecondsValue(timestampNanos(e.timestamp)),
    e.collectorId || session.collectorId,
    e.agentId || session.agentId,
    e.serviceName || session.serviceName,
    e.functionName || session.functionName,
    e.eventType,
    e.durationNs,
    e.pid,
    e.tid,
  ];
}

/** Stores the buffer entries not stored yet; returns the session's stored event count. */
export async function storeSessionEvents(db: ColonyDatabase, session: DebugSessionRecord, events: readonly UprobeEvent[]): Promise<number> {
  return db.exclusive(async (run) => {
    const next = Number((await run("SELECT coalesce(max(id) + 1, 0) FROM debug_events WHERE session_id = ?", [session.sessionId])).getRows()[0]![0]);
    await insertRows(
      run,
      "INSERT OR IGNORE INTO debug_events (id, session_id, timestamp, collector_id, agent_id, service_name, function_name, event_type, duration_ns, pid, tid)",
      events.slice(next),
      (e, k) => eventRow(session, next + k, e),
    );
    const count = Number((await run("SELECT count(*) FROM debug_events WHERE session_id = ?", [session.sessionId])).getRows()[0]![0]);
    await run("UPDATE debug_sessions SET event_count = ? WHERE session_id = ?", [count, session.sessionId]);
    return count;
  });
}

/** Mirrors the agent's buffer into debug_events (persister tick, DetachUprobe). */
export async function persistSessionEvents(db: ColonyDatabase, registry: Registry, session: DebugSessionRecord): Promise<number> {
  return storeSessionEvents(db, session, await fetchAgentEvents(registry, session));
}

export interface EventPage {
  events: UprobeEvent[];
  hasMore: boolean;
}

/** The first `max` events within the bounds, in buffer order. */
export function pageOfEvents(events: readonly UprobeEvent[], bounds: TimeBounds, max: number): EventPage {
  const matching = events.filter((e) => inBounds(timestampNanos(e.timestamp), bounds));
  return { events: matching.slice(0, max), hasMore: matching.length > max };
}

export interface StoredEvent {
  index: number;
  timestampNs: bigint;
  eventType: string;
  durationNs: bigint;
  event: UprobeEvent;
}

export async function storedEvents(db: ColonyDatabase, sessionId: string): Promise<StoredEvent[]> {
  const reader = await db.read(
    `SELECT id, epoch_ns(timestamp) AS ts_ns, collector_id, agent_id, service_name, function_name, event_type, duration_ns, pid, tid
       FROM debug_events WHERE session_id = ? ORDER BY id`,
    [sessionId],
  );
  return reader.getRowObjectsJS().map((r) => {
    const timestampNs = BigInt(r.ts_ns as bigint);
    const durationNs = BigInt((r.duration_ns as bigint | null) ?? 0n);
    const eventType = String(r.event_type);
    return {
      index: Number(r.id),
      timestampNs,
      eventType,
      durationNs,
      event: create(UprobeEventSchema, {
        timestamp: timestampFromNanos(timestampNs),
        collectorId: String(r.collector_id ?? ""),
        agentId: String(r.agent_id ?? ""),
        serviceName: String(r.service_name ?? ""),
        functionName: String(r.function_name ?? ""),
        eventType,
        durationNs,
        pid: Number(r.pid ?? 0),
        tid: Number(r.tid ?? 0),
      }),
    };
  });
}
