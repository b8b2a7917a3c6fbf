// The HTML report in a real browser (Debian's Chromium, headless): a run with a failed, a skipped, a
// known-defect and a fixed check, concurrent checks and injected faults, looked at as a person would:
// the rows in order, the bars' colours by outcome, a fault's shaded window across the rows it
// overlaps, the milestones, a click on a row showing its observations, the outcome filter, hostile
// text shown as text, and no console error or network request. Skipped, with the reason, where no
// Chromium exists.
import assert from "node:assert/strict";
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { pathToFileURL } from "node:url";
import { after, before, test } from "node:test";
import type { Locator } from "playwright-core";
import { buildHtmlReport } from "../src/report/html.js";
import { clearSecrets, registerSecret } from "../src/report/secrets.js";
import { REGISTERED_TOKEN } from "./support/scenario.js";
import { browserMissing, openPage, type BrowserSession } from "./support/browser.js";
import { timelineSummary } from "./support/timeline-summary.js";

const missing = await browserMissing();

let dir: string;
let session: BrowserSession;
let url: string;
before(async () => {
  if (missing) return;
  registerSecret(REGISTERED_TOKEN);
  dir = await mkdtemp(join(tmpdir(), "coral-e2e-html-browser-"));
  const path = join(dir, "report.html");
  await writeFile(path, buildHtmlReport(timelineSummary()));
  url = pathToFileURL(path).href;
  session = await openPage(url);
});
after(async () => {
  clearSecrets();
  await session?.close();
  if (dir) await rm(dir, { recursive: true, force: true });
});

type Rgb = [number, number, number];

// The browser's own, inside evaluate() callbacks (the project compiles without the DOM library).
declare const getComputedStyle: (element: unknown) => Record<string, string>;

/** A computed style of the element, as the browser resolved it. */
async function computed(locator: Locator, property: string): Promise<string> {
  return locator.evaluate((el, name) => getComputedStyle(el)[name]!, property);
}

function rgb(css: string): Rgb {
  const match = /rgba?\((\d+), (\d+), (\d+)/.exec(css);
  assert.ok(match, `a colour: ${css}`);
  return [Number(match[1]), Number(match[2]), Number(match[3])];
}

/** The hue a person would name, for the terminal's colour meanings. */
function colourName([r, g, b]: Rgb): string {
  if (Math.max(r, g, b) - Math.min(r, g, b) < 24) return "grey";
  if (g > r && g > b) return "green";
  if (r > g + 60 && b > g + 60) return "magenta";
  if (r > 150 && g > 100 && b < g - 60) return r - g > 110 ? "red" : "yellow";
  if (r > g && r > b) return "red";
  return `other ${r},${g},${b}`;
}

test("the HTML report, seen in Chromium", { skip: missing }, async (t) => {
  const { page } = session;
  const started = Date.now();

  await t.test("shows one row per check in declared order, grouped by module", async () => {
    const names = await page.locator("details.check > summary .name").allTextContents();
    assert.deepEqual(names, timelineSummary().results.map((r) => r.id));
    const modules = await page.locator("details.module > summary .name").allTextContents();
    assert.deepEqual(modules, ["connectivity · discovery", "connectivity · heartbeat", "connectivity · defects", "connectivity · closing"]);
    for (const row of await page.locator("details.check > summary").all()) assert.ok(await row.isVisible());
  });

  await t.test("colours each bar by outcome, as the terminal does", async () => {
    const expected: Record<string, string> = { passed: "green", failed: "red", skipped: "grey", "known-defect": "yellow", fixed: "magenta" };
    for (const [outcome, colour] of Object.entries(expected)) {
      const bar = page.locator(`details.check[data-outcome="${outcome}"] .bar`).first();
      const box = await bar.boundingBox();
      assert.ok(box && box.width >= 2 && box.height >= 8, `the ${outcome} bar is visible`);
      const background = await computed(bar, "backgroundColor");
      assert.equal(colourName(rgb(background)), colour, `${outcome}: ${background}`);
    }
  });

  await t.test("shades a fault's window across the rows it overlaps, and shows overlapping checks side by side", async () => {
    const overlay = (await page.locator(".overlay").boundingBox())!;
    const shade = page.locator('.shade[data-fault="1"]'); // stop spare-0, +21 s to +52 s of 150 s
    const box = (await shade.boundingBox())!;
    assert.ok(Math.abs(box.x - (overlay.x + overlay.width * 0.14)) <= 2, `starts at 14 % (${box.x})`);
    assert.ok(Math.abs(box.width - overlay.width * 0.20667) <= 2, `lasts 20.7 % (${box.width})`);
    const image = await computed(shade, "backgroundImage");
    assert.match(image, /gradient/, "shaded");
    for (const id of ["heartbeat/advances", "heartbeat/colony-restart", "closing/no-panics"]) {
      const row = (await page.locator(`details.check > summary:has(.name:text-is("${id}"))`).boundingBox())!;
      assert.ok(box.y <= row.y && box.y + box.height >= row.y + row.height, `the window spans the ${id} row`);
    }
    assert.ok(await page.getByText("stop spare-0", { exact: true }).isVisible(), "the fault is named in its lane");
    await page.locator("#fault-1").hover();
    assert.match((await shade.getAttribute("class"))!, /\bhot\b/, "pointing at the fault's row highlights its window");
    const restart = (await page.locator("#check-heartbeat-colony-restart .bar").boundingBox())!;
    const stopped = (await page.locator("#check-heartbeat-stopped-agent-degraded .bar").boundingBox())!;
    assert.ok(restart.x < stopped.x + stopped.width && stopped.x < restart.x + restart.width, "the two concurrent checks overlap in time");
    assert.ok(restart.y !== stopped.y, "on rows of their own");
    assert.equal(await page.locator(".marker").count(), 3);
    assert.ok(await page.locator(".marker").first().isVisible(), "milestones are marked");
  });

  await t.test("clicking a row shows its observations with times since the check started", async () => {
    const observations = page.locator("#check-heartbeat-advances .observations");
    assert.equal(await observations.isVisible(), false, "closed until clicked");
    await page.locator("#check-heartbeat-advances > summary").click();
    assert.ok(await observations.isVisible());
    assert.deepEqual((await observations.locator("li").allInnerTexts()).map((s) => s.trim()), [
      '+5.10s ✔ last-seen of agent-0 advanced: "2026-01-01T10:00:11Z"',
      "+10.30s ✔ last-seen of agent-0 advanced again",
    ]);
  });

  await t.test("shows a failure's message and hostile text as text, masked", async () => {
    await page.locator("#check-discovery-register > summary").click();
    const detail = page.locator("#check-discovery-register .detail");
    assert.ok(await detail.getByText("expected every agent listed healthy; saw: 2 of 3").isVisible());
    const log = await detail.locator("li", { hasText: "markup" }).innerText();
    assert.match(log, /token \*\*\* and markup <\/script><script>window.__pwned = 1<\/script><img src=x onerror="window.__pwned = 2"><b>bold<\/b>/);
    assert.equal(await detail.locator("img, b:text-is('bold')").count(), 0);
    assert.equal(await page.evaluate("window.__pwned"), undefined);
  });

  await t.test("its script runs: the outcome chips filter the rows", async () => {
    await page.locator('button.chip[data-outcome="failed"]').click();
    const visible: string[] = [];
    for (const name of await page.locator("details.check > summary .name").all()) if (await name.isVisible()) visible.push(await name.innerText());
    assert.deepEqual(visible, ["discovery/register"]);
    await page.locator('button.chip[data-outcome="failed"]').click();
    assert.equal(await page.locator("details.check:not([hidden])").count(), timelineSummary().results.length);
  });

  await t.test("no console error, no dialog, nothing fetched", async () => {
    assert.deepEqual(session.problems, []);
    assert.deepEqual(session.requests, [url]);
  });

  t.diagnostic(`browser checks took ${Date.now() - started} ms`);
});
