// What a chaos run did and saw, round by round, and the summary the reports carry: per fault kind
// how often it was injected, how long the mesh took to recover (from the heal to the first moment
// every invariant's probe held), and how many invariant violations followed it.
import type { CheckResult } from "../runner/results.js";
import { formatDuration } from "../report/format.js";
import { FAULT_KIND_IDS, type FaultKindId, describeFault } from "./catalogue.js";
import { type Schedule, replayCommand } from "./schedule.js";

export interface FaultOutcome {
  kind: FaultKindId;
  target: string;
  description: string;
  /** When it was injected (instant faults: performed). */
  at?: string;
  /** When it was healed: the round's heal, or for a restart when it returned. */
  healedAt?: string;
  /**
   * From its heal until the invariants about what it touched held: its agent; for a colony restart
   * every agent no other fault of the round touched; for discovery its record of the colony.
   */
  recoveryMs?: number;
  /** The worst ListAgents showed for its target agent during the round: healthy < degraded < unhealthy < absent. */
  worstListed?: string;
  /** Samples in which its target was listed healthy while MeshPing got no answer (the known defect, §3.5, §6.7). */
  healthyWithTunnelDown: number;
}

export interface RoundOutcome {
  index: number;
  holdMs: number;
  settleMs: number;
  faults: FaultOutcome[];
  startedAt?: string;
  healedAt?: string;
  /** From the heal until every invariant's probe held; absent when it did not within settleMs. */
  recoveryMs?: number;
  /** What did not hold when the round began (the previous round left the mesh unsettled). */
  unsettledAtStart?: string[];
  /** What still did not hold at the settle deadline. */
  unsettledAtDeadline?: string[];
  samples: number;
}

export interface KindSummary {
  kind: FaultKindId;
  count: number;
  /** Its own recovery (FaultOutcome.recoveryMs) over its faults. */
  recoveryP50Ms?: number;
  recoveryMaxMs?: number;
  /** The recovery of the rounds it took part in: from their last heal until every invariant held. */
  roundRecoveryP50Ms?: number;
  roundRecoveryMaxMs?: number;
  /** Its faults whose own recovery was not seen before the round's settle deadline. */
  notRecovered: number;
  violations: number;
  /** Times its target was seen healthy in ListAgents with MeshPing unanswered: the known defect, not a violation. */
  healthyWithTunnelDown: number;
}

export interface Violation {
  round: number;
  invariant: string;
  checkId: string;
  faults: string[];
  message: string;
}

export const CHAOS_REPORT_FORMAT = "coral-e2e/chaos@1";

export interface ChaosReport {
  format: typeof CHAOS_REPORT_FORMAT;
  seed: number;
  replay: string;
  options: Schedule["options"];
  roundsPlanned: number;
  roundsRun: number;
  faultsInjected: number;
  rounds: RoundOutcome[];
  kinds: KindSummary[];
  violations: Violation[];
}

export class ChaosHistory {
  readonly rounds: RoundOutcome[];

  constructor(readonly schedule: Schedule) {
    this.rounds = schedule.rounds.map((round) => ({
      index: round.index,
      holdMs: round.holdMs,
      settleMs: round.settleMs,
      faults: round.faults.map((fault) => ({ kind: fault.kind, target: fault.target, description: describeFault(fault), healthyWithTunnelDown: 0 })),
      samples: 0,
    }));
  }

  round(index: number): RoundOutcome {
    const round = this.rounds.find((r) => r.index === index);
    if (!round) throw new Error(`no round ${index} in the schedule`);
    return round;
  }
}

/** Check ids of the chaos plan: "chaos/round-03" and "chaos/round-03/<invariant>". */
export function roundCheckId(index: number): string {
  return `chaos/round-${String(index).padStart(2, "0")}`;
}

const INVARIANT_ID = /^chaos\/round-(\d+)\/(.+)$/;

export function chaosReport(history: ChaosHistory, results: CheckResult[]): ChaosReport {
  const { schedule } = history;
  const ran = history.rounds.filter((r) => r.startedAt);
  const violations: Violation[] = [];
  for (const result of results) {
    const match = INVARIANT_ID.exec(result.id);
    if (!match || result.outcome !== "failed") continue;
    const index = Number(match[1]);
    const faults = index === 0 ? [] : history.round(index).faults.map((f) => f.description);
    violations.push({ round: index, invariant: match[2]!, checkId: result.id, faults, message: result.message ?? "" });
  }
  const kinds = FAULT_KIND_IDS.flatMap((kind): KindSummary[] => {
    const rounds = ran.filter((r) => r.faults.some((f) => f.kind === kind && f.at));
    if (rounds.length === 0) return [];
    const faults = rounds.flatMap((r) => r.faults.filter((f) => f.kind === kind && f.at));
    const own = percentiles(faults.map((f) => f.recoveryMs));
    const round = percentiles(rounds.map((r) => r.recoveryMs));
    return [
      {
        kind,
        count: faults.length,
        recoveryP50Ms: own.p50,
        recoveryMaxMs: own.max,
        roundRecoveryP50Ms: round.p50,
        roundRecoveryMaxMs: round.max,
        notRecovered: faults.filter((f) => f.recoveryMs === undefined).length,
        violations: violations.filter((v) => rounds.some((r) => r.index === v.round)).length,
        healthyWithTunnelDown: faults.reduce((sum, f) => sum + f.healthyWithTunnelDown, 0),
      },
    ];
  });
  return {
    format: CHAOS_REPORT_FORMAT,
    seed: schedule.options.seed,
    replay: replayCommand(schedule.options),
    options: schedule.options,
    roundsPlanned: schedule.rounds.length,
    roundsRun: ran.length,
    faultsInjected: ran.reduce((sum, r) => sum + r.faults.filter((f) => f.at).length, 0),
    rounds: history.rounds,
    kinds,
    violations,
  };
}

/** Nearest-rank median and the maximum of the values seen. */
function percentiles(values: Array<number | undefined>): { p50?: number; max?: number } {
  const seen = values.filter((v): v is number => v !== undefined).sort((a, b) => a - b);
  return seen.length ? { p50: seen[Math.ceil(seen.length / 2) - 1], max: seen.at(-1) } : {};
}

/** Flat properties for JUnit and the JSON report's `properties`. */
export function chaosProperties(report: ChaosReport): Record<string, string> {
  const properties: Record<string, string> = {
    "chaos.seed": String(report.seed),
    "chaos.replay": report.replay,
    "chaos.rounds.planned": String(report.roundsPlanned),
    "chaos.rounds.run": String(report.roundsRun),
    "chaos.faults.injected": String(report.faultsInjected),
    "chaos.violations": String(report.violations.length),
  };
  for (const k of report.kinds) {
    properties[`chaos.${k.kind}.count`] = String(k.count);
    if (k.recoveryP50Ms !== undefined) properties[`chaos.${k.kind}.recovery.p50.ms`] = String(k.recoveryP50Ms);
    if (k.recoveryMaxMs !== undefined) properties[`chaos.${k.kind}.recovery.max.ms`] = String(k.recoveryMaxMs);
    if (k.roundRecoveryP50Ms !== undefined) properties[`chaos.${k.kind}.round-recovery.p50.ms`] = String(k.roundRecoveryP50Ms);
    if (k.roundRecoveryMaxMs !== undefined) properties[`chaos.${k.kind}.round-recovery.max.ms`] = String(k.roundRecoveryMaxMs);
    properties[`chaos.${k.kind}.not-recovered`] = String(k.notRecovered);
    properties[`chaos.${k.kind}.violations`] = String(k.violations);
  }
  return properties;
}

/** The terminal's chaos section: one row per fault kind, then the violations. */
export function chaosSummaryLines(report: ChaosReport): string[] {
  const lines = [
    `Chaos: seed ${report.seed}, ${report.roundsRun} of ${report.roundsPlanned} rounds run, ${report.faultsInjected} faults injected, ${report.violations.length} invariant ${report.violations.length === 1 ? "violation" : "violations"}`,
  ];
  if (report.kinds.length > 0) {
    const ms = (v?: number) => (v === undefined ? "-" : formatDuration(v));
    const row = (cells: string[]) => `  ${cells[0]!.padEnd(17)}${cells.slice(1).map((c, i) => c.padStart([6, 14, 9, 12, 9, 15, 12][i]!)).join("")}`;
    lines.push(row(["fault kind", "count", "recovery p50", "max", "round p50", "max", "not recovered", "violations"]));
    for (const k of report.kinds) {
      const cells = [k.kind, String(k.count), ms(k.recoveryP50Ms), ms(k.recoveryMaxMs), ms(k.roundRecoveryP50Ms), ms(k.roundRecoveryMaxMs), String(k.notRecovered), String(k.violations)];
      lines.push(row(cells) + (k.healthyWithTunnelDown ? `   (${k.healthyWithTunnelDown}× listed healthy with its tunnel down: the known defect of §3.5, not a violation)` : ""));
    }
    lines.push("  recovery: from a fault's heal (a restart: its return) until the invariants about what it touched held; round: from the round's last heal until all of them held");
  }
  for (const v of report.violations) lines.push(`  violation: round ${v.round} ${v.invariant}${v.faults.length ? ` after ${v.faults.join(" + ")}` : ""}`);
  lines.push(`  replay: ${report.replay}`);
  return lines;
}
