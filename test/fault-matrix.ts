// The fault matrix, as data: each row breaks one promise — with a reference-image fault switch or a
// Docker-level fault injected after setup — and names the checks that must fail (with a message
// naming the cause) and unrelated checks that must still pass. A new check adds a row.
import { modules } from "../checks/index.js";
import { PORTS } from "../src/coral/settings.js";
import { postRaw } from "../src/coral/clients.js";
import type { CoralDeployment } from "../src/coral/deployment.js";

export interface FaultRow {
  name: string;
  refFaults?: Partial<Record<"discovery" | "colony" | "agent", string>>;
  /** A Docker-level fault applied once the deployment is up. */
  inject?: (deployment: CoralDeployment) => Promise<void>;
  agents?: number;
  checks: string[];
  failing: Record<string, RegExp>;
  passing: string[];
}

/** Every connectivity check but the wire module's and the known defects: what an unread drifted field must leave green. */
const ordinaryConnectivity = modules
  .filter((m) => m.phase === "connectivity" && m.name !== "wire")
  .flatMap((m) => m.checks.filter((c) => !c.knownDefect).map((c) => c.id));

export const faultMatrix: FaultRow[] = [
  {
    name: "discovery answers lookups of unknown mesh ids",
    refFaults: { discovery: "unknown-mesh-found" },
    checks: ["discovery/healthy", "discovery/unknown-mesh-not-found"],
    failing: { "discovery/unknown-mesh-not-found": /never registered/ },
    passing: ["discovery/healthy"],
  },
  {
    name: "discovery lets a second key take over a mesh id",
    refFaults: { discovery: "allow-split-brain" },
    checks: ["discovery/healthy", "discovery/colony-registered", "discovery/split-brain-rejected"],
    failing: { "discovery/split-brain-rejected": /split brain/ },
    passing: ["discovery/healthy", "discovery/colony-registered"],
  },
  {
    name: "colony never refreshes its discovery registration",
    refFaults: { colony: "no-discovery-refresh" },
    checks: ["discovery/healthy", "discovery/registration-refreshed"],
    failing: { "discovery/registration-refreshed": /vanished .*stopped refreshing/ },
    passing: ["discovery/healthy"],
  },
  {
    name: "discovery container stopped",
    inject: (d) => d.discovery.stop(1),
    checks: ["discovery/healthy", "registration/agents-listed"],
    failing: { "discovery/healthy": /discovery is not reachable: container .* is exited/ },
    passing: ["registration/agents-listed"],
  },
  {
    name: "colony container stopped",
    inject: (d) => d.colony.stop(1),
    checks: ["discovery/healthy", "discovery/colony-registered"],
    failing: { "discovery/colony-registered": /colony is not reachable: container .* is exited/ },
    passing: ["discovery/healthy"],
  },
  {
    name: "colony hands every agent the same mesh IP",
    refFaults: { colony: "duplicate-mesh-ip" },
    checks: ["discovery/healthy", "wireguard/interfaces", "wireguard/address-allocation"],
    failing: { "wireguard/interfaces": /unique/, "wireguard/address-allocation": /share a mesh IP/ },
    passing: ["discovery/healthy"],
  },
  {
    name: "colony accepts agents without adding their WireGuard peer",
    refFaults: { colony: "skip-wireguard-peer" },
    checks: ["wireguard/interfaces", "registration/agents-listed"],
    failing: { "wireguard/interfaces": /the colony routes .* via wg0/ },
    passing: ["registration/agents-listed"],
  },
  {
    name: "WireGuard UDP dropped inside the colony",
    inject: (d) => d.colony.dropUdp(PORTS.colonyWireGuard),
    checks: ["wireguard/interfaces", "wireguard/tunnel-traffic", "registration/agents-listed"],
    failing: { "wireguard/tunnel-traffic": /MeshPing answered by every agent/ },
    passing: ["wireguard/interfaces", "registration/agents-listed"],
  },
  {
    name: "an agent cut from the network",
    inject: (d) => d.agents[1]!.disconnect(),
    checks: ["wireguard/interfaces", "wireguard/tunnel-traffic"],
    failing: { "wireguard/tunnel-traffic": /MeshPing answered by every agent.*agent-1/ },
    passing: ["wireguard/interfaces"],
  },
  {
    name: "colony gives a re-registering agent a new address",
    refFaults: { colony: "new-ip-on-reconnect" },
    checks: ["wireguard/interfaces", "wireguard/tunnel-traffic", "wireguard/address-kept-for-hostname"],
    failing: { "wireguard/address-kept-for-hostname": /got 100\.64\.0\.\d+ back/ },
    passing: ["wireguard/interfaces", "wireguard/tunnel-traffic"],
  },
  {
    name: "an agent paused",
    inject: (d) => d.agents[2]!.pause(),
    checks: ["discovery/healthy", "registration/agents-listed"],
    failing: { "registration/agents-listed": /paused/i },
    passing: ["discovery/healthy"],
  },
  {
    name: "colony accepts a Register for another colony",
    refFaults: { colony: "accept-wrong-colony" },
    checks: ["registration/agents-listed", "registration/wrong-colony-rejected"],
    failing: { "registration/wrong-colony-rejected": /does not accept a Register for another colony/ },
    passing: ["registration/agents-listed"],
  },
  {
    name: "colony accepts any bootstrap PSK",
    refFaults: { colony: "accept-any-psk" },
    checks: ["registration/agents-listed", "registration/wrong-psk-refused"],
    failing: { "registration/wrong-psk-refused": /bad-psk \(a wrong bootstrap PSK\) to exit/ },
    passing: ["registration/agents-listed"],
  },
  {
    name: "agents skip the CA fingerprint check",
    refFaults: { agent: "skip-fingerprint-check" },
    checks: ["registration/agents-listed", "registration/wrong-ca-fingerprint-refused"],
    failing: { "registration/wrong-ca-fingerprint-refused": /bad-ca \(a wrong CA fingerprint\) to exit/ },
    passing: ["registration/agents-listed"],
  },
  {
    name: "the agent API dropped on wg0",
    inject: (d) => d.agents[0]!.dropTcp(PORTS.agentApi, "wg0"),
    checks: ["registration/agents-listed", "registration/colony-reaches-agents"],
    failing: { "registration/colony-reaches-agents": /colony → agent-0 .* over the mesh/ },
    passing: ["registration/agents-listed"],
  },
  {
    name: "agents stop heartbeating",
    refFaults: { agent: "stop-heartbeats-after=1s" },
    checks: ["registration/agents-listed", "heartbeat/last-seen-advances"],
    failing: { "heartbeat/last-seen-advances": /last-seen to advance/ },
    passing: ["registration/agents-listed"],
  },
  {
    name: "colony ignores heartbeats",
    refFaults: { colony: "ignore-heartbeats" },
    checks: ["registration/agents-listed", "heartbeat/last-seen-advances"],
    failing: { "heartbeat/last-seen-advances": /last-seen to advance/ },
    passing: ["registration/agents-listed"],
  },
  {
    name: "agents heartbeat over the underlay",
    refFaults: { agent: "heartbeat-over-underlay" },
    checks: ["wireguard/interfaces", "wireguard/tunnel-traffic", "registration/agents-listed", "heartbeat/last-seen-advances", "heartbeat/through-tunnel"],
    failing: { "heartbeat/through-tunnel": /last-seen to advance with the underlay cut/ },
    passing: ["wireguard/tunnel-traffic", "heartbeat/last-seen-advances"],
  },
  {
    name: "agents never re-register",
    refFaults: { agent: "never-reregister" },
    checks: ["registration/agents-listed", "heartbeat/colony-restart-recovery"],
    failing: { "heartbeat/colony-restart-recovery": /heartbeat the restarted colony/ },
    passing: ["registration/agents-listed"],
  },
  {
    name: "agents' heartbeats depend on discovery",
    refFaults: { agent: "heartbeat-needs-discovery" },
    checks: ["registration/agents-listed", "heartbeat/discovery-outage"],
    failing: { "heartbeat/discovery-outage": /keep heartbeating without discovery/ },
    passing: ["registration/agents-listed"],
  },
  {
    name: "colony reports every agent healthy",
    refFaults: { colony: "always-healthy" },
    checks: ["registration/agents-listed", "heartbeat/stopped-agent-degraded"],
    failing: { "heartbeat/stopped-agent-degraded": /to turn degraded/ },
    passing: ["registration/agents-listed"],
  },
  {
    name: "a component panicked during the run",
    inject: async (d) => {
      await postRaw(`${await d.colony.url()}/coral.mesh.v1.MeshService/Register`, JSON.stringify({ agentId: "panic", colonyId: d.colony.id, wireguardPubkey: "x" }));
    },
    checks: ["discovery/healthy", "closing/no-panics"],
    failing: { "closing/no-panics": /no panic or fatal line.*colony: .*panic/ },
    passing: ["discovery/healthy"],
  },
  {
    name: "the agent drops every third span",
    refFaults: { agent: "drop-every-third-span" },
    checks: ["otlp/grpc-ingestion", "otlp/receiver-edges"],
    failing: {
      "otlp/grpc-ingestion": /to hold 10 \/api\/users and 3 \/fail SERVER spans/,
      "otlp/receiver-edges": /to list the 3 spans the runner exported after the refused calls.*last saw: 2/,
    },
    passing: [],
  },
  {
    name: "the agent never marks errors",
    refFaults: { agent: "never-mark-errors" },
    checks: ["otlp/grpc-ingestion", "system-metrics/agents-report"],
    failing: { "otlp/grpc-ingestion": /the failed requests are errors/ },
    passing: ["system-metrics/agents-report"],
  },
  {
    name: "OTLP/gRPC port dropped inside the agent",
    inject: (d) => d.agents[0]!.dropTcp(4317),
    checks: ["otlp/grpc-ingestion", "otlp/http-ingestion"],
    // The app cannot hand its spans to the agent: its flush fails, or the spans never arrive.
    failing: { "otlp/grpc-ingestion": /\/flush .*failed|to hold 10 \/api\/users/ },
    passing: ["otlp/http-ingestion"],
  },
  {
    name: "OTLP/HTTP port dropped inside the agent",
    inject: (d) => d.agents[0]!.dropTcp(4318),
    checks: ["otlp/grpc-ingestion", "otlp/http-ingestion"],
    failing: { "otlp/http-ingestion": /\/flush .*failed|to hold 10 \/api\/users/ },
    passing: ["otlp/grpc-ingestion"],
  },
  {
    name: "the agent's OTLP/HTTP receiver accepts JSON",
    refFaults: { agent: "otlp-http-accepts-json" },
    checks: ["otlp/http-ingestion", "otlp/receiver-edges"],
    failing: { "otlp/receiver-edges": /JSON body is refused with 400/ },
    passing: ["otlp/http-ingestion"],
  },
  {
    name: "the agent's OTLP/gRPC receiver serves logs",
    refFaults: { agent: "otlp-grpc-serves-logs" },
    agents: 1,
    checks: ["otlp/grpc-ingestion", "otlp/receiver-edges"],
    failing: { "otlp/receiver-edges": /OTLP\/gRPC logs are unimplemented.*"codeName":"OK"/ },
    passing: ["otlp/grpc-ingestion"],
  },
  {
    name: "the agent's OTLP/gRPC receiver takes gzip",
    refFaults: { agent: "otlp-grpc-accepts-gzip" },
    agents: 1,
    checks: ["otlp/grpc-ingestion", "otlp/receiver-edges"],
    failing: { "otlp/receiver-edges": /gzip-compressed OTLP\/gRPC export is refused Unimplemented/ },
    passing: ["otlp/grpc-ingestion"],
  },
  {
    name: "the agent's OTLP/gRPC receiver takes a malformed export",
    refFaults: { agent: "otlp-grpc-accepts-malformed" },
    agents: 1,
    checks: ["otlp/grpc-ingestion", "otlp/receiver-edges"],
    failing: { "otlp/receiver-edges": /no ExportTraceServiceRequest is refused with Internal/ },
    passing: ["otlp/grpc-ingestion"],
  },
  {
    name: "the colony stores the mean as P99",
    refFaults: { colony: "p99-is-mean" },
    checks: ["otlp/grpc-ingestion", "otlp/colony-percentiles"],
    failing: { "otlp/colony-percentiles": /P50 ≤ P95 ≤ P99/ },
    passing: ["otlp/grpc-ingestion"],
  },
  {
    name: "the colony's pollers stop after their first poll",
    refFaults: { colony: "poller-stops-after-first-poll" },
    checks: ["otlp/grpc-ingestion", "otlp/colony-percentiles", "system-metrics/agents-report", "system-metrics/colony-summaries"],
    failing: { "otlp/colony-percentiles": /otel_summaries row/, "system-metrics/colony-summaries": /system_metrics_summaries rows for every agent/ },
    passing: ["otlp/grpc-ingestion", "system-metrics/agents-report"],
  },
  {
    name: "an agent leaves out one host metric",
    refFaults: { agent: "missing-system-metric" },
    checks: ["system-metrics/agents-report", "otlp/grpc-ingestion"],
    failing: { "system-metrics/agents-report": /to report all 13 system metrics/ },
    passing: ["otlp/grpc-ingestion"],
  },
  {
    name: "an agent reports a utilisation above 100 %",
    refFaults: { agent: "utilization-over-100" },
    checks: ["system-metrics/agents-report"],
    failing: { "system-metrics/agents-report": /system\.cpu\.utilization is within 0-100/ },
    passing: [],
  },
  {
    name: "the agent ignores its sample rate",
    refFaults: { agent: "ignore-sample-rate" },
    checks: ["otlp/grpc-ingestion", "otlp/sampling-at-defaults"],
    failing: { "otlp/sampling-at-defaults": /thinned to about 10 %/ },
    passing: ["otlp/grpc-ingestion"],
  },
  {
    name: "an agent's first host-metrics sample comes late",
    refFaults: { agent: "late-first-system-sample" },
    checks: ["system-metrics/agents-report", "system-metrics/first-sample-within-interval"],
    failing: { "system-metrics/first-sample-within-interval": /the first sample came .* after the agent started/ },
    passing: ["system-metrics/agents-report"],
  },
  // L2 profiling and L3 run on the eBPF agent only: one ordinary agent is enough.
  {
    name: "the agent's profiler returns stacks without symbols",
    refFaults: { agent: "profile-no-symbols" },
    agents: 1,
    checks: ["profiling/continuous-agent", "debug/profile-cpu", "debug/functions-from-dwarf"],
    failing: { "profiling/continuous-agent": /to hold a stack with main\.burnCPU/, "debug/profile-cpu": /stacks with main\.burnCPU/ },
    passing: ["debug/functions-from-dwarf"],
  },
  {
    name: "the colony's CPU profile poller stores nothing",
    refFaults: { colony: "profile-poller-off" },
    agents: 1,
    checks: ["profiling/continuous-agent", "profiling/continuous-colony"],
    failing: { "profiling/continuous-colony": /QueryHistoricalCPUProfile\(cpu-app, last 10 min\) to hold a stack with main\.burnCPU/ },
    passing: ["profiling/continuous-agent"],
  },
  {
    name: "the colony's historical profile answers empty",
    refFaults: { colony: "historical-profile-empty" },
    agents: 1,
    checks: ["profiling/continuous-agent", "profiling/continuous-colony"],
    failing: { "profiling/continuous-colony": /QueryHistoricalCPUProfile\(cpu-app, last 10 min\) to hold a stack with main\.burnCPU/ },
    passing: ["profiling/continuous-agent"],
  },
  {
    name: "the on-demand profile returns early",
    refFaults: { agent: "profile-returns-early" },
    agents: 1,
    checks: ["debug/profile-cpu", "debug/profile-unknown-service"],
    failing: { "debug/profile-cpu": /totalSamples \d+ is within/ },
    passing: ["debug/profile-unknown-service"],
  },
  {
    name: "the colony routes an unknown service to some agent",
    refFaults: { colony: "profile-any-agent" },
    agents: 1,
    checks: ["debug/profile-unknown-service"],
    // Routed to a plain agent, the profile of "itself" succeeds or fails on its rights: either way not as asked.
    failing: { "debug/profile-unknown-service": /ProfileCPU\(no-such-service\) does not succeed|its error names no-such-service/ },
    passing: [],
  },
  {
    name: "the uprobe attaches but records nothing",
    refFaults: { agent: "uprobe-records-nothing" },
    agents: 1,
    checks: ["debug/uprobe-unknowns", "debug/uprobe-session"],
    failing: { "debug/uprobe-session": /to hold ≥ 5 entry and ≥ 5 return events/ },
    passing: ["debug/uprobe-unknowns"],
  },
  {
    name: "the uprobe collector records no return events",
    refFaults: { agent: "uprobe-no-returns" },
    agents: 1,
    checks: ["debug/uprobe-session"],
    failing: { "debug/uprobe-session": /≥ 5 return events/ },
    passing: [],
  },
  {
    name: "uprobe durations are ten times too long",
    refFaults: { agent: "uprobe-durations-10x" },
    agents: 1,
    checks: ["debug/uprobe-session"],
    failing: { "debug/uprobe-session": /durationNs within ±50 % of 50 ms/ },
    passing: [],
  },
  {
    name: "a detached debug session never stops",
    refFaults: { colony: "debug-session-never-stops" },
    agents: 1,
    checks: ["debug/uprobe-session"],
    failing: { "debug/uprobe-session": /listed as stopped/ },
    passing: [],
  },
  {
    name: "the debug results under-count the calls",
    refFaults: { colony: "debug-results-undercount" },
    agents: 1,
    checks: ["debug/uprobe-session"],
    failing: { "debug/uprobe-session": /totalCalls ≥ 5/ },
    passing: [],
  },
  {
    name: "the agent lists no functions",
    refFaults: { agent: "functions-empty" },
    agents: 1,
    checks: ["debug/functions-from-dwarf", "debug/profile-unknown-service"],
    failing: { "debug/functions-from-dwarf": /agent-ebpf's GetFunctions\(cpu-app\) lists main\.burnCPU \(0 functions\)/ },
    passing: ["debug/profile-unknown-service"],
  },
  {
    name: "the colony's function registry answers empty",
    refFaults: { colony: "function-registry-empty" },
    agents: 1,
    checks: ["debug/functions-from-dwarf"],
    failing: { "debug/functions-from-dwarf": /QueryFunctions\(cpu-app, "burnCPU"\) to list main\.burnCPU/ },
    passing: [],
  },
  {
    name: "the colony answers unknown debug sessions with an empty list",
    refFaults: { colony: "unknown-session-empty" },
    agents: 1,
    checks: ["debug/uprobe-unknowns"],
    failing: { "debug/uprobe-unknowns": /QueryUprobeEvents\(no-such-session\) fails with not_found/ },
    passing: [],
  },
  // L0 runs on the L0 agent only; pretend-kprobes gives it a kernel with kprobes (this machine's has
  // none, and L0 is then skipped with that reason: test/ebpf-preflight.test.ts).
  {
    name: "L0 metrics named after something else than the connected service",
    refFaults: { agent: "l0-wrong-service-name,pretend-kprobes" },
    agents: 1,
    checks: ["red-metrics/agent-instruments-app"],
    failing: { "red-metrics/agent-instruments-app": /to hold eBPF HTTP metrics named red-app/ },
    passing: [],
  },
  {
    name: "L0 counts half of the requests",
    refFaults: { agent: "l0-counts-halved,pretend-kprobes" },
    agents: 1,
    checks: ["red-metrics/agent-instruments-app"],
    failing: { "red-metrics/agent-instruments-app": /Σ latencyCounts for red-app to grow by ≥ 20/ },
    passing: [],
  },
  {
    name: "L0 stores no server spans",
    refFaults: { agent: "l0-no-server-spans,pretend-kprobes" },
    agents: 1,
    checks: ["red-metrics/agent-instruments-app", "red-metrics/server-spans"],
    failing: { "red-metrics/server-spans": /to hold SERVER spans of red-app/ },
    passing: ["red-metrics/agent-instruments-app"],
  },
  {
    name: "the colony's Beyla poller ignores eBPF data",
    refFaults: { colony: "beyla-poller-ignores-ebpf", agent: "pretend-kprobes" },
    agents: 1,
    checks: ["red-metrics/agent-instruments-app", "red-metrics/colony-metrics"],
    failing: { "red-metrics/colony-metrics": /QueryUnifiedMetrics\(red-app, 10m\) to list red-app with requestCount > 0/ },
    passing: ["red-metrics/agent-instruments-app"],
  },
  // Wire drift: one field no check reads, in another shape. The clients drop it (and record it), every
  // ordinary check stays green, and the wire check of that phase or layer names the field.
  {
    name: "the colony sends ListAgents' execCapabilities as a list (a field no check reads)",
    refFaults: { colony: "exec-capabilities-list" },
    checks: ["wire/connectivity-rpcs", ...ordinaryConnectivity],
    failing: {
      "wire/connectivity-rpcs": /ListAgents: agents\[0\]\.runtimeContext\.capabilities\.execCapabilities: expected object \(coral\.agent\.v1\.ExecCapabilities\), saw array \["nsenter"\]/,
    },
    passing: ordinaryConnectivity,
  },
  {
    name: "the agent sends the totals of its query answers as objects (fields no check reads)",
    // pretend-kprobes: L0 runs here only on a kernel with kprobes (its RPCs are part of the drift).
    refFaults: { agent: "query-totals-as-objects,pretend-kprobes" },
    agents: 1,
    checks: [
      "red-metrics/agent-instruments-app", "wire/red-metrics-rpcs", "otlp/grpc-ingestion", "wire/otlp-rpcs",
      "system-metrics/agents-report", "profiling/continuous-agent", "wire/system-metrics-rpcs", "wire/profiling-rpcs", "wire/debug-rpcs",
    ],
    failing: {
      "wire/red-metrics-rpcs": /agent-l0 QueryEbpfMetrics: totalMetrics: expected number \(int32\), saw object \{"value":/,
      "wire/otlp-rpcs": /agent-0 QueryTelemetry: totalSpans: expected number \(int32\), saw object \{"value":/,
      "wire/system-metrics-rpcs": /agent-0 QuerySystemMetrics: totalMetrics: expected number \(int32\), saw object \{"value":/,
      "wire/profiling-rpcs": /agent-ebpf QueryCPUProfileSamples: totalSamples: expected string \(uint64\), saw object \{"value":/,
      "wire/debug-rpcs": /agent-ebpf GetFunctions: totalFunctions: expected number \(int32\), saw object \{"value":/,
    },
    passing: ["red-metrics/agent-instruments-app", "otlp/grpc-ingestion", "system-metrics/agents-report", "profiling/continuous-agent"],
  },
];
