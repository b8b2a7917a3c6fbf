// The HTML report's time axis: one row per check (grouped by module, each group and row a <details>
// that opens without JS), bars from start to end coloured by outcome with the check's waits inside,
// the deployment's milestones and the injected faults as rows of their own, and the faults as shaded
// windows drawn once across every row. Everything is positioned in percent of the run's span.
import type { CheckResult, FaultWindow, Milestone, Outcome, RunSummary } from "../runner/results.js";
import { OUTCOME_LABEL, OUTCOME_SYMBOL, formatDuration, resultName } from "./format.js";
import { checkDetail } from "./html-check.js";
import { html, type Markup } from "./html-template.js";

export interface Axis {
  startMs: number; // epoch ms of the run's start
  spanMs: number;
  stepMs: number; // between ticks
}

const TICK_STEPS_S = [1, 2, 5, 10, 15, 30, 60, 120, 300, 600, 900, 1800, 3600];
const MAX_TICKS = 12;

export function axisOf(summary: RunSummary): Axis {
  const startMs = Date.parse(summary.startedAt);
  let endMs = startMs + summary.durationMs;
  for (const r of summary.results) endMs = Math.max(endMs, Date.parse(r.startedAt) + r.durationMs);
  for (const f of summary.timeline?.faults ?? []) endMs = Math.max(endMs, Date.parse(f.endedAt ?? f.startedAt));
  for (const m of summary.timeline?.milestones ?? []) endMs = Math.max(endMs, Date.parse(m.at));
  const spanMs = Math.max(endMs - startMs, 1_000);
  const step = TICK_STEPS_S.map((s) => s * 1_000).find((s) => spanMs / s <= MAX_TICKS) ?? Math.ceil(spanMs / MAX_TICKS / 3_600_000) * 3_600_000;
  return { startMs, spanMs, stepMs: step };
}

/** Where an instant falls on the axis, in percent. */
function x(axis: Axis, epochMs: number): number {
  return round(Math.min(100, Math.max(0, ((epochMs - axis.startMs) / axis.spanMs) * 100)));
}

function spanStyle(axis: Axis, fromMs: number, toMs: number): string {
  const left = x(axis, fromMs);
  return `left:${left}%;width:${round(Math.max(0, x(axis, toMs) - left))}%`;
}

function round(n: number): number {
  return Math.round(n * 1000) / 1000;
}

/** 0s, 45s, 1m, 1m30s, 1h05m: tick labels and offsets since the run started. */
export function clock(ms: number): string {
  const s = Math.round(ms / 1000);
  if (s < 60) return `${s}s`;
  if (s < 3600) return `${Math.floor(s / 60)}m${s % 60 ? `${String(s % 60).padStart(2, "0")}s` : ""}`;
  return `${Math.floor(s / 3600)}h${String(Math.floor((s % 3600) / 60)).padStart(2, "0")}m`;
}

/** "+12.3s" since the run started, as the rows' labels and titles say it. */
export function sinceRun(axis: Axis, epochMs: number): string {
  return `+${formatDuration(Math.max(0, epochMs - axis.startMs))}`;
}

/** "known defect" for "known-defect": outcomes as a sentence says them. */
export function outcomeWords(outcome: Outcome): string {
  return outcome.replace("-", " ");
}

export function faultLabel(fault: FaultWindow): string {
  return `${fault.kind} ${fault.target}`;
}

function faultEnd(fault: FaultWindow, axis: Axis): number {
  return fault.endedAt ? Date.parse(fault.endedAt) : axis.startMs + axis.spanMs;
}

export function faultTitle(fault: FaultWindow, axis: Axis, repeat: number): string {
  const start = Date.parse(fault.startedAt);
  const when = !fault.endedAt
    ? `from ${sinceRun(axis, start)}, still in force when the run ended`
    : fault.endedAt === fault.startedAt
      ? `at ${sinceRun(axis, start)}`
      : `from ${sinceRun(axis, start)} to ${sinceRun(axis, faultEnd(fault, axis))} (${formatDuration(faultEnd(fault, axis) - start)})`;
  const by = fault.checkId ? ` by ${resultName({ id: fault.checkId, repetition: fault.repetition }, repeat)}` : " by the runner";
  return `${faultLabel(fault)} ${when}${by}${fault.detail ? `: ${fault.detail}` : ""}`;
}

/** The element id of a check's row, stable for links (#check-discovery-register). */
export function checkAnchors(results: CheckResult[], repeat: number): Map<CheckResult, string> {
  const used = new Set<string>();
  const anchors = new Map<CheckResult, string>();
  for (const result of results) {
    const base = `check-${resultName(result, repeat).replace(/[^A-Za-z0-9_-]+/g, "-").replace(/-+$/, "")}`;
    let anchor = base;
    for (let n = 2; used.has(anchor); n++) anchor = `${base}-${n}`;
    used.add(anchor);
    anchors.set(result, anchor);
  }
  return anchors;
}

export function timelineSection(summary: RunSummary, axis: Axis, anchors: Map<CheckResult, string>): Markup {
  const faults = summary.timeline?.faults ?? [];
  const milestones = summary.timeline?.milestones ?? [];
  const ticks: number[] = [];
  for (let t = 0; t <= axis.spanMs; t += axis.stepMs) ticks.push(t);
  return html`<section class="timeline" aria-labelledby="timeline-heading">
<h2 id="timeline-heading">Timeline</h2>
<p class="hint">One row per check, grouped by module, on the run's time axis; open a row for its observations, waits, log and evidence.</p>
${legend()}
<div class="tl">
<div class="row axis" aria-hidden="true"><span class="label">since the run started</span><span class="track" aria-hidden="true">${ticks.map(
    (t) => html`<span class="tick-label" style="left:${x(axis, axis.startMs + t)}%">${clock(t)}</span>`,
  )}</span></div>
<div class="tl-body">
<div class="overlay" aria-hidden="true">${ticks.map((t) => html`<span class="gridline" style="left:${x(axis, axis.startMs + t)}%"></span>`)}${milestones.map(
    (m) => html`<span class="milestone-line" style="left:${x(axis, Date.parse(m.at))}%"></span>`,
  )}${faults.map((f, i) => html`<span class="shade" data-fault="${i}" style="${spanStyle(axis, Date.parse(f.startedAt), faultEnd(f, axis))}"></span>`)}</div>
${milestones.length > 0 ? milestoneGroup(milestones, axis, summary.repeat) : ""}
${faults.length > 0 ? faultGroup(faults, axis, summary, anchors) : ""}
${moduleGroups(summary, axis, anchors, faults)}
</div>
</div>
</section>`;
}

function legend(): Markup {
  const outcomes = (["passed", "failed", "skipped", "known-defect", "fixed"] as const).map(
    (o) => html`<li><span class="swatch o-${o}"></span>${outcomeWords(o)}</li>`,
  );
  return html`<ul class="legend" aria-label="legend">${outcomes}<li><span class="swatch wait-swatch"></span>waiting (t.waitFor)</li><li><span class="swatch shade-swatch"></span>fault injected</li><li><span class="swatch marker-swatch"></span>deployment milestone</li></ul>`;
}

function milestoneGroup(milestones: Milestone[], axis: Axis, repeat: number): Markup {
  const rows = milestones.map((m) => {
    const at = Date.parse(m.at);
    const name = repeat > 1 ? `${m.name} [${m.repetition}/${repeat}]` : m.name;
    return html`<div class="row milestone-row"><span class="label"><span class="name">${name}</span> <span class="dur">${sinceRun(axis, at)}</span></span><span class="track" aria-hidden="true"><span class="marker" style="left:${x(axis, at)}%" title="${name} at ${sinceRun(axis, at)}"></span></span></div>`;
  });
  return html`<details class="group deployment" open><summary class="row group-row"><span class="label">deployment: ${milestones.length} ${milestones.length === 1 ? "milestone" : "milestones"}</span><span class="track" aria-hidden="true"></span></summary>${rows}</details>`;
}

function faultGroup(faults: FaultWindow[], axis: Axis, summary: RunSummary, anchors: Map<CheckResult, string>): Markup {
  const anchorOf = (f: FaultWindow) => {
    const result = summary.results.find((r) => r.id === f.checkId && r.repetition === f.repetition);
    return result && anchors.get(result);
  };
  const rows = faults.map((f, i) => {
    const start = Date.parse(f.startedAt);
    const anchor = anchorOf(f);
    const by = f.checkId ? (anchor ? html`<a href="#${anchor}">${f.checkId}</a>` : f.checkId) : "runner";
    const title = faultTitle(f, axis, summary.repeat);
    return html`<div class="row fault-row" id="fault-${i}"><span class="label" title="${title}"><span class="name">${faultLabel(f)}</span> <span class="by">${by}</span></span><span class="track" aria-hidden="true"><span class="fault-bar${f.endedAt ? "" : " open-ended"}" style="${spanStyle(axis, start, faultEnd(f, axis))}" title="${title}"></span></span></div>`;
  });
  return html`<details class="group faults" open><summary class="row group-row"><span class="label">faults injected: ${faults.length}</span><span class="track" aria-hidden="true"></span></summary>${rows}</details>`;
}

function moduleGroups(summary: RunSummary, axis: Axis, anchors: Map<CheckResult, string>, faults: FaultWindow[]): Markup[] {
  const groups = new Map<string, CheckResult[]>();
  for (const result of summary.results) {
    const key = `${result.repetition}:${result.classname}`;
    groups.set(key, [...(groups.get(key) ?? []), result]);
  }
  return [...groups.values()].map((results) => {
    const first = results[0]!;
    const starts = results.map((r) => Date.parse(r.startedAt));
    const ends = results.map((r) => Date.parse(r.startedAt) + r.durationMs);
    const title = first.phase ? `${first.phase} · ${first.layer === undefined ? "" : `L${first.layer} · `}${first.module}` : first.module;
    const repetition = summary.repeat > 1 ? ` [${first.repetition}/${summary.repeat}]` : "";
    const counts = countsText(results);
    return html`<details class="module" open><summary class="row module-row"><span class="label"><span class="name">${title}${repetition}</span> <span class="dur">${counts}</span></span><span class="track" aria-hidden="true"><span class="envelope" style="${spanStyle(axis, Math.min(...starts), Math.max(...ends))}"></span></span></summary>${results.map(
      (r) => checkRow(r, axis, anchors.get(r)!, summary, faults),
    )}</details>`;
  });
}

function countsText(results: CheckResult[]): string {
  const by = new Map<string, number>();
  for (const r of results) by.set(r.outcome, (by.get(r.outcome) ?? 0) + 1);
  return [...by].map(([outcome, n]) => `${n} ${outcome}`).join(", ");
}

function checkRow(result: CheckResult, axis: Axis, anchor: string, summary: RunSummary, faults: FaultWindow[]): Markup {
  const start = Date.parse(result.startedAt);
  const name = resultName(result, summary.repeat);
  const barTitle = `${name}: ${OUTCOME_LABEL[result.outcome]} from ${sinceRun(axis, start)} for ${formatDuration(result.durationMs)}`;
  const waits = result.durationMs > 0 ? (result.waits ?? []) : [];
  const waitSpans = waits.map((w) => {
    const left = round((Math.max(0, w.startMs) / result.durationMs) * 100);
    const width = round(Math.max(0, Math.min(w.endMs, result.durationMs) - Math.max(0, w.startMs)) / result.durationMs * 100);
    const title = `waiting for ${w.what}: ${w.outcome} after ${formatDuration(w.endMs - w.startMs)}`;
    return html`<span class="wait w-${w.outcome}" style="left:${left}%;width:${width}%" title="${title}"></span>`;
  });
  const own = faults.filter((f) => f.checkId === result.id && f.repetition === result.repetition);
  return html`<details class="check" id="${anchor}" data-outcome="${result.outcome}"><summary class="row check-row"><span class="label" title="${result.title}"><span class="sym o-text-${result.outcome}" aria-hidden="true">${OUTCOME_SYMBOL[result.outcome]}</span> <span class="outcome o-text-${result.outcome}">${OUTCOME_LABEL[result.outcome]}</span> <span class="name">${name}</span> <span class="dur">${formatDuration(result.durationMs)}</span></span><span class="track" aria-hidden="true"><span class="bar o-${result.outcome}" style="${spanStyle(axis, start, start + result.durationMs)}" title="${barTitle}">${waitSpans}</span></span></summary>
${checkDetail(result, axis, own, summary.repeat)}
</details>`;
}
