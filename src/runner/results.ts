// What a run produces, in the shape every reporter reads: one CheckResult per check and repetition
// (plus a synthetic "setup" result when a deployment fails), and one RunSummary at the end.
import type { KnownDefect, Layer, Phase, Requirements } from "./check.js";

/**
 * passed / failed / skipped as usual; `known-defect`: the check failed where Coral is known to break
 * its promise (does not fail the run); `fixed`: such a check passed, so the defect is gone.
 */
export type Outcome = "passed" | "failed" | "skipped" | "known-defect" | "fixed";

/**
 * Why a check failed: an assertion did not hold, its deadline passed, it asserted nothing, it threw
 * something other than a CheckFailure (`error`), the whole run timed out, the deployment failed
 * (`setup`), or a known defect no longer reproduces under --strict-defects (`fixed-defect`).
 */
export type FailureKind = "assertion" | "deadline" | "no-assertion" | "error" | "run-timeout" | "setup" | "fixed-defect";

/** A check as the plan and the reports describe it, without its code. */
export interface CheckInfo {
  id: string;
  title: string;
  module: string;
  phase: Phase;
  layer?: Layer;
  /** JUnit classname: `<phase>.<module>`, `observability.L<layer>.<module>`. */
  classname: string;
  needs: string[];
  requires?: Requirements;
  timeoutMs: number;
  knownDefect?: KnownDefect;
}

export interface LogEntry {
  atMs: number; // since the check started
  message: string;
}

export interface Observation {
  atMs: number;
  label: string; // the claim for verified observations, the label for plain ones
  value?: unknown; // JSON-safe
  /** true: a verified claim; false: a claim that did not hold; undefined: evidence without verdict. */
  verified?: boolean;
}

export interface Metric {
  name: string;
  value: number;
  unit: string;
}

/** A wait inside a check (t.waitFor): what it waited for, from when to when (ms since the check started), how it ended. */
export interface WaitSpan {
  what: string;
  startMs: number;
  endMs: number;
  outcome: "met" | "timed-out" | "aborted";
}

/**
 * Something the run did to the deployment, as a window on the run's time axis: a fault from its
 * injection to its heal (stop/start, pause/unpause, a dropped port, a cut network, an outage), or an
 * instant action (restart, recreate, a fake registration) with endedAt = startedAt.
 */
export interface FaultWindow {
  kind: string; // "stop", "pause", "restart", "recreate", "disconnect", "drop-udp", "drop-tcp", "cut-underlay", "fake-register", …
  target: string; // the part acted on: "colony", "discovery", "agent-2"
  checkId?: string; // the check that did it; absent when the runner did (setup, a fault-matrix row)
  repetition: number;
  startedAt: string; // ISO
  endedAt?: string; // ISO; absent when still in force when the run ended
  detail?: string; // e.g. the iptables rule
}

/** A moment of the deployment's life: "discovery healthy", "colony registered", "agents listed". */
export interface Milestone {
  name: string;
  repetition: number;
  at: string; // ISO
}

/** A container of the run as it was at the end of a repetition (or when its setup failed). */
export interface ContainerSnapshot {
  name: string;
  role: string; // "colony", "agent-0", "discovery", …
  state: string; // "running", "exited (1)", "paused", …
  repetition: number;
  logTail: string; // the last lines of its log, ANSI stripped
}

export interface Timeline {
  milestones: Milestone[];
  faults: FaultWindow[];
}

export interface CheckResult {
  id: string;
  title: string;
  module: string;
  phase?: Phase; // absent for the synthetic setup result
  layer?: Layer;
  classname: string;
  repetition: number; // 1-based
  outcome: Outcome;
  failureKind?: FailureKind;
  /** Failure message, skip reason, or the known-defect / fixed notice. */
  message?: string;
  /** What the check saw when it failed (JSON-safe). */
  seen?: unknown;
  stack?: string; // for `error` failures, shown with --debug
  knownDefect?: KnownDefect;
  startedAt: string; // ISO
  durationMs: number;
  /** Pool members the engine lent the check ({ agent: "agent-2" }). */
  lent?: Record<string, string>;
  log: LogEntry[];
  observations: Observation[];
  metrics: Metric[];
  waits?: WaitSpan[];
  evidence?: {
    dir?: string; // relative to the run's artifacts folder
    logExcerpt?: string; // tail of every container's log at the time of failure
  };
}

export interface OutcomeCounts {
  total: number;
  passed: number;
  failed: number;
  skipped: number;
  knownDefect: number;
  fixed: number;
}

/** Per check over --repeat N: flaky when it both succeeded and failed. */
export interface Flakiness {
  id: string;
  runs: number;
  succeeded: number; // passed or fixed
  failed: number; // failed or known-defect
  skipped: number;
  flaky: boolean;
}

export type RunStatus = "passed" | "failed" | "environment-error" | "interrupted";

export interface RunStartInfo {
  runId: string;
  startedAt: string;
  repeat: number;
  checks: CheckInfo[];
  artifactsDir?: string;
}

export interface RunSummary {
  runId: string;
  status: RunStatus;
  /** Why the run stopped early, when it did: "interrupted (SIGINT)", "run timeout of 10m reached", … */
  stopReason?: string;
  startedAt: string;
  durationMs: number;
  repeat: number;
  /** From the environment (images, Coral version, agents) plus the run's own. Never secrets. */
  properties: Record<string, string>;
  results: CheckResult[];
  counts: OutcomeCounts;
  flakiness: Flakiness[];
  artifactsDir?: string;
  /** Milestones of each deployment and the faults the run injected, for the timeline. */
  timeline?: Timeline;
  /** Every container's state and log tail at the end of each repetition (absent after an interrupt). */
  containers?: ContainerSnapshot[];
}

/** A result that makes the run fail. */
export function isFailing(result: Pick<CheckResult, "outcome">): boolean {
  return result.outcome === "failed";
}

export function countOutcomes(results: CheckResult[]): OutcomeCounts {
  const counts: OutcomeCounts = { total: results.length, passed: 0, failed: 0, skipped: 0, knownDefect: 0, fixed: 0 };
  for (const { outcome } of results) {
    if (outcome === "known-defect") counts.knownDefect++;
    else counts[outcome]++;
  }
  return counts;
}

export function flakinessOf(results: CheckResult[]): Flakiness[] {
  const byId = new Map<string, Flakiness>();
  for (const result of results) {
    if (result.id === SETUP_ID) continue;
    const entry = byId.get(result.id) ?? { id: result.id, runs: 0, succeeded: 0, failed: 0, skipped: 0, flaky: false };
    entry.runs++;
    if (result.outcome === "passed" || result.outcome === "fixed") entry.succeeded++;
    else if (result.outcome === "skipped") entry.skipped++;
    else entry.failed++;
    entry.flaky = entry.succeeded > 0 && entry.failed > 0;
    byId.set(result.id, entry);
  }
  return [...byId.values()];
}

/** Id, module and classname of the synthetic result recorded when a deployment fails. */
export const SETUP_ID = "setup";
