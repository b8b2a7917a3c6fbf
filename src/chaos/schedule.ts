// The chaos schedule: a pure function of the seed and the options (duration, agents, fault kinds,
// --quick), printed before anything starts so a failing run is replayed with the same seed. Rounds
// are drawn until their planned length (hold + the contract's typical recovery + the invariant
// checks) fills the duration; each holds 1-3 faults from the catalogue for a drawn time, then heals
// them and gives the mesh the contract's settle deadline.
import { LIVENESS, TIMERS } from "../coral/settings.js";
import { formatDuration } from "../report/format.js";
import { CATALOGUE, FAULT_KIND_IDS, type FaultKindId, type ScheduledFault, describeFault } from "./catalogue.js";
import { type Random, seededRandom } from "./random.js";

export interface ScheduleOptions {
  seed: number;
  durationMs: number;
  agents: number;
  /** The kinds to draw from (--faults); the whole catalogue by default. */
  faults: readonly FaultKindId[];
  /** Shorter holds only: settle deadlines stay the contract's. */
  quick: boolean;
  /** --layer 1: after every round an app's spans must reach the colony. The rounds do not depend on it. */
  spans?: boolean;
}

export interface Round {
  index: number; // 1-based
  holdMs: number;
  faults: ScheduledFault[];
  /** The longest settle deadline of its faults. */
  settleMs: number;
  /** hold + the slowest typical recovery of its faults + the invariant checks. */
  plannedMs: number;
}

export interface Schedule {
  options: ScheduleOptions;
  rounds: Round[];
  plannedMs: number;
}

const FAULTS_PER_ROUND = [
  { count: 1, weight: 50 },
  { count: 2, weight: 30 },
  { count: 3, weight: 20 },
] as const;

/**
 * Hold times in whole seconds. Short holds stay under three failed heartbeats (15 s); medium ones
 * cross the 3-failure re-registration and the 30 s degraded threshold; long ones reach past the
 * 120 s unhealthy threshold (§3.5). --quick keeps to short and medium ones.
 */
interface HoldRange {
  weight: number;
  minS: number;
  maxS: number;
}

const HOLDS: Record<"normal" | "quick", HoldRange[]> = {
  normal: [
    { weight: 45, minS: 3, maxS: 3 * (TIMERS.heartbeatIntervalMs / 1000) },
    { weight: 35, minS: 15, maxS: LIVENESS.degradedAfterMs / 1000 + 10 },
    { weight: 20, minS: 40, maxS: LIVENESS.unhealthyAfterMs / 1000 + 5 },
  ],
  quick: [
    { weight: 60, minS: 2, maxS: 8 },
    { weight: 40, minS: 8, maxS: 20 },
  ],
};

/** The invariant checks after a round: mostly waiting for every agent's next heartbeat (last-seen advancing). */
export const INVARIANT_CHECKS_MS = 2 * TIMERS.heartbeatIntervalMs;

export function buildSchedule(options: ScheduleOptions): Schedule {
  if (options.faults.length === 0) throw new Error("a chaos schedule needs at least one fault kind");
  if (options.agents < 1) throw new Error("a chaos schedule needs at least one agent");
  // The catalogue's order, whatever order --faults listed them in.
  options = { ...options, faults: FAULT_KIND_IDS.filter((kind) => options.faults.includes(kind)) };
  const random = seededRandom(options.seed);
  const rounds: Round[] = [];
  let plannedMs = 0;
  for (let index = 1; plannedMs < options.durationMs; index++) {
    const round = drawRound(random, index, options);
    // The first round always runs; later ones only while they fit.
    if (rounds.length > 0 && plannedMs + round.plannedMs > options.durationMs) break;
    rounds.push(round);
    plannedMs += round.plannedMs;
  }
  return { options, rounds, plannedMs };
}

function drawRound(random: Random, index: number, options: ScheduleOptions): Round {
  const count = random.weighted(FAULTS_PER_ROUND).count;
  const hold = random.weighted(options.quick ? HOLDS.quick : HOLDS.normal);
  const holdS = random.int(hold.minS, hold.maxS);
  const faults: ScheduledFault[] = [];
  for (let i = 0; i < count; i++) {
    const candidates = options.faults.filter((kind) => fits(kind, faults, options.agents));
    if (candidates.length === 0) break;
    const kind = random.pick(candidates);
    const target = CATALOGUE[kind].target === "agent" ? random.pick(freeAgents(faults, options.agents)) : CATALOGUE[kind].target;
    faults.push(CATALOGUE[kind].instant ? { kind, target, atMs: random.int(0, holdS) * 1000 } : { kind, target });
  }
  const recoveries = faults.map((f) => CATALOGUE[f.kind].recovery);
  return {
    index,
    holdMs: holdS * 1000,
    faults,
    settleMs: Math.max(...recoveries.map((r) => r.settleMs)),
    plannedMs: holdS * 1000 + Math.max(...recoveries.map((r) => r.expectedMs)) + INVARIANT_CHECKS_MS,
  };
}

/** One fault per component in a round, and no two kinds where one would undo the other. */
function fits(kind: FaultKindId, chosen: ScheduledFault[], agents: number): boolean {
  const entry = CATALOGUE[kind];
  if (entry.target === "agent" ? freeAgents(chosen, agents).length === 0 : chosen.some((f) => f.target === entry.target)) return false;
  return !chosen.some((f) => entry.excludes?.includes(f.kind) || CATALOGUE[f.kind].excludes?.includes(kind));
}

function freeAgents(chosen: ScheduledFault[], agents: number): string[] {
  return Array.from({ length: agents }, (_, i) => `agent-${i}`).filter((id) => !chosen.some((f) => f.target === id));
}

/** "pause agent-1 + restart the colony at +12s, held 30s" */
export function describeRound(round: Round): string {
  return `${round.faults.map(describeFault).join(" + ")}, held ${round.holdMs / 1000}s`;
}

/** The schedule as printed at the start of a run (and by --dry-run). */
export function formatSchedule(schedule: Schedule): string[] {
  const { options, rounds } = schedule;
  const kinds = options.faults.length === FAULT_KIND_IDS.length ? "every fault kind" : options.faults.join(", ");
  const lines = [
    `chaos schedule: seed ${options.seed}, ${rounds.length} ${rounds.length === 1 ? "round" : "rounds"} planned over ${formatDuration(schedule.plannedMs)} ` +
      `(${options.agents} agents, ${kinds}${options.quick ? ", quick holds" : ""}${options.spans ? ", spans checked" : ""})`,
  ];
  for (const round of rounds) {
    lines.push(`  round ${String(round.index).padStart(2)}: ${describeRound(round)}, settle ≤ ${round.settleMs / 1000}s`);
  }
  lines.push(`  replay: ${replayCommand(options)}`);
  return lines;
}

/** The command line that draws the same schedule. */
export function replayCommand(options: ScheduleOptions): string {
  const all = options.faults.length === FAULT_KIND_IDS.length;
  return [
    "coral-e2e chaos",
    `--seed ${options.seed}`,
    `--duration ${formatFlagDuration(options.durationMs)}`,
    `--agents ${options.agents}`,
    ...(all ? [] : [`--faults ${options.faults.join(",")}`]),
    ...(options.quick ? ["--quick"] : []),
    ...(options.spans ? ["--layer 1"] : []),
  ].join(" ");
}

/** 300000 → "5m", 90000 → "90s", 1500 → "1.5s": what --duration reads back. */
export function formatFlagDuration(ms: number): string {
  if (ms >= 60_000 && ms % 60_000 === 0) return `${ms / 60_000}m`;
  return `${Number((ms / 1000).toFixed(1))}s`;
}
