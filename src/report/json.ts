// The JSON report: the run summary as data, secrets masked, written atomically. report@2 is report@1
// plus what the HTML timeline needs: each check's waits, the deployment's milestones and injected
// faults (`timeline`), and every container's state and log tail at the end (`containers`). Read back
// by `coral-e2e report`, which accepts both versions.
import type { Reporter } from "../runner/reporter.js";
import { countOutcomes, type CheckResult, type Outcome, type RunSummary } from "../runner/results.js";
import { writeFileAtomic } from "./atomic-write.js";
import { maskDeep, maskSecrets } from "./secrets.js";

export const JSON_REPORT_FORMAT = "coral-e2e/report@2";
/** Formats `parseJsonReport` reads: this one, and report@1 (no waits, timeline or containers). */
export const READABLE_FORMATS = [JSON_REPORT_FORMAT, "coral-e2e/report@1"];

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

/** A saved report that cannot be read back; the message is one line naming what is wrong. */
export class ReportFormatError extends Error {
  override name = "ReportFormatError";
}

const OUTCOMES: Outcome[] = ["passed", "failed", "skipped", "known-defect", "fixed"];

/**
 * A saved JSON report back as a RunSummary. Checks the format and the fields every reporter relies on
 * (run id, times, each result's id, outcome and times); lists a report@1 lacks are filled in empty.
 */
export function parseJsonReport(text: string): RunSummary {
  let data: unknown;
  try {
    data = JSON.parse(text);
  } catch (error) {
    throw new ReportFormatError(`not JSON (${(error instanceof Error ? error.message : String(error)).replace(/\s+/g, " ")})`);
  }
  if (!isObject(data)) throw new ReportFormatError("not a coral-e2e report (expected a JSON object)");
  const { format, ...rest } = data;
  if (typeof format !== "string" || !READABLE_FORMATS.includes(format)) {
    const seen = format === undefined ? "no format field" : `format ${JSON.stringify(format)}`;
    throw new ReportFormatError(`not a coral-e2e report this version reads: ${seen} (expected ${READABLE_FORMATS.join(" or ")})`);
  }
  const runId = field(rest, "runId", "string", "the report");
  const startedAt = field(rest, "startedAt", "string", "the report");
  field(rest, "durationMs", "number", "the report");
  if (Number.isNaN(Date.parse(startedAt))) throw new ReportFormatError(`run ${runId}: startedAt is not a time: ${startedAt}`);
  if (!Array.isArray(rest.results)) throw new ReportFormatError(`run ${runId}: "results" is not a list`);
  const results = rest.results.map((result, index) => checkResult(result, index));
  return {
    status: "failed",
    repeat: 1,
    properties: {},
    flakiness: [],
    ...(rest as Partial<RunSummary>),
    runId,
    startedAt,
    results,
    counts: isObject(rest.counts) ? (rest.counts as unknown as RunSummary["counts"]) : countOutcomes(results),
  } as RunSummary;
}

function checkResult(value: unknown, index: number): CheckResult {
  const where = `results[${index}]`;
  if (!isObject(value)) throw new ReportFormatError(`${where} is not an object`);
  const id = field(value, "id", "string", where);
  const outcome = field(value, "outcome", "string", id);
  if (!OUTCOMES.includes(outcome as Outcome)) throw new ReportFormatError(`${id}: unknown outcome ${JSON.stringify(outcome)}`);
  const startedAt = field(value, "startedAt", "string", id);
  if (Number.isNaN(Date.parse(startedAt))) throw new ReportFormatError(`${id}: startedAt is not a time: ${startedAt}`);
  field(value, "durationMs", "number", id);
  const result = value as unknown as CheckResult;
  return {
    ...result,
    title: result.title ?? id,
    module: result.module ?? id.split("/")[0]!,
    classname: result.classname ?? result.module ?? id,
    repetition: result.repetition ?? 1,
    log: result.log ?? [],
    observations: result.observations ?? [],
    metrics: result.metrics ?? [],
  };
}

function field<T extends "string" | "number">(object: Record<string, unknown>, name: string, type: T, owner: string): T extends "string" ? string : number {
  const value = object[name];
  if (typeof value !== type) throw new ReportFormatError(`${owner}: "${name}" is ${value === undefined ? "missing" : `not a ${type}`}`);
  return value as T extends "string" ? string : number;
}

function isObject(value: unknown): value is Record<string, unknown> {
  return value !== null && typeof value === "object" && !Array.isArray(value);
}
