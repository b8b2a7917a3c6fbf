// Text shared by the reporters: durations, outcome labels, and the detail block (log, observations,
// metrics, evidence) that the terminal shows for a failure and JUnit puts in system-out.
import { describe } from "../util/describe.js";
import type { CheckResult, Outcome, OutcomeCounts } from "../runner/results.js";

/** 0.42s, 12.3s, 2m05s */
export function formatDuration(ms: number): string {
  if (ms < 60_000) return `${(ms / 1000).toFixed(ms < 10_000 ? 2 : 1)}s`;
  const minutes = Math.floor(ms / 60_000);
  const seconds = Math.round((ms % 60_000) / 1000);
  return `${minutes}m${String(seconds).padStart(2, "0")}s`;
}

export const OUTCOME_LABEL: Record<Outcome, string> = {
  passed: "PASS",
  failed: "FAIL",
  skipped: "SKIP",
  "known-defect": "KNOWN DEFECT",
  fixed: "FIXED",
};

export const OUTCOME_SYMBOL: Record<Outcome, string> = { passed: "✔", failed: "✘", skipped: "○", "known-defect": "◆", fixed: "★" };

export function formatCounts(counts: OutcomeCounts): string {
  return `${counts.passed} passed, ${counts.failed} failed, ${counts.skipped} skipped, ${counts.knownDefect} known-defect, ${counts.fixed} fixed`;
}

/** The check's name in reports: its id, with the repetition when the run repeats. */
export function resultName(result: Pick<CheckResult, "id" | "repetition">, repeat: number): string {
  return repeat > 1 ? `${result.id} [${result.repetition}/${repeat}]` : result.id;
}

/** "+1.23s": a moment since the check started. */
export function at(ms: number): string {
  return `+${(ms / 1000).toFixed(2)}s`;
}

export function formatObservationLines(result: CheckResult): string[] {
  return result.observations.map((o) => {
    const mark = o.verified === true ? "✔" : o.verified === false ? "✘" : "·";
    return `[${at(o.atMs)}] ${mark} ${o.label}${o.value === undefined ? "" : `: ${describe(o.value, 2_000)}`}`;
  });
}

/** Sections of a result's detail; empty sections are left out. */
export function detailSections(result: CheckResult, options: { excerpt?: boolean } = {}): Array<[title: string, lines: string[]]> {
  const sections: Array<[string, string[]]> = [];
  if (result.seen !== undefined) sections.push(["seen", [describe(result.seen, 4_000)]]);
  if (result.log.length > 0) sections.push(["log", result.log.map((l) => `[${at(l.atMs)}] ${l.message}`)]);
  if (result.observations.length > 0) sections.push(["observations", formatObservationLines(result)]);
  if (result.metrics.length > 0) sections.push(["metrics", result.metrics.map((m) => `${m.name} = ${m.value} ${m.unit}`)]);
  if (result.evidence?.dir) sections.push(["evidence", [result.evidence.dir]]);
  if (options.excerpt !== false && result.evidence?.logExcerpt) {
    sections.push(["container logs at the time of failure", result.evidence.logExcerpt.split("\n")]);
  }
  return sections;
}

export function detailText(result: CheckResult, options: { excerpt?: boolean } = {}): string {
  return detailSections(result, options)
    .map(([title, lines]) => `${title}:\n${lines.map((l) => `  ${l}`).join("\n")}`)
    .join("\n");
}
