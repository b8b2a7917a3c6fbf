// The events a run emits: onRunStart, then per repetition onProgress (setup), onCheckStart as each
// check starts (several may run at once) and onCheckEnd per check in declared order, then onRunEnd
// exactly once, on every exit path (setup failure, --timeout, interrupt). src/report implements them; the multiplexer there isolates failures.
import type { CheckInfo, CheckResult, RunStartInfo, RunSummary } from "./results.js";

export interface Reporter {
  readonly name: string;
  onRunStart?(info: RunStartInfo): void | Promise<void>;
  /** Setup and teardown progress ("starting colony…"): spinner text on a TTY, plain lines otherwise. */
  onProgress?(message: string): void;
  /** A check starts (several may run at once); `lent` names the pool members it was given. */
  onCheckStart?(check: CheckInfo, repetition: number, lent?: Record<string, string>): void;
  /** A check's result is known (any order: for live displays); onCheckEnd follows in declared order. */
  onCheckFinish?(result: CheckResult): void;
  onCheckEnd?(result: CheckResult): void | Promise<void>;
  onRunEnd?(summary: RunSummary): void | Promise<void>;
}
