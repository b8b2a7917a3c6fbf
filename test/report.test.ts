import assert from "node:assert/strict";
import { mkdtemp, readFile, readdir, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { PassThrough } from "node:stream";
import { after, before, describe, it } from "node:test";
import { XMLParser, XMLValidator } from "fast-xml-parser";
import { Chalk } from "chalk";
import { ArtifactStore } from "../src/report/artifacts.js";
import { colourLevel } from "../src/report/colour.js";
import { JsonReporter, buildJsonReport } from "../src/report/json.js";
import { JUnitReporter, buildJUnitXml } from "../src/report/junit.js";
import { ReporterMultiplexer } from "../src/report/multiplexer.js";
import { clearSecrets, maskSecrets, registerSecret } from "../src/report/secrets.js";
import { TerminalReporter } from "../src/report/terminal.js";
import type { RunSummary } from "../src/runner/results.js";
import { JWT, PSK, REGISTERED_TOKEN, runScenario } from "./support/scenario.js";

let dir: string;
before(async () => {
  dir = await mkdtemp(join(tmpdir(), "coral-e2e-report-"));
  registerSecret(REGISTERED_TOKEN);
});
after(async () => {
  clearSecrets();
  await rm(dir, { recursive: true, force: true });
});

const parser = new XMLParser({
  ignoreAttributes: false,
  attributeNamePrefix: "",
  parseAttributeValue: false,
  isArray: (name) => ["testsuite", "testcase", "property"].includes(name),
});

interface XmlCase {
  name: string;
  classname: string;
  time: string;
  failure?: { message: string; type: string; "#text"?: string };
  error?: { message: string; type: string; "#text"?: string };
  skipped?: { message: string } | string;
  "system-out"?: string;
  properties?: { property: Array<{ name: string; value: string }> };
}
interface XmlSuite {
  name: string;
  tests: string;
  failures: string;
  errors: string;
  skipped: string;
  properties: { property: Array<{ name: string; value: string }> };
  testcase: XmlCase[];
}

function parseJUnit(xml: string): { testsuites: { testsuite: XmlSuite[]; tests: string; failures: string; skipped: string } } {
  assert.equal(XMLValidator.validate(xml), true);
  return parser.parse(xml);
}

describe("JUnit report", () => {
  let summary: RunSummary;
  let suites: XmlSuite[];
  const cases = () => new Map(suites.flatMap((s) => s.testcase).map((c) => [c.name, c]));

  before(async () => {
    const path = join(dir, "out", "junit.xml");
    summary = await runScenario([new JUnitReporter(path)]);
    const xml = await readFile(path, "utf8");
    suites = parseJUnit(xml).testsuites.testsuite;
  });

  it("has a suite per module with counts, and a case per check with classname and time", () => {
    assert.deepEqual(
      suites.map((s) => [s.name, s.tests, s.failures, s.errors, s.skipped]),
      [
        ["connectivity.discovery", "3", "1", "0", "1"],
        ["connectivity.wireguard", "3", "0", "1", "1"],
        ["observability.L0.beyla", "1", "0", "0", "1"],
      ],
    );
    const health = cases().get("discovery/health")!;
    assert.equal(health.classname, "connectivity.discovery");
    assert.match(health.time, /^\d+(\.\d+)?$/);
    assert.equal(cases().get("beyla/red")!.classname, "observability.L0.beyla");
  });

  it("writes failures and errors with their message, kind and evidence", () => {
    const register = cases().get("discovery/register")!;
    assert.equal(register.failure?.message, "expected agents are 3; saw: 2");
    assert.equal(register.failure?.type, "assertion");
    assert.match(register.failure?.["#text"] ?? "", /seen: 2/);
    assert.match(register["system-out"]!, /--- agent-0 \(coral-e2e-abc123-agent-0, exited \(1\)\) ---/);
    const thrown = cases().get("wireguard/throws")!;
    assert.equal(thrown.error?.message, "RangeError: boom <&> ]]> end");
  });

  it("puts the skip reason on <skipped message=…>", () => {
    assert.deepEqual(cases().get("discovery/ttl")!.skipped, { message: "needs discovery/register, which failed" });
    assert.deepEqual(cases().get("beyla/red")!.skipped, { message: "requires ebpf: ebpf not available on this machine" });
  });

  it("reports a known defect as skipped with a `known defect:` message, and a fixed one as passed marked FIXED", () => {
    const defect = cases().get("wireguard/tunnel-loss")!;
    assert.ok(typeof defect.skipped === "object");
    assert.match(defect.skipped.message, /^known defect: tunnel loss is invisible \(connectivity\.md §6\.7, since v0\.3\.0\): expected agents are 3; saw: 2$/);
    assert.equal(defect.failure, undefined);
    const fixed = cases().get("wireguard/audit-age")!;
    assert.equal(fixed.failure, undefined);
    assert.equal(fixed.skipped, undefined);
    assert.match(fixed["system-out"]!, /^FIXED: known defect no longer reproduces: audit age is the Unix time/);
    assert.deepEqual(
      fixed.properties!.property.find((p) => p.name === "known-defect.status"),
      { name: "known-defect.status", value: "FIXED" },
    );
  });

  it("carries run id, status, images and Coral version as suite properties", () => {
    const properties = Object.fromEntries(suites[0]!.properties.property.map((p) => [p.name, p.value]));
    assert.equal(properties["run.id"], "20260101-000000-abc123");
    assert.equal(properties["run.status"], "failed");
    assert.equal(properties["coral.version"], "v0.3.0");
    assert.equal(properties["image.colony"], "coral-e2e/colony:ref");
  });

  it("puts the check's log and observations in system-out, with secrets masked", () => {
    const out = cases().get("discovery/health")!["system-out"]!;
    assert.match(out, /log:\n {2}\[\+\d\.\d\ds\] using bootstrap \*\*\* and token \*\*\*/);
    assert.match(out, /observations:\n {2}\[\+\d\.\d\ds\] ✔ discovery answers \/health: \{"status":"ok","jwt":"\*\*\*"\}/);
    const xml = buildJUnitXml(summary);
    for (const secret of [PSK, JWT, REGISTERED_TOKEN]) assert.ok(!xml.includes(secret), `JUnit leaks ${secret}`);
  });

  it("records a failed setup as a testcase", async () => {
    const setupFailed: RunSummary = {
      ...summary,
      status: "environment-error",
      results: [
        {
          ...summary.results[0]!,
          id: "setup",
          module: "setup",
          classname: "setup",
          outcome: "failed",
          failureKind: "setup",
          message: "deployment failed: no Docker",
          log: [],
          observations: [],
        },
      ],
    };
    const parsed = parseJUnit(buildJUnitXml(setupFailed));
    const [suite] = parsed.testsuites.testsuite;
    assert.equal(suite!.name, "setup");
    assert.deepEqual(suite!.testcase[0]!.failure?.message, "deployment failed: no Docker");
    assert.equal(suite!.testcase[0]!.failure?.type, "setup");
  });
});

describe("JSON report", () => {
  it("holds the same content, masked, and is written atomically", async () => {
    const path = join(dir, "json", "report.json");
    const summary = await runScenario([new JsonReporter(path)]);
    const text = await readFile(path, "utf8");
    for (const secret of [PSK, JWT, REGISTERED_TOKEN]) assert.ok(!text.includes(secret), `JSON leaks ${secret}`);
    const report = JSON.parse(text);
    assert.equal(report.format, "coral-e2e/report@2");
    assert.equal(report.runId, summary.runId);
    assert.deepEqual(report.counts, { total: 7, passed: 1, failed: 2, skipped: 2, knownDefect: 1, fixed: 1 });
    const byId = new Map<string, { outcome: string; message?: string; seen?: unknown }>(report.results.map((r: { id: string }) => [r.id, r]));
    assert.equal(byId.get("discovery/ttl")!.message, "needs discovery/register, which failed");
    assert.equal(byId.get("wireguard/tunnel-loss")!.outcome, "known-defect");
    assert.equal(byId.get("wireguard/tunnel-loss")!.seen, 2);
    assert.equal(report.properties["coral.version"], "v0.3.0");
    assert.deepEqual(await readdir(join(dir, "json")), ["report.json"]);
    assert.equal(buildJsonReport(summary), text);
  });
});

describe("secret masking", () => {
  it("masks registered values, Coral PSKs and JWTs, and ignores trivial values", () => {
    registerSecret("");
    registerSecret("ab");
    const text = `psk ${PSK} jwt ${JWT} token ${REGISTERED_TOKEN} ab`;
    assert.equal(maskSecrets(text), "psk *** jwt *** token *** ab");
  });
});

describe("artifacts", () => {
  it("keeps failure evidence per check and the end-of-run bundle, masked", async () => {
    const store = new ArtifactStore(join(dir, "artifacts"), "20260101-000000-abc123");
    const summary = await runScenario([], store);
    const register = summary.results.find((r) => r.id === "discovery/register")!;
    assert.equal(register.evidence?.dir, join("failures", "discovery", "register"));
    const failureDir = join(store.dir, "failures", "discovery", "register");
    assert.deepEqual((await readdir(failureDir)).sort(), ["agent-0.log", "check.json", "colony.log", "containers.json"]);
    assert.match(await readFile(join(failureDir, "agent-0.log"), "utf8"), /agent crashed/);
    const checkJson = JSON.parse(await readFile(join(failureDir, "check.json"), "utf8"));
    assert.equal(checkJson.message, "expected agents are 3; saw: 2");
    assert.deepEqual((await readdir(join(store.dir, "logs"))).sort(), ["agent-0.log", "colony.log", "containers.json"]);
    // No container snapshot for a known defect: it is expected, not a failure to investigate.
    assert.equal(summary.results.find((r) => r.id === "wireguard/tunnel-loss")!.evidence, undefined);
  });
});

describe("terminal report", () => {
  function capture(level: 0 | 1) {
    const out = new PassThrough();
    const err = new PassThrough();
    const chunks = { out: "", err: "" };
    out.on("data", (c) => (chunks.out += c));
    err.on("data", (c) => (chunks.err += c));
    const reporter = new TerminalReporter({ out, err, chalk: new Chalk({ level }), interactive: false });
    return { reporter, chunks };
  }

  it("prints one line per check grouped by module, failure details, and a summary of every outcome", async () => {
    const { reporter, chunks } = capture(0);
    await runScenario([reporter]);
    const out = chunks.out;
    assert.doesNotMatch(out, /\u001b\[/, "no ANSI codes at level 0");
    assert.match(out, /^connectivity · discovery$/m);
    assert.match(out, /^observability · L0 · beyla$/m);
    assert.match(out, /^ {2}✔ PASS {9}discovery\/health +\d+\.\d\ds$/m);
    assert.match(out, /^ {2}✘ FAIL {9}discovery\/register .*\n {6}expected agents are 3; saw: 2$/m);
    assert.match(out, /^ {2}○ SKIP {9}discovery\/ttl +\d+\.\d\ds {2}needs discovery\/register, which failed$/m);
    assert.match(out, /^ {2}◆ KNOWN DEFECT wireguard\/tunnel-loss/m);
    assert.match(out, /^ {2}★ FIXED {8}wireguard\/audit-age/m);
    assert.match(out, /^ {2}passed +1$/m);
    assert.match(out, /^ {2}known-defect +1$/m);
    assert.match(out, /^ {2}fixed +1$/m);
    assert.match(out, /^FAILED: 1 passed, 2 failed, 2 skipped, 1 known-defect, 1 fixed in /m);
    assert.ok(!out.includes(REGISTERED_TOKEN) && !out.includes(PSK));
    assert.match(chunks.err, /^· setting up the deployment$/m, "progress goes to stderr as plain lines");
  });

  it("colours when the level allows it", async () => {
    const { reporter, chunks } = capture(1);
    await runScenario([reporter]);
    assert.match(chunks.out, /\u001b\[32m/);
  });

  it("decides colour: --no-color, then FORCE_COLOR, then NO_COLOR, then the terminal", () => {
    assert.equal(colourLevel({ noColorFlag: true, env: { FORCE_COLOR: "3" }, isTTY: true }), 0);
    assert.equal(colourLevel({ env: { FORCE_COLOR: "2", NO_COLOR: "1" }, isTTY: false }), 2);
    assert.equal(colourLevel({ env: { FORCE_COLOR: "0" }, isTTY: true }), 0);
    assert.equal(colourLevel({ env: { NO_COLOR: "1" }, isTTY: true }), 0);
    assert.ok(colourLevel({ env: { NO_COLOR: "" }, isTTY: true }) > 0, "an empty NO_COLOR does not count");
    assert.equal(colourLevel({ env: {}, isTTY: false }), 0);
    assert.equal(colourLevel({ env: { TERM: "dumb" }, isTTY: true }), 0);
  });
});

describe("reporter multiplexer", () => {
  it("isolates a failing reporter", async () => {
    const errors: string[] = [];
    const path = join(dir, "mux", "report.json");
    const broken = {
      name: "broken",
      onRunStart: () => {
        throw new Error("disk full");
      },
      onRunEnd: async () => {
        throw new Error("still full");
      },
    };
    const mux = new ReporterMultiplexer([broken, new JsonReporter(path)], (name, event, error) => errors.push(`${name}.${event}: ${(error as Error).message}`));
    await runScenario([mux]);
    assert.deepEqual(errors, ["broken.onRunStart: disk full", "broken.onRunEnd: still full"]);
    assert.ok(JSON.parse(await readFile(path, "utf8")).results.length > 0);
  });
});
