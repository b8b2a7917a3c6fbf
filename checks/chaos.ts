// Chaos mode's checks, generated from a seeded schedule (src/chaos/schedule.ts) and run in order on
// one deployment (coral-e2e chaos). Round 0 waits for a healthy mesh and records each agent's mesh
// IP. Every round then injects its faults through the component handles, holds them while a watcher
// records what a user would see (ListAgents, MeshPing, discovery's record), heals them, and waits for
// the mesh to settle within the contract's deadline, timing the recovery from the heal to the first
// moment every invariant's probe holds. After it, each invariant is a check of its own, named
// `chaos/round-NN/<invariant>`: a violation fails the run with the round, its faults and the seed.
import { CATALOGUE, type FaultKindId, type ScheduledFault, describeFault, injectFault, performFault } from "../src/chaos/catalogue.js";
import { type ChaosHistory, type FaultOutcome, type RoundOutcome, roundCheckId } from "../src/chaos/history.js";
import {
  AGENT_INVARIANTS,
  type Expectation,
  type MeshSample,
  SAMPLED_INVARIANTS,
  type SampledInvariant,
  addressesStable,
  agentsHealthy,
  discoveryRecord,
  lastSeenAfterHeal,
  meshPing,
  problemsOf,
  sampleMesh,
  uniqueListing,
  userView,
} from "../src/chaos/mesh.js";
import { type Round, type Schedule, describeRound } from "../src/chaos/schedule.js";
import type { CoralDeployment } from "../src/coral/deployment.js";
import { PARTS } from "../src/coral/parts.js";
import { LIVENESS, TIMERS } from "../src/coral/settings.js";
import { CheckFailure, type CheckModule, type Touches } from "../src/runner/check.js";
import { allChecks, type Plan } from "../src/runner/plan.js";
import { pause } from "../src/util/time.js";
import { crashLines } from "./closing.js";
import { startOtelApp, type Check, type T } from "./support.js";

/** An invariant may take one heartbeat interval to show again (a lost MeshPing packet, a slow listing). */
const GRACE_MS = TIMERS.heartbeatIntervalMs;
/** Docker stop/start/restart with their grace and timeouts, discovery's health after its start. */
const FAULT_OPERATIONS_MS = 90_000;
/** How long the engine lets a stopped round heal its faults (Ctrl-C, --timeout) before moving on. */
export const HEAL_LIMIT_MS = FAULT_OPERATIONS_MS;
/**
 * The agents are listed when the deployment is up; within the colony's degraded threshold (§3.5)
 * they must also heartbeat and answer MeshPing (§7.1 saw both within ~5 s of an agent's start).
 */
const BASELINE_MS = LIVENESS.degradedAfterMs;
const WATCH_INTERVAL_MS = 2_000;
const SETTLE_INTERVAL_MS = 1_000;
/** MeshPing count of the invariant checks (as the connectivity checks); the watcher sends one. */
const PING_COUNT = 3;

const OBSERVES: Touches = { observes: [PARTS.agents, PARTS.discovery] };

/** What the checks of one chaos run share: the schedule, its history, and what the invariants expect now. */
class ChaosRun {
  expect: Expectation = { agents: [], ips: {}, colonyKey: "", since: 0 };
  private readonly crashesSeen = new Set<string>();
  private lastScanSeconds = 0;

  constructor(
    readonly schedule: Schedule,
    readonly history: ChaosHistory,
  ) {}

  get seed(): number {
    return this.schedule.options.seed;
  }

  sample(t: T, pingCount: number): Promise<MeshSample> {
    return sampleMesh(t.env, this.expect.agents, { pingCount, signal: t.signal });
  }

  /** Where a violation happened, for its message: the round, its faults, the seed. */
  context(index: number): string {
    if (index === 0) return `before the first fault (seed ${this.seed})`;
    return `after round ${index} of seed ${this.seed} (${describeRound(this.schedule.rounds[index - 1]!)})`;
  }

  /** Crash lines logged since the last scan that were not reported before. */
  async newCrashLines(deployment: CoralDeployment): Promise<string[]> {
    const since = this.lastScanSeconds;
    this.lastScanSeconds = Math.floor(Date.now() / 1000) - 1; // Docker's `since` has one-second steps
    const found: string[] = [];
    for (const container of deployment.scope.containers()) {
      for (const line of crashLines(await container.logs({ sinceSeconds: since }), deployment.provokedLogLines)) {
        const key = `${container.role}: ${line}`;
        if (!this.crashesSeen.has(key)) found.push(key);
        this.crashesSeen.add(key);
      }
    }
    return found;
  }
}

/** The plan of a chaos run: round 0, then each scheduled round followed by its invariant checks. */
export function chaosPlan(schedule: Schedule, history: ChaosHistory): Plan<CoralDeployment> {
  const run = new ChaosRun(schedule, history);
  const modules: CheckModule<CoralDeployment>[] = [
    { name: "chaos round 0: before the first fault", phase: "connectivity", checks: [baseline(run), ...invariantChecks(run, 0)] },
    ...schedule.rounds.map((round) => ({
      name: `chaos round ${round.index}: ${describeRound(round)}`,
      phase: "connectivity" as const,
      checks: [roundCheck(run, round), ...invariantChecks(run, round.index)],
    })),
  ];
  const checks = allChecks(modules).map(({ info, spec }) => ({ spec, info: { ...info, classname: `chaos.${info.id.split("/")[1]}` } }));
  return { checks };
}

function baseline(run: ChaosRun): Check {
  return {
    id: roundCheckId(0),
    title: "before the first fault every invariant holds; each agent's mesh IP and the colony's key are recorded",
    touches: OBSERVES,
    timeoutMs: BASELINE_MS + 30_000,
    async run(t) {
      const status = await (await t.env.colony.api()).getStatus({}, { signal: t.signal });
      t.verify(status.wireguardPublicKey !== "", "the colony reports its WireGuard key (GetStatus)", status.wireguardPublicKey);
      run.expect = { agents: t.env.agents.map((a) => a.agentId), ips: {}, colonyKey: status.wireguardPublicKey, since: Date.now() };
      // The addresses the agents hold now are the ones every later round must keep.
      const expectFrom = (sample: MeshSample): Expectation => ({
        ...run.expect,
        ips: Object.fromEntries(run.expect.agents.map((id) => [id, sample.listed?.find((a) => a.agentId === id)?.meshIpv4 ?? ""])),
      });
      let last: MeshSample | undefined;
      try {
        last = await t.waitFor(
          "every invariant's probe to hold before the first fault",
          async () => (last = await run.sample(t, 1)),
          (sample) => problemsOf(SAMPLED_INVARIANTS, sample, expectFrom(sample)).length === 0,
          { timeoutMs: BASELINE_MS, intervalMs: SETTLE_INTERVAL_MS },
        );
      } catch (error) {
        if (!(error instanceof CheckFailure) || !last) throw error;
        run.expect = expectFrom(last);
        t.fail(`the mesh did not settle ${run.context(0)}: ${problemsOf(SAMPLED_INVARIANTS, last, run.expect).join("; ")}`, userView(last, run.expect.agents));
      }
      run.expect = expectFrom(last);
      t.observe("mesh IPs", run.expect.ips);
    },
  };
}

/** The container state a fault must have brought about, where it is one. */
const FORCED_STATE: Partial<Record<FaultKindId, RegExp>> = {
  "agent-stop": /^exited/,
  "agent-kill": /^exited/,
  "agent-pause": /^paused$/,
  "discovery-stop": /^exited/,
};

function roundCheck(run: ChaosRun, round: Round): Check {
  const targets = [...new Set(round.faults.map((f) => f.target))];
  return {
    id: roundCheckId(round.index),
    title: `round ${round.index}: ${describeRound(round)}; the mesh settles within ${round.settleMs / 1000}s`,
    needs: [roundCheckId(0)],
    touches: { disturbs: targets, observes: [PARTS.agents, PARTS.discovery] },
    timeoutMs: round.holdMs + round.settleMs + 2 * FAULT_OPERATIONS_MS,
    async run(t) {
      const record = run.history.round(round.index);
      record.startedAt = new Date().toISOString();
      const watch = new RoundWatch(t, run, round, record);

      // The addresses before the round: a change in an earlier round is judged there, not again here.
      const before = await run.sample(t, 1);
      watch.see(before);
      const unsettled = problemsOf(SAMPLED_INVARIANTS, before, run.expect);
      if (unsettled.length) {
        record.unsettledAtStart = unsettled;
        t.observe("the round starts on a mesh that has not settled", unsettled);
      }
      for (const agent of before.listed ?? []) if (agent.meshIpv4 && agent.agentId in run.expect.ips) run.expect.ips[agent.agentId] = agent.meshIpv4;

      await injectHoldHeal(t, run, round, record, watch);
      const healedAt = Date.now();
      record.healedAt = new Date(healedAt).toISOString();
      run.expect = { ...run.expect, since: healedAt };
      for (const fault of record.faults) fault.healedAt ??= record.healedAt;
      await settle(t, run, round, record, watch, healedAt);
    },
  };
}

/** Injects the held faults, performs the instant ones at their moment, and heals everything, also when stopped. */
async function injectHoldHeal(t: T, run: ChaosRun, round: Round, record: RoundOutcome, watch: RoundWatch): Promise<void> {
  const heals: Array<{ fault: ScheduledFault; heal: () => Promise<void> }> = [];
  const outcome = (fault: ScheduledFault) => record.faults[round.faults.indexOf(fault)]!;
  const watching = new AbortController();
  const watcher = sampleEvery(t, run, WATCH_INTERVAL_MS, watching.signal, (sample) => watch.see(sample, true));
  let instants: Array<Promise<void>> = [];
  try {
    for (const fault of round.faults.filter((f) => f.atMs === undefined)) {
      heals.push({ fault, heal: await injectFault(t.env, fault, round.holdMs) });
      outcome(fault).at = new Date().toISOString();
      await verifyForced(t, fault);
    }
    instants = round.faults
      .filter((f) => f.atMs !== undefined)
      .map(async (fault) => {
        await pause(fault.atMs!, t.signal);
        await performFault(t.env, fault);
        // A restart is over when it returns: its recovery is timed from then, during the hold.
        outcome(fault).at = outcome(fault).healedAt = new Date().toISOString();
        t.verify(true, `${describeFault(fault)}: done`);
      });
    await Promise.all([pause(round.holdMs, t.signal), ...instants]);
  } finally {
    // A restart under way finishes first (it ends by itself); then every held fault is healed,
    // before waiting for the watcher's samples still in flight.
    await Promise.allSettled(instants);
    watching.abort();
    const failures = await healAll(heals);
    await watcher;
    if (failures.length) throw new Error(`could not heal ${failures.join("; ")}`);
  }
  for (const { fault } of heals) {
    const container = containerOf(t, fault);
    if (container && FORCED_STATE[fault.kind]) t.verify((await container.state()) === "running", `${describeFault(fault)}: healed, the container runs again`, await container.state());
    else t.verify(true, `${describeFault(fault)}: healed`);
  }
}

function containerOf(t: T, fault: ScheduledFault) {
  if (fault.target === "discovery") return t.env.discovery.container;
  if (fault.target === "colony") return t.env.colony.container;
  return t.env.agents.find((a) => a.agentId === fault.target)?.container;
}

async function verifyForced(t: T, fault: ScheduledFault): Promise<void> {
  const expected = FORCED_STATE[fault.kind];
  const container = containerOf(t, fault);
  if (!expected || !container) return t.verify(true, `${describeFault(fault)}: injected`);
  const state = await container.state();
  t.verify(expected.test(state), `${describeFault(fault)}: the container is ${expected.source.replace(/[\^$]/g, "")}`, state);
}

/** Heals discovery first (agents restarted in the same round look it up), then the rest at once. */
async function healAll(heals: Array<{ fault: ScheduledFault; heal: () => Promise<void> }>): Promise<string[]> {
  const failures: string[] = [];
  const heal = async ({ fault, heal }: (typeof heals)[number]) => {
    try {
      await heal();
    } catch (error) {
      failures.push(`${describeFault(fault)}: ${(error as Error).message}`);
    }
  };
  for (const entry of heals.filter((h) => h.fault.target === "discovery")) await heal(entry);
  await Promise.all(heals.filter((h) => h.fault.target !== "discovery").map(heal));
  return failures;
}

/**
 * Samples the mesh until every invariant's probe holds or the settle deadline passes (never shorter
 * than the contract's, whatever --timeout-scale): the round's recovery runs from its last heal to
 * the first sample in which all of them hold.
 */
async function settle(t: T, run: ChaosRun, round: Round, record: RoundOutcome, watch: RoundWatch, healedAt: number): Promise<void> {
  const done = new AbortController();
  const timer = setTimeout(() => done.abort(), healedAt + round.settleMs * Math.max(1, t.scaled(1)) - Date.now());
  const stop = () => done.abort();
  t.signal.addEventListener("abort", stop, { once: true });
  let last: MeshSample | undefined;
  try {
    await sampleEvery(t, run, SETTLE_INTERVAL_MS, done.signal, (sample) => {
      watch.see(sample);
      last = sample;
      if (problemsOf(SAMPLED_INVARIANTS, sample, run.expect).length > 0) return;
      record.recoveryMs = sample.at - healedAt;
      done.abort();
    });
  } finally {
    clearTimeout(timer);
    t.signal.removeEventListener("abort", stop);
  }
  t.signal.throwIfAborted();
  if (record.recoveryMs !== undefined) {
    t.metric("round recovery", record.recoveryMs, "ms");
    t.observe(`settled ${(record.recoveryMs / 1000).toFixed(1)} s after the heal`, last && userView(last, run.expect.agents));
    return;
  }
  record.unsettledAtDeadline = last ? problemsOf(SAMPLED_INVARIANTS, last, run.expect) : ["no sample of the mesh was answered"];
  t.observe(`not settled ${(round.settleMs / 1000).toFixed(0)} s after the heal (the invariants judge it)`, record.unsettledAtDeadline);
}

/** Samples in flight at once at most: one may hang to its 10 s timeout while the colony starts (§6.21). */
const MAX_SAMPLES_IN_FLIGHT = 4;

/**
 * Starts a sample of the mesh every `intervalMs` until `stop` aborts, without waiting for a slow one
 * (a call to a colony that is still starting can take its whole 10 s timeout, and recoveries are
 * timed from samples), and hands each to `onSample` as it comes in, until `stop`. Resolves once the
 * samples in flight are in.
 */
async function sampleEvery(t: T, run: ChaosRun, intervalMs: number, stop: AbortSignal, onSample: (sample: MeshSample) => void): Promise<void> {
  const inFlight = new Set<Promise<void>>();
  while (!stop.aborted) {
    if (inFlight.size < MAX_SAMPLES_IN_FLIGHT) {
      const sample: Promise<void> = run
        .sample(t, 1)
        .then((s) => void (stop.aborted || onSample(s)))
        .catch(() => undefined) // a sample that fails says nothing; the next one will
        .finally(() => inFlight.delete(sample));
      inFlight.add(sample);
    }
    await pause(intervalMs, stop).catch(() => undefined);
  }
  await Promise.allSettled([...inFlight]);
}

/**
 * What must hold again after one fault: the invariants about its agent; for a colony restart, those
 * about every agent no other fault of the round touches, and the listing's uniqueness; for discovery,
 * its record of the colony.
 */
function scopeOf(fault: ScheduledFault, round: Round, expect: Expectation): { invariants: SampledInvariant[]; agents: string[] } {
  switch (CATALOGUE[fault.kind].target) {
    case "agent":
      return { invariants: AGENT_INVARIANTS, agents: [fault.target] };
    case "discovery":
      return { invariants: [discoveryRecord], agents: [] };
    case "colony": {
      // Every agent no other fault of the round touches; all of them when each one is touched.
      const untouched = expect.agents.filter((id) => !round.faults.some((f) => f.target === id));
      return { invariants: [...AGENT_INVARIANTS, uniqueListing], agents: untouched.length ? untouched : expect.agents };
    }
  }
}

const LISTED_RANK = ["healthy", "degraded", "unhealthy", "absent"];

/**
 * Records what a user would see during a round (each change of the mesh as ListAgents, MeshPing and
 * discovery show it), the worst state each faulted agent was listed in, and each fault's own
 * recovery: from its heal (a restart: from its return, so during the hold) to the first sample
 * taken after it in which the invariants about what it touched hold.
 */
class RoundWatch {
  private lastView?: string;

  constructor(
    private readonly t: T,
    private readonly run: ChaosRun,
    private readonly round: Round,
    private readonly record: RoundOutcome,
  ) {}

  /** `holding`: the round's held faults are in force (the watcher's samples, not the settle loop's). */
  see(sample: MeshSample, holding = false): void {
    this.record.samples++;
    this.round.faults.forEach((fault, i) => {
      const outcome = this.record.faults[i]!;
      if (fault.target.startsWith("agent-")) this.seeTarget(outcome, sample, holding);
      this.seeRecovery(fault, outcome, sample);
    });
    const view = userView(sample, this.run.expect.agents);
    if (view !== this.lastView) this.t.observe("the mesh as a user sees it", view);
    this.lastView = view;
  }

  private seeRecovery(fault: ScheduledFault, outcome: FaultOutcome, sample: MeshSample): void {
    if (!outcome.healedAt || outcome.recoveryMs !== undefined) return;
    const healedAt = Date.parse(outcome.healedAt);
    if (sample.startedAt < healedAt) return;
    const { invariants, agents } = scopeOf(fault, this.round, this.run.expect);
    if (problemsOf(invariants, sample, { ...this.run.expect, since: healedAt }, agents).length > 0) return;
    outcome.recoveryMs = sample.at - healedAt;
    this.t.metric(`recovery after ${outcome.description}`, outcome.recoveryMs, "ms");
  }

  private seeTarget(fault: FaultOutcome, sample: MeshSample, holding: boolean): void {
    if (!sample.listed) return;
    const listed = sample.listed.find((a) => a.agentId === fault.target);
    const state = listed?.status ?? "absent";
    const rank = (s?: string) => (s === undefined ? -1 : LISTED_RANK.indexOf(s) < 0 ? LISTED_RANK.length : LISTED_RANK.indexOf(s));
    if (rank(state) > rank(fault.worstListed)) fault.worstListed = state;
    // Coral's known defect (§3.5, §6.7): its last-seen advanced during the fault while its tunnel
    // answered nothing (it re-registered over the underlay), so it stays healthy. Counted, never a
    // violation. A stopped agent still healthy within the 30 s threshold is not this: its last-seen stands.
    const ping = sample.pings[fault.target];
    const injectedAt = fault.at ? Date.parse(fault.at) : Infinity;
    if (holding && state === "healthy" && listed!.lastSeenMs > injectedAt && ping && ping.sent > 0 && ping.received === 0) fault.healthyWithTunnelDown++;
  }
}

function invariantChecks(run: ChaosRun, index: number): Check[] {
  const needs = index === 0 ? [] : [roundCheckId(index)];
  const check = (id: string, title: string, body: (t: T) => Promise<void>, timeoutMs = 45_000): Check => ({
    id: `${roundCheckId(index)}/${id}`,
    title,
    needs,
    touches: OBSERVES,
    timeoutMs,
    run: body,
  });
  const sampled = (inv: SampledInvariant, extra?: (t: T) => Promise<string[]>) =>
    check(inv.id, inv.title, async (t) => {
      await holds(t, run, index, inv, run.expect);
      const more = extra ? await extra(t) : [];
      if (more.length) t.fail(`${inv.title}: violated ${run.context(index)}: ${more.join("; ")}`, more);
      if (extra) t.verify(true, `${inv.title}, as the agents' own wg0 shows too`);
    });
  return [
    sampled(agentsHealthy),
    sampled(addressesStable, (t) => wg0Problems(t, run)),
    sampled(meshPing),
    check(lastSeenAfterHeal.id, lastSeenAfterHeal.title, async (t) => {
      // A heartbeat after the heal, and the next one: last-seen must pass the latest value seen now.
      const now = await run.sample(t, 1);
      const latest = Math.max(run.expect.since, ...(now.listed ?? []).filter((a) => run.expect.agents.includes(a.agentId)).map((a) => a.lastSeenMs));
      await holds(t, run, index, lastSeenAfterHeal, { ...run.expect, since: latest }, 2 * TIMERS.heartbeatIntervalMs + 1_000);
    }),
    sampled(uniqueListing),
    sampled(discoveryRecord),
    check("no-crash-lines", "no panic or fatal line in any container's log", async (t) => {
      const lines = await run.newCrashLines(t.env);
      if (lines.length) t.fail(`a component crashed ${run.context(index)}: ${lines.slice(0, 5).join(" | ")}`, lines);
      t.verify(true, `no new panic or fatal line in the logs of ${t.env.scope.containers().length} containers`);
    }),
    // An app's start (≤ 30 s) and then the colony's polls.
    ...(run.schedule.options.spans ? [check("spans-reach-colony", "an app's spans sent after the round reach the colony", (t) => spansReachColony(t, run, index), 75_000)] : []),
  ];
}

/** The colony's telemetry poll (1 s here, §4.2) and its aggregation, with room for a slow poll round. */
const SPANS_AT_COLONY_MS = 30_000;

/**
 * A fresh app per round, under its own service name, next to an agent in turn (a round may have
 * restarted or killed it: an app in its namespaces would have died with it, §10 #24): its spans
 * must show up in the colony's otel_summaries. The app is started and connected like L1's.
 */
async function spansReachColony(t: T, run: ChaosRun, index: number): Promise<void> {
  const agent = t.env.agents[index % t.env.agents.length]!;
  const service = `chaos-spans-r${String(index).padStart(2, "0")}`;
  const port = 8100 + index;
  const app = await startOtelApp(t, agent, service, "grpc", port).catch((error: Error) =>
    t.fail(`an app could not start next to ${agent.agentId} ${run.context(index)}: ${error.message}`),
  );
  const colony = await t.env.colony.api();
  const sql = `SELECT sum(total_spans) FROM otel_summaries WHERE service_name = '${service}'`;
  let sent = 0;
  try {
    await t.waitFor(
      `the colony's otel_summaries to count spans of ${service} (app next to ${agent.agentId})`,
      async () => {
        sent += (await app.drive("/api/users", 3)).sent;
        const res = await colony.executeQuery({ sql, maxRows: 1 }, { signal: t.signal });
        const spans = Number(res.rows[0]?.values[0]); // sum() of no rows is NULL
        return Number.isFinite(spans) ? spans : 0;
      },
      (spans) => spans > 0,
      { timeoutMs: SPANS_AT_COLONY_MS, intervalMs: SETTLE_INTERVAL_MS },
    );
  } catch (error) {
    if (!(error instanceof CheckFailure)) throw error;
    t.fail(`an app's spans sent after the round reach the colony: violated ${run.context(index)}: no span of ${service} in the colony's otel_summaries ${SPANS_AT_COLONY_MS / 1000} s after its app next to ${agent.agentId} served ${sent} requests`, error.message);
  }
}

/** Waits up to `graceMs` for a fresh sample in which the invariant holds; otherwise fails naming the round, its faults and the seed. */
async function holds(t: T, run: ChaosRun, index: number, inv: SampledInvariant, expect: Expectation, graceMs: number = GRACE_MS): Promise<void> {
  let last: MeshSample | undefined;
  try {
    await t.waitFor(
      inv.title,
      async () => (last = await run.sample(t, PING_COUNT)),
      (sample) => inv.problems(sample, expect).length === 0,
      { timeoutMs: graceMs, intervalMs: SETTLE_INTERVAL_MS },
    );
  } catch (error) {
    if (!(error instanceof CheckFailure) || !last) throw error;
    t.fail(`${inv.title}: violated ${run.context(index)}: ${inv.problems(last, expect).join("; ")}`, userView(last, expect.agents));
  }
}

/** The address each agent's own wg0 carries must be the one it had before the round. */
async function wg0Problems(t: T, run: ChaosRun): Promise<string[]> {
  const problems = await Promise.all(
    t.env.agents.map(async (agent) => {
      const want = `${run.expect.ips[agent.agentId]}/32`;
      const wg = await agent.wg0().catch((error: Error) => error);
      if (wg instanceof Error) return `${agent.agentId}'s wg0 could not be read: ${wg.message}`;
      return wg.addresses.includes(want) ? undefined : `${agent.agentId}'s wg0 carries ${wg.addresses.join(", ") || "no address"}, not ${want}`;
    }),
  );
  return problems.filter((p): p is string => p !== undefined);
}
