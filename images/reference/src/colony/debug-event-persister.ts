// The uprobe event persister (contract observability.md §4.6 step 5): every 10 s, mirror the agent's
// events of each active session into debug_events. Sessions that expired less than a tick and a half
// ago are included, so every session gets one persist after its expiry (Coral's last seconds are lost
// there, §10 #18).
import { log } from "../common/log.js";
import type { ColonyDatabase } from "./database.js";
import { activeSessions } from "./debug-sessions.js";
import { repeatWithoutOverlap, type RunningPoller } from "./poller.js";
import type { Registry } from "./registry.js";
import { isNotFound } from "./rpc-errors.js";
import { persistSessionEvents } from "./uprobe-events.js";

export const PERSIST_INTERVAL_MS = 10_000;
const AFTER_EXPIRY_MS = 15_000;

async function persistRound(db: ColonyDatabase, registry: Registry): Promise<void> {
  for (const session of await activeSessions(db, Date.now() - AFTER_EXPIRY_MS)) {
    try {
      await persistSessionEvents(db, registry, session);
    } catch (err) {
      // not_found: the agent already dropped the expired collector (or restarted); nothing to copy.
      const level = isNotFound(err) ? "debug" : "warn";
      log[level]("Failed to persist uprobe events", { session_id: session.sessionId, agent_id: session.agentId, error: err, component: "debug_persister" });
    }
  }
}

export function startDebugEventPersister(db: ColonyDatabase, registry: Registry): RunningPoller {
  log.info("Debug event persister started", { interval: PERSIST_INTERVAL_MS });
  return repeatWithoutOverlap(PERSIST_INTERVAL_MS, () =>
    persistRound(db, registry).catch((err) => log.warn("Uprobe event persister round failed", { error: err, component: "debug_persister" })),
  );
}
