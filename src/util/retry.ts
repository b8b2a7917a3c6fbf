// Retrying an operation that failed for a transient reason (a daemon answering 5xx, a reset
// connection, a package mirror's hiccup). Always bounded: explicit retries, a time cap, and the
// caller's abort signal. Conditions are never retried into being: those are polled (pollUntil).
import pRetry from "p-retry";

export interface RetryPolicy {
  /** Retries after the first attempt. */
  retries: number;
  /** No new attempt starts after this long (ms since the first attempt began). */
  capMs: number;
  /** The first backoff (doubling, up to 2 s). */
  firstBackoffMs?: number;
  signal?: AbortSignal;
  /** Whether this failure is worth another attempt. */
  transient: (error: unknown) => boolean;
  /** Told about each failed attempt that will be retried (for a progress line). */
  onRetry?: (error: unknown, attempt: number) => void;
}

/** Calls `attempt` until it succeeds, a failure is not transient, or the budget is spent. */
export function retryTransient<T>(attempt: (remainingMs: number) => Promise<T>, policy: RetryPolicy): Promise<T> {
  const started = performance.now();
  return pRetry(() => attempt(Math.max(1, policy.capMs - (performance.now() - started))), {
    retries: policy.retries,
    maxRetryTime: policy.capMs,
    minTimeout: policy.firstBackoffMs ?? 200,
    factor: 2,
    maxTimeout: 2_000,
    signal: policy.signal,
    shouldRetry: ({ error }) => !policy.signal?.aborted && policy.transient(error),
    onFailedAttempt: ({ error, attemptNumber, retriesLeft }) => {
      if (retriesLeft > 0 && !policy.signal?.aborted && policy.transient(error)) policy.onRetry?.(error, attemptNumber);
    },
  });
}

/** Socket-level failures of a request that may well succeed when sent again. */
export function isConnectionReset(error: unknown): boolean {
  const code = (error as NodeJS.ErrnoException | undefined)?.code;
  if (code && ["ECONNRESET", "EPIPE", "ECONNABORTED", "UND_ERR_SOCKET"].includes(code)) return true;
  return /socket hang up|premature close/i.test((error as Error | undefined)?.message ?? "");
}
