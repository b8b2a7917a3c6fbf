// Known defects end to end on the reference images: Coral v0.3.0's behaviour is reported as
// known defects (skipped in JUnit with the evidence, exit 0); with each defect's fix switch the
// checks report `fixed`, and --strict-defects turns that into a failed run.
import assert from "node:assert/strict";
import { mkdtemp, readFile, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, test } from "node:test";
import { XMLParser } from "fast-xml-parser";
import { modules } from "../checks/index.js";
import { BIN, spawnCli } from "./support/spawn-cli.js";

const known = (phase: string) => modules.filter((m) => m.phase === phase).flatMap((m) => m.checks.filter((c) => c.knownDefect).map((c) => c.id));
const DEFECTS = known("connectivity");
const SELECTION = ["discovery/healthy", "discovery/colony-registered", "registration/agents-listed", "defects"].flatMap((c) => ["--check", c]);
const FIXES = "colony=fix-short-key-panic,fix-bad-key-poisoning,fix-handshake-age,fix-public-endpoint-url,fix-tunnel-loss-visible";

let dir: string;
before(async () => {
  dir = await mkdtemp(join(tmpdir(), "coral-e2e-defects-"));
});
after(async () => {
  await rm(dir, { recursive: true, force: true });
});

function run(args: string[]) {
  return spawnCli(BIN, ["run", "--images", "reference", "--agents", "2", ...SELECTION, "--artifacts", join(dir, "artifacts"), ...args], {
    cwd: dir,
    guardMs: 300_000,
  });
}

describe("known defects on the reference images", () => {
  test("Coral v0.3.0's defects are known defects: skipped in JUnit with the evidence, exit 0", async () => {
    const junitPath = join(dir, "defects.xml");
    const result = await run(["--junit", junitPath]);
    assert.equal(result.code, 0, result.stdout + result.stderr);
    assert.match(result.stdout, new RegExp(`known-defect\\s+${DEFECTS.length}\\b`));
    assert.match(result.stdout, /passed\s+3\b/);

    const xml = new XMLParser({ ignoreAttributes: false, attributeNamePrefix: "", isArray: (name) => ["testsuite", "testcase", "property"].includes(name) }).parse(await readFile(junitPath, "utf8"));
    const cases = (xml.testsuites.testsuite as Array<{ testcase: Array<Record<string, any>> }>).flatMap((s) => s.testcase);
    for (const id of DEFECTS) {
      const testcase = cases.find((c) => c.name === id);
      assert.ok(testcase, `a testcase for ${id}`);
      assert.ok(testcase!.skipped, `${id} is skipped`);
      assert.match(testcase!.skipped.message, /^known defect: .*saw: /, `${id}'s skip message carries the evidence`);
      assert.equal(testcase!.failure, undefined);
    }
    assert.doesNotMatch(await readFile(junitPath, "utf8"), /coral-psk:[0-9a-f]{8}/, "the bootstrap PSK never appears");
  });

  test("with every defect's fix switch the checks report fixed; --strict-defects fails the run", async () => {
    const fixed = await run(["--ref-faults", FIXES, "--json", join(dir, "fixed.json")]);
    assert.equal(fixed.code, 0, fixed.stdout + fixed.stderr);
    const report = JSON.parse(await readFile(join(dir, "fixed.json"), "utf8"));
    const outcomes = Object.fromEntries(report.results.map((r: { id: string; outcome: string }) => [r.id, r.outcome]));
    for (const id of DEFECTS) assert.equal(outcomes[id], "fixed", `${id} reports fixed; outcomes: ${JSON.stringify(outcomes)}`);

    const strict = await run(["--ref-faults", FIXES, "--strict-defects"]);
    assert.equal(strict.code, 1, strict.stdout + strict.stderr);
    assert.match(strict.stdout, /strict-defects/);
  });
});

// The observability phase's known defect: the function-registry race of §10 #32, on the eBPF agent.
test("the function-registry race is a known defect, and fixed with fix-function-registry-race", async () => {
  assert.deepEqual(known("observability"), ["debug/function-registry"]);
  const args = ["run", "--images", "reference", "--agents", "1", "--check", "debug/function-registry", "--artifacts", join(dir, "artifacts")];
  const reproduced = await spawnCli(BIN, [...args, "--json", join(dir, "race.json")], { cwd: dir, guardMs: 300_000 });
  assert.equal(reproduced.code, 0, reproduced.stdout + reproduced.stderr);
  const race = JSON.parse(await readFile(join(dir, "race.json"), "utf8")).results[0];
  assert.equal(race.outcome, "known-defect", JSON.stringify(race));
  assert.match(race.message, /GetFunctions\(sdk-app\) to list main\.ProcessPayment/);

  const fixed = await spawnCli(BIN, [...args, "--ref-faults", "agent=fix-function-registry-race", "--json", join(dir, "race-fixed.json")], { cwd: dir, guardMs: 300_000 });
  assert.equal(fixed.code, 0, fixed.stdout + fixed.stderr);
  assert.equal(JSON.parse(await readFile(join(dir, "race-fixed.json"), "utf8")).results[0].outcome, "fixed");
});
