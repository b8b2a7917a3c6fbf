// A check's panel in the HTML report, shown when its row is opened: the message, the known defect,
// what was seen, the faults it injected, its waits, observations and log with times since the check
// started, its metrics, and the evidence (artifacts folder, container logs at the time of failure).
import type { CheckResult, FaultWindow } from "../runner/results.js";
import { describe, truncate } from "../util/describe.js";
import { at, formatDuration } from "./format.js";
import { faultTitle, sinceRun, type Axis } from "./html-timeline.js";
import { html, type Markup } from "./html-template.js";

const MAX_SEEN = 8_000;
const MAX_VALUE = 2_000;

export function checkDetail(result: CheckResult, axis: Axis, faults: FaultWindow[], repeat: number): Markup {
  const start = Date.parse(result.startedAt);
  const lent = result.lent && Object.keys(result.lent).length > 0 ? html`; lent ${Object.entries(result.lent).map(([pool, member]) => `${member} (${pool})`).join(", ")}` : "";
  return html`<div class="detail">
<p class="meta">${result.title}: started ${sinceRun(axis, start)} (${result.startedAt}), took ${formatDuration(result.durationMs)}${lent}${result.failureKind ? `; failure kind: ${result.failureKind}` : ""}</p>
${result.message ? html`<pre class="message o-border-${result.outcome}">${result.message}</pre>` : ""}
${result.knownDefect ? html`<p class="defect">Known defect since ${result.knownDefect.since}: ${result.knownDefect.summary} (${result.knownDefect.ref})</p>` : ""}
${result.seen !== undefined ? section("seen", html`<pre>${seenText(result.seen)}</pre>`) : ""}
${faults.length > 0 ? section("faults it injected", html`<ul class="lines">${faults.map((f) => html`<li>${faultTitle(f, axis, repeat)}</li>`)}</ul>`) : ""}
${(result.waits ?? []).length > 0 ? section("waits", html`<ul class="lines">${result.waits!.map((w) => html`<li class="w-${w.outcome}"><span class="t">${at(w.startMs)}</span> ${w.what}: <b>${w.outcome}</b> after ${formatDuration(w.endMs - w.startMs)}</li>`)}</ul>`) : ""}
${result.observations.length > 0 ? section("observations", html`<ul class="lines observations">${result.observations.map((o) => html`<li class="${o.verified === true ? "ok" : o.verified === false ? "bad" : "plain"}"><span class="t">${at(o.atMs)}</span> <span class="mark">${o.verified === true ? "✔" : o.verified === false ? "✘" : "·"}</span> ${o.label}${o.value === undefined ? "" : html`: <code>${describe(o.value, MAX_VALUE)}</code>`}</li>`)}</ul>`) : ""}
${result.log.length > 0 ? section("log", html`<ul class="lines">${result.log.map((l) => html`<li><span class="t">${at(l.atMs)}</span> ${l.message}</li>`)}</ul>`) : ""}
${result.metrics.length > 0 ? section("metrics", html`<ul class="lines">${result.metrics.map((m) => html`<li>${m.name} = ${m.value} ${m.unit}</li>`)}</ul>`) : ""}
${result.evidence?.dir ? section("evidence", html`<p>in the artifacts folder: <code>${result.evidence.dir}</code></p>`) : ""}
${result.evidence?.logExcerpt ? html`<details class="excerpt"><summary>container logs at the time of failure</summary><pre>${result.evidence.logExcerpt}</pre></details>` : ""}
${result.stack ? html`<details class="excerpt"><summary>stack</summary><pre>${result.stack}</pre></details>` : ""}
</div>`;
}

function section(title: string, body: Markup): Markup {
  return html`<h4>${title}</h4>${body}`;
}

function seenText(seen: unknown): string {
  if (typeof seen === "string") return truncate(seen, MAX_SEEN);
  try {
    return truncate(JSON.stringify(seen, null, 2) ?? String(seen), MAX_SEEN);
  } catch {
    return describe(seen, MAX_SEEN);
  }
}
