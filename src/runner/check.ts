// The contract between check modules (checks/) and the engine (src/runner). A check reads like the
// test case it implements: it waits for and verifies observations of the deployment it is given,
// and every verified observation is recorded, so a check that asserts nothing is refused.

export type Phase = "connectivity" | "observability";
export type Layer = 0 | 1 | 2 | 3;

/** A promise Coral breaks in a known version: a failure of the check is then reported, not fatal. */
export interface KnownDefect {
  since: string; // first Coral version seen with the defect, e.g. "v0.3.0"
  ref: string; // contract section, e.g. "connectivity.md §6.7"
  summary: string;
}

/** What a check needs from the environment; the engine skips it with a reason when missing. */
export interface Requirements {
  minAgents?: number;
  capabilities?: string[]; // names the environment understands, e.g. "tun", "ebpf"
}

/**
 * The parts of the deployment a check acts on, and how: observers of a part share it, a disturber
 * (it stops, pauses, restarts, cuts or drops traffic, registers fakes) has it to itself. Names are
 * the environment's (see PartsModel in src/runner/claims.ts): a component ("colony"), a group
 * ("agents": every member) or a pool ("agent": one member, lent by the engine, read with t.lent).
 * A check without a declaration runs alone. The environment records what each check really did,
 * and the engine fails a check that disturbed or used a part it did not declare.
 */
export interface Touches {
  observes?: string[];
  disturbs?: string[];
}

export interface CheckSpec<Env> {
  id: string; // "<module>/<name>", unique over all modules
  title: string;
  needs?: string[]; // ids of checks that must have passed (or reported a known defect) first
  touches?: Touches;
  /** Runs alone after every other check of the plan (the closing log scan). */
  final?: boolean;
  requires?: Requirements;
  timeoutMs: number; // deadline before --timeout-scale
  knownDefect?: KnownDefect;
  run(t: CheckContext<Env>): Promise<void>;
}

export interface CheckModule<Env> {
  name: string; // "discovery", "wireguard", …
  phase: Phase;
  layer?: Layer; // observability modules only
  checks: CheckSpec<Env>[];
}

export interface WaitOptions {
  timeoutMs?: number; // scaled by --timeout-scale and capped at the check's deadline; default: what is left of it
  intervalMs?: number; // default 250 ms
}

export interface CheckContext<Env> {
  readonly env: Env;
  /** Aborted at the check's deadline, on --timeout and on Ctrl-C. Pass it to every call. */
  readonly signal: AbortSignal;
  readonly deadline: number; // epoch ms
  /** Multiply a duration by --timeout-scale. */
  scaled(ms: number): number;
  /** A line for the check's log, shown only when it fails (or with --verbose). */
  log(message: string): void;
  /** Evidence without a verdict: kept in reports and artifacts. */
  observe(label: string, value: unknown): void;
  /** Records a verified observation, or fails the check naming the claim and what was seen. */
  verify(condition: boolean, claim: string, seen?: unknown): void;
  fail(message: string, seen?: unknown): never;
  /**
   * Polls `probe` until `accept` returns true; a probe error counts as an observation. On timeout
   * fails with "timed out after Ns waiting for <what>; last saw: …". The accepted value is recorded
   * as a verified observation and returned.
   */
  waitFor<T>(what: string, probe: () => Promise<T>, accept: (value: T) => boolean, options?: WaitOptions): Promise<T>;
  /** A measured figure (recovery time, latency) for the reports and the benchmark. */
  metric(name: string, value: number, unit: string): void;
  /** The member of a pool the engine lent this check (it declared the pool in `touches`). */
  lent(pool: string): string;
  /**
   * Ends the check as skipped: for a precondition the check cannot bring about itself and that a
   * verdict would misreport (say, an agent that has been restored from a checkpoint).
   */
  skip(reason: string): never;
}

/** Thrown by t.skip. */
export class CheckSkipped extends Error {
  constructor(readonly reason: string) {
    super(reason);
    this.name = "CheckSkipped";
  }
}

/** Thrown by verify/fail/waitFor; carries what was seen. */
export class CheckFailure extends Error {
  constructor(message: string, readonly seen?: unknown) {
    super(message);
    this.name = "CheckFailure";
  }
}
