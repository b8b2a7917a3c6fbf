// Minute-bucket span statistics (contract observability.md §4.2 step 6): nearest-rank percentiles
// `sorted[floor(n·p)]` capped at n−1, error count, total, up to 5 sample trace ids.
import { faults } from "../common/faults.js";

export const SAMPLE_TRACE_LIMIT = 5;
export const MINUTE_MS = 60_000;

export interface SpanStats {
  p50: number;
  p95: number;
  p99: number;
  errorCount: number;
  totalSpans: number;
  sampleTraces: string[];
}

export function minuteBucket(unixMs: number): number {
  return Math.floor(unixMs / MINUTE_MS) * MINUTE_MS;
}

/** `sorted` must be ascending and non-empty. */
export function nearestRank<T extends number | bigint>(sorted: readonly T[], p: number): T {
  return sorted[Math.min(Math.floor(sorted.length * p), sorted.length - 1)]!;
}

function mean(values: readonly number[]): number {
  return values.reduce((a, b) => a + b, 0) / values.length;
}

/** Statistics of every span of one (agent, minute, service, kind) key; traceIds in arrival order. */
export function spanStats(durationsMs: readonly number[], errorCount: number, traceIds: readonly string[]): SpanStats {
  const sorted = [...durationsMs].sort((a, b) => a - b);
  return {
    p50: nearestRank(sorted, 0.5),
    p95: nearestRank(sorted, 0.95),
    // Fault p99-is-mean breaks the promise that P99 is a percentile (it may then be below P95).
    p99: faults.has("p99-is-mean") ? mean(sorted) : nearestRank(sorted, 0.99),
    errorCount,
    totalSpans: sorted.length,
    sampleTraces: [...new Set(traceIds)].slice(0, SAMPLE_TRACE_LIMIT),
  };
}
