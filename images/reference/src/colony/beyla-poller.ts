// L0 Beyla poller (contract observability.md §1.3, §4.1 step 5): every CORAL_BEYLA_POLL_INTERVAL
// (default 60s) one AgentService/QueryEbpfMetrics per agent (Connect binary proto, §3.1) carrying
// the four start seq_ids of the checkpoints beyla_http / beyla_grpc / beyla_sql / beyla_traces,
// max_records 50000, include_traces; the answer goes to the beyla_* tables (beyla-store.ts), then
// each checkpoint advances to its type's max_seq_id. A new agent session re-reads from 0.
import { parseDuration } from "../common/duration.js";
import { faults } from "../common/faults.js";
import { log } from "../common/log.js";
import { agentClient } from "./agent-client.js";
import { deleteExpiredBeylaRows, storeBeylaData } from "./beyla-store.js";
import { pollWithCheckpoints } from "./checkpoints.js";
import type { ColonyDatabase } from "./database.js";
import { startPoller, type RunningPoller } from "./poller.js";
import type { Registry } from "./registry.js";

export const DEFAULT_BEYLA_POLL_MS = 60_000;
const MAX_RECORDS = 50_000;
const QUERY_TIMEOUT_MS = 15_000;
/** Retention deletes scan whole tables: at most this often, whatever the poll interval. */
const RETENTION_EVERY_MS = 10 * 60_000;
const DATA_TYPES = ["beyla_http", "beyla_grpc", "beyla_sql", "beyla_traces"] as const;

export function startBeylaPoller(db: ColonyDatabase, registry: Registry): RunningPoller {
  const intervalMs = parseDuration(process.env.CORAL_BEYLA_POLL_INTERVAL, DEFAULT_BEYLA_POLL_MS);
  // Fault beyla-poller-ignores-ebpf: everything is fetched (checkpoints advance) and nothing stored.
  const dropAll = faults.has("beyla-poller-ignores-ebpf");
  log.info("Beyla metrics poller started", { poll_interval: intervalMs });
  let lastRetentionMs = 0;
  return startPoller({
    name: "beyla_poller",
    intervalMs,
    registry,
    pollAgent: async (agent) => {
      const client = agentClient(agent.meshIpv4);
      await pollWithCheckpoints(
        db,
        agent.agentId,
        DATA_TYPES,
        (start) =>
          client.queryEbpfMetrics(
            {
              httpStartSeqId: start.beyla_http,
              grpcStartSeqId: start.beyla_grpc,
              sqlStartSeqId: start.beyla_sql,
              tracesStartSeqId: start.beyla_traces,
              maxRecords: MAX_RECORDS,
              includeTraces: true,
            },
            { timeoutMs: QUERY_TIMEOUT_MS },
          ),
        (r) => ({ beyla_http: r.httpMaxSeqId, beyla_grpc: r.grpcMaxSeqId, beyla_sql: r.sqlMaxSeqId, beyla_traces: r.tracesMaxSeqId }),
        async (r) => {
          const fetched = {
            http_metrics: r.httpMetrics.length,
            grpc_metrics: r.grpcMetrics.length,
            sql_metrics: r.sqlMetrics.length,
            trace_spans: r.traceSpans.length,
          };
          if (fetched.http_metrics + fetched.grpc_metrics + fetched.sql_metrics + fetched.trace_spans === 0) return;
          if (dropAll) {
            log.warn("Beyla poller drops the fetched eBPF data (fault beyla-poller-ignores-ebpf)", { agent_id: agent.agentId, ...fetched });
            return;
          }
          const stored = await storeBeylaData(db, agent.agentId, r);
          log.debug("Polled Beyla metrics", { agent_id: agent.agentId, ...fetched, stored_http_rows: stored.http, session_id: r.sessionId });
        },
      );
    },
    afterRound: async () => {
      const now = Date.now();
      if (now - lastRetentionMs < RETENTION_EVERY_MS) return;
      lastRetentionMs = now;
      await deleteExpiredBeylaRows(db, now);
    },
  });
}
