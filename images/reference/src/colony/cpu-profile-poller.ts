// L2 CPU profile poller (contract observability.md §1.3, §4.4 step 2): QueryCPUProfileSamples on every
// agent — gRPC over HTTP/1.1 like Coral's poller (§3.1) — with a seq_id checkpoint ("cpu_profile"),
// samples summed into cpu_profile_summaries minute rows (cpu-profile-summaries.ts).
import { parseDuration } from "../common/duration.js";
import { faults } from "../common/faults.js";
import { log } from "../common/log.js";
import { agentDebugGrpcClient } from "./agent-client.js";
import { pollWithCheckpoint } from "./checkpoints.js";
import { storeCpuProfileSamples } from "./cpu-profile-summaries.js";
import type { ColonyDatabase } from "./database.js";
import { startPoller, type RunningPoller } from "./poller.js";
import type { Registry } from "./registry.js";
import { timestampParam } from "./span-summaries.js";

export const DEFAULT_PROFILING_POLL_MS = 30_000;
const MAX_RECORDS = 5_000;
const QUERY_TIMEOUT_MS = 15_000;
const RETENTION_MS = 30 * 24 * 3_600_000; // continuous_profiling.retention_days (§1.3)

export function startCpuProfilePoller(db: ColonyDatabase, registry: Registry): RunningPoller {
  // CORAL_PROFILING_POLLER_INTERVAL, not the …_POLL_INTERVAL of Coral's test overlay (§1.3).
  const intervalMs = parseDuration(process.env.CORAL_PROFILING_POLLER_INTERVAL, DEFAULT_PROFILING_POLL_MS);
  // Fault profile-poller-off: no CPU profile ever reaches the colony (§4.4 step 2).
  if (faults.has("profile-poller-off")) {
    log.warn("CPU profile poller disabled by fault profile-poller-off", { poll_interval: intervalMs });
    return { stop: () => undefined };
  }
  log.info("CPU profile poller started", { poll_interval: intervalMs });
  return startPoller({
    name: "cpu_profile_poller",
    intervalMs,
    registry,
    pollAgent: async (agent) => {
      const client = agentDebugGrpcClient(agent.meshIpv4);
      const res = await pollWithCheckpoint(
        db,
        agent.agentId,
        "cpu_profile",
        async (startSeqId) => {
          const r = await client.queryCPUProfileSamples({ startSeqId, maxRecords: MAX_RECORDS }, { timeoutMs: QUERY_TIMEOUT_MS });
          if (r.error) throw new Error(r.error);
          // seq_ids at or below the checkpoint were summed already; adding them again would double count.
          r.samples = r.samples.filter((s) => s.seqId > startSeqId);
          return r;
        },
        async (r) => void (await storeCpuProfileSamples(db, agent.agentId, r.samples)),
      );
      if (res.samples.length) log.debug("Polled CPU profile samples", { agent_id: agent.agentId, samples: res.samples.length, max_seq_id: String(res.maxSeqId) });
    },
    afterRound: async () => {
      await db.read("DELETE FROM cpu_profile_summaries WHERE timestamp < ?", [timestampParam(Date.now() - RETENTION_MS)]);
    },
  });
}
