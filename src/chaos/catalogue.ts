// The chaos fault catalogue: each kind of fault, the component handle that injects it (so it lands
// on the run's timeline like any check's fault), its heal, and how long Coral takes to recover from
// it by the contract (connectivity.md §3.4-§3.7, §7.2, §7.4). The settle deadline of a round is the
// longest of its faults' budgets; it is a deadline, never a wait: a round settles as soon as every
// invariant's probe holds.
import type { CoralDeployment } from "../coral/deployment.js";
import type { AgentNode } from "../coral/nodes.js";
import { LIVENESS, READY_MS, TIMERS } from "../coral/settings.js";
import { pollUntil } from "../util/poll.js";

export const FAULT_KIND_IDS = [
  "agent-stop",
  "agent-kill",
  "agent-restart",
  "agent-pause",
  "agent-disconnect",
  "wireguard-drop",
  "underlay-cut",
  "cpu-pressure",
  "colony-restart",
  "discovery-stop",
] as const;

export type FaultKindId = (typeof FAULT_KIND_IDS)[number];

/** How long Coral takes to recover, and the contract that says so. */
export interface Recovery {
  /** Typical recovery seen on Coral, plus the heartbeat that proves it: what the schedule plans with. */
  expectedMs: number;
  /** The settle deadline: past it, the invariants are judged whatever the mesh looks like. */
  settleMs: number;
  source: string;
}

export interface FaultKind {
  id: FaultKindId;
  target: "agent" | "colony" | "discovery";
  /** Done at a drawn moment of the round's hold (a restart) instead of held and then healed. */
  instant: boolean;
  /** What it does and how it heals, for --help and the README. */
  summary: string;
  describe(target: string): string;
  recovery: Recovery;
  /** Kinds that cannot share a round with it: their mechanism would end it early. */
  excludes?: FaultKindId[];
}

/** One fault of a round: its kind, its target, and for an instant fault when in the hold it happens. */
export interface ScheduledFault {
  kind: FaultKindId;
  target: string; // "agent-1", "colony", "discovery"
  atMs?: number;
}

const HEARTBEAT_MS = TIMERS.heartbeatIntervalMs;

/**
 * Faults after which the next heartbeat through the tunnel is all it takes: healthy ≤ 8 s after an
 * unpause, ≤ 2 s after a reconnect, < 1 s after the WireGuard rule goes (§7.2). The deadline is the
 * colony's 30 s degraded threshold (§3.5): six heartbeat intervals, room for the 3-failure
 * re-registration path.
 */
function heartbeatResumes(seenMs: number, seen: string): Recovery {
  return {
    expectedMs: seenMs + HEARTBEAT_MS,
    settleMs: LIVENESS.degradedAfterMs,
    source: `${seen}, then a heartbeat (${HEARTBEAT_MS / 1000} s interval); deadline: the 30 s degraded threshold (§3.5)`,
  };
}

/**
 * An agent process started again runs from its enrollment checkpoint: it skips Register, has no
 * colony endpoint, and re-registers only after 3 failed heartbeats, trying the mesh URL first
 * (3 × 5 s + 1 s + 2 s): 37 s seen (§3.4, §3.6); the contract's budget for that path is 60 s (§7.4).
 */
const FROM_CHECKPOINT: Recovery = {
  expectedMs: 37_000,
  settleMs: 60_000,
  source: "§3.4, §3.6: a checkpoint-restored agent re-registers after 3 failed heartbeats with the mesh URL first, 37 s seen; budget 60 s (§7.4)",
};

export const CATALOGUE: Record<FaultKindId, FaultKind> = {
  "agent-stop": {
    id: "agent-stop",
    target: "agent",
    instant: false,
    summary: "docker stop (10 s grace), healed by start",
    describe: (t) => `stop ${t}`,
    recovery: FROM_CHECKPOINT,
  },
  "agent-kill": {
    id: "agent-kill",
    target: "agent",
    instant: false,
    summary: "SIGKILL, healed by start",
    describe: (t) => `kill ${t}`,
    recovery: FROM_CHECKPOINT,
  },
  "agent-restart": {
    id: "agent-restart",
    target: "agent",
    instant: true,
    summary: "docker restart (10 s grace) at a drawn moment of the hold",
    describe: (t) => `restart ${t}`,
    recovery: FROM_CHECKPOINT,
  },
  "agent-pause": {
    id: "agent-pause",
    target: "agent",
    instant: false,
    summary: "docker pause, healed by unpause",
    describe: (t) => `pause ${t}`,
    recovery: heartbeatResumes(8_000, "§7.2: healthy ≤ 8 s after unpause"),
  },
  "agent-disconnect": {
    id: "agent-disconnect",
    target: "agent",
    instant: false,
    summary: "disconnected from the run's network, healed by reconnecting it",
    describe: (t) => `disconnect ${t}`,
    recovery: heartbeatResumes(2_000, "§7.2: healthy ≤ 2 s after reconnect"),
  },
  "wireguard-drop": {
    id: "wireguard-drop",
    target: "agent",
    instant: false,
    summary: "the agent's WireGuard UDP dropped inside the colony (iptables), healed by deleting the rule",
    describe: (t) => `drop ${t}'s WireGuard UDP`,
    recovery: heartbeatResumes(1_000, "§3.5, §7.2: heartbeats through the tunnel resume < 1 s after the rule goes"),
    // The rule lives in the colony's network namespace, which a colony restart replaces.
    excludes: ["colony-restart"],
  },
  "underlay-cut": {
    id: "underlay-cut",
    target: "agent",
    instant: false,
    summary: "the agent's TCP to the colony's underlay :9000 rejected (iptables in the agent), healed by deleting the rule",
    describe: (t) => `cut ${t}'s underlay to colony:9000`,
    recovery: heartbeatResumes(0, "§3.5: heartbeats travel through the tunnel, so nothing waits on this path"),
  },
  "cpu-pressure": {
    id: "cpu-pressure",
    target: "agent",
    instant: false,
    summary: "two busy loops in the agent's container, held to half a CPU with the agent, healed by killing them and lifting the limit",
    describe: (t) => `CPU pressure on ${t}`,
    recovery: heartbeatResumes(0, "no timer of Coral's is involved"),
  },
  "colony-restart": {
    id: "colony-restart",
    target: "colony",
    instant: true,
    summary: "docker restart of the colony (10 s grace) at a drawn moment of the hold",
    describe: () => "restart the colony",
    recovery: {
      expectedMs: 18_000,
      settleMs: 60_000,
      source: "§3.6, §7.2: agents healthy 16-18 s after the restart, 37 s when restored from a checkpoint; budget 60 s (§7.4)",
    },
    excludes: ["wireguard-drop"],
  },
  "discovery-stop": {
    id: "discovery-stop",
    target: "discovery",
    instant: false,
    summary: "docker stop of discovery, healed by start (healed first, so restarted agents find it)",
    describe: () => "stop discovery",
    recovery: {
      expectedMs: 17_000,
      settleMs: 60_000,
      source: "§3.1, §7.2: the colony retries with 1-8 s backoff and was registered 16.7 s after discovery started; discovery itself takes 14 s to answer (§7.1)",
    },
  },
};

export function describeFault(fault: ScheduledFault): string {
  const text = CATALOGUE[fault.kind].describe(fault.target);
  return fault.atMs === undefined ? text : `${text} at +${Math.round(fault.atMs / 1000)}s`;
}

/** Held agent faults that are one handle call each way. */
const AGENT_LIFECYCLE: Partial<Record<FaultKindId, { inject: "stop" | "kill" | "pause" | "disconnect"; heal: "start" | "unpause" | "reconnect" }>> = {
  "agent-stop": { inject: "stop", heal: "start" },
  "agent-kill": { inject: "kill", heal: "start" },
  "agent-pause": { inject: "pause", heal: "unpause" },
  "agent-disconnect": { inject: "disconnect", heal: "reconnect" },
};

/** Two busy loops in a container held to half a CPU: the agent gets a fraction of it, the host at most half a core. */
const CPU_PRESSURE = { cpus: 0.5, burners: 2 } as const;

function agentOf(deployment: CoralDeployment, id: string): AgentNode {
  const agent = deployment.agents.find((a) => a.agentId === id);
  if (!agent) throw new Error(`the schedule names ${id}, but the run has ${deployment.agents.map((a) => a.agentId).join(", ")}`);
  return agent;
}

/**
 * Injects a held fault through the component handles and returns its heal. `holdMs` bounds what
 * must end by itself if the runner dies (the CPU burners).
 */
export async function injectFault(deployment: CoralDeployment, fault: ScheduledFault, holdMs: number): Promise<() => Promise<void>> {
  const lifecycle = AGENT_LIFECYCLE[fault.kind];
  if (lifecycle) {
    const agent = agentOf(deployment, fault.target);
    await agent[lifecycle.inject]();
    return () => agent[lifecycle.heal]();
  }
  switch (fault.kind) {
    case "wireguard-drop":
      return deployment.colony.dropWireGuardFrom(agentOf(deployment, fault.target));
    case "underlay-cut":
      return agentOf(deployment, fault.target).cutUnderlayToColony(deployment.colony);
    case "cpu-pressure":
      return agentOf(deployment, fault.target).cpuPressure({ ...CPU_PRESSURE, maxSeconds: Math.ceil(holdMs / 1000) + 60 });
    case "discovery-stop":
      await deployment.discovery.stop(5);
      return async () => {
        await deployment.discovery.start();
        // Healed means answering: agents restarted in the same round must not start their lookup backoff (§3.7).
        await pollUntil("discovery GET /health to answer 200 again", () => deployment.discovery.health(3_000), (r) => r.status === 200, {
          timeoutMs: READY_MS.discovery,
          intervalMs: 250,
        });
      };
    default:
      throw new Error(`${fault.kind} is instant: performFault, not injectFault`);
  }
}

/** Performs an instant fault (a restart): over when the call returns. */
export async function performFault(deployment: CoralDeployment, fault: ScheduledFault): Promise<void> {
  if (fault.kind === "colony-restart") return deployment.colony.restart(10);
  if (fault.kind === "agent-restart") return agentOf(deployment, fault.target).restart(10);
  throw new Error(`${fault.kind} is held: injectFault, not performFault`);
}
