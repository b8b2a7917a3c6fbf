// The JSON report: the run summary as data (same content as JUnit: results with messages, evidence,
// log, observations and metrics; counts, flakiness, properties), secrets masked, written atomically.
import type { Reporter } from "../runner/reporter.js";
import type { RunSummary } from "../runner/results.js";
import { writeFileAtomic } from "./atomic-write.js";
import { maskDeep, maskSecrets } from "./secrets.js";

export const JSON_REPORT_FORMAT = "coral-e2e/report@1";

export class JsonReporter implements Reporter {
  readonly name: string;

  constructor(
    private readonly path: string,
    name = "json",
  ) {
    this.name = name;
  }

  async onRunEnd(summary: RunSummary): Promise<void> {
    await writeFileAtomic(this.path, buildJsonReport(summary));
  }
}

export function buildJsonReport(summary: RunSummary): string {
  const report = { format: JSON_REPORT_FORMAT, ...maskDeep(summary) };
  return maskSecrets(`${JSON.stringify(report, null, 2)}\n`);
}
