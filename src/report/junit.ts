// JUnit XML through junit-report-builder: a testsuite per check module (classname `<phase>.<module>`
// or `observability.L<layer>.<module>`), a testcase per check and repetition. Known defects are
// skipped testcases whose message starts with "known defect:" so CI stays green; `fixed` is a passed
// testcase marked FIXED. The builder's skipped() takes no message, so the reason is added to the
// built <skipped/> element (see skipWithReason). Secrets are masked; the file is replaced atomically.
import junitExport, { type Builder, type TestCase } from "junit-report-builder";
import type { Reporter } from "../runner/reporter.js";
import type { CheckResult, RunSummary } from "../runner/results.js";
import { writeFileAtomic } from "./atomic-write.js";
import { describe } from "../util/describe.js";
import { detailText, resultName } from "./format.js";
import { maskDeep, maskSecrets } from "./secrets.js";

// The package is CommonJS (module.exports = a builder) typed as `export default`: under NodeNext the
// default import is module.exports itself; accept either shape.
const junit = ((junitExport as unknown as { default?: Builder }).default ?? junitExport) as unknown as Builder;

export class JUnitReporter implements Reporter {
  readonly name = "junit";

  constructor(private readonly path: string) {}

  async onRunEnd(summary: RunSummary): Promise<void> {
    await writeFileAtomic(this.path, buildJUnitXml(summary));
  }
}

export function buildJUnitXml(unmasked: RunSummary): string {
  const summary = maskDeep(unmasked);
  const builder = junit.newBuilder().name("coral-e2e");
  for (const results of groupByClassname(summary.results)) {
    const first = results[0]!;
    const suite = builder
      .testSuite()
      .name(first.classname)
      .timestamp(first.startedAt)
      .time(seconds(span(results)));
    for (const [name, value] of Object.entries(suiteProperties(summary))) suite.property(name, value);
    for (const result of results) addTestCase(suite.testCase(), result, summary.repeat);
  }
  return maskSecrets(builder.build());
}

function suiteProperties(summary: RunSummary): Record<string, string> {
  return {
    "run.id": summary.runId,
    "run.status": summary.status,
    ...(summary.repeat > 1 ? { "run.repeat": String(summary.repeat) } : {}),
    ...(summary.stopReason ? { "run.stop-reason": summary.stopReason } : {}),
    ...summary.properties,
  };
}

/** A suite's wall time: its checks may have run at the same time. */
function span(results: CheckResult[]): number {
  const starts = results.map((r) => Date.parse(r.startedAt));
  return Math.max(...results.map((r, i) => starts[i]! + r.durationMs)) - Math.min(...starts);
}

function addTestCase(testCase: TestCase, result: CheckResult, repeat: number): void {
  testCase.className(result.classname).name(resultName(result, repeat)).time(seconds(result.durationMs));
  // Checks run at the same time: each keeps its own start, and the spare agent it was lent.
  testCase.property("started-at", result.startedAt);
  for (const [pool, member] of Object.entries(result.lent ?? {})) testCase.property(`lent.${pool}`, member);
  if (result.knownDefect && (result.outcome === "known-defect" || result.outcome === "fixed" || result.failureKind === "fixed-defect")) {
    testCase.property("known-defect.ref", result.knownDefect.ref);
    testCase.property("known-defect.since", result.knownDefect.since);
    testCase.property("known-defect.status", result.outcome === "known-defect" ? "reproduced" : "FIXED");
  }
  const message = result.message ?? result.outcome;
  switch (result.outcome) {
    case "failed":
      if (result.failureKind === "error") testCase.error(message, "error", cdata(result.stack ?? message));
      else testCase.failure(message, result.failureKind ?? "failure").stacktrace(cdata(evidenceText(result)));
      break;
    case "skipped":
    case "known-defect":
      skipWithReason(testCase, message);
      break;
    case "passed":
    case "fixed":
      break;
  }
  const notice = result.outcome === "fixed" ? `${message}\n` : "";
  const output = notice + detailText(result);
  if (output) testCase.standardOutput(cdata(output));
}

/** The failure element's body: what was seen, and where the evidence is. */
function evidenceText(result: CheckResult): string {
  const lines = [result.message ?? ""];
  if (result.seen !== undefined) lines.push(`seen: ${describe(result.seen, 8_000)}`);
  if (result.evidence?.dir) lines.push(`evidence: ${result.evidence.dir}`);
  return lines.join("\n");
}

type BuildParent = Parameters<TestCase["build"]>[0];

/** Marks the case skipped and puts the reason on the built <skipped> element as `message`. */
function skipWithReason(testCase: TestCase, reason: string): void {
  testCase.skipped();
  const build = testCase.build.bind(testCase);
  testCase.build = (parent: BuildParent) => {
    const element = build(parent);
    for (const child of element.children) {
      const node = child as unknown as { name?: string; att(name: string, value: string): unknown };
      if (node.name === "skipped") node.att("message", reason);
    }
    return element;
  };
}

function groupByClassname(results: CheckResult[]): CheckResult[][] {
  const groups = new Map<string, CheckResult[]>();
  for (const result of results) {
    const group = groups.get(result.classname) ?? [];
    group.push(result);
    groups.set(result.classname, group);
  }
  return [...groups.values()];
}

function seconds(ms: number): number {
  return Math.round(ms) / 1000;
}

/** xmlbuilder refuses "]]>" inside CDATA. */
function cdata(text: string): string {
  return text.replaceAll("]]>", "]] >");
}
