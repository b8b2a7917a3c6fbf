// The HTML report: one self-contained page (inline CSS and script, a Content-Security-Policy that
// allows no network access) with the run's timeline (html-timeline.ts), the known defects with their
// contract sections, every container's state and log at the end, and the run's properties. Built from
// the RunSummary alone, so `coral-e2e report` renders a saved JSON report into the same page. Secrets
// are masked before anything is rendered; every text is escaped by the template (html-template.ts).
import type { Reporter } from "../runner/reporter.js";
import type { CheckResult, ContainerSnapshot, Outcome, RunSummary } from "../runner/results.js";
import { writeFileAtomic } from "./atomic-write.js";
import { formatCounts, formatDuration, resultName } from "./format.js";
import { CONTENT_SECURITY_POLICY, SCRIPT, STYLE } from "./html-assets.js";
import { html, trusted, type Markup } from "./html-template.js";
import { axisOf, checkAnchors, outcomeWords, timelineSection } from "./html-timeline.js";
import { maskDeep, maskSecrets } from "./secrets.js";

export class HtmlReporter implements Reporter {
  constructor(
    private readonly path: string,
    readonly name = "html",
  ) {}

  async onRunEnd(summary: RunSummary): Promise<void> {
    await writeFileAtomic(this.path, buildHtmlReport(summary));
  }
}

export function buildHtmlReport(unmasked: RunSummary): string {
  const summary = maskDeep(unmasked);
  const axis = axisOf(summary);
  const anchors = checkAnchors(summary.results, summary.repeat);
  const page = html`<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta http-equiv="Content-Security-Policy" content="${CONTENT_SECURITY_POLICY}">
<title>coral-e2e run ${summary.runId}: ${summary.status}</title>
<style>${trusted(STYLE)}</style>
</head>
<body>
${header(summary)}
<main>
${timelineSection(summary, axis, anchors)}
${knownDefectsSection(summary, anchors)}
${containersSection(summary)}
${runSection(summary)}
</main>
<script>${trusted(SCRIPT)}</script>
</body>
</html>
`;
  return maskSecrets(page.text);
}

const OUTCOMES: Outcome[] = ["passed", "failed", "skipped", "known-defect", "fixed"];
const COUNT_KEY: Record<Outcome, keyof RunSummary["counts"]> = { passed: "passed", failed: "failed", skipped: "skipped", "known-defect": "knownDefect", fixed: "fixed" };

function header(summary: RunSummary): Markup {
  const chips = OUTCOMES.map((o) => {
    const n = summary.counts[COUNT_KEY[o]];
    return html`<button type="button" class="chip" data-outcome="${o}" aria-pressed="false" disabled><span class="swatch o-${o}"></span>${n} ${outcomeWords(o)}</button>`;
  });
  return html`<header>
<h1>coral-e2e run <code>${summary.runId}</code> <span class="status s-${summary.status}">${summary.status.toUpperCase()}</span></h1>
<p class="verdict">${formatCounts(summary.counts)} in ${formatDuration(summary.durationMs)}; started <time datetime="${summary.startedAt}">${summary.startedAt}</time>${summary.stopReason ? html`; <b>stopped: ${summary.stopReason}</b>` : ""}</p>
<div class="chips" aria-label="outcomes">${chips}</div>
<div class="tools"><button type="button" data-expand="all" hidden>open every check</button><button type="button" data-expand="none" hidden>close every check</button></div>
<nav><a href="#timeline-heading">Timeline</a> · <a href="#defects-heading">Known defects</a> · <a href="#containers-heading">Containers</a> · <a href="#run-heading">Run</a></nav>
</header>`;
}

function knownDefectsSection(summary: RunSummary, anchors: Map<CheckResult, string>): Markup {
  const rows = summary.results
    .filter((r) => r.knownDefect)
    .map((r) => {
      const d = r.knownDefect!;
      return html`<tr><td><a href="#${anchors.get(r)}">${resultName(r, summary.repeat)}</a></td><td class="o-text-${r.outcome}">${defectStatus(r)}</td><td>${d.summary}</td><td>${d.ref}</td><td>${d.since}</td></tr>`;
    });
  return html`<section aria-labelledby="defects-heading"><h2 id="defects-heading">Known defects</h2>
${rows.length === 0 ? html`<p class="hint">No check of this run states a known defect of Coral.</p>` : html`<table><thead><tr><th>check</th><th>this run</th><th>the promise Coral breaks</th><th>contract section</th><th>since</th></tr></thead><tbody>${rows}</tbody></table>`}
</section>`;
}

function defectStatus(result: CheckResult): string {
  if (result.outcome === "known-defect") return "reproduced";
  if (result.outcome === "fixed") return "FIXED: no longer reproduces";
  if (result.failureKind === "fixed-defect") return "FIXED: failed under --strict-defects";
  if (result.outcome === "skipped") return "not run";
  return `${outcomeWords(result.outcome)} (not judged as a known defect)`;
}

function containersSection(summary: RunSummary): Markup {
  const containers = summary.containers ?? [];
  const body =
    containers.length === 0
      ? html`<p class="hint">No container snapshot in this report (the run was interrupted before the end, setup never started a container, or the report predates coral-e2e/report@2).</p>`
      : containers.map((c) => containerItem(c, summary.repeat));
  return html`<section aria-labelledby="containers-heading"><h2 id="containers-heading">Containers at the end</h2>
<p class="hint">State and the last lines of each container's log; the full logs are in the artifacts folder${summary.artifactsDir ? html` <code>${summary.artifactsDir}</code>` : ""}.</p>
${body}
</section>`;
}

function containerItem(container: ContainerSnapshot, repeat: number): Markup {
  const state = container.state.startsWith("running")
    ? "st-running"
    : container.state.startsWith("paused")
      ? "st-paused"
      : /^exited \(0\)/.test(container.state)
        ? ""
        : "st-bad";
  const repetition = repeat > 1 ? ` [${container.repetition}/${repeat}]` : "";
  return html`<details class="container"><summary><b>${container.role}</b>${repetition} <code>${container.name}</code> <span class="state ${state}">${container.state}</span></summary><pre>${container.logTail || "(no output)"}</pre></details>`;
}

function runSection(summary: RunSummary): Markup {
  const rows: Array<[string, string]> = [
    ["run id", summary.runId],
    ["status", summary.status],
    ...(summary.stopReason ? [["stopped", summary.stopReason] as [string, string]] : []),
    ["started", summary.startedAt],
    ["duration", formatDuration(summary.durationMs)],
    ...(summary.repeat > 1 ? [["repetitions", String(summary.repeat)] as [string, string]] : []),
    ...(summary.artifactsDir ? [["artifacts", summary.artifactsDir] as [string, string]] : []),
    ...Object.entries(summary.properties).sort(([a], [b]) => a.localeCompare(b)),
  ];
  const flaky = summary.flakiness.filter((f) => f.flaky);
  return html`<section aria-labelledby="run-heading"><h2 id="run-heading">Run</h2>
<table class="props"><tbody>${rows.map(([name, value]) => html`<tr><th scope="row">${name}</th><td><code>${value}</code></td></tr>`)}</tbody></table>
${flaky.length > 0 ? html`<h3>Flaky checks</h3><ul>${flaky.map((f) => html`<li>${f.id}: ${f.succeeded} passed, ${f.failed} failed of ${f.runs}</li>`)}</ul>` : ""}
</section>`;
}
