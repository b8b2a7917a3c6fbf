// Chaos mode without Docker: the schedule is a pure function of the seed and the options (the same
// seed draws the same rounds, pinned by a golden copy so a change of the generator cannot silently
// break old replays), every drawn round respects the catalogue's rules and the contract's settle
// budgets, the invariants' judges name what they see, the summary aggregates per fault kind, and the
// CLI prints the same schedule for the same seed.
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { CATALOGUE, FAULT_KIND_IDS, type FaultKindId } from "../src/chaos/catalogue.js";
import { ChaosHistory, chaosProperties, chaosReport, chaosSummaryLines } from "../src/chaos/history.js";
import { type Expectation, type MeshSample, SAMPLED_INVARIANTS, addressesStable, agentsHealthy, discoveryRecord, lastSeenAfterHeal, meshPing, problemsOf, uniqueListing } from "../src/chaos/mesh.js";
import { buildSchedule, formatSchedule, type ScheduleOptions } from "../src/chaos/schedule.js";
import { LIVENESS } from "../src/coral/settings.js";
import type { CheckResult } from "../src/runner/results.js";
import { BIN, ROOT, spawnCli } from "./support/spawn-cli.js";

const FIVE_MINUTES: ScheduleOptions = { seed: 1, durationMs: 5 * 60_000, agents: 3, faults: FAULT_KIND_IDS, quick: false };

describe("chaos schedule", () => {
  it("is a pure function of the seed and the options", () => {
    for (const options of [FIVE_MINUTES, { ...FIVE_MINUTES, seed: 424242, quick: true }, { ...FIVE_MINUTES, seed: 9, agents: 1, faults: ["agent-pause", "colony-restart"] as FaultKindId[] }]) {
      assert.deepEqual(buildSchedule(options), buildSchedule({ ...options }));
      assert.deepEqual(formatSchedule(buildSchedule(options)), formatSchedule(buildSchedule(options)));
    }
    const drawn = new Set(Array.from({ length: 20 }, (_, seed) => JSON.stringify(buildSchedule({ ...FIVE_MINUTES, seed }).rounds)));
    assert.ok(drawn.size >= 19, "different seeds draw different schedules");
  });

  it("draws the same rounds for seed 1 as when the replay was written (golden copy)", () => {
    assert.deepEqual(formatSchedule(buildSchedule(FIVE_MINUTES)), [
      "chaos schedule: seed 1, 5 rounds planned over 4m44s (3 agents, every fault kind)",
      "  round  1: stop discovery + restart the colony at +2s, held 9s, settle ≤ 60s",
      "  round  2: stop discovery + disconnect agent-1, held 26s, settle ≤ 60s",
      "  round  3: kill agent-1, held 6s, settle ≤ 60s",
      "  round  4: restart agent-0 at +0s, held 12s, settle ≤ 60s",
      "  round  5: restart agent-0 at +23s, held 35s, settle ≤ 60s",
      "  replay: coral-e2e chaos --seed 1 --duration 5m --agents 3",
    ]);
  });

  it("does not depend on the order --faults lists the kinds in", () => {
    const options = { ...FIVE_MINUTES, seed: 5, faults: ["colony-restart", "agent-pause", "wireguard-drop"] as FaultKindId[] };
    assert.deepEqual(buildSchedule(options).rounds, buildSchedule({ ...options, faults: [...options.faults].reverse() }).rounds);
  });

  it("keeps every round within the catalogue's rules, over many seeds", () => {
    const seen = new Set<FaultKindId>();
    for (let seed = 0; seed < 300; seed++) {
      const quick = seed % 2 === 1;
      const agents = 1 + (seed % 4);
      const schedule = buildSchedule({ seed, durationMs: 8 * 60_000, agents, faults: FAULT_KIND_IDS, quick });
      assert.ok(schedule.rounds.length >= 1);
      assert.ok(schedule.plannedMs <= 8 * 60_000 || schedule.rounds.length === 1, "the rounds fit the duration");
      for (const round of schedule.rounds) {
        const where = `seed ${seed} round ${round.index}`;
        assert.ok(round.faults.length >= 1 && round.faults.length <= 3, `${where}: 1-3 faults`);
        const targets = round.faults.map((f) => f.target);
        assert.equal(new Set(targets).size, targets.length, `${where}: one fault per component`);
        for (const fault of round.faults) {
          seen.add(fault.kind);
          const kind = CATALOGUE[fault.kind];
          if (kind.target === "agent") assert.match(fault.target, new RegExp(`^agent-[0-${agents - 1}]$`), where);
          else assert.equal(fault.target, kind.target, where);
          assert.equal(fault.atMs !== undefined, kind.instant, `${where}: only instant faults have a moment`);
          if (fault.atMs !== undefined) assert.ok(fault.atMs >= 0 && fault.atMs <= round.holdMs, where);
          for (const other of round.faults) assert.ok(!kind.excludes?.includes(other.kind), `${where}: ${fault.kind} with ${other.kind}`);
        }
        const [min, max] = quick ? [2_000, 20_000] : [3_000, LIVENESS.unhealthyAfterMs + 5_000];
        assert.ok(round.holdMs >= min && round.holdMs <= max, `${where}: hold ${round.holdMs}`);
        assert.equal(round.settleMs, Math.max(...round.faults.map((f) => CATALOGUE[f.kind].recovery.settleMs)), where);
      }
    }
    assert.deepEqual([...seen].sort(), [...FAULT_KIND_IDS].sort(), "every kind is drawn by some seed");
    assert.ok(
      Array.from({ length: 300 }, (_, seed) => buildSchedule({ ...FIVE_MINUTES, seed })).some((s) => s.rounds.some((r) => r.holdMs > LIVENESS.unhealthyAfterMs)),
      "some holds reach past the 120 s unhealthy threshold",
    );
  });

  it("draws only the kinds --faults selects", () => {
    const schedule = buildSchedule({ ...FIVE_MINUTES, seed: 3, faults: ["agent-pause", "discovery-stop"] });
    assert.ok(schedule.rounds.every((r) => r.faults.every((f) => f.kind === "agent-pause" || f.kind === "discovery-stop")));
  });

  it("settles within the contract's budgets, never shorter (connectivity.md §3.5-§3.7, §7.4)", () => {
    assert.equal(CATALOGUE["colony-restart"].recovery.settleMs, 60_000, "§7.4: wait up to 60 s after a colony restart");
    for (const kind of ["agent-stop", "agent-kill", "agent-restart"] as const) assert.equal(CATALOGUE[kind].recovery.settleMs, 60_000, `${kind}: the checkpoint path (§3.4) has the restart budget`);
    for (const kind of FAULT_KIND_IDS) assert.ok(CATALOGUE[kind].recovery.settleMs >= LIVENESS.degradedAfterMs, `${kind}: at least the degraded threshold`);
    // --quick shortens holds only.
    const quick = buildSchedule({ ...FIVE_MINUTES, quick: true });
    for (const round of quick.rounds) assert.equal(round.settleMs, Math.max(...round.faults.map((f) => CATALOGUE[f.kind].recovery.settleMs)));
  });
});

const T0 = Date.parse("2026-01-01T00:00:00Z");
const EXPECT: Expectation = { agents: ["agent-0", "agent-1"], ips: { "agent-0": "100.64.0.2", "agent-1": "100.64.0.3" }, colonyKey: "colony-key=", since: T0 };

function sample(overrides: Partial<MeshSample> = {}): MeshSample {
  return {
    startedAt: T0 + 1_000,
    at: T0 + 1_500,
    listed: [
      { agentId: "agent-0", meshIpv4: "100.64.0.2", status: "healthy", lastSeenMs: T0 + 800 },
      { agentId: "agent-1", meshIpv4: "100.64.0.3", status: "healthy", lastSeenMs: T0 + 900 },
    ],
    pings: { "agent-0": { sent: 3, received: 3 }, "agent-1": { sent: 3, received: 3 } },
    recordKey: "colony-key=",
    ...overrides,
  };
}

describe("chaos invariants' judges", () => {
  it("a settled mesh holds every invariant", () => {
    assert.deepEqual(problemsOf(SAMPLED_INVARIANTS, sample(), EXPECT), []);
  });

  it("name what breaks each invariant", () => {
    const degraded = sample({ listed: [{ agentId: "agent-0", meshIpv4: "100.64.0.2", status: "degraded", lastSeenMs: T0 - 31_000 }] });
    assert.deepEqual(agentsHealthy.problems(degraded, EXPECT), ["agent-0 is degraded (last seen 32.5 s ago)", "agent-1 is not listed"]);
    const moved = sample({ listed: [{ agentId: "agent-0", meshIpv4: "100.64.0.4", status: "healthy", lastSeenMs: T0 + 5 }, { agentId: "agent-1", meshIpv4: "100.64.0.3", status: "healthy", lastSeenMs: T0 + 5 }] });
    assert.deepEqual(addressesStable.problems(moved, EXPECT), ["agent-0 is listed with 100.64.0.4, it had 100.64.0.2 before the round"]);
    const shared = sample({ listed: [{ agentId: "agent-0", meshIpv4: "100.64.0.3", status: "healthy", lastSeenMs: T0 + 5 }, { agentId: "agent-1", meshIpv4: "100.64.0.3", status: "healthy", lastSeenMs: T0 + 5 }, { agentId: "agent-1", meshIpv4: "100.64.0.3", status: "healthy", lastSeenMs: T0 + 5 }] });
    assert.deepEqual(uniqueListing.problems(shared, EXPECT), ["agent-1 is listed 2 times", "100.64.0.3 is listed for agent-0 and agent-1", "agent-0 is listed with agent-1's address 100.64.0.3"]);
    const stale = sample({ listed: [{ agentId: "agent-0", meshIpv4: "100.64.0.2", status: "healthy", lastSeenMs: T0 - 4_000 }, { agentId: "agent-1", meshIpv4: "100.64.0.3", status: "healthy", lastSeenMs: T0 + 1 }] });
    assert.match(lastSeenAfterHeal.problems(stale, EXPECT).join(), /^agent-0's last-seen has not advanced past 2026-01-01T00:00:00.000Z \(it is 4.0 s older\)$/);
    assert.deepEqual(discoveryRecord.problems(sample({ recordKey: undefined, recordError: "[not_found] colony x not found" }), EXPECT), ["LookupColony failed: [not_found] colony x not found"]);
    assert.deepEqual(discoveryRecord.problems(sample({ recordKey: "other=" }), EXPECT), ["the record's key is other=, the colony's is colony-key="]);
    assert.deepEqual(agentsHealthy.problems(sample({ listed: undefined, listError: "colony is not reachable" }), EXPECT), ["ListAgents failed: colony is not reachable"]);
  });

  it("judge the tunnel by MeshPing only: healthy with an unanswered MeshPing (the known defect, §3.5) fails mesh-ping, not agents-healthy", () => {
    const tunnelDown = sample({ pings: { "agent-0": { sent: 3, received: 0, error: "timeout" }, "agent-1": { sent: 3, received: 3 } } });
    assert.deepEqual(agentsHealthy.problems(tunnelDown, EXPECT), []);
    assert.deepEqual(meshPing.problems(tunnelDown, EXPECT), ["agent-0 answered 0/3 MeshPing (timeout)"]);
  });

  it("narrow to one agent for a fault's own recovery", () => {
    const tunnelDown = sample({ pings: { "agent-0": { sent: 1, received: 0 }, "agent-1": { sent: 1, received: 1 } } });
    assert.deepEqual(meshPing.problems(tunnelDown, EXPECT, ["agent-1"]), []);
    assert.equal(meshPing.problems(tunnelDown, EXPECT, ["agent-0"]).length, 1);
  });
});

describe("chaos summary", () => {
  it("gives per fault kind the count, recovery p50/max and the violations of its rounds", () => {
    const schedule = buildSchedule({ ...FIVE_MINUTES, seed: 1 });
    const history = new ChaosHistory(schedule);
    // Seed 1: discovery + colony, discovery + disconnect, kill, restart, restart.
    const rounds = [17_000, 21_000, 4_000, undefined, 30_000];
    const own = [[1_000, 17_000], [5_000, 2_000], [4_000], [undefined], [3_000]];
    history.rounds.forEach((round, i) => {
      round.startedAt = new Date(T0).toISOString();
      round.recoveryMs = rounds[i];
      round.faults.forEach((fault, j) => {
        fault.at = new Date(T0).toISOString();
        fault.recoveryMs = own[i]![j];
      });
    });
    const failed = (id: string): CheckResult => ({ id, title: id, module: "m", classname: "c", repetition: 1, outcome: "failed", message: `${id} broke`, startedAt: "", durationMs: 0, log: [], observations: [], metrics: [] });
    const report = chaosReport(history, [failed("chaos/round-04/mesh-ping"), failed("chaos/round-04/agents-healthy"), { ...failed("chaos/round-02/mesh-ping"), outcome: "passed" }]);
    assert.equal(report.roundsRun, 5);
    assert.equal(report.faultsInjected, 7);
    const byKind = Object.fromEntries(report.kinds.map((k) => [k.kind, k]));
    const kind = (k: string, count: number, own: number[], round: number[], notRecovered: number, violations: number) => ({
      kind: k, count, recoveryP50Ms: own[0], recoveryMaxMs: own[1], roundRecoveryP50Ms: round[0], roundRecoveryMaxMs: round[1], notRecovered, violations, healthyWithTunnelDown: 0,
    });
    assert.deepEqual(byKind["discovery-stop"], kind("discovery-stop", 2, [1_000, 5_000], [17_000, 21_000], 0, 0));
    assert.deepEqual(byKind["agent-restart"], kind("agent-restart", 2, [3_000, 3_000], [30_000, 30_000], 1, 2));
    assert.deepEqual(report.violations.map((v) => [v.round, v.invariant]), [[4, "mesh-ping"], [4, "agents-healthy"]]);
    assert.deepEqual(report.violations[0]!.faults, ["restart agent-0 at +0s"]);
    assert.equal(chaosProperties(report)["chaos.agent-restart.round-recovery.max.ms"], "30000");
    assert.match(chaosSummaryLines(report).join("\n"), /agent-restart\s+2\s+3\.00s\s+3\.00s\s+30\.0s\s+30\.0s\s+1\s+2\n/);
  });
});

describe("coral-e2e chaos on the command line (no Docker)", () => {
  it("--dry-run prints the same schedule for the same seed", async () => {
    const args = ["chaos", "--seed", "1", "--duration", "5m", "--dry-run"];
    const [first, second] = await Promise.all([spawnCli(BIN, args, { cwd: ROOT }), spawnCli(BIN, args, { cwd: ROOT })]);
    assert.equal(first.code, 0, first.stderr);
    assert.equal(first.stdout, second.stdout);
    assert.deepEqual(first.stdout.trimEnd().split("\n"), formatSchedule(buildSchedule(FIVE_MINUTES)));
  });

  it("without --seed draws a seed and prints it, with the command that replays it", async () => {
    const result = await spawnCli(BIN, ["chaos", "--duration", "2m", "--quick", "--dry-run"], { cwd: ROOT });
    const seed = /seed (\d+),/.exec(result.stdout)?.[1];
    assert.ok(seed, result.stdout);
    assert.match(result.stdout, new RegExp(`replay: coral-e2e chaos --seed ${seed} --duration 2m --agents 3 --quick`));
  });

  it("--layer 1 keeps the seed's rounds, adds the spans invariant and is part of the replay command", async () => {
    const result = await spawnCli(BIN, ["chaos", "--seed", "1", "--duration", "5m", "--layer", "1", "--dry-run"], { cwd: ROOT });
    assert.equal(result.code, 0, result.stderr);
    const lines = result.stdout.trimEnd().split("\n");
    const plain = formatSchedule(buildSchedule(FIVE_MINUTES));
    assert.deepEqual(lines.slice(1, -1), plain.slice(1, -1), "the same rounds");
    assert.match(lines[0]!, /, spans checked\)$/);
    assert.equal(lines.at(-1), "  replay: coral-e2e chaos --seed 1 --duration 5m --agents 3 --layer 1");
  });

  for (const [args, pattern] of [
    [["--faults", "agent-pause,agent-explode"], /^error: option '--faults <kinds>' argument 'agent-pause,agent-explode' is invalid\. unknown fault kind "agent-explode"; one of agent-stop, /],
    [["--seed", "-3"], /--seed <n>' argument '-3' is invalid/],
    [["--duration", "soon"], /--duration <duration>' argument 'soon' is invalid/],
    [["--layer", "2"], /--layer <n>' argument '2' is invalid\. chaos mode checks layer 1 only/],
  ] as const) {
    it(`${args.join(" ")} → exit 2 with one line`, async () => {
      const result = await spawnCli(BIN, ["chaos", ...args, "--dry-run"], { cwd: ROOT });
      assert.equal(result.code, 2, result.stderr);
      assert.equal(result.stderr.trimEnd().split("\n").length, 1, result.stderr);
      assert.match(result.stderr, pattern);
    });
  }
});
