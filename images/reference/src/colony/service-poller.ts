// Services poller (contract observability.md §1.3 `services.poll_interval`, §3.4 ListServices): every
// agent's AgentService/ListServices plus what it declared at Register, upserted into `services`
// (id "<agent>-<name>", status "active") for ListServices and the idle rows of QueryUnifiedSummary.
import { parseDuration } from "../common/duration.js";
import { log } from "../common/log.js";
import { agentClient } from "./agent-client.js";
import type { ColonyDatabase } from "./database.js";
import { startPoller, type RunningPoller } from "./poller.js";
import type { AgentEntry, Registry } from "./registry.js";

export const DEFAULT_SERVICES_POLL_MS = 10_000;
const LIST_TIMEOUT_MS = 5_000;

async function serviceNames(agent: AgentEntry): Promise<Map<string, Record<string, string>>> {
  const names = new Map<string, Record<string, string>>(agent.services.map((s) => [s.name, { ...s.labels }]));
  try {
    const res = await agentClient(agent.meshIpv4).listServices({}, { timeoutMs: LIST_TIMEOUT_MS });
    for (const s of res.services) if (s.name) names.set(s.name, { ...s.labels });
  } catch (err) {
    log.debug("Failed to query agent services", { agent_id: agent.agentId, error: err, component: "service_poller" });
  }
  return names;
}

export function startServicePoller(db: ColonyDatabase, registry: Registry): RunningPoller {
  const intervalMs = parseDuration(process.env.CORAL_SERVICES_POLL_INTERVAL, DEFAULT_SERVICES_POLL_MS);
  log.info("Service poller started", { poll_interval: intervalMs });
  return startPoller({
    name: "service_poller",
    intervalMs,
    registry,
    pollAgent: async (agent) => {
      const names = await serviceNames(agent);
      await db.exclusive(async (run) => {
        for (const [name, labels] of names) {
          await run(
            `INSERT INTO services (id, name, agent_id, labels, status, registered_at, last_seen)
             VALUES (?, ?, ?, ?, 'active', CURRENT_TIMESTAMP, CURRENT_TIMESTAMP)
             ON CONFLICT (id) DO UPDATE SET labels = excluded.labels, last_seen = now()::TIMESTAMP`,
            [`${agent.agentId}-${name}`, name, agent.agentId, JSON.stringify(labels)],
          );
        }
      });
    },
  });
}
