// The events a run emits, in order: onRunStart, then per repetition onProgress (setup) and
// onCheckStart/onCheckEnd per check, then onRunEnd exactly once, on every exit path (setup failure,
// --timeout, interrupt). src/report implements them; the multiplexer there isolates failures.
import type { CheckInfo, CheckResult, RunStartInfo, RunSummary } from "./results.js";

export interface Reporter {
  readonly name: string;
  onRunStart?(info: RunStartInfo): void | Promise<void>;
  /** Setup and teardown progress ("starting colony…"): spinner text on a TTY, plain lines otherwise. */
  onProgress?(message: string): void;
  onCheckStart?(check: CheckInfo, repetition: number): void;
  onCheckEnd?(result: CheckResult): void | Promise<void>;
  onRunEnd?(summary: RunSummary): void | Promise<void>;
}
