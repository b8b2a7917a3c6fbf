// The loop every colony poller shares (Coral's internal/colony/poller/base.go, contract §1.3): poll
// once at start, then on each tick; ask every registered agent that is not `unhealthy` and has a mesh
// IP; never let two polls of one poller overlap; one agent's failure does not stop the others.
import { faults } from "../common/faults.js";
import { log } from "../common/log.js";
import { liveness, type AgentEntry, type Registry } from "./registry.js";

export interface PollerSpec {
  name: string;
  intervalMs: number;
  registry: Registry;
  pollAgent: (agent: AgentEntry) => Promise<void>;
  /** Work after each round (retention), optional. */
  afterRound?: () => Promise<void>;
}

export interface RunningPoller {
  stop(): void;
}

async function pollRound(spec: PollerSpec): Promise<void> {
  const agents = spec.registry.all().filter((a) => a.meshIpv4 && liveness(a.lastSeen) !== "unhealthy");
  await Promise.all(
    agents.map((agent) =>
      spec.pollAgent(agent).catch((err) => log.warn(`Failed to poll agent`, { component: spec.name, agent_id: agent.agentId, error: err })),
    ),
  );
  await spec.afterRound?.().catch((err) => log.warn("Poller maintenance failed", { component: spec.name, error: err }));
}

/** Runs `work` every interval, skipping a tick while the previous round still runs. */
export function repeatWithoutOverlap(intervalMs: number, work: () => Promise<void>, options: { now?: boolean } = {}): RunningPoller {
  let busy = false;
  const round = () => {
    if (busy) return;
    busy = true;
    void work().finally(() => (busy = false));
  };
  if (options.now) round();
  const timer = setInterval(round, intervalMs);
  timer.unref();
  return { stop: () => clearInterval(timer) };
}

export function startPoller(spec: PollerSpec): RunningPoller {
  // Fault poller-stops-after-first-poll: the start-up poll is the only one.
  if (faults.has("poller-stops-after-first-poll")) {
    void pollRound(spec);
    return { stop: () => undefined };
  }
  return repeatWithoutOverlap(spec.intervalMs, () => pollRound(spec), { now: true });
}
