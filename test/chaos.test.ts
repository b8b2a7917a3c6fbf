// Proof that chaos mode can fail, and passes when nothing is broken: runs on the reference images,
// short (--quick holds, one round, two agents, fixed seeds). Without a fault switch every invariant
// holds after every round; with each switch that breaks re-registration, address stability,
// heartbeats, discovery's record or (with --layer 1) the colony's telemetry poller, the run fails
// on the invariant that guards the promise, naming the round, its faults and the seed. Ctrl-C in the
// middle of a round heals the fault (left healed with --keep-containers) and writes the reports.
// Two runs at a time, as the fault matrix.
import assert from "node:assert/strict";
import { mkdtemp, readFile, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, test } from "node:test";
import { chaosPlan, HEAL_LIMIT_MS } from "../checks/chaos.js";
import type { FaultKindId } from "../src/chaos/catalogue.js";
import { ChaosHistory, chaosReport, type ChaosReport } from "../src/chaos/history.js";
import type { InvariantId } from "../src/chaos/mesh.js";
import { buildSchedule } from "../src/chaos/schedule.js";
import { postRaw } from "../src/coral/clients.js";
import { DockerClient } from "../src/docker/client.js";
import { newRunId } from "../src/docker/labels.js";
import { runSuite } from "../src/runner/engine.js";
import type { RunSummary } from "../src/runner/results.js";
import { BIN, spawnCli } from "./support/spawn-cli.js";
import { type ReferenceDeployment, referenceProvider } from "./support/reference-provider.js";

interface ChaosRow extends ReferenceDeployment {
  name: string;
  faults: FaultKindId[];
  /** The invariants that must fail (in some round), each with what its message must say. */
  failing: Partial<Record<InvariantId, RegExp>>;
  /** Invariants that may fail too, by timing: an agent whose heartbeats stopped turns degraded 30 s later. */
  mayFail?: InvariantId[];
  /** --layer 1: an app's spans must reach the colony after every round. */
  spans?: boolean;
}

const rows: ChaosRow[] = [
  {
    name: "agents that never re-register do not come back after a colony restart",
    refFaults: { agent: "never-reregister" },
    faults: ["colony-restart"],
    failing: {
      "agents-healthy": /agent-0 is not listed/,
      "addresses-stable": /agent-0 is not listed \(it had 100\.64\.0\.\d+\)/,
      "mesh-ping": /agent-0 answered 0\/0 MeshPing/,
      "last-seen-advancing": /agent-0 has no last-seen/,
    },
  },
  {
    name: "a colony that hands out a new address on re-registration",
    refFaults: { colony: "new-ip-on-reconnect" },
    faults: ["colony-restart"],
    failing: { "addresses-stable": /agent-\d is listed with 100\.64\.0\.\d+, it had 100\.64\.0\.\d+ before the round/ },
  },
  {
    name: "agents whose heartbeats stop",
    refFaults: { agent: "stop-heartbeats-after=25s" },
    faults: ["underlay-cut"],
    failing: { "last-seen-advancing": /agent-\d's last-seen has not advanced past/ },
    mayFail: ["agents-healthy"],
  },
  {
    name: "a colony that ignores heartbeats",
    refFaults: { colony: "ignore-heartbeats" },
    faults: ["underlay-cut"],
    failing: { "last-seen-advancing": /agent-\d's last-seen has not advanced past/ },
    mayFail: ["agents-healthy"],
  },
  {
    name: "a colony that stops refreshing its discovery record, and a colony that panicked",
    refFaults: { colony: "no-discovery-refresh" },
    // Coral's short-key panic (§6.16): a crash line in the colony's log, whatever the round.
    inject: async (d) => void (await postRaw(`${await d.colony.url()}/coral.mesh.v1.MeshService/Register`, JSON.stringify({ agentId: "panic", colonyId: d.colony.id, wireguardPubkey: "x" }))),
    faults: ["underlay-cut"],
    failing: { "discovery-record": /LookupColony failed: .*not.found/i, "no-crash-lines": /a component crashed before the first fault \(seed 1\): colony: .*panic/ },
  },
  {
    name: "a colony that gives every agent the same address",
    refFaults: { colony: "duplicate-mesh-ip" },
    faults: ["underlay-cut"],
    failing: { "unique-listing": /100\.64\.0\.2 is listed for agent-0 and agent-1/ },
    // Two WireGuard peers with one allowed IP: one agent loses its tunnel, re-registers over the
    // underlay between heartbeats, and its last-seen was seen to stall or step back (0.2-0.3 s).
    mayFail: ["last-seen-advancing", "agents-healthy"],
  },
  {
    name: "a colony whose telemetry poller stops after its first poll (--layer 1)",
    refFaults: { colony: "poller-stops-after-first-poll" },
    spans: true,
    faults: ["underlay-cut"],
    failing: { "spans-reach-colony": /no span of chaos-spans-r0\d in the colony's otel_summaries 30 s after its app next to agent-\d served \d+ requests/ },
  },
];

async function runChaos(row: ChaosRow): Promise<{ summary: RunSummary; report: ChaosReport }> {
  const schedule = buildSchedule({ seed: 1, durationMs: 30_000, agents: 2, faults: row.faults, quick: true, spans: row.spans });
  const history = new ChaosHistory(schedule);
  const summary = await runSuite({
    runId: newRunId(),
    plan: chaosPlan(schedule, history),
    provider: referenceProvider({ ...row, agents: 2 }),
    concurrency: 1,
    limits: { settleMs: HEAL_LIMIT_MS },
  });
  return { summary, report: chaosReport(history, summary.results) };
}

describe("chaos mode on the reference images", { concurrency: 2 }, () => {
  test("passes without a fault switch: every invariant holds after rounds of overlapping faults", async () => {
    const dir = await mkdtemp(join(tmpdir(), "coral-e2e-chaos-"));
    try {
      const json = join(dir, "report.json");
      // Seed 414: an agent restart, a kill and a colony restart at once; CPU pressure, a discovery
      // outage and a pause; a WireGuard drop.
      const args = ["chaos", "--seed", "414", "--duration", "2m", "--quick", "--agents", "2", "--layer", "1", "--images", "reference", "--json", json, "--artifacts", join(dir, "a")];
      const result = await spawnCli(BIN, args, { cwd: dir, guardMs: 600_000 });
      assert.equal(result.code, 0, result.stdout + result.stderr);
      assert.match(result.stdout, /^chaos schedule: seed 414, 3 rounds planned/);
      const report = JSON.parse(await readFile(json, "utf8")) as RunSummary & { chaos: ChaosReport };
      assert.equal(report.chaos.roundsRun, 3);
      assert.equal(report.chaos.violations.length, 0);
      // --layer 1: after every round (and before the first) a fresh app's spans reached the colony.
      const spans = report.results.filter((r) => r.id.endsWith("/spans-reach-colony"));
      assert.deepEqual(spans.map((r) => [r.id, r.outcome]), [0, 1, 2, 3].map((i) => [`chaos/round-0${i}/spans-reach-colony`, "passed"]));
      assert.deepEqual(report.chaos.kinds.map((k) => k.kind).sort(), ["agent-kill", "agent-pause", "agent-restart", "colony-restart", "cpu-pressure", "discovery-stop", "wireguard-drop"]);
      for (const kind of report.chaos.kinds) assert.ok(kind.recoveryMaxMs !== undefined && kind.notRecovered === 0, `${kind.kind} recovered`);
      assert.equal(report.properties["chaos.seed"], "414");
      // Every fault is on the run's timeline, healed, under the round that injected it.
      const windows = report.timeline!.faults.filter((f) => f.checkId === "chaos/round-02");
      assert.deepEqual(windows.map((f) => f.kind).sort(), ["cpu-pressure", "pause", "stop"]);
      assert.ok(windows.every((f) => f.endedAt), "healed");
      assert.match(result.stdout, /agent-kill\s+1\s+\d/);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });

  for (const row of rows) {
    test(`fails naming the invariant: ${row.name}`, async () => {
      const { summary, report } = await runChaos(row);
      const seen = summary.results.map((r) => `${r.id}: ${r.outcome}${r.message ? ` (${r.message})` : ""}`).join("\n");
      assert.equal(summary.status, "failed", seen);
      for (const [invariant, pattern] of Object.entries(row.failing)) {
        const violation = report.violations.find((v) => v.invariant === invariant);
        assert.ok(violation, `${invariant} should fail; results:\n${seen}`);
        const where = violation.round === 0 ? /violated before the first fault \(seed 1\)|crashed before the first fault \(seed 1\)/ : new RegExp(`after round ${violation.round} of seed 1 \\(.+, held \\d+s\\)`);
        assert.match(violation.message, where, "the message names the round, its faults and the seed");
        assert.match(violation.message, pattern!, `${invariant}'s message names the cause`);
      }
      const allowed = [...Object.keys(row.failing), ...(row.mayFail ?? [])];
      const failed = [...new Set(report.violations.map((v) => v.invariant))];
      assert.deepEqual(failed.filter((i) => !allowed.includes(i)), [], `only the invariants the switch breaks fail; results:\n${seen}`);
    });
  }

  test("Ctrl-C during a round heals its fault, writes the reports and, with --keep-containers, leaves the mesh healed", async () => {
    const dir = await mkdtemp(join(tmpdir(), "coral-e2e-chaos-sigint-"));
    const docker = new DockerClient();
    let runId: string | undefined;
    try {
      const json = join(dir, "report.json");
      // Seed 9: agent-0 paused for 52 s in round 1.
      const args = ["chaos", "--seed", "9", "--duration", "1m", "--agents", "1", "--faults", "agent-pause", "--images", "reference", "--keep-containers", "--json", json, "--artifacts", join(dir, "a")];
      let sent = false;
      const result = await spawnCli(BIN, args, {
        cwd: dir,
        guardMs: 240_000,
        onStderr: (text, kill) => {
          if (!sent && /▶ chaos\/round-01:/.test(text)) {
            sent = true;
            setTimeout(() => kill("SIGINT"), 4_000);
          }
        },
      });
      assert.ok(sent, `the run reached round 1; output:\n${result.stdout}${result.stderr}`);
      assert.equal(result.code, 130, result.stdout + result.stderr);
      assert.match(result.stderr, /SIGINT: healing the active faults, writing reports, keeping containers/);
      const report = JSON.parse(await readFile(json, "utf8")) as RunSummary & { chaos: ChaosReport };
      runId = report.runId;
      assert.equal(report.status, "interrupted");
      const pause = report.timeline!.faults.find((f) => f.kind === "pause" && f.target === "agent-0");
      assert.ok(pause?.endedAt, "the pause was healed before the run ended");
      const containers = await docker.runContainers(runId);
      assert.equal(containers.find((c) => c.role === "agent-0")?.state, "running", JSON.stringify(containers));
    } finally {
      if (runId) await docker.removeLabelled(runId);
      await rm(dir, { recursive: true, force: true });
    }
  });
});
