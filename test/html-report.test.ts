// The HTML report's builder and the report@2 JSON it is rendered from: self-contained, escaped,
// masked, one row per check at the right place on the axis; a saved report reads back (report@1 too)
// and a bad one is refused with one line. What a person sees in a browser: html-browser.test.ts.
import assert from "node:assert/strict";
import { createHash } from "node:crypto";
import { mkdtemp, readFile, readdir, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import { SCRIPT } from "../src/report/html-assets.js";
import { HtmlReporter, buildHtmlReport } from "../src/report/html.js";
import { JSON_REPORT_FORMAT, ReportFormatError, buildJsonReport, parseJsonReport } from "../src/report/json.js";
import { clearSecrets, registerSecret } from "../src/report/secrets.js";
import { JWT, PSK, REGISTERED_TOKEN, runScenario } from "./support/scenario.js";
import { HOSTILE, RUN_MS, timelineSummary } from "./support/timeline-summary.js";

let dir: string;
before(async () => {
  dir = await mkdtemp(join(tmpdir(), "coral-e2e-html-"));
  registerSecret(REGISTERED_TOKEN);
});
after(async () => {
  clearSecrets();
  await rm(dir, { recursive: true, force: true });
});

const count = (text: string, pattern: RegExp) => (text.match(new RegExp(pattern.source, "g")) ?? []).length;

describe("HTML report builder", () => {
  const page = () => buildHtmlReport(timelineSummary());

  it("is one self-contained document: inline style and script, nothing fetched, a policy that forbids the network", () => {
    const text = page();
    assert.match(text, /^<!doctype html>\n<html lang="en">/);
    assert.equal(count(text, /<script\b/), 1);
    assert.equal(count(text, /<style\b/), 1);
    assert.doesNotMatch(text, /\b(src|href)="(https?:)?\/\//, "no remote resource");
    assert.doesNotMatch(text, /<link\b/);
    const csp = /<meta http-equiv="Content-Security-Policy" content="([^"]+)">/.exec(text)?.[1]?.replaceAll("&#39;", "'");
    assert.ok(csp, "a Content-Security-Policy");
    assert.match(csp, /default-src 'none'/);
    const hash = createHash("sha256").update(SCRIPT).digest("base64");
    assert.ok(csp.includes(`'sha256-${hash}'`), "the policy allows exactly the page's own script");
    assert.ok(text.includes(`<script>${SCRIPT}</script>`));
  });

  it("escapes what checks and containers wrote: a </script>, tags and quotes stay text", () => {
    const summary = timelineSummary();
    summary.results[2]!.message = `broken ${HOSTILE}`;
    summary.results[0]!.title = `say "hi" & <bye>`;
    summary.properties["image.agent"] = `"><script>x()</script>`;
    const text = buildHtmlReport(summary);
    assert.equal(count(text, /<script\b/), 1, "only the page's own script");
    assert.equal(count(text, /<\/script>/), 1);
    assert.equal(count(text, /<img\b/), 0);
    assert.doesNotMatch(text, /<b>bold<\/b>/);
    assert.ok(text.includes("broken &lt;/script&gt;&lt;script&gt;window.__pwned = 1&lt;/script&gt;&lt;img src=x onerror=&quot;window.__pwned = 2&quot;&gt;"));
    assert.ok(text.includes(`title="say &quot;hi&quot; &amp; &lt;bye&gt;"`));
    assert.ok(text.includes("<code>&quot;&gt;&lt;script&gt;x()&lt;/script&gt;</code>"));
  });

  it("masks secrets in logs, observations, messages and container logs", () => {
    const summary = timelineSummary();
    summary.results[2]!.message = `register refused for ${REGISTERED_TOKEN}`;
    const text = buildHtmlReport(summary);
    for (const secret of [PSK, JWT, REGISTERED_TOKEN]) assert.ok(!text.includes(secret), `the page leaks ${secret}`);
    assert.match(text, /registering with \*\*\*/);
    assert.match(text, /bootstrap psk \*\*\*/);
    assert.match(text, /register refused for \*\*\*/);
  });

  it("draws a row per check, in declared order, coloured by outcome, at its place on the run's axis", () => {
    const summary = timelineSummary();
    const text = page();
    const rows = [...text.matchAll(/<details class="check" id="([^"]+)" data-outcome="([^"]+)">/g)].map((m) => [m[1], m[2]]);
    assert.deepEqual(rows, summary.results.map((r) => [`check-${r.id.replace("/", "-")}`, r.outcome]));
    // discovery/register starts 3.5 s into a 150 s run and lasts 2.1 s.
    assert.equal(RUN_MS, 150_000);
    assert.match(text, /<span class="bar o-failed" style="left:2.333%;width:1.4%" title="discovery\/register: FAIL from \+3.50s for 2.10s">/);
    // Its one wait starts 0.1 s into the check's 2.1 s.
    assert.match(text, /<span class="wait w-timed-out" style="left:4.762%;width:92.857%" title="waiting for 3 agents listed healthy: timed-out after 1.95s">/);
  });

  it("shades every fault once across the rows, lists faults and milestones as rows, and links a fault to its check", () => {
    const text = page();
    assert.equal(count(text, /<span class="shade" /), 4);
    assert.match(text, /<span class="shade" data-fault="1" style="left:14%;width:20.667%">/, "stop spare-0 from 21 s to 52 s");
    assert.match(text, /<span class="shade" data-fault="3" style="left:64%;width:36%">/, "a fault still in force runs to the end");
    assert.match(text, /<span class="name">stop spare-0<\/span> <span class="by"><a href="#check-heartbeat-stopped-agent-degraded">heartbeat\/stopped-agent-degraded<\/a>/);
    assert.match(text, /title="drop-udp agent-2 from \+1m36s, still in force when the run ended by defects\/tunnel-loss-visible: iptables/);
    assert.equal(count(text, /<div class="row milestone-row">/), 3);
    assert.match(text, /<span class="name">colony registered<\/span> <span class="dur">\+1.80s<\/span>/);
  });

  it("puts observations with times since the check started, the failure, evidence and the faults a check injected in its panel", () => {
    const text = page();
    const register = text.slice(text.indexOf('id="check-discovery-register"'), text.indexOf('id="check-discovery-unknown-mesh"'));
    assert.match(register, /<pre class="message o-border-failed">expected every agent listed healthy; saw: 2 of 3<\/pre>/);
    assert.match(register, /<li class="bad"><span class="t">\+2.05s<\/span> <span class="mark">✘<\/span> every agent listed healthy: <code>2<\/code><\/li>/);
    assert.match(register, /&quot;hostname&quot;: &quot;agent-0&quot;/, "what was seen, as JSON");
    assert.match(register, /<code>failures\/discovery\/register<\/code>/);
    assert.match(register, /colony: agent-2 register refused/);
    const tunnel = text.slice(text.indexOf('id="check-defects-tunnel-loss-visible"'), text.indexOf('id="check-defects-public-endpoint-url"'));
    assert.match(tunnel, /<li>drop-udp agent-2 from \+1m36s, still in force/);
    assert.match(tunnel, /Known defect since v0.3.0: an agent whose tunnel is down is reported healthy \(connectivity.md §3.5, §6.7\)/);
  });

  it("lists the known defects with their contract sections, the containers at the end and the run's properties", () => {
    const text = page();
    assert.match(text, /<td class="o-text-known-defect">reproduced<\/td><td>an agent whose tunnel is down is reported healthy<\/td><td>connectivity.md §3.5, §6.7<\/td>/);
    assert.match(text, /<td class="o-text-fixed">FIXED: no longer reproduces<\/td>/);
    assert.match(text, /<b>spare-0<\/b> <code>coral-e2e-abc123-spare-0<\/code> <span class="state st-bad">exited \(137\)<\/span>/);
    for (const [name, value] of [["run id", "20260101-100000-abc123"], ["coral.version", "v0.3.0"], ["image.colony", "coral-e2e/reference-colony:v0.3.0"]]) {
      assert.ok(text.includes(`<tr><th scope="row">${name}</th><td><code>${value}</code></td></tr>`), name);
    }
  });

  it("renders a summary without timeline, waits or containers (report@1, a failed setup)", () => {
    const summary = timelineSummary();
    delete summary.timeline;
    delete summary.containers;
    for (const r of summary.results) delete r.waits;
    const text = buildHtmlReport(summary);
    assert.equal(count(text, /<details class="check" /), summary.results.length);
    assert.equal(count(text, /class="shade"/), 0);
    assert.match(text, /No container snapshot in this report/);
  });

  it("is written atomically by its reporter", async () => {
    const path = join(dir, "reporter", "report.html");
    await new HtmlReporter(path).onRunEnd(timelineSummary());
    assert.deepEqual(await readdir(join(dir, "reporter")), ["report.html"]);
    assert.equal(await readFile(path, "utf8"), page());
  });
});

describe("JSON report@2", () => {
  it("carries the waits, the timeline and the containers at the end, and reads back as the same summary", async () => {
    const summary = await runScenario();
    assert.deepEqual(
      summary.containers?.map((c) => [c.role, c.state, c.logTail]),
      [
        ["colony", "running", "colony line 1\ncolony line 2"],
        ["agent-0", "exited (1)", "agent boot\nagent crashed"],
      ],
    );
    const text = buildJsonReport(timelineSummary());
    const report = JSON.parse(text);
    assert.equal(report.format, JSON_REPORT_FORMAT);
    assert.equal(JSON_REPORT_FORMAT, "coral-e2e/report@2");
    assert.equal(report.timeline.faults.length, 4);
    assert.equal(report.results[2].waits[0].outcome, "timed-out");
    assert.equal(report.containers.length, 3);
    const back = parseJsonReport(text);
    assert.deepEqual(back, JSON.parse(JSON.stringify({ ...report, format: undefined })));
    assert.equal(buildHtmlReport(back), buildHtmlReport(timelineSummary()), "the page from the saved report is the run's page");
  });

  it("reads a report@1 (no waits, timeline or containers)", () => {
    const old = JSON.parse(buildJsonReport(timelineSummary()));
    old.format = "coral-e2e/report@1";
    delete old.timeline;
    delete old.containers;
    for (const r of old.results) delete r.waits;
    const summary = parseJsonReport(JSON.stringify(old));
    assert.equal(summary.results.length, 10);
    assert.equal(summary.timeline, undefined);
  });

  it("refuses what is not a report it knows, naming why in one line", () => {
    const good = JSON.parse(buildJsonReport(timelineSummary())) as Record<string, unknown> & { results: Array<Record<string, unknown>> };
    const cases: Array<[string, RegExp]> = [
      ["{ nope", /^not JSON \(/],
      ["[]", /^not a coral-e2e report \(expected a JSON object\)$/],
      [JSON.stringify({ ...good, format: "coral-e2e/report@9" }), /^not a coral-e2e report this version reads: format "coral-e2e\/report@9" \(expected coral-e2e\/report@2 or coral-e2e\/report@1\)$/],
      [JSON.stringify({ runId: "x" }), /no format field/],
      [JSON.stringify({ ...good, results: "all good" }), /"results" is not a list$/],
      [JSON.stringify({ ...good, startedAt: 5 }), /^the report: "startedAt" is not a string$/],
      [JSON.stringify({ ...good, results: [{ ...good.results[0], outcome: "great" }] }), /^discovery\/health: unknown outcome "great"$/],
      [JSON.stringify({ ...good, results: [{ ...good.results[0], startedAt: "yesterday" }] }), /^discovery\/health: startedAt is not a time: yesterday$/],
    ];
    for (const [text, pattern] of cases) {
      assert.throws(() => parseJsonReport(text), (error: Error) => {
        assert.ok(error instanceof ReportFormatError);
        assert.match(error.message, pattern);
        assert.doesNotMatch(error.message, /\n/);
        return true;
      });
    }
  });
});
