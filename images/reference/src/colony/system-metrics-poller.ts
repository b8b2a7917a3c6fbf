// L2 system-metrics poller (contract observability.md §1.3, §4.3 step 2): QuerySystemMetrics on
// every agent with a seq_id checkpoint, samples aggregated into system_metrics_summaries minute rows.
import { parseDuration } from "../common/duration.js";
import { log } from "../common/log.js";
import { agentClient } from "./agent-client.js";
import { pollWithCheckpoint } from "./checkpoints.js";
import type { ColonyDatabase } from "./database.js";
import { startPoller, type RunningPoller } from "./poller.js";
import type { Registry } from "./registry.js";
import { timestampParam } from "./span-summaries.js";
import { storeSystemMetrics } from "./system-metric-summaries.js";

export const DEFAULT_SYSTEM_METRICS_POLL_MS = 60_000;
const MAX_RECORDS = 10_000;
const QUERY_TIMEOUT_MS = 15_000;
const SAMPLE_RETENTION_MS = 24 * 3_600_000;

export function startSystemMetricsPoller(db: ColonyDatabase, registry: Registry): RunningPoller {
  // CORAL_SYSTEM_METRICS_POLLER_INTERVAL, not the …_POLL_INTERVAL of Coral's test overlay (§1.3).
  const intervalMs = parseDuration(process.env.CORAL_SYSTEM_METRICS_POLLER_INTERVAL, DEFAULT_SYSTEM_METRICS_POLL_MS);
  log.info("System metrics poller started", { poll_interval: intervalMs });
  return startPoller({
    name: "system_metrics_poller",
    intervalMs,
    registry,
    pollAgent: async (agent) => {
      const client = agentClient(agent.meshIpv4);
      await pollWithCheckpoint(
        db,
        agent.agentId,
        "system_metrics",
        (startSeqId) => client.querySystemMetrics({ startSeqId, maxRecords: MAX_RECORDS }, { timeoutMs: QUERY_TIMEOUT_MS }),
        (r) => storeSystemMetrics(db, agent.agentId, r.sessionId, r.metrics),
      );
    },
    afterRound: async () => {
      await db.read("DELETE FROM system_metric_samples WHERE timestamp < ?", [timestampParam(Date.now() - SAMPLE_RETENTION_MS)]);
    },
  });
}
