// A hand-made run summary shaped like a connectivity run with concurrent checks, for the HTML report's
// tests: overlapping checks with waits, faults they injected (one instant, one still in force at the
// end), deployment milestones, one failed, one skipped, one known-defect and one fixed check, the
// end-of-run containers, and secrets and markup in places a careless page would leak or execute.
import type { CheckResult, FaultWindow, Milestone, RunSummary } from "../../src/runner/results.js";
import { JWT, PSK, REGISTERED_TOKEN } from "./scenario.js";

export const RUN_START = Date.parse("2026-01-01T10:00:00.000Z");
export const RUN_MS = 150_000;
/** Text that would break out of a <script> or become markup if the page did not escape it. */
export const HOSTILE = `</script><script>window.__pwned = 1</script><img src=x onerror="window.__pwned = 2"><b>bold</b>`;

const at = (s: number) => new Date(RUN_START + s * 1000).toISOString();

function result(id: string, startS: number, durationS: number, extra: Partial<CheckResult> = {}): CheckResult {
  const module = id.split("/")[0]!;
  return {
    id,
    title: `title of ${id}`,
    module,
    phase: "connectivity",
    classname: `connectivity.${module}`,
    repetition: 1,
    outcome: "passed",
    startedAt: at(startS),
    durationMs: durationS * 1000,
    log: [],
    observations: [],
    metrics: [],
    waits: [],
    ...extra,
  };
}

const tunnelDefect = { since: "v0.3.0", ref: "connectivity.md §3.5, §6.7", summary: "an agent whose tunnel is down is reported healthy" };
const endpointDefect = { since: "v0.3.0", ref: "connectivity.md §2.2, §6.25", summary: "publicEndpoint.url is http://localhost:8443" };

export function timelineSummary(): RunSummary {
  const results: CheckResult[] = [
    result("discovery/health", 3, 0.4, {
      observations: [{ atMs: 120, label: "discovery answers /health", value: { status: "ok", jwt: JWT }, verified: true }],
      waits: [{ what: "GET /health answers 200", startMs: 0, endMs: 110, outcome: "met" }],
    }),
    result("discovery/record-ttl", 3, 15.2, {
      observations: [
        { atMs: 200, label: "colony record found", value: { ttlSeconds: 10 }, verified: true },
        { atMs: 15_100, label: "record still found after 1.5 TTLs", verified: true },
      ],
      waits: [{ what: "1.5 TTLs to pass with the record found", startMs: 150, endMs: 15_100, outcome: "met" }],
    }),
    result("discovery/register", 3.5, 2.1, {
      outcome: "failed",
      failureKind: "assertion",
      message: "expected every agent listed healthy; saw: 2 of 3",
      seen: { agents: [{ hostname: "agent-0", status: "healthy" }, { hostname: "agent-1", status: "healthy" }] },
      log: [
        { atMs: 10, message: `registering with ${PSK}` },
        { atMs: 20, message: `token ${REGISTERED_TOKEN} and markup ${HOSTILE}` },
      ],
      observations: [
        { atMs: 1_200, label: "ListAgents", value: { count: 2 } },
        { atMs: 2_050, label: "every agent listed healthy", value: 2, verified: false },
      ],
      waits: [{ what: "3 agents listed healthy", startMs: 100, endMs: 2_050, outcome: "timed-out" }],
      evidence: { dir: "failures/discovery/register", logExcerpt: "--- colony (coral-e2e-x-colony, running) ---\ncolony: agent-2 register refused" },
    }),
    result("discovery/unknown-mesh", 5.6, 0, { outcome: "skipped", message: "needs discovery/register, which failed" }),
    result("heartbeat/advances", 6, 11, {
      observations: [
        { atMs: 5_100, label: "last-seen of agent-0 advanced", value: "2026-01-01T10:00:11Z", verified: true },
        { atMs: 10_300, label: "last-seen of agent-0 advanced again", verified: true },
      ],
      waits: [
        { what: "last-seen of agent-0 to advance", startMs: 100, endMs: 5_100, outcome: "met" },
        { what: "last-seen of agent-0 to advance again", startMs: 5_200, endMs: 10_300, outcome: "met" },
      ],
    }),
    result("heartbeat/colony-restart", 20, 22, {
      observations: [{ atMs: 21_500, label: "every agent heartbeats with its address", verified: true }],
      waits: [{ what: "every agent heartbeats after the restart", startMs: 4_100, endMs: 21_500, outcome: "met" }],
      metrics: [{ name: "recovery", value: 17.4, unit: "s" }],
    }),
    result("heartbeat/stopped-agent-degraded", 20, 33, {
      lent: { "spare-agent": "spare-0" },
      observations: [{ atMs: 32_800, label: "spare-0 is degraded", value: { status: "degraded" }, verified: true }],
      waits: [{ what: "spare-0 to turn degraded", startMs: 1_200, endMs: 32_800, outcome: "met" }],
    }),
    result("defects/tunnel-loss-visible", 95, 40, {
      outcome: "known-defect",
      knownDefect: tunnelDefect,
      message: `known defect: ${tunnelDefect.summary} (${tunnelDefect.ref}, since v0.3.0): timed out after 40s waiting for agent-2 not healthy`,
      observations: [{ atMs: 39_900, label: "agent-2 status", value: "healthy" }],
      waits: [{ what: "agent-2 not healthy", startMs: 300, endMs: 39_950, outcome: "timed-out" }],
    }),
    result("defects/public-endpoint-url", 95, 0.3, {
      outcome: "fixed",
      knownDefect: endpointDefect,
      message: `FIXED: known defect no longer reproduces: ${endpointDefect.summary} (${endpointDefect.ref}, since v0.3.0); update the check`,
      observations: [{ atMs: 250, label: "publicEndpoint.url is reachable", verified: true }],
    }),
    result("closing/no-panics", 140, 1, { observations: [{ atMs: 900, label: "no container logged a panic", verified: true }] }),
  ];
  const milestones: Milestone[] = [
    { name: "discovery healthy", repetition: 1, at: at(0.6) },
    { name: "colony registered", repetition: 1, at: at(1.8) },
    { name: "agents listed", repetition: 1, at: at(2.9) },
  ];
  const faults: FaultWindow[] = [
    { kind: "restart", target: "colony", checkId: "heartbeat/colony-restart", repetition: 1, startedAt: at(24), endedAt: at(27.5) },
    { kind: "stop", target: "spare-0", checkId: "heartbeat/stopped-agent-degraded", repetition: 1, startedAt: at(21), endedAt: at(52) },
    { kind: "fake-register", target: "colony", checkId: "defects/tunnel-loss-visible", repetition: 1, startedAt: at(96), endedAt: at(96), detail: "wrong-colony probe" },
    { kind: "drop-udp", target: "agent-2", checkId: "defects/tunnel-loss-visible", repetition: 1, startedAt: at(96), detail: "iptables -A INPUT -p udp --dport 51820 -j DROP" },
  ];
  return {
    runId: "20260101-100000-abc123",
    status: "failed",
    startedAt: at(0),
    durationMs: RUN_MS,
    repeat: 1,
    properties: {
      "coral.version": "v0.3.0",
      "image.colony": "coral-e2e/reference-colony:v0.3.0",
      "image.agent": "coral-e2e/reference-agent:v0.3.0",
      "image.discovery": "coral-e2e/reference-discovery:v0.3.0",
      agents: "3",
    },
    results,
    counts: { total: 10, passed: 6, failed: 1, skipped: 1, knownDefect: 1, fixed: 1 },
    flakiness: [],
    artifactsDir: "coral-e2e-artifacts/20260101-100000-abc123",
    timeline: { milestones, faults },
    containers: [
      { name: "coral-e2e-abc123-discovery", role: "discovery", state: "running", repetition: 1, logTail: "ready on :8787" },
      { name: "coral-e2e-abc123-colony", role: "colony", state: "running", repetition: 1, logTail: `colony started\nbootstrap psk ${PSK}\n${HOSTILE}` },
      { name: "coral-e2e-abc123-spare-0", role: "spare-0", state: "exited (137)", repetition: 1, logTail: "agent stopped" },
    ],
  };
}
