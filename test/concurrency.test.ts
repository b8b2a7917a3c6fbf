// Checks at the same time: what the scheduler runs together and what it keeps apart (claims.ts,
// scheduler.ts), lending pool members, declared order of results, holding checks to their
// declarations, and how --fail-fast, --concurrency and final checks behave. No Docker.
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import type { CheckSpec, Touches } from "../src/runner/check.js";
import { conflicts, lend, resolveClaims, type PartsModel } from "../src/runner/claims.js";
import { runSuite } from "../src/runner/engine.js";
import { planRun } from "../src/runner/plan.js";
import { pause } from "../src/util/time.js";
import { FakeEnv, FakeProvider, check, failing, module, passing } from "./support/fakes.js";
import { RecordingReporter } from "./support/recording-reporter.js";

const MODEL: PartsModel = {
  pools: { agent: ["agent-0", "agent-1", "agent-2"] },
  groups: { agents: ["agent-0", "agent-1", "agent-2"] },
  implicit: ["colony"],
};

/** A check that holds its parts for `ms`, recording when it ran (and what it was lent). */
function timed(id: string, touches: Touches | undefined, ms: number, log: Array<{ id: string; from: number; to: number; lent: string }>, extra: Partial<CheckSpec<FakeEnv>> = {}) {
  return check(
    id,
    async (t) => {
      const from = Date.now();
      const lent = touches?.disturbs?.includes("agent") || touches?.observes?.includes("agent") ? t.lent("agent") : "";
      await pause(ms, t.signal);
      log.push({ id, from, to: Date.now(), lent });
      t.verify(true, `${id} held its parts`);
    },
    { touches, ...extra },
  );
}

const overlap = (a: { from: number; to: number }, b: { from: number; to: number }) => a.from < b.to - 5 && b.from < a.to - 5;

async function run(checks: CheckSpec<FakeEnv>[], options: { concurrency?: number; failFast?: boolean; env?: FakeEnv } = {}) {
  const env = options.env ?? new FakeEnv();
  env.model ??= MODEL;
  const reporter = new RecordingReporter();
  const summary = await runSuite({
    runId: "20260101-000000-abc123",
    plan: planRun([module("m", checks)]),
    provider: new FakeProvider({ env }),
    reporter,
    concurrency: options.concurrency,
    failFast: options.failFast,
  });
  const byId = (id: string) => summary.results.find((r) => r.id === id)!;
  return { summary, reporter, byId, env };
}

describe("claims", () => {
  it("observers share a part, a disturber has it alone, undeclared checks conflict with all", () => {
    const claim = (touches?: Touches) => resolveClaims(touches, MODEL);
    assert.equal(conflicts(claim({ observes: ["discovery"] }), claim({ observes: ["discovery"] }), MODEL), false);
    assert.equal(conflicts(claim({ observes: ["discovery"] }), claim({ disturbs: ["discovery"] }), MODEL), true);
    assert.equal(conflicts(claim({ disturbs: ["colony"] }), claim({}), MODEL), true, "every check observes the colony");
    assert.equal(conflicts(claim(undefined), claim({ observes: ["x"] }), MODEL), true);
    assert.equal(conflicts(claim({ disturbs: ["agent"] }), claim({ disturbs: ["agent"] }), MODEL), false, "two members can be lent");
    assert.equal(conflicts(claim({ disturbs: ["agent"] }), claim({ observes: ["agents"] }), MODEL), true, "no member is free of the group");
  });

  it("lends the free member disturbed least so far", () => {
    const usage = new Map([["agent-0", { disturbed: 2, lent: 2 }], ["agent-1", { disturbed: 0, lent: 3 }]]);
    const held = [resolveClaims({ disturbs: ["agent-2"] }, MODEL)];
    assert.deepEqual(lend(resolveClaims({ disturbs: ["agent"] }, MODEL), held, MODEL, usage), { agent: "agent-1" });
    const all = [resolveClaims({ observes: ["agents"] }, MODEL)];
    assert.equal(lend(resolveClaims({ disturbs: ["agent"] }, MODEL), all, MODEL, usage), undefined);
    assert.deepEqual(lend(resolveClaims({ observes: ["agent"] }, MODEL), all, MODEL, usage), { agent: "agent-2" }, "observers share a member: the one disturbed least");
  });
});

describe("scheduler", () => {
  it("runs observers together and keeps a disturber apart, reporting in declared order", async () => {
    const log: Array<{ id: string; from: number; to: number; lent: string }> = [];
    const { summary, reporter } = await run([
      timed("m/watch-a", { observes: ["discovery"] }, 150, log),
      timed("m/watch-b", { observes: ["discovery"] }, 50, log),
      timed("m/outage", { disturbs: ["discovery"] }, 50, log),
      timed("m/elsewhere", { observes: ["agents"] }, 50, log),
    ]);
    const at = (id: string) => log.find((l) => l.id === id)!;
    assert.ok(overlap(at("m/watch-a"), at("m/watch-b")), "observers of one part overlap");
    assert.ok(overlap(at("m/watch-a"), at("m/elsewhere")), "a check on another part overlaps");
    assert.ok(at("m/outage").from >= at("m/watch-a").to, "the disturber waits for the observers declared before it");
    assert.equal(summary.status, "passed");
    const ends = reporter.events.filter((e) => e.startsWith("end:"));
    assert.deepEqual(ends, ["end:m/watch-a#1:passed", "end:m/watch-b#1:passed", "end:m/outage#1:passed", "end:m/elsewhere#1:passed"], "declared order, whatever finished first");
  });

  it("never lets a check overtake an earlier one it conflicts with", async () => {
    const log: Array<{ id: string; from: number; to: number; lent: string }> = [];
    await run([
      timed("m/long", { observes: ["discovery"] }, 120, log),
      timed("m/blocked", { disturbs: ["discovery"] }, 20, log, { needs: ["m/long"] }),
      // Would be free right away, but it conflicts with the waiting m/blocked declared before it.
      timed("m/later", { observes: ["discovery"] }, 20, log),
    ]);
    const at = (id: string) => log.find((l) => l.id === id)!;
    assert.ok(at("m/later").from >= at("m/blocked").to, "m/later runs after m/blocked, as declared");
  });

  it("lends each disturber its own agent and spreads them over the pool", async () => {
    const log: Array<{ id: string; from: number; to: number; lent: string }> = [];
    const { byId } = await run([
      timed("m/stop", { disturbs: ["agent"] }, 80, log),
      timed("m/cut", { disturbs: ["agent"] }, 80, log),
      timed("m/drop", { disturbs: ["agent"] }, 80, log),
      timed("m/again", { disturbs: ["agent"] }, 10, log, { needs: ["m/stop"] }),
    ]);
    const lent = ["m/stop", "m/cut", "m/drop"].map((id) => byId(id).lent?.agent);
    assert.equal(new Set(lent).size, 3, `three disturbers, three agents: ${lent.join(", ")}`);
    assert.ok(overlap(log.find((l) => l.id === "m/stop")!, log.find((l) => l.id === "m/drop")!));
    assert.ok(byId("m/again").lent?.agent, "a later disturber is lent a member too");
  });

  it("runs a final check alone after all others, and --concurrency 1 one check at a time in order", async () => {
    const log: Array<{ id: string; from: number; to: number; lent: string }> = [];
    await run([timed("m/a", { observes: ["x"] }, 60, log), timed("m/b", { observes: ["y"] }, 60, log), timed("m/last", undefined, 10, log, { final: true })]);
    const at = (id: string) => log.find((l) => l.id === id)!;
    assert.ok(at("m/last").from >= Math.max(at("m/a").to, at("m/b").to));

    const serial: typeof log = [];
    await run([timed("m/a", { observes: ["x"] }, 40, serial), timed("m/b", { observes: ["y"] }, 40, serial), timed("m/c", { observes: ["z"] }, 10, serial)], { concurrency: 1 });
    assert.deepEqual(serial.map((l) => l.id), ["m/a", "m/b", "m/c"]);
    assert.ok(!overlap(serial[0]!, serial[1]!) && !overlap(serial[1]!, serial[2]!));
  });

  it("fails a check that disturbed or used a part it did not declare, naming the act", async () => {
    const { byId } = await run([
      check(
        "m/sneaky",
        async (t) => {
          t.env.act("agent-1", "disturb", "stop");
          t.env.act("discovery", "use", "join an agent");
          t.verify(true, "it did its job");
        },
        { touches: { observes: ["ip-pool"] } },
      ),
      check(
        "m/honest",
        async (t) => {
          t.env.act(t.lent("agent"), "disturb", "stop");
          t.env.act("own-agent", "create");
          t.env.act("own-agent", "disturb", "stop");
          t.verify(true, "it did its job");
        },
        { touches: { disturbs: ["agent"] } },
      ),
    ]);
    assert.equal(byId("m/sneaky").outcome, "failed");
    assert.match(byId("m/sneaky").message!, /stop agent-1 without declaring it in touches\.disturbs/);
    assert.match(byId("m/sneaky").message!, /join an agent through discovery without declaring it in touches/);
    assert.equal(byId("m/honest").outcome, "passed", byId("m/honest").message);
  });

  it("stops the running checks at --fail-fast and starts no new one", async () => {
    const { byId } = await run(
      [
        check("m/slow", async (t) => {
          await pause(5_000, t.signal);
          t.verify(true, "never");
        }, { touches: { observes: ["x"] } }),
        check("m/fails", failing, { touches: { observes: ["y"] } }),
        check("m/after", passing, { touches: { observes: ["y"] }, needs: ["m/slow"] }),
      ],
      { failFast: true },
    );
    assert.equal(byId("m/fails").outcome, "failed");
    assert.equal(byId("m/slow").outcome, "skipped");
    assert.match(byId("m/slow").message!, /^stopped after [\d.]+s: --fail-fast after m\/fails failed$/);
    assert.equal(byId("m/after").message, "not run: --fail-fast after m/fails failed");
  });

  it("fails a check whose requirement probe throws, skips one whose requirement is missing, and honours t.skip", async () => {
    const env = new FakeEnv(3, ["tun"]);
    env.brokenCapability = "ebpf";
    const { byId } = await run(
      [
        check("m/ebpf", passing, { requires: { capabilities: ["ebpf"] } }),
        check("m/beyla", passing, { requires: { capabilities: ["beyla"] } }),
        check("m/precondition", async (t) => t.skip("agent-0 was restored from its checkpoint")),
      ],
      { env },
    );
    assert.equal(byId("m/ebpf").outcome, "failed");
    assert.equal(byId("m/ebpf").message, "could not check requirements (ebpf): the ebpf agent could not be created: image not found");
    assert.equal(byId("m/beyla").outcome, "skipped");
    assert.match(byId("m/beyla").message!, /^requires beyla: /);
    assert.deepEqual([byId("m/precondition").outcome, byId("m/precondition").message], ["skipped", "agent-0 was restored from its checkpoint"]);
  });

  it("skips a check whose pool is empty instead of waiting forever", async () => {
    const env = new FakeEnv();
    env.model = { pools: { agent: [] }, groups: { agents: [] }, implicit: [] };
    const { byId } = await run([check("m/needs-an-agent", passing, { touches: { disturbs: ["agent"] } })], { env });
    assert.equal(byId("m/needs-an-agent").outcome, "skipped");
    assert.match(byId("m/needs-an-agent").message!, /nothing to lend it from agent/);
  });
});
