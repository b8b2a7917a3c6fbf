// Coral settings a run uses, in one place: images, ports, and the short timers Coral's own e2e
// stack uses (contract §1.9, §6.20), set only through the env vars and flags Coral reads.

import { FIXTURE_IMAGES } from "../images/fixtures.js";
import { IMAGE_REPO } from "../images/repo.js";

export interface CoralImages {
  discovery: string;
  colony: string;
  agent: string;
}

export const IMAGE_PRESETS: Record<string, CoralImages> = {
  reference: {
    discovery: `${IMAGE_REPO}/reference-discovery:v0.3.0`,
    colony: `${IMAGE_REPO}/reference-colony:v0.3.0`,
    agent: `${IMAGE_REPO}/reference-agent:v0.3.0`,
  },
};

export const PORTS = {
  discovery: 8080,
  colonyConnect: 9000,
  colonyPublic: 8443,
  colonyWireGuard: 41580,
  agentApi: 9001,
  agentMeshPing: 9003,
  /** The agent's OTLP receivers (observability.md §2). */
  otlpGrpc: 4317,
  otlpHttp: 4318,
} as const;

export const MESH = {
  colonyIp: "100.64.0.1",
  subnet: "100.64.0.0/10",
} as const;

/** Coral's own thresholds (contract §3.5): not configurable in v0.3.0. */
export const LIVENESS = { degradedAfterMs: 30_000, unhealthyAfterMs: 120_000 } as const;

export const TIMERS = {
  discoveryTtlSeconds: 10,
  discoveryCleanupMs: 5_000,
  registerInterval: "1s",
  heartbeatInterval: "5s",
  heartbeatIntervalMs: 5_000,
  telemetryPollInterval: "1s",
  systemMetricsPollInterval: "2s",
  systemMetricsInterval: "5s",
  systemMetricsIntervalMs: 5_000,
  profilingPollInterval: "2s",
  profilingPollIntervalMs: 2_000,
  cpuProfilingInterval: "5s",
  cpuProfilingIntervalMs: 5_000,
  functionsPollInterval: "5s",
  functionsPollIntervalMs: 5_000,
  beylaPollInterval: "1s",
  beylaDiscoverySyncInterval: "5s",
  /** Beyla's own metrics export interval, set through the agent's environment (§1.2, inferred). */
  beylaMetricsInterval: "5s",
  beylaMetricsIntervalMs: 5_000,
  /** How long Beyla must stay up after its start line before L0 counts as available (§5.1). */
  beylaStableMs: 5_000,
  /** Coral's debug-event persister tick (observability.md §4.6 step 5); not configurable. */
  debugPersisterMs: 10_000,
} as const;

/**
 * Observability timers, shortened only through the variables Coral reads (observability.md §1.2,
 * §1.3; Coral's own overlay misspells two of the colony's). An agent "at defaults" gets none of the
 * agent ones: the sampling check needs Coral's 10 % sample rate.
 */
export const OBSERVABILITY_ENV = {
  colony: {
    CORAL_TELEMETRY_POLL_INTERVAL: TIMERS.telemetryPollInterval,
    CORAL_SYSTEM_METRICS_POLLER_INTERVAL: TIMERS.systemMetricsPollInterval,
    CORAL_PROFILING_POLLER_INTERVAL: TIMERS.profilingPollInterval,
    CORAL_FUNCTIONS_POLL_INTERVAL: TIMERS.functionsPollInterval,
    CORAL_BEYLA_POLL_INTERVAL: TIMERS.beylaPollInterval,
  },
  agent: {
    CORAL_SAMPLE_RATE: "1.0",
    CORAL_SYSTEM_METRICS_INTERVAL: TIMERS.systemMetricsInterval,
    CORAL_CPU_PROFILING_INTERVAL: TIMERS.cpuProfilingInterval,
  },
} as const;

export const FIXTURES = {
  otelApp: { image: FIXTURE_IMAGES["otel-app"], healthPath: "/health" },
  /** Binary name = service name (observability.md §6.1); hot function main.burnCPU. */
  cpuApp: { name: "cpu-app", image: FIXTURE_IMAGES["cpu-app"], port: 8090, healthPath: "/health", env: { CPU_APP_PORT: "8090" }, hotFrame: "main.burnCPU" },
  /** cpu-app's program as /app/red-app: the plain HTTP service of L0, with a name of its own. */
  redApp: { name: "red-app", image: FIXTURE_IMAGES["cpu-app"], port: 8091, healthPath: "/health", env: { CPU_APP_PORT: "8091" }, entrypoint: ["/app/red-app"] },
  /** Serves the SDK debug contract on :9002 (§6.3); ProcessPayment takes ~50 ms. */
  sdkApp: { name: "sdk-app", image: FIXTURE_IMAGES["sdk-app"], port: 3001, healthPath: "/health", sdk: true, probeFunction: "main.ProcessPayment", probeLatencyMs: 50 },
} as const;

/**
 * What an agent that runs L2 profiling and L3 gets, and no more (observability.md §7): perf events
 * and BPF through CAP_SYS_ADMIN (Docker 20.10 knows no CAP_BPF/CAP_PERFMON), /proc/<pid>/exe of the
 * apps through CAP_SYS_PTRACE, and no seccomp filter. Never --privileged, no host mounts.
 */
export const EBPF_PRIVILEGES = { capAdd: ["SYS_ADMIN", "SYS_PTRACE"], securityOpt: ["seccomp=unconfined"] } as const;

/**
 * L0 (Beyla): the same set. §7 lists SYS_RESOURCE (memlock) as inferred; kernels ≥ 5.11 charge BPF
 * maps to the memory cgroup instead, Coral was seen working without it, and engines whose own
 * bounding set lacks it cannot start the container at all. NET_ADMIN comes with WireGuard.
 */
export const BEYLA_PRIVILEGES = EBPF_PRIVILEGES;

/** The L0 agent: monitor-all on (Coral's default, which creates the Beyla manager) and short Beyla timers. */
export const BEYLA_AGENT_ENV = {
  CORAL_MONITOR_ALL: "true",
  CORAL_BEYLA_DISCOVERY_SYNC_INTERVAL: TIMERS.beylaDiscoverySyncInterval,
  BEYLA_METRICS_INTERVAL: TIMERS.beylaMetricsInterval,
  OTEL_METRIC_EXPORT_INTERVAL: String(TIMERS.beylaMetricsIntervalMs),
} as const;

/** Readiness budgets before --timeout-scale: generous next to the figures of contract §7.1. */
export const READY_MS = {
  discovery: 60_000,
  colony: 60_000,
  agents: 90_000,
} as const;

/** STUN pointed at an unreachable literal IP: no 10 s DNS stall, no public mapping (§6.10). */
export const STUN_NOWHERE = "127.0.0.1:3478";
