import assert from "node:assert/strict";
import { describe, it } from "node:test";
import type { CheckModule } from "../src/runner/check.js";
import { runSuite, type EngineOptions } from "../src/runner/engine.js";
import { EnvironmentError, InterruptError } from "../src/runner/errors.js";
import { planRun, type Selection } from "../src/runner/plan.js";
import type { CheckResult } from "../src/runner/results.js";
import { FakeEnv, FakeProvider, check, failing, hangsForever, module, passing, waitsForAbort, type FakeProviderOptions } from "./support/fakes.js";
import { RecordingReporter } from "./support/recording-reporter.js";

type Extra = Partial<Omit<EngineOptions<FakeEnv>, "plan" | "provider" | "reporter">>;

async function run(modules: CheckModule<FakeEnv>[], options: Extra & { selection?: Selection; provider?: FakeProviderOptions } = {}) {
  const { selection, provider: providerOptions, ...extra } = options;
  const provider = new FakeProvider(providerOptions);
  const reporter = new RecordingReporter();
  const summary = await runSuite({ runId: "20260101-000000-abc123", plan: planRun(modules, selection), provider, reporter, ...extra });
  const byId = (id: string, repetition = 1): CheckResult => {
    const found = summary.results.find((r) => r.id === id && r.repetition === repetition);
    assert.ok(found, `no result for ${id}#${repetition}`);
    return found;
  };
  return { summary, provider, reporter, byId };
}

describe("engine", () => {
  it("runs checks in module order, reports every event, and tears down", async () => {
    const order: string[] = [];
    const track = (id: string) => check(id, async (t) => {
      order.push(id);
      t.verify(true, `${id} ran`);
    });
    const { summary, provider, reporter } = await run([
      module("discovery", [track("discovery/a"), track("discovery/b")]),
      module("mesh", [track("mesh/c")]),
    ]);
    assert.deepEqual(order, ["discovery/a", "discovery/b", "mesh/c"]);
    assert.equal(summary.status, "passed");
    assert.deepEqual(summary.counts, { total: 3, passed: 3, failed: 0, skipped: 0, knownDefect: 0, fixed: 0 });
    assert.deepEqual(provider.calls, ["setup", "teardown"]);
    assert.deepEqual(
      reporter.events.filter((e) => !e.startsWith("progress:")),
      ["runStart", "start:discovery/a#1", "end:discovery/a#1:passed", "start:discovery/b#1", "end:discovery/b#1:passed", "start:mesh/c#1", "end:mesh/c#1:passed", "runEnd"],
    );
    assert.equal(summary.properties["coral.version"], "v0.3.0");
    assert.ok(summary.results.every((r) => r.durationMs >= 0 && r.startedAt));
  });

  it("skips a check whose dependency failed, was skipped, or was not selected, naming it", async () => {
    const modules = [
      module("m", [
        check("m/base", failing),
        check("m/child", passing, { needs: ["m/base"] }),
        check("m/grandchild", passing, { needs: ["m/child"] }),
        check("m/other", passing),
        check("m/needs-other", passing, { needs: ["m/other"] }),
      ]),
    ];
    const { byId, summary } = await run(modules);
    assert.equal(byId("m/child").outcome, "skipped");
    assert.equal(byId("m/child").message, "needs m/base, which failed");
    assert.equal(byId("m/grandchild").message, "needs m/child, which was skipped");
    assert.equal(byId("m/needs-other").outcome, "passed");
    assert.equal(summary.status, "failed");

    const partial = await run(modules, { selection: { checks: ["m/needs-other"] } });
    assert.equal(partial.byId("m/needs-other").message, "needs m/other, which was not selected");
  });

  it("lets a check depend on one that reported a known defect", async () => {
    const { byId } = await run([
      module("m", [
        check("m/defect", failing, { knownDefect: { since: "v0.3.0", ref: "connectivity.md §6.7", summary: "tunnel loss invisible" } }),
        check("m/after", passing, { needs: ["m/defect"] }),
      ]),
    ]);
    assert.equal(byId("m/defect").outcome, "known-defect");
    assert.equal(byId("m/after").outcome, "passed");
  });

  it("skips a check whose requirements the environment lacks, with the environment's reason", async () => {
    const { byId } = await run([
      module("m", [
        check("m/ebpf", passing, { requires: { capabilities: ["ebpf"] } }),
        check("m/five", passing, { requires: { minAgents: 5 } }),
        check("m/tun", passing, { requires: { capabilities: ["tun"], minAgents: 2 } }),
      ]),
    ]);
    assert.equal(byId("m/ebpf").message, "requires ebpf: ebpf not available on this machine");
    assert.equal(byId("m/five").message, "requires 5 agents: the run has 3 agents");
    assert.equal(byId("m/tun").outcome, "passed");
  });

  it("fails a hung check at its scaled deadline and moves on, naming what it waited for", async () => {
    const started = Date.now();
    const { byId } = await run(
      [
        module("m", [
          check("m/ignores-signal", hangsForever, { timeoutMs: 100 }),
          check("m/waits", async (t) => {
            await t.waitFor("the agent to appear", async () => "no agents yet", () => false, { intervalMs: 20, timeoutMs: 60_000 });
          }, { timeoutMs: 100 }),
          check("m/next", passing),
        ]),
      ],
      // A check stopped at its deadline gets settleMs to undo its faults; this one never settles.
      { timeoutScale: 2, limits: { settleMs: 200 } },
    );
    const elapsed = Date.now() - started;
    const hung = byId("m/ignores-signal");
    assert.equal(hung.outcome, "failed");
    assert.equal(hung.failureKind, "deadline");
    assert.match(hung.message!, /^deadline of 0\.2s exceeded/);
    const waits = byId("m/waits");
    assert.equal(waits.outcome, "failed");
    assert.match(waits.message!, /waiting for the agent to appear/);
    assert.match(waits.message!, /no agents yet/);
    assert.equal(byId("m/next").outcome, "passed");
    assert.ok(elapsed < 2_000, `took ${elapsed} ms`);
  });

  it("refuses a check that returns without a verified observation", async () => {
    const { byId } = await run([
      module("m", [
        check("m/empty", async () => undefined),
        check("m/only-observes", async (t) => {
          t.observe("agents", 3);
          t.log("looked around");
        }),
      ]),
    ]);
    for (const id of ["m/empty", "m/only-observes"]) {
      assert.equal(byId(id).outcome, "failed");
      assert.equal(byId(id).failureKind, "no-assertion");
      assert.match(byId(id).message!, /without verifying anything/);
    }
  });

  it("reports waitFor's timeout with the last observation, and records the accepted value", async () => {
    const { byId } = await run([
      module("m", [
        check("m/never", async (t) => {
          let polls = 0;
          await t.waitFor("3 healthy agents", async () => ({ healthy: ++polls > 1 ? 2 : 1 }), (v) => v.healthy === 3, { timeoutMs: 150, intervalMs: 20 });
        }),
        check("m/probe-throws", async (t) => {
          await t.waitFor("colony health", async () => {
            throw new Error("connect ECONNREFUSED 127.0.0.1:9000");
          }, () => true, { timeoutMs: 80, intervalMs: 20 });
        }),
        check("m/eventually", async (t) => {
          let polls = 0;
          const value = await t.waitFor("the third poll", async () => ++polls, (n) => n >= 3, { intervalMs: 5 });
          t.verify(value === 3, "waitFor returns the accepted value", value);
        }),
      ]),
    ]);
    const never = byId("m/never");
    assert.match(never.message!, /^timed out after 0\.\ds waiting for 3 healthy agents \(\d+ attempts\); last saw: \{"healthy":2\}$/);
    assert.deepEqual(never.seen, { healthy: 2 });
    assert.match(byId("m/probe-throws").message!, /last saw: Error: connect ECONNREFUSED 127\.0\.0\.1:9000/);
    const eventually = byId("m/eventually");
    assert.equal(eventually.outcome, "passed");
    assert.deepEqual(
      eventually.observations.map((o) => [o.label, o.value, o.verified]),
      [["the third poll", 3, true], ["waitFor returns the accepted value", 3, true]],
    );
  });

  it("names the claim and what was seen when verify fails, and separates thrown errors", async () => {
    const { byId } = await run([
      module("m", [
        check("m/claim", async (t) => t.verify(false, "the colony lists 3 agents", { agents: ["a", "b"] })),
        check("m/throws", async () => {
          throw new TypeError("cannot read properties of undefined");
        }),
        check("m/fails", async (t) => t.fail("agent-1 got the mesh IP of agent-0", { ip: "10.42.0.2" })),
      ]),
    ]);
    assert.equal(byId("m/claim").message, 'expected the colony lists 3 agents; saw: {"agents":["a","b"]}');
    assert.equal(byId("m/claim").failureKind, "assertion");
    assert.equal(byId("m/throws").failureKind, "error");
    assert.equal(byId("m/throws").message, "TypeError: cannot read properties of undefined");
    assert.deepEqual(byId("m/fails").seen, { ip: "10.42.0.2" });
  });

  describe("known defects", () => {
    const defect = { since: "v0.3.0", ref: "connectivity.md §6.16", summary: "a short WireGuard key crashes Register" };
    const modules = [module("m", [check("m/reproduces", failing, { knownDefect: defect }), check("m/gone", passing, { knownDefect: defect })])];

    it("reports a failing known-defect check as known-defect and a passing one as fixed; the run passes", async () => {
      const { byId, summary } = await run(modules);
      const reproduced = byId("m/reproduces");
      assert.equal(reproduced.outcome, "known-defect");
      assert.match(reproduced.message!, /^known defect: a short WireGuard key crashes Register \(connectivity\.md §6\.16, since v0\.3\.0\): expected agents are 3; saw: 2$/);
      assert.equal(byId("m/gone").outcome, "fixed");
      assert.match(byId("m/gone").message!, /^FIXED: /);
      assert.equal(summary.status, "passed");
      assert.equal(summary.counts.knownDefect, 1);
      assert.equal(summary.counts.fixed, 1);
    });

    it("fails a fixed defect under --strict-defects", async () => {
      const { byId, summary } = await run(modules, { knownDefects: { strict: true } });
      assert.equal(byId("m/reproduces").outcome, "known-defect");
      assert.equal(byId("m/gone").outcome, "failed");
      assert.equal(byId("m/gone").failureKind, "fixed-defect");
      assert.match(byId("m/gone").message!, /^FIXED: .*--strict-defects/);
      assert.equal(summary.status, "failed");
    });

    it("treats known-defect checks as ordinary ones with --no-known-defects", async () => {
      const { byId, summary } = await run(modules, { knownDefects: { honour: false } });
      assert.equal(byId("m/reproduces").outcome, "failed");
      assert.equal(byId("m/gone").outcome, "passed");
      assert.equal(summary.status, "failed");
    });

    it("does not apply a defect to a Coral version older than its `since`", async () => {
      const env = new FakeEnv(3, ["tun"], { "coral.version": "v0.2.1" });
      const { byId } = await run(modules, { provider: { env } });
      assert.equal(byId("m/reproduces").outcome, "failed");
      assert.equal(byId("m/gone").outcome, "passed");
    });

    it("keeps refusing an assertion-free known-defect check", async () => {
      const { byId } = await run([module("m", [check("m/empty", async () => undefined, { knownDefect: defect })])]);
      assert.equal(byId("m/empty").outcome, "failed");
      assert.equal(byId("m/empty").failureKind, "no-assertion");
    });
  });

  it("repeats on fresh deployments and reports per-check flakiness", async () => {
    let attempt = 0;
    const { summary, provider } = await run(
      [module("m", [check("m/steady", passing), check("m/flaky", async (t) => t.verify(++attempt !== 2, "the second attempt is unlucky"))])],
      { repeat: 3 },
    );
    assert.equal(provider.setups, 3);
    assert.deepEqual(provider.calls, ["setup", "teardown", "setup", "teardown", "setup", "teardown"]);
    assert.equal(summary.results.length, 6);
    assert.deepEqual(summary.flakiness, [
      { id: "m/steady", runs: 3, succeeded: 3, failed: 0, skipped: 0, flaky: false },
      { id: "m/flaky", runs: 3, succeeded: 2, failed: 1, skipped: 0, flaky: true },
    ]);
    assert.equal(summary.status, "failed");
  });

  it("stops at the first failure with --fail-fast, including later repetitions", async () => {
    const { byId, summary, provider } = await run(
      [module("m", [check("m/a", passing), check("m/b", failing), check("m/c", passing)])],
      { failFast: true, repeat: 2 },
    );
    assert.equal(byId("m/c").outcome, "skipped");
    assert.equal(byId("m/c").message, "not run: --fail-fast after m/b failed");
    assert.equal(provider.setups, 1);
    assert.equal(summary.stopReason, "--fail-fast after m/b failed");
  });

  it("keeps evidence from the moment of failure", async () => {
    const saved: string[] = [];
    const bundles: number[] = [];
    const { byId } = await run([module("m", [check("m/a", failing), check("m/b", passing)])], {
      evidence: {
        dir: "/tmp/x",
        saveFailure: async (result, containers) => {
          saved.push(`${result.id}:${containers.map((c) => c.role).join(",")}`);
          return `failures/${result.id}`;
        },
        saveBundle: async (repetition, containers) => {
          bundles.push(repetition * 100 + containers.length);
        },
      },
    });
    assert.deepEqual(saved, ["m/a:colony,agent-0"]);
    assert.deepEqual(bundles, [102]);
    const failed = byId("m/a");
    assert.equal(failed.evidence?.dir, "failures/m/a");
    assert.match(failed.evidence!.logExcerpt!, /--- agent-0 \(coral-e2e-abc123-agent-0, exited \(1\)\) ---\nagent boot\nagent crashed/);
    assert.equal(byId("m/b").evidence, undefined);
  });

  it("records a failed setup as a synthetic testcase with the provider's evidence and still tears down", async () => {
    const { summary, provider, reporter } = await run([module("m", [check("m/a", passing), check("m/b", passing)])], {
      provider: { setupError: new EnvironmentError("image coral-e2e/colony:ref is missing; run `coral-e2e images`") },
    });
    assert.equal(summary.status, "environment-error");
    const setup = summary.results[0]!;
    assert.equal(setup.id, "setup");
    assert.equal(setup.outcome, "failed");
    assert.equal(setup.failureKind, "setup");
    assert.match(setup.message!, /image coral-e2e\/colony:ref is missing/);
    assert.match(setup.evidence!.logExcerpt!, /discovery: bind failed/);
    assert.deepEqual(summary.results.slice(1).map((r) => [r.id, r.outcome, r.message]), [
      ["m/a", "skipped", "not run: environment error during setup"],
      ["m/b", "skipped", "not run: environment error during setup"],
    ]);
    assert.deepEqual(provider.calls, ["setup", "setupEvidence", "teardown"]);
    assert.ok(reporter.summary);

    const ordinary = await run([module("m", [check("m/a", passing)])], { provider: { setupError: new Error("colony never became healthy") } });
    assert.equal(ordinary.summary.status, "failed");
  });

  it("aborts on --timeout: fails the running check, skips the rest, writes the summary, tears down", async () => {
    const { summary, byId, provider, reporter } = await run(
      [module("m", [check("m/a", passing), check("m/slow", waitsForAbort, { timeoutMs: 60_000 }), check("m/c", passing)])],
      { runTimeoutMs: 200 },
    );
    assert.equal(byId("m/slow").outcome, "failed");
    assert.equal(byId("m/slow").failureKind, "run-timeout");
    assert.equal(byId("m/slow").message, "run timeout of 0.2s reached while this check was running");
    assert.equal(byId("m/c").message, "not run: run timeout of 0.2s reached");
    assert.equal(summary.status, "failed");
    assert.deepEqual(provider.calls.slice(-1), ["teardown"]);
    assert.deepEqual(reporter.events.slice(-2), ["runEnd", "progress:removing the run's containers"]);
  });

  it("stops on an interrupt: skips the running check, writes the summary before teardown, keeps containers when asked", async () => {
    const controller = new AbortController();
    const order: string[] = [];
    const provider = new FakeProvider({ onTeardown: (keep) => order.push(`teardown keep=${keep}`) });
    const reporter = new RecordingReporter();
    const origEnd = reporter.onRunEnd.bind(reporter);
    reporter.onRunEnd = (summary) => {
      order.push("runEnd");
      origEnd(summary);
    };
    const plan = planRun([
      module("m", [
        check("m/slow", async (t) => {
          controller.abort(new InterruptError("SIGINT"));
          await waitsForAbort(t);
        }, { timeoutMs: 60_000 }),
        check("m/after", passing),
      ]),
    ]);
    const summary = await runSuite({ runId: "r", plan, provider, reporter, signal: controller.signal, keepContainers: true });
    assert.equal(summary.status, "interrupted");
    assert.equal(summary.stopReason, "interrupted (SIGINT)");
    const [slow, after] = summary.results;
    assert.equal(slow!.outcome, "skipped");
    assert.match(slow!.message!, /^interrupted \(SIGINT\) after /);
    assert.equal(after!.message, "not run: interrupted (SIGINT)");
    assert.deepEqual(order, ["runEnd", "teardown keep=true"]);
  });

  it("stops a hung setup on interrupt", async () => {
    const controller = new AbortController();
    const provider = new FakeProvider({ hangInSetup: true });
    const reporter = new RecordingReporter();
    const running = runSuite({ runId: "r", plan: planRun([module("m", [check("m/a", passing)])]), provider, reporter, signal: controller.signal });
    setImmediate(() => controller.abort(new InterruptError("SIGTERM")));
    const summary = await running;
    assert.equal(summary.status, "interrupted");
    assert.deepEqual(summary.results.map((r) => r.message), ["not run: interrupted (SIGTERM)"]);
    assert.deepEqual(provider.calls, ["setup", "teardown"]);
  });

  it("gives the check its scaled helpers, deadline and a live signal", async () => {
    const { byId } = await run(
      [
        module("m", [
          check("m/ctx", async (t) => {
            t.verify(t.scaled(100) === 300, "scaled multiplies by --timeout-scale", t.scaled(100));
            t.verify(t.deadline > Date.now() && t.deadline <= Date.now() + 3_000, "deadline is the scaled timeout from now");
            t.verify(!t.signal.aborted, "the signal is live");
            t.verify(t.env instanceof FakeEnv, "env is the provider's");
            t.metric("recovery", 1.5, "s");
          }, { timeoutMs: 1_000 }),
        ]),
      ],
      { timeoutScale: 3 },
    );
    assert.equal(byId("m/ctx").outcome, "passed");
    assert.deepEqual(byId("m/ctx").metrics, [{ name: "recovery", value: 1.5, unit: "s" }]);
  });
});
