// Records every event the engine emits, in order.
import type { Reporter } from "../../src/runner/reporter.js";
import type { CheckInfo, CheckResult, RunStartInfo, RunSummary } from "../../src/runner/results.js";

export class RecordingReporter implements Reporter {
  readonly name = "recording";
  readonly events: string[] = [];
  start?: RunStartInfo;
  results: CheckResult[] = [];
  summary?: RunSummary;

  onRunStart(info: RunStartInfo): void {
    this.start = info;
    this.events.push("runStart");
  }
  onProgress(message: string): void {
    this.events.push(`progress:${message}`);
  }
  onCheckStart(check: CheckInfo, repetition: number): void {
    this.events.push(`start:${check.id}#${repetition}`);
  }
  onCheckEnd(result: CheckResult): void {
    this.results.push(result);
    this.events.push(`end:${result.id}#${result.repetition}:${result.outcome}`);
  }
  onRunEnd(summary: RunSummary): void {
    this.summary = summary;
    this.events.push("runEnd");
  }
}
