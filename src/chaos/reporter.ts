// Adds the chaos summary to a run's reports: the terminal gets the table per fault kind before the
// run's own summary; JSON gets it as `chaos` (rounds, what was seen, recoveries, violations); JUnit
// and JSON get flat `chaos.*` properties. Every other event passes through unchanged.
import type { Reporter } from "../runner/reporter.js";
import type { CheckInfo, CheckResult, RunStartInfo, RunSummary } from "../runner/results.js";
import { type ChaosHistory, type ChaosReport, chaosProperties, chaosReport, chaosSummaryLines } from "./history.js";

export type ChaosRunSummary = RunSummary & { chaos: ChaosReport };

export class ChaosReporter implements Reporter {
  readonly name = "chaos";

  constructor(
    private readonly inner: Reporter,
    private readonly history: ChaosHistory,
    private readonly print: (lines: string[]) => void,
  ) {}

  onRunStart(info: RunStartInfo) {
    return this.inner.onRunStart?.(info);
  }

  onProgress(message: string) {
    this.inner.onProgress?.(message);
  }

  onCheckStart(check: CheckInfo, repetition: number, lent?: Record<string, string>) {
    this.inner.onCheckStart?.(check, repetition, lent);
  }

  onCheckFinish(result: CheckResult) {
    this.inner.onCheckFinish?.(result);
  }

  onCheckEnd(result: CheckResult) {
    return this.inner.onCheckEnd?.(result);
  }

  async onRunEnd(summary: RunSummary): Promise<void> {
    let enriched: RunSummary = summary;
    try {
      const chaos = chaosReport(this.history, summary.results);
      this.print(["", ...chaosSummaryLines(chaos)]);
      enriched = { ...summary, properties: { ...summary.properties, ...chaosProperties(chaos) }, chaos } as ChaosRunSummary;
    } finally {
      // The run's own reports are written whatever happened to the chaos summary.
      await this.inner.onRunEnd?.(enriched);
    }
  }
}
