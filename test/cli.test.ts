import assert from "node:assert/strict";
import { EventEmitter } from "node:events";
import { mkdtemp, readFile, readdir, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { PassThrough } from "node:stream";
import { after, before, describe, it } from "node:test";
import { XMLParser } from "fast-xml-parser";
import { runCli } from "../src/cli/main.js";
import type { CliDeps } from "../src/cli/deps.js";
import { BIN, ROOT, type Spawned, spawnCli as spawn } from "./support/spawn-cli.js";
import { FAKE_RUN_ID, FAKE_SECRET, fakeCliDeps } from "./support/fake-cli-deps.js";

const FAKE_CLI = join(ROOT, "test", "fixtures", "fake-cli.mjs");

let dir: string;
before(async () => {
  dir = await mkdtemp(join(tmpdir(), "coral-e2e-cli-"));
});
after(async () => {
  await rm(dir, { recursive: true, force: true });
});

/** Spawns `node script args` in the test's folder; `onStderr` may react to output (e.g. send a signal). */
function spawnCli(script: string, args: string[], env: Record<string, string> = {}, onStderr?: (text: string, kill: (s: NodeJS.Signals) => void) => void): Promise<Spawned> {
  return spawn(script, args, { cwd: dir, env, onStderr });
}

/** The check rows of an HTML report: [element id, outcome]. */
function pageRows(page: string): string[][] {
  return [...page.matchAll(/<details class="check" id="([^"]+)" data-outcome="([^"]+)">/g)].map((m) => [m[1]!, m[2]!]);
}

function assertOneLineError(result: Spawned, pattern: RegExp): void {
  const lines = result.stderr.trimEnd().split("\n");
  assert.equal(lines.length, 1, `one line on stderr, got:\n${result.stderr}`);
  assert.match(lines[0]!, pattern);
  assert.doesNotMatch(result.stderr, /\n\s+at /, "no stack trace");
}

describe("CLI usage errors (bin/coral-e2e.js, no Docker)", () => {
  const cases: Array<[string[], RegExp]> = [
    [["run", "--bogus"], /^error: unknown option '--bogus'$/],
    [["run", "--jsn", "x"], /^error: unknown option '--jsn' \(Did you mean --json\?\)$/],
    [["run", "--layer", "7"], /^error: option '--layer <n>' argument '7' is invalid\. a layer is 0, 1, 2 or 3$/],
    [["run", "--phase", "chaos"], /^error: option '--phase <phase>' argument 'chaos' is invalid\. Allowed choices are connectivity, observability, all\.$/],
    [["run", "--repeat", "0"], /--repeat <n>' argument '0' is invalid/],
    [["run", "--timeout", "soon"], /--timeout <duration>' argument 'soon' is invalid/],
    [["run", "--timeout-scale", "-1"], /--timeout-scale <x>' argument '-1' is invalid/],
    [["run", "--check", "discovery/nope"], /^error: --check discovery\/nope: unknown check id/],
    [["frobnicate"], /^error: unknown command 'frobnicate'$/],
  ];
  for (const [args, pattern] of cases) {
    it(`${args.join(" ")} → exit 2 with one line`, async () => {
      const result = await spawnCli(BIN, args);
      assert.equal(result.code, 2, result.stderr);
      assertOneLineError(result, pattern);
    });
  }

  it("--help and --version exit 0", async () => {
    const help = await spawnCli(BIN, ["run", "--help"]);
    assert.equal(help.code, 0);
    assert.match(help.stdout, /--strict-defects/);
    assert.match(help.stdout, /--no-known-defects/);
    const version = await spawnCli(BIN, ["--version"]);
    assert.equal(version.code, 0);
    assert.match(version.stdout, /^\d+\.\d+\.\d+/);
  });

  it("shows the stack of an unexpected error only with --debug", async () => {
    const plain = await spawnCli(FAKE_CLI, ["doctor"]);
    assert.equal(plain.code, 1);
    assertOneLineError(plain, /^error: doctor: the fake machine has no doctor$/);
    const debug = await spawnCli(FAKE_CLI, ["doctor", "--debug"]);
    assert.match(debug.stderr, /\n\s+at /);
  });
});

describe("CLI runs over a fake deployment", () => {
  it("exits 0 when all pass, writes JUnit, JSON, HTML and the artifacts, masks secrets", async () => {
    const junit = join(dir, "pass", "junit.xml");
    const json = join(dir, "pass", "report.json");
    const html = join(dir, "pass", "report.html");
    const result = await spawnCli(FAKE_CLI, ["run", "--junit", junit, "--json", json, "--html", html, "--artifacts", join(dir, "pass", "artifacts")]);
    assert.equal(result.code, 0, result.stderr);
    assert.match(result.stdout, /^PASSED: 4 passed, 0 failed/m);
    const parsed = new XMLParser({ ignoreAttributes: false, attributeNamePrefix: "" }).parse(await readFile(junit, "utf8"));
    assert.equal(parsed.testsuites.tests, "4");
    assert.equal(JSON.parse(await readFile(json, "utf8")).status, "passed");
    const page = await readFile(html, "utf8");
    assert.match(page, /^<!doctype html>/);
    assert.equal(pageRows(page).length, 4);
    assert.deepEqual((await readdir(join(dir, "pass", "artifacts", FAKE_RUN_ID))).sort(), ["junit.xml", "logs", "report.html", "report.json"]);
    assert.equal(await readFile(join(dir, "pass", "artifacts", FAKE_RUN_ID, "report.html"), "utf8"), page);
    for (const text of [result.stdout, await readFile(json, "utf8"), await readFile(junit, "utf8"), page]) assert.ok(!text.includes(FAKE_SECRET));
  });

  it("exits 1 when a check fails, and the page shows the failure", async () => {
    const html = join(dir, "fail", "report.html");
    const result = await spawnCli(FAKE_CLI, ["run", "--html", html, "--artifacts", join(dir, "fail")], { FAKE_SCENARIO: "fail" });
    assert.equal(result.code, 1);
    assert.match(result.stdout, /✘ FAIL +discovery\/register/);
    const page = await readFile(html, "utf8");
    assert.ok(pageRows(page).some(([id, outcome]) => id === "check-discovery-register" && outcome === "failed"));
    assert.match(page, /<span class="status s-failed">FAILED<\/span>/);
  });

  it("exits 3 with one error line when the environment cannot host the run, and still writes JUnit and HTML", async () => {
    const junit = join(dir, "env", "junit.xml");
    const html = join(dir, "env", "report.html");
    const result = await spawnCli(FAKE_CLI, ["run", "--junit", junit, "--html", html, "--artifacts", join(dir, "env")], { FAKE_SCENARIO: "env-error" });
    assert.equal(result.code, 3);
    assert.match(result.stderr, /^error: deployment failed: Docker is not reachable/m);
    const xml = await readFile(junit, "utf8");
    assert.match(xml, /<testcase classname="setup" name="setup"/);
    assert.match(xml, /<failure message="deployment failed: Docker is not reachable/);
    const page = await readFile(html, "utf8");
    assert.deepEqual(pageRows(page)[0], ["check-setup", "failed"]);
    assert.match(page, /deployment failed: Docker is not reachable/);
    assert.match(page, /<b>discovery<\/b> <code>coral-e2e-abc123-discovery<\/code> <span class="state st-bad">exited \(2\)<\/span>/, "the containers setup left");
  });

  it("on SIGINT stops the check, writes reports, tears down and exits 130", async () => {
    const junit = join(dir, "int", "junit.xml");
    const json = join(dir, "int", "report.json");
    const html = join(dir, "int", "report.html");
    const teardownFile = join(dir, "int-teardown.txt");
    let sent = false;
    const result = await spawnCli(FAKE_CLI, ["run", "--junit", junit, "--json", json, "--html", html, "--artifacts", join(dir, "int")], { FAKE_SCENARIO: "slow", FAKE_TEARDOWN_FILE: teardownFile }, (stderr, kill) => {
      if (!sent && stderr.includes("CHECK-RUNNING")) {
        sent = true;
        kill("SIGINT");
      }
    });
    assert.equal(result.code, 130, result.stderr);
    assert.equal(await readFile(teardownFile, "utf8"), "teardown keep=false\n");
    const report = JSON.parse(await readFile(json, "utf8"));
    assert.equal(report.status, "interrupted");
    const byId = new Map<string, { outcome: string; message: string }>(report.results.map((r: { id: string }) => [r.id, r]));
    assert.equal(byId.get("discovery/health")!.outcome, "passed");
    assert.match(byId.get("mesh/slow")!.message, /^interrupted \(SIGINT\) after /);
    assert.equal(byId.get("mesh/after")!.message, "not run: interrupted (SIGINT)");
    assert.match(await readFile(junit, "utf8"), /<skipped message="interrupted \(SIGINT\) after/);
    const page = await readFile(html, "utf8");
    assert.match(page, /<span class="status s-interrupted">INTERRUPTED<\/span>/);
    assert.match(page, /<b>stopped: interrupted \(SIGINT\)<\/b>/);
    assert.deepEqual(pageRows(page), [["check-discovery-health", "passed"], ["check-discovery-register", "passed"], ["check-mesh-slow", "skipped"], ["check-mesh-after", "skipped"]]);
  });

  it("on --timeout stops the run, writes every report (HTML too) and exits 1", async () => {
    const html = join(dir, "timeout", "report.html");
    const result = await spawnCli(FAKE_CLI, ["run", "--timeout", "1s", "--html", html, "--artifacts", join(dir, "timeout")], { FAKE_SCENARIO: "slow" });
    assert.equal(result.code, 1, result.stderr);
    const page = await readFile(html, "utf8");
    assert.match(page, /<b>stopped: run timeout of 1s reached<\/b>/);
    assert.ok(pageRows(page).some(([id, outcome]) => id === "check-mesh-slow" && outcome === "failed"));
  });

  it("exits at once on a second SIGINT while teardown hangs, reports already written", async () => {
    const json = join(dir, "int2", "report.json");
    let phase = 0;
    const result = await spawnCli(FAKE_CLI, ["run", "--json", json, "--artifacts", join(dir, "int2")], { FAKE_SCENARIO: "slow-teardown" }, (stderr, kill) => {
      if (phase === 0 && stderr.includes("CHECK-RUNNING")) {
        phase = 1;
        kill("SIGINT");
      } else if (phase === 1 && stderr.includes("TEARDOWN-STARTED")) {
        phase = 2;
        kill("SIGINT");
      }
    });
    assert.equal(result.code, 130, result.stderr);
    assert.match(result.stderr, /SIGINT again: exiting now/);
    assert.equal(JSON.parse(await readFile(json, "utf8")).status, "interrupted");
  });
});

describe("coral-e2e report: a saved JSON report rendered again", () => {
  let json: string;
  before(async () => {
    json = join(dir, "saved", "report.json");
    const run = await spawnCli(FAKE_CLI, ["run", "--json", json, "--artifacts", join(dir, "saved")], { FAKE_SCENARIO: "fail" });
    assert.equal(run.code, 1, run.stderr);
  });

  it("writes the page and JUnit the run itself wrote", async () => {
    const html = join(dir, "again", "report.html");
    const junit = join(dir, "again", "junit.xml");
    const result = await spawnCli(BIN, ["report", "--html", html, "--junit", junit, json]);
    assert.equal(result.code, 0, result.stderr);
    assert.match(result.stderr, new RegExp(`^wrote .*report.html \\(run ${FAKE_RUN_ID}, failed\\)$`, "m"));
    const artifacts = join(dir, "saved", FAKE_RUN_ID);
    assert.equal(await readFile(html, "utf8"), await readFile(join(artifacts, "report.html"), "utf8"));
    assert.equal(await readFile(junit, "utf8"), await readFile(join(artifacts, "junit.xml"), "utf8"));
  });

  it("reads a report@1", async () => {
    const old = JSON.parse(await readFile(json, "utf8"));
    old.format = "coral-e2e/report@1";
    delete old.timeline;
    delete old.containers;
    const path = join(dir, "old.json");
    await writeFile(path, JSON.stringify(old));
    const html = join(dir, "old.html");
    const result = await spawnCli(BIN, ["report", "--html", html, path]);
    assert.equal(result.code, 0, result.stderr);
    assert.equal(pageRows(await readFile(html, "utf8")).length, 4);
  });

  it("refuses a bad file or an unknown format with one line and exit 2, writing nothing", async () => {
    await writeFile(join(dir, "garbage.json"), "<html>not json\n at all");
    await writeFile(join(dir, "future.json"), JSON.stringify({ format: "coral-e2e/report@3", runId: "x" }));
    const cases: Array<[string[], RegExp]> = [
      [["report", "--html", "out.html", "missing.json"], /^error: cannot read missing\.json: no such file$/],
      [["report", "--html", "out.html", "garbage.json"], /^error: garbage\.json: not JSON \(/],
      [["report", "--html", "out.html", "future.json"], /^error: future\.json: not a coral-e2e report this version reads: format "coral-e2e\/report@3" \(expected coral-e2e\/report@2 or coral-e2e\/report@1\)$/],
      [["report", "garbage.json"], /^error: nothing to write: pass --html FILE and\/or --junit FILE$/],
      [["report", "--html", "out.html"], /^error: missing required argument 'report\.json'$/],
    ];
    for (const [args, pattern] of cases) {
      const result = await spawnCli(BIN, args);
      assert.equal(result.code, 2, `${args.join(" ")}: ${result.stderr}`);
      assertOneLineError(result, pattern);
    }
    await assert.rejects(readFile(join(dir, "out.html")), /ENOENT/);
  });
});

describe("CLI in-process", () => {
  function inProcess(extra: Partial<CliDeps> = {}) {
    const stdout = new PassThrough();
    const stderr = new PassThrough();
    const out = { stdout: "", stderr: "" };
    stdout.on("data", (c) => (out.stdout += c));
    stderr.on("data", (c) => (out.stderr += c));
    const deps: Partial<CliDeps> = { ...fakeCliDeps({}), stdout, stderr, env: { NO_COLOR: "1" }, signals: new EventEmitter(), ...extra };
    return { deps, out };
  }

  it("lists the checks in order, as a table and as JSON, narrowed by the selection flags", async () => {
    const table = inProcess();
    assert.equal(await runCli(["node", "coral-e2e", "list"], table.deps), 0);
    const lines = table.out.stdout.trimEnd().split("\n");
    assert.match(lines[0]!, /^ID +PHASE +LAYER +NEEDS +REQUIRES +KNOWN DEFECT$/);
    assert.deepEqual(lines.slice(1).map((l) => l.split(/\s+/)[0]), ["discovery/health", "discovery/register", "mesh/ping", "mesh/after"]);

    const json = inProcess();
    assert.equal(await runCli(["node", "coral-e2e", "list", "--json", "--check", "mesh/*", "--check", "!mesh/after"], json.deps), 0);
    const listed = JSON.parse(json.out.stdout);
    assert.deepEqual(listed.map((c: { id: string; classname: string }) => [c.id, c.classname]), [["mesh/ping", "connectivity.mesh"]]);
  });

  it("validates the selection before creating the provider", async () => {
    let created = false;
    const { deps, out } = inProcess({
      createProvider: () => {
        created = true;
        throw new Error("must not be reached");
      },
    });
    assert.equal(await runCli(["node", "coral-e2e", "run", "--check", "!discovery", "--check", "!mesh"], deps), 2);
    assert.equal(created, false);
    assert.match(out.stderr, /^error: the selection matches no check/);
  });

  it("passes the run flags to the provider factory", async () => {
    let seen: unknown;
    const base = fakeCliDeps({});
    const { deps } = inProcess({
      createProvider: (options) => {
        seen = options;
        return base.createProvider!(options);
      },
    });
    const code = await runCli(["node", "coral-e2e", "run", "--agents", "5", "--colony-image", "coral/colony:0.3.0", "--timeout-scale", "2", "--ref-faults", "colony=accept-wrong-colony", "--ref-faults", "colony=fix-handshake-age", "--artifacts", join(dir, "flags")], deps);
    assert.equal(code, 0);
    assert.deepEqual(seen, {
      agents: 5,
      images: { preset: "reference", colony: "coral/colony:0.3.0", agent: undefined, discovery: undefined },
      timeoutScale: 2,
      refFaults: { colony: "accept-wrong-colony,fix-handshake-age" },
      ebpfPrivileges: true,
      verbose: false,
      debug: false,
    });
  });

  it("aborts the run on an error that escapes a check, still reporting and tearing down", async () => {
    const signals = new EventEmitter();
    const base = fakeCliDeps({ FAKE_SCENARIO: "slow" });
    const teardowns: boolean[] = [];
    const { deps, out } = inProcess({
      ...base,
      signals,
      modules: base.modules!.map((m) => ({
        ...m,
        checks: m.checks.map((c) =>
          c.id === "mesh/slow"
            ? {
                ...c,
                run: (t) => {
                  setImmediate(() => signals.emit("unhandledRejection", new Error("socket hang up")));
                  return new Promise<void>((_, reject) => t.signal.addEventListener("abort", () => reject(t.signal.reason)));
                },
              }
            : c,
        ),
      })),
      createProvider: (options) => {
        const provider = base.createProvider!(options);
        const teardown = provider.teardown.bind(provider);
        provider.teardown = async (runId, opts) => {
          teardowns.push(opts.keep);
          await teardown(runId, opts);
        };
        return provider;
      },
    });
    const json = join(dir, "crash", "report.json");
    const code = await runCli(["node", "coral-e2e", "run", "--json", json, "--artifacts", join(dir, "crash")], deps);
    assert.equal(code, 1);
    assert.match(out.stderr, /^error: uncaught error during the run: socket hang up$/m);
    const report = JSON.parse(await readFile(json, "utf8"));
    const slow = report.results.find((r: { id: string }) => r.id === "mesh/slow");
    assert.equal(slow.message, "run aborted after an uncaught error: socket hang up while this check was running");
    assert.deepEqual(teardowns, [false]);
    assert.equal(signals.listenerCount("unhandledRejection"), 0, "handlers are removed after the run");
  });
});
