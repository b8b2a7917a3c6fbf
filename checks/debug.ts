// Layer 3 (on-demand): a CPU profile taken through the colony returns what was asked for, the
// function registry lists the SDK app's functions, and a uprobe session on a Go function records
// every call with its duration (observability.md §3.3, §3.5, §4.5, §4.6, §5.2, §10 #10, #16, #18,
// #25, #27, #28). Runs on the eBPF agent; skipped with the preflight's reason when it cannot.
import { Code } from "@connectrpc/connect";
import type { Duration } from "@bufbuild/protobuf/wkt";
import type { UprobeEvent } from "../proto/gen/coral/agent/v1/debug_pb.js";
import { FIXTURES, TIMERS } from "../src/coral/settings.js";
import { pause } from "../src/util/time.js";
import { appOnEbpfAgent, frameShare, HOT_FRAME, stackCounts, topStacks } from "./ebpf-support.js";
import { attempt, connectCode, type Check, type Module } from "./support.js";
import { PARTS } from "../src/coral/parts.js";

const EBPF = { capabilities: ["ebpf"] };
const CPU = FIXTURES.cpuApp;
const SDK = FIXTURES.sdkApp;

/** The on-demand profile's parameters and the stated tolerance on its sample count. */
const PROFILE = { seconds: 5, hz: 99, busyThreads: 1, minShare: 0.3, maxShare: 1.5 };
/** Calls driven through the uprobe; durations within ±50 % of the fixed latency (Coral's own tolerance). */
const CALLS = 5;
const LATENCY_TOLERANCE = 0.5;

const ms = (d?: Duration) => (d ? Number(d.seconds) * 1000 + d.nanos / 1e6 : 0);
const seconds = (s: number): Duration => ({ $typeName: "google.protobuf.Duration", seconds: BigInt(s), nanos: 0 });
const withinLatency = (valueMs: number) => Math.abs(valueMs - SDK.probeLatencyMs) <= LATENCY_TOLERANCE * SDK.probeLatencyMs;

const profileCpu: Check = {
  id: "debug/profile-cpu",
  title: `an on-demand profile of ${PROFILE.seconds} s at ${PROFILE.hz} Hz of a busy ${CPU.name} returns the expected samples and hot frame`,
  requires: EBPF,
  // It keeps the eBPF agent's CPU app busy: no other check may profile it meanwhile.
  touches: { disturbs: [PARTS.ebpfAgent] },
  timeoutMs: 120_000,
  async run(t) {
    const { app } = await appOnEbpfAgent(t, CPU);
    const debug = await t.env.colony.debug();
    // Busy only while the profile runs (§10 #28): one burst covering the lookup and the profile.
    const burst = attempt(app.get(`/burn?ms=${(PROFILE.seconds + 3) * 1000}&threads=${PROFILE.busyThreads}`, (PROFILE.seconds + 30) * 1000));
    const started = Date.now();
    const res = await debug.profileCPU(
      { serviceName: CPU.name, durationSeconds: PROFILE.seconds, frequencyHz: PROFILE.hz },
      { signal: t.signal, timeoutMs: (PROFILE.seconds + 60) * 1000 },
    );
    const tookMs = Date.now() - started;
    const load = await burst;
    t.metric("ProfileCPU wall time", tookMs, "ms");
    t.observe("load", load.error ? String(load.error) : "ok");
    t.observe("top stacks", topStacks(stackCounts(res.samples)));
    // success:false is omitted in JSON (§3.1): test "not true".
    t.verify(res.success === true, `ProfileCPU(${CPU.name}) succeeds`, { success: res.success, error: res.error });
    const expected = PROFILE.seconds * PROFILE.hz * PROFILE.busyThreads;
    const total = Number(res.totalSamples);
    t.verify(
      total >= PROFILE.minShare * expected && total <= PROFILE.maxShare * expected,
      `totalSamples ${total} is within [${PROFILE.minShare}, ${PROFILE.maxShare}] × ${expected} (${PROFILE.seconds} s × ${PROFILE.hz} Hz × ${PROFILE.busyThreads} busy thread)`,
      total,
    );
    const share = frameShare(res.samples);
    t.verify(share.hot > 0, `the profile has stacks with ${HOT_FRAME}`, share);
    t.verify(tookMs >= 0.8 * PROFILE.seconds * 1000, `the profile took ${(tookMs / 1000).toFixed(1)} s, about the ${PROFILE.seconds} s asked for (not much less)`, tookMs);
  },
};

const profileUnknown: Check = {
  id: "debug/profile-unknown-service",
  title: "an on-demand profile of an unknown service gives no success and an error naming it",
  requires: EBPF,
  touches: {},
  timeoutMs: 60_000,
  async run(t) {
    await t.env.ebpfAgent();
    const service = "no-such-service";
    const res = await (await t.env.colony.debug()).profileCPU({ serviceName: service, durationSeconds: 1, frequencyHz: 49 }, { signal: t.signal, timeoutMs: 60_000 });
    t.observe("response", { success: res.success, error: res.error, totalSamples: res.totalSamples });
    t.verify(res.success !== true, `ProfileCPU(${service}) does not succeed`, { success: res.success, totalSamples: res.totalSamples });
    t.verify(res.error.includes(service), `its error names ${service}`, res.error);
  },
};

const functionRegistry: Check = {
  id: "debug/function-registry",
  title: `the agent and the colony list ${SDK.probeFunction} for ${SDK.name}`,
  requires: EBPF,
  touches: { observes: [PARTS.ebpfAgent] },
  timeoutMs: 90_000,
  async run(t) {
    const { agent } = await appOnEbpfAgent(t, SDK);
    const api = await agent.api();
    // The first GetFunctions may only start indexing (§3.2): ask until it lists the function.
    // The evidence keeps the count and the function, not thousands of entries.
    const listed = await t.waitFor(
      `${agent.agentId}'s GetFunctions(${SDK.name}) to list ${SDK.probeFunction}`,
      async () => {
        const fns = (await api.getFunctions({ serviceName: SDK.name }, { signal: t.signal, timeoutMs: 60_000 })).functions;
        return { listed: fns.length, match: fns.find((f) => f.name === SDK.probeFunction) };
      },
      (seen) => seen.match !== undefined,
      { timeoutMs: 30_000, intervalMs: 1_000 },
    );
    const fn = listed.match!;
    t.verify(fn.offset > 0n && fn.package === "main", `${SDK.probeFunction} has a file offset and package main`, { offset: fn.offset, package: fn.package });
    const colony = await t.env.colony.debug();
    const found = await t.waitFor(
      `the colony's QueryFunctions(${SDK.name}, "ProcessPayment") to list ${SDK.probeFunction}`,
      async () => (await colony.queryFunctions({ serviceName: SDK.name, query: "ProcessPayment", maxResults: 20 }, { signal: t.signal })).results.map((r) => r.function?.name),
      (names) => names.includes(SDK.probeFunction),
      { timeoutMs: 3 * TIMERS.functionsPollIntervalMs + 15_000, intervalMs: 1_000 },
    );
    t.observe("colony results", found);
  },
};

function describeEvents(events: UprobeEvent[]): string {
  const entries = events.filter((e) => e.eventType === "entry").length;
  const returns = events.filter((e) => e.eventType === "return");
  const durations = returns.slice(0, 8).map((e) => `${(Number(e.durationNs) / 1e6).toFixed(1)}ms`);
  return `${entries} entry, ${returns.length} return [${durations.join(", ")}]`;
}

const uprobeSession: Check = {
  id: "debug/uprobe-session",
  title: `a uprobe session on ${SDK.probeFunction} records ${CALLS} calls with their durations, and stops`,
  requires: { capabilities: ["ebpf", "ebpf-return-probes"] },
  touches: { observes: [PARTS.ebpfAgent] },
  timeoutMs: 120_000,
  async run(t) {
    const { app } = await appOnEbpfAgent(t, SDK);
    const debug = await t.env.colony.debug();
    const attachStarted = Date.now();
    const attached = await debug.attachUprobe({ serviceName: SDK.name, functionName: SDK.probeFunction, duration: seconds(60) }, { signal: t.signal, timeoutMs: 60_000 });
    t.metric("AttachUprobe", Date.now() - attachStarted, "ms");
    t.verify(attached.success === true && attached.sessionId !== "", `AttachUprobe(${SDK.name}, ${SDK.probeFunction}) succeeds with a session id`, { success: attached.success, error: attached.error });
    const sessionId = attached.sessionId;

    await app.get(`/trigger?n=${CALLS}`, 30_000);
    const lastCall = Date.now();
    // Without time bounds: Coral's event timestamps are in 1970 (§10 #10).
    const { events } = await t.waitFor(
      `QueryUprobeEvents(${sessionId}) to hold ≥ ${CALLS} entry and ≥ ${CALLS} return events`,
      async () => {
        const e = (await debug.queryUprobeEvents({ sessionId, maxEvents: 1000 }, { signal: t.signal })).events;
        return { seen: describeEvents(e), events: e };
      },
      ({ events: e }) => e.filter((x) => x.eventType === "entry").length >= CALLS && e.filter((x) => x.eventType === "return").length >= CALLS,
      { timeoutMs: 15_000, intervalMs: 250 },
    );
    t.metric("attach to events of all calls", Date.now() - attachStarted, "ms");
    t.observe("events", describeEvents(events));
    const onTime = events.filter((e) => e.eventType === "return" && withinLatency(Number(e.durationNs) / 1e6));
    t.verify(
      onTime.length >= CALLS,
      `≥ ${CALLS} return events have durationNs within ±${LATENCY_TOLERANCE * 100} % of ${SDK.probeLatencyMs} ms (${describeEvents(events)})`,
      onTime.length,
    );

    // The colony copies events every 10 s and detach cannot flush 1970-stamped ones (§4.6 step 6,
    // §10 #10): a Coral timer with nothing to observe, so this one wait is a pause.
    await pause(Math.max(0, lastCall + TIMERS.debugPersisterMs + 1_000 - Date.now()), t.signal);
    const detached = await debug.detachUprobe({ sessionId }, { signal: t.signal });
    t.verify(detached.success === true, `DetachUprobe(${sessionId}) succeeds`, detached);

    const results = await debug.getDebugResults({ sessionId }, { signal: t.signal });
    const stats = results.statistics;
    t.observe("statistics", { totalCalls: stats?.totalCalls, p50: ms(stats?.durationP50), p95: ms(stats?.durationP95), max: ms(stats?.durationMax) });
    // Coral stores some events twice (§10 #25): at least, never exactly.
    t.verify(Number(stats?.totalCalls ?? 0) >= CALLS, `GetDebugResults totalCalls ≥ ${CALLS}`, stats?.totalCalls);
    t.verify(withinLatency(ms(stats?.durationP50)), `GetDebugResults P50 is within ±${LATENCY_TOLERANCE * 100} % of ${SDK.probeLatencyMs} ms`, ms(stats?.durationP50));

    const sessions = (await debug.listDebugSessions({ serviceName: SDK.name }, { signal: t.signal })).sessions;
    const session = sessions.find((s) => s.sessionId === sessionId);
    t.verify(session?.status === "stopped", `the session is listed as stopped after DetachUprobe`, session ?? sessions.map((s) => s.sessionId));
  },
};

const uprobeUnknowns: Check = {
  id: "debug/uprobe-unknowns",
  title: "an unknown debug session is not_found and an unknown function gets a clear error",
  requires: EBPF,
  touches: { observes: [PARTS.ebpfAgent] },
  timeoutMs: 60_000,
  async run(t) {
    await appOnEbpfAgent(t, SDK);
    const debug = await t.env.colony.debug();
    const query = await attempt(debug.queryUprobeEvents({ sessionId: "no-such-session", maxEvents: 10 }, { signal: t.signal }));
    t.verify(connectCode(query.error) === Code[Code.NotFound], "QueryUprobeEvents(no-such-session) fails with not_found", query.error ? connectCode(query.error) : query.value);
    const fn = "main.NoSuchFunction";
    const attached = await debug.attachUprobe({ serviceName: SDK.name, functionName: fn, duration: seconds(10) }, { signal: t.signal, timeoutMs: 60_000 });
    t.observe("attach of an unknown function", { success: attached.success, error: attached.error, sessionId: attached.sessionId });
    t.verify(attached.success !== true && attached.sessionId === "", `AttachUprobe(${fn}) does not succeed`, attached);
    t.verify(attached.error.includes(fn), `its error names ${fn}`, attached.error);
  },
};

export const debug: Module = {
  name: "debug",
  phase: "observability",
  layer: 3,
  checks: [profileCpu, profileUnknown, functionRegistry, uprobeSession, uprobeUnknowns],
};
