// Coral settings a run uses, in one place: images, ports, and the short timers Coral's own e2e
// stack uses (contract §1.9, §6.20), set only through the env vars and flags Coral reads.

import { FIXTURE_IMAGES } from "../images/fixtures.js";

export interface CoralImages {
  discovery: string;
  colony: string;
  agent: string;
}

export const IMAGE_PRESETS: Record<string, CoralImages> = {
  reference: {
    discovery: "coral-e2e/reference-discovery:v0.3.0",
    colony: "coral-e2e/reference-colony:v0.3.0",
    agent: "coral-e2e/reference-agent:v0.3.0",
  },
};

export const PORTS = {
  discovery: 8080,
  colonyConnect: 9000,
  colonyPublic: 8443,
  colonyWireGuard: 41580,
  agentApi: 9001,
  agentMeshPing: 9003,
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
  },
  agent: {
    CORAL_SAMPLE_RATE: "1.0",
    CORAL_SYSTEM_METRICS_INTERVAL: TIMERS.systemMetricsInterval,
  },
} as const;

export const FIXTURES = {
  otelApp: { image: FIXTURE_IMAGES["otel-app"], healthPath: "/health" },
} as const;

/** Readiness budgets before --timeout-scale: generous next to the figures of contract §7.1. */
export const READY_MS = {
  discovery: 60_000,
  colony: 60_000,
  agents: 90_000,
} as const;

/** STUN pointed at an unreachable literal IP: no 10 s DNS stall, no public mapping (§6.10). */
export const STUN_NOWHERE = "127.0.0.1:3478";
