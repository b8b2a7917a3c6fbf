// Observability settings of the agent (contract observability.md §1.2): the OTLP receiver, its
// span filter and the system metrics collector, from the CORAL_* environment with Coral's
// defaults. Empty values are ignored, as Coral's env loader does.
import { faults } from "../common/faults.js";
import { parseDuration } from "../common/duration.js";
import { loadProfilingConfig, type ProfilingConfig } from "./profiling-config.js";

export interface TelemetryConfig {
  disabled: boolean;
  grpcEndpoint: string;
  httpEndpoint: string;
  retentionMs: number;
  sampleRate: number;
  highLatencyThresholdMs: number;
  /** Coral forces this to true whatever the value (§1.2); kept only for the log line. */
  alwaysCaptureErrors: boolean;
}

export interface SystemMetricsConfig {
  disabled: boolean;
  intervalMs: number;
  retentionMs: number;
  cpu: boolean;
  memory: boolean;
  disk: boolean;
  network: boolean;
}

export interface ObservabilityConfig {
  telemetry: TelemetryConfig;
  systemMetrics: SystemMetricsConfig;
  profiling: ProfilingConfig;
}

const HOUR_MS = 3_600_000;

function flag(value: string | undefined, fallback: boolean): boolean {
  if (!value) return fallback;
  return ["1", "t", "true", "yes", "on"].includes(value.trim().toLowerCase());
}

function number(value: string | undefined, fallback: number): number {
  if (!value) return fallback;
  const parsed = Number(value);
  return Number.isFinite(parsed) ? parsed : fallback;
}

export function loadObservabilityConfig(env: NodeJS.ProcessEnv = process.env): ObservabilityConfig {
  return {
    telemetry: {
      disabled: flag(env.CORAL_TELEMETRY_DISABLED, false),
      grpcEndpoint: env.CORAL_OTLP_GRPC_ENDPOINT || "0.0.0.0:4317",
      httpEndpoint: env.CORAL_OTLP_HTTP_ENDPOINT || "0.0.0.0:4318",
      retentionMs: number(env.CORAL_TELEMETRY_RETENTION_HOURS, 1) * HOUR_MS,
      // Fault ignore-sample-rate: every span is kept, whatever the rate says.
      sampleRate: faults.has("ignore-sample-rate") ? 1 : Math.min(Math.max(number(env.CORAL_SAMPLE_RATE, 0.1), 0), 1),
      highLatencyThresholdMs: number(env.CORAL_HIGH_LATENCY_THRESHOLD_MS, 500),
      alwaysCaptureErrors: true,
    },
    systemMetrics: {
      disabled: flag(env.CORAL_SYSTEM_METRICS_DISABLED, false),
      intervalMs: parseDuration(env.CORAL_SYSTEM_METRICS_INTERVAL, 15_000),
      retentionMs: parseDuration(env.CORAL_SYSTEM_METRICS_RETENTION, HOUR_MS),
      cpu: flag(env.CORAL_SYSTEM_METRICS_CPU_ENABLED, true),
      memory: flag(env.CORAL_SYSTEM_METRICS_MEMORY_ENABLED, true),
      disk: flag(env.CORAL_SYSTEM_METRICS_DISK_ENABLED, true),
      network: flag(env.CORAL_SYSTEM_METRICS_NETWORK_ENABLED, true),
    },
    profiling: loadProfilingConfig(env),
  };
}

/** `host:port` / `:port` → listen arguments. */
export function splitEndpoint(endpoint: string): { host: string; port: number } {
  const colon = endpoint.lastIndexOf(":");
  const host = endpoint.slice(0, colon).replace(/^\[|\]$/g, "") || "0.0.0.0";
  return { host, port: Number(endpoint.slice(colon + 1)) };
}
