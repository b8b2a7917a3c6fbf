// ColonyDebugService uprobe session methods (contract observability.md §3.5, §4.6). Attach failures
// are success:false bodies (§3.1); an unknown session id is Connect not_found `session not found: <id>`.
import { create } from "@bufbuild/protobuf";
import { durationFromMs, durationMs, timestampFromMs } from "@bufbuild/protobuf/wkt";
import { randomUUID } from "node:crypto";
import {
  AttachUprobeResponseSchema,
  DebugSessionSchema,
  DetachUprobeResponseSchema,
  ListDebugSessionsResponseSchema,
  QueryUprobeEventsResponseSchema,
  type AttachUprobeRequest,
  type DetachUprobeRequest,
  type GetDebugResultsRequest,
  type ListDebugSessionsRequest,
  type QueryUprobeEventsRequest,
} from "../../../../proto/gen/coral/colony/v1/debug_pb.js";
import { faults } from "../common/faults.js";
import { log } from "../common/log.js";
import { agentDebugClient } from "./agent-client.js";
import { findServiceAgent } from "./agent-coordinator.js";
import type { ColonyDatabase } from "./database.js";
import { debugResults } from "./debug-results.js";
import { allSessions, effectiveStatus, findSession, insertSession, requireSession, setSessionStatus } from "./debug-sessions.js";
import type { AgentEntry, Registry } from "./registry.js";
import { errorText, isNotFound } from "./rpc-errors.js";
import { boundsOf, fetchAgentEvents, pageOfEvents, persistSessionEvents, storedEvents } from "./uprobe-events.js";

const DEFAULT_DURATION_MS = 60_000;
const MAX_DURATION_MS = 10 * 60_000;
const START_TIMEOUT_MS = 30_000;
const STOP_TIMEOUT_MS = 10_000;
const DEFAULT_MAX_EVENTS = 1000;

/** Missing → 60 s; over 10 minutes → 60 s as well, as Coral does (§10 #18). */
export function sessionDurationMs(req: AttachUprobeRequest): number {
  const ms = req.duration ? durationMs(req.duration) : 0;
  return ms <= 0 || ms > MAX_DURATION_MS ? DEFAULT_DURATION_MS : ms;
}

function attachFailure(error: string) {
  return create(AttachUprobeResponseSchema, { success: false, error });
}

async function targetAgent(registry: Registry, req: AttachUprobeRequest): Promise<AgentEntry> {
  if (!req.agentId) return (await findServiceAgent(registry, req.serviceName)).agent;
  const agent = registry.get(req.agentId);
  if (!agent?.meshIpv4) throw new Error(`agent not found: ${req.agentId}`);
  return agent;
}

export async function attachUprobe(db: ColonyDatabase, registry: Registry, req: AttachUprobeRequest) {
  if (!req.serviceName) return attachFailure("service_name is required");
  if (!req.functionName) return attachFailure("function_name is required");
  const duration = sessionDurationMs(req);
  let agent: AgentEntry;
  try {
    agent = await targetAgent(registry, req);
  } catch (err) {
    return attachFailure(errorText(err));
  }
  let collectorId: string;
  try {
    const res = await agentDebugClient(agent.meshIpv4).startUprobeCollector(
      {
        agentId: agent.agentId,
        serviceName: req.serviceName,
        functionName: req.functionName,
        duration: durationFromMs(duration),
        config: req.config,
        sdkAddr: req.sdkAddr,
        filter: req.filter,
      },
      { timeoutMs: START_TIMEOUT_MS },
    );
    if (res.error) return attachFailure(res.error);
    if (!res.supported || !res.collectorId) return attachFailure(`uprobe collector not supported on agent ${agent.agentId}`);
    collectorId = res.collectorId;
  } catch (err) {
    return attachFailure(`failed to start uprobe collector on agent ${agent.agentId}: ${errorText(err)}`);
  }
  const startedAtMs = Date.now();
  const session = {
    sessionId: randomUUID(),
    collectorId,
    serviceName: req.serviceName,
    functionName: req.functionName,
    agentId: agent.agentId,
    sdkAddr: req.sdkAddr,
    startedAtMs,
    expiresAtMs: startedAtMs + duration,
    status: "active",
    requestedBy: "",
    eventCount: 0,
  };
  await insertSession(db, session);
  log.info("Uprobe debug session started", { session_id: session.sessionId, service: req.serviceName, function: req.functionName, agent_id: agent.agentId });
  return create(AttachUprobeResponseSchema, { sessionId: session.sessionId, expiresAt: timestampFromMs(session.expiresAtMs), success: true });
}

export async function detachUprobe(db: ColonyDatabase, registry: Registry, req: DetachUprobeRequest) {
  const session = await requireSession(db, req.sessionId);
  // Fault debug-session-never-stops: the detach is acknowledged and nothing else happens (§3.5).
  if (faults.has("debug-session-never-stops")) return create(DetachUprobeResponseSchema, { success: true });
  if (session.status === "stopped") return create(DetachUprobeResponseSchema, { success: true });
  // Copy what the agent buffered since the last persister tick, without time bounds (§4.6 step 6).
  await persistSessionEvents(db, registry, session).catch((err) => {
    const level = isNotFound(err) ? "debug" : "warn";
    log[level]("Failed to persist uprobe events before detach", { session_id: session.sessionId, error: err });
  });
  let stopError = "";
  const agent = registry.get(session.agentId);
  if (agent?.meshIpv4) {
    try {
      const res = await agentDebugClient(agent.meshIpv4).stopUprobeCollector({ collectorId: session.collectorId }, { timeoutMs: STOP_TIMEOUT_MS });
      if (!res.success && res.error) stopError = res.error;
    } catch (err) {
      // not_found: the agent already expired the collector, which is what a detach wants.
      if (!isNotFound(err)) stopError = errorText(err);
    }
  }
  await setSessionStatus(db, session.sessionId, "stopped");
  if (stopError) return create(DetachUprobeResponseSchema, { success: false, error: `failed to stop uprobe collector: ${stopError}` });
  return create(DetachUprobeResponseSchema, { success: true });
}

export async function queryUprobeEvents(db: ColonyDatabase, registry: Registry, req: QueryUprobeEventsRequest) {
  // Fault unknown-session-empty: an unknown session id reads as a session without events.
  if (faults.has("unknown-session-empty") && !(await findSession(db, req.sessionId))) return create(QueryUprobeEventsResponseSchema, {});
  const session = await requireSession(db, req.sessionId);
  const bounds = boundsOf(req.startTime, req.endTime);
  const max = req.maxEvents > 0 ? req.maxEvents : DEFAULT_MAX_EVENTS;
  if (effectiveStatus(session) === "active") {
    try {
      return create(QueryUprobeEventsResponseSchema, pageOfEvents(await fetchAgentEvents(registry, session), bounds, max));
    } catch (err) {
      log.debug("Live uprobe events unavailable, reading persisted ones", { session_id: session.sessionId, error: err });
    }
  }
  const stored = (await storedEvents(db, session.sessionId)).map((e) => e.event);
  return create(QueryUprobeEventsResponseSchema, pageOfEvents(stored, bounds, max));
}

export async function getDebugResults(db: ColonyDatabase, req: GetDebugResultsRequest) {
  const session = await requireSession(db, req.sessionId);
  return debugResults(session, await storedEvents(db, session.sessionId));
}

export async function listDebugSessions(db: ColonyDatabase, req: ListDebugSessionsRequest) {
  const now = Date.now();
  const sessions = (await allSessions(db))
    .map((s) => ({ ...s, status: effectiveStatus(s, now) }))
    .filter((s) => (!req.serviceName || s.serviceName === req.serviceName) && (!req.status || s.status === req.status))
    .map((s) =>
      create(DebugSessionSchema, {
        sessionId: s.sessionId,
        serviceName: s.serviceName,
        functionName: s.functionName,
        agentId: s.agentId,
        startedAt: timestampFromMs(s.startedAtMs),
        expiresAt: timestampFromMs(s.expiresAtMs),
        status: s.status,
        requestedBy: s.requestedBy,
        eventCount: s.eventCount,
      }),
    );
  return create(ListDebugSessionsResponseSchema, { sessions });
}
