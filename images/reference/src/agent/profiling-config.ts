// Continuous CPU profiling settings (contract observability.md §1.2), from the CORAL_* environment
// with Coral's defaults: 19 Hz, drained every 15 s, kept for 1 h.
import { parseDuration } from "../common/duration.js";

export interface ProfilingConfig {
  disabled: boolean;
  frequencyHz: number;
  intervalMs: number;
  retentionMs: number;
}

function flag(value: string | undefined): boolean {
  return ["1", "t", "true", "yes", "on"].includes((value ?? "").trim().toLowerCase());
}

export function loadProfilingConfig(env: NodeJS.ProcessEnv = process.env): ProfilingConfig {
  const hz = Number(env.CORAL_CPU_PROFILING_FREQUENCY_HZ);
  return {
    disabled: flag(env.CORAL_PROFILING_DISABLED) || flag(env.CORAL_CPU_PROFILING_DISABLED),
    frequencyHz: Number.isInteger(hz) && hz > 0 ? hz : 19,
    intervalMs: parseDuration(env.CORAL_CPU_PROFILING_INTERVAL, 15_000),
    retentionMs: parseDuration(env.CORAL_CPU_PROFILING_RETENTION, 3_600_000),
  };
}
