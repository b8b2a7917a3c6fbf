// Function registry poller (contract observability.md §1.1, §1.3 `function_registry.poll_interval`):
// every agent's monitored services (ListServices, has_monitor) → GetFunctions per service → upsert
// into `functions`, which QueryFunctions reads (§3.5).
import type { FunctionInfo } from "../../../../proto/gen/coral/agent/v1/agent_pb.js";
import { parseDuration } from "../common/duration.js";
import { log } from "../common/log.js";
import { agentClient } from "./agent-client.js";
import { insertRows, type ColonyDatabase } from "./database.js";
import { startPoller, type RunningPoller } from "./poller.js";
import type { AgentEntry, Registry } from "./registry.js";
import { timestampParam } from "./span-summaries.js";

export const DEFAULT_FUNCTIONS_POLL_MS = 30_000;
const LIST_TIMEOUT_MS = 5_000;
const FUNCTIONS_TIMEOUT_MS = 15_000;

async function upsertFunctions(db: ColonyDatabase, agentId: string, serviceName: string, functions: readonly FunctionInfo[]): Promise<void> {
  // One row per name: an INSERT … ON CONFLICT must not name the same key twice.
  const byName = new Map(functions.filter((f) => f.name).map((f) => [f.name, f]));
  const rows = [...byName.values()];
  const now = timestampParam(Date.now());
  await db.exclusive((run) =>
    insertRows(
      run,
      `INSERT INTO functions (service_name, function_name, package, file_path, line_number, "offset", has_dwarf, agent_id, updated_at)`,
      rows,
      (f) => [serviceName, f.name, f.package, f.filePath, f.lineNumber, f.offset, f.hasDwarf, agentId, now],
      `ON CONFLICT (agent_id, service_name, function_name) DO UPDATE SET
         package = excluded.package, file_path = excluded.file_path, line_number = excluded.line_number,
         "offset" = excluded."offset", has_dwarf = excluded.has_dwarf, updated_at = excluded.updated_at`,
    ),
  );
}

async function pollAgentFunctions(db: ColonyDatabase, agent: AgentEntry): Promise<void> {
  const client = agentClient(agent.meshIpv4);
  const { services } = await client.listServices({}, { timeoutMs: LIST_TIMEOUT_MS });
  for (const service of services.filter((s) => s.hasMonitor && s.name)) {
    try {
      const res = await client.getFunctions({ serviceName: service.name }, { timeoutMs: FUNCTIONS_TIMEOUT_MS });
      await upsertFunctions(db, agent.agentId, service.name, res.functions);
      if (res.functions.length) log.debug("Polled functions", { agent_id: agent.agentId, service: service.name, functions: res.functions.length });
    } catch (err) {
      // One service's failure (e.g. indexing not ready) does not stop the others.
      log.debug("Failed to get functions", { agent_id: agent.agentId, service: service.name, error: err, component: "function_poller" });
    }
  }
}

export function startFunctionPoller(db: ColonyDatabase, registry: Registry): RunningPoller {
  const intervalMs = parseDuration(process.env.CORAL_FUNCTIONS_POLL_INTERVAL, DEFAULT_FUNCTIONS_POLL_MS);
  log.info("Function poller started", { poll_interval: intervalMs });
  return startPoller({ name: "function_poller", intervalMs, registry, pollAgent: (agent) => pollAgentFunctions(db, agent) });
}
