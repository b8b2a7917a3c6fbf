// L1 telemetry poller (contract observability.md §1.3, §4.2 step 6): QueryTelemetry on every agent
// with a seq_id checkpoint, spans aggregated into otel_summaries minute rows.
import { parseDuration } from "../common/duration.js";
import { log } from "../common/log.js";
import { agentClient } from "./agent-client.js";
import { pollWithCheckpoint } from "./checkpoints.js";
import type { ColonyDatabase } from "./database.js";
import { startPoller, type RunningPoller } from "./poller.js";
import type { Registry } from "./registry.js";
import { storeSpans, timestampParam } from "./span-summaries.js";

export const DEFAULT_TELEMETRY_POLL_MS = 60_000;
const MAX_RECORDS = 50_000;
const QUERY_TIMEOUT_MS = 15_000;
const SPAN_RETENTION_MS = 24 * 3_600_000;

export function startTelemetryPoller(db: ColonyDatabase, registry: Registry): RunningPoller {
  const intervalMs = parseDuration(process.env.CORAL_TELEMETRY_POLL_INTERVAL, DEFAULT_TELEMETRY_POLL_MS);
  // Coral's line says "every minute" whatever the interval (§1.3).
  log.info("Telemetry poller started - will query agents every minute", { poll_interval: intervalMs });
  return startPoller({
    name: "telemetry_poller",
    intervalMs,
    registry,
    pollAgent: async (agent) => {
      const client = agentClient(agent.meshIpv4);
      const res = await pollWithCheckpoint(
        db,
        agent.agentId,
        "telemetry",
        (startSeqId) => client.queryTelemetry({ startSeqId, maxRecords: MAX_RECORDS }, { timeoutMs: QUERY_TIMEOUT_MS }),
        async (r) => void (await storeSpans(db, agent.agentId, r.spans)),
      );
      if (res.spans.length) log.debug("Polled telemetry", { agent_id: agent.agentId, spans: res.spans.length, max_seq_id: String(res.maxSeqId) });
    },
    afterRound: async () => {
      await db.read("DELETE FROM otel_spans WHERE start_time < ?", [timestampParam(Date.now() - SPAN_RETENTION_MS)]);
    },
  });
}
