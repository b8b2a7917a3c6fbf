// Fans run events out to every reporter. A reporter that throws is reported once per event on the
// error sink and never stops the others (a broken JUnit writer must not cost the JSON report).
import type { Reporter } from "../runner/reporter.js";
import type { CheckInfo, CheckResult, RunStartInfo, RunSummary } from "../runner/results.js";

export type ReporterErrorSink = (reporter: string, event: string, error: unknown) => void;

export class ReporterMultiplexer implements Reporter {
  readonly name = "multiplexer";

  constructor(
    private readonly reporters: Reporter[],
    private readonly onError: ReporterErrorSink = () => undefined,
  ) {}

  async onRunStart(info: RunStartInfo): Promise<void> {
    await this.each("onRunStart", (r) => r.onRunStart?.(info));
  }

  onProgress(message: string): void {
    this.eachSync("onProgress", (r) => r.onProgress?.(message));
  }

  onCheckStart(check: CheckInfo, repetition: number, lent?: Record<string, string>): void {
    this.eachSync("onCheckStart", (r) => r.onCheckStart?.(check, repetition, lent));
  }

  onCheckFinish(result: CheckResult): void {
    this.eachSync("onCheckFinish", (r) => r.onCheckFinish?.(result));
  }

  async onCheckEnd(result: CheckResult): Promise<void> {
    await this.each("onCheckEnd", (r) => r.onCheckEnd?.(result));
  }

  async onRunEnd(summary: RunSummary): Promise<void> {
    await this.each("onRunEnd", (r) => r.onRunEnd?.(summary));
  }

  private async each(event: string, call: (reporter: Reporter) => void | Promise<void>): Promise<void> {
    for (const reporter of this.reporters) {
      try {
        await call(reporter);
      } catch (error) {
        this.report(reporter, event, error);
      }
    }
  }

  private eachSync(event: string, call: (reporter: Reporter) => void): void {
    for (const reporter of this.reporters) {
      try {
        call(reporter);
      } catch (error) {
        this.report(reporter, event, error);
      }
    }
  }

  private report(reporter: Reporter, event: string, error: unknown): void {
    try {
      this.onError(reporter.name, event, error);
    } catch {
      // the error sink itself failed: nothing sensible is left to do
    }
  }
}
