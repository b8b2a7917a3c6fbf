// The CheckContext a check runs with, and the recorder behind it: every log line, observation and
// metric lands in the recorder, which the engine turns into the check's result. Verified
// observations are counted, so the engine can refuse a check that asserted nothing.
import { CheckFailure, CheckSkipped, type CheckContext, type WaitOptions } from "./check.js";
import { describe, toJsonSafe } from "../util/describe.js";
import { formatSeconds } from "./errors.js";
import type { LogEntry, Metric, Observation, WaitSpan } from "./results.js";
import { TimeoutError, pause, withTimeout } from "../util/time.js";

export const DEFAULT_POLL_INTERVAL_MS = 250;

export class CheckRecorder {
  readonly log: LogEntry[] = [];
  readonly observations: Observation[] = [];
  readonly metrics: Metric[] = [];
  readonly waits: WaitSpan[] = [];
  verifiedCount = 0;
  /** The wait in progress, so a deadline message can say what the check was waiting for. */
  currentWait?: { what: string; last?: string };

  constructor(private readonly startedAt: number = Date.now()) {}

  private at(): number {
    return Date.now() - this.startedAt;
  }

  addLog(message: string): void {
    this.log.push({ atMs: this.at(), message });
  }

  addObservation(label: string, value: unknown, verified?: boolean): void {
    this.observations.push({ atMs: this.at(), label, value: toJsonSafe(value), verified });
    if (verified === true) this.verifiedCount++;
  }

  addMetric(name: string, value: number, unit: string): void {
    this.metrics.push({ name, value, unit });
  }

  /** Starts a wait; the returned function ends it with its outcome. */
  beginWait(what: string): (outcome: WaitSpan["outcome"]) => void {
    const span: WaitSpan = { what, startMs: this.at(), endMs: -1, outcome: "aborted" };
    this.waits.push(span);
    return (outcome) => {
      span.endMs = this.at();
      span.outcome = outcome;
    };
  }

  /** Waits still open when the check ended (it was stopped) end now, as aborted. */
  closeWaits(): void {
    for (const span of this.waits) if (span.endMs < 0) span.endMs = this.at();
  }

  /** " while waiting for X; last saw: Y" or the last observation, for deadline messages. */
  describeProgress(): string {
    if (this.currentWait) {
      return `while waiting for ${this.currentWait.what}; last saw: ${this.currentWait.last ?? "nothing yet (no probe answered)"}`;
    }
    const last = this.observations.at(-1);
    return last ? `after ${last.label}: ${describe(last.value)}` : "";
  }
}

export interface ContextOptions<Env> {
  env: Env;
  signal: AbortSignal;
  deadline: number; // epoch ms
  timeoutScale: number;
  recorder: CheckRecorder;
  /** Pool members lent to the check by the engine. */
  lent?: Record<string, string>;
}

export function createCheckContext<Env>(options: ContextOptions<Env>): CheckContext<Env> {
  const { env, signal, deadline, timeoutScale, recorder, lent = {} } = options;
  const scaled = (ms: number) => ms * timeoutScale;

  // What was seen travels with the failure (result.seen), not as another observation.
  const fail = (message: string, seen?: unknown): never => {
    throw new CheckFailure(message, toJsonSafe(seen));
  };

  return {
    env,
    signal,
    deadline,
    scaled,
    log: (message) => recorder.addLog(message),
    observe: (label, value) => recorder.addObservation(label, value),
    metric: (name, value, unit) => recorder.addMetric(name, value, unit),
    fail,
    verify(condition, claim, seen) {
      if (condition) {
        recorder.addObservation(claim, seen, true);
        return;
      }
      recorder.addObservation(claim, seen, false);
      fail(seen === undefined ? `expected ${claim}` : `expected ${claim}; saw: ${describe(seen)}`, seen);
    },
    waitFor: (what, probe, accept, waitOptions) =>
      waitFor({ what, probe, accept, options: waitOptions, signal, deadline, scaled, recorder, fail }),
    lent(pool) {
      const member = lent[pool];
      if (member === undefined) throw new Error(`no member of "${pool}" was lent to this check: declare "${pool}" in its touches`);
      return member;
    },
    skip(reason) {
      throw new CheckSkipped(reason);
    },
  };
}

interface WaitArgs<T> {
  what: string;
  probe: () => Promise<T>;
  accept: (value: T) => boolean;
  options?: WaitOptions;
  signal: AbortSignal;
  deadline: number;
  scaled: (ms: number) => number;
  recorder: CheckRecorder;
  fail: (message: string, seen?: unknown) => never;
}

/**
 * Polls until accepted. An explicit timeoutMs is scaled by --timeout-scale like the check's own
 * deadline, and never runs past it. Each probe is bounded by the time left, so a hung probe cannot
 * outlive the wait.
 */
async function waitFor<T>(args: WaitArgs<T>): Promise<T> {
  const { what, probe, accept, options, signal, deadline, scaled, recorder, fail } = args;
  const started = Date.now();
  const timeoutMs = options?.timeoutMs === undefined ? deadline - started : Math.min(scaled(options.timeoutMs), deadline - started);
  const until = started + Math.max(0, timeoutMs);
  const intervalMs = options?.intervalMs ?? DEFAULT_POLL_INTERVAL_MS;
  let last: { value: T } | { error: unknown } | undefined;
  let attempts = 0;
  const wait: { what: string; last?: string } = { what };
  recorder.currentWait = wait;
  const endWait = recorder.beginWait(what);
  try {
    for (;;) {
      signal.throwIfAborted();
      attempts++;
      try {
        const value = await withTimeout(probe(), Math.max(1, until - Date.now()), `probe for ${what}`, signal);
        last = { value };
        wait.last = describe(value);
        if (accept(value)) {
          endWait("met");
          recorder.addObservation(what, value, true);
          return value;
        }
      } catch (error) {
        if (signal.aborted || error instanceof CheckFailure) throw error;
        // A probe cut short by the wait's own deadline says nothing new: keep what was seen before.
        const cutByDeadline = error instanceof TimeoutError && Date.now() >= until - 10;
        if (!(cutByDeadline && last)) {
          last = { error };
          wait.last = describe(error);
        }
      }
      if (Date.now() + intervalMs > until) break;
      await pause(intervalMs, signal);
    }
  } finally {
    if (recorder.currentWait === wait) recorder.currentWait = undefined;
  }
  endWait("timed-out");
  const seen = last && "value" in last ? last.value : last?.error;
  return fail(
    `timed out after ${formatSeconds(Date.now() - started)} waiting for ${what} (${attempts} ${attempts === 1 ? "attempt" : "attempts"}); last saw: ${wait.last ?? "nothing"}`,
    seen,
  );
}
