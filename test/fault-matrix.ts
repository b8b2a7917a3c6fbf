// The fault matrix, as data: each row breaks one promise — with a reference-image fault switch or a
// Docker-level fault injected after setup — and names the checks that must fail (with a message
// naming the cause) and unrelated checks that must still pass. A new check adds a row.
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
    checks: ["otlp/grpc-ingestion"],
    failing: { "otlp/grpc-ingestion": /to hold 10 \/api\/users and 3 \/fail SERVER spans/ },
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
];
