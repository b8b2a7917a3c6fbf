// Deadlines for every external call: a hung Docker daemon or RPC fails the call, never the run.

export class TimeoutError extends Error {
  constructor(what: string, ms: number) {
    super(`${what}: no answer within ${(ms / 1000).toFixed(1)} s`);
    this.name = "TimeoutError";
  }
}

/** Resolves as `work` does, or rejects with a TimeoutError after `ms` or when `signal` aborts. */
export function withTimeout<T>(work: Promise<T>, ms: number, what: string, signal?: AbortSignal): Promise<T> {
  return new Promise<T>((resolve, reject) => {
    const onAbort = () => finish(() => reject(signal?.reason ?? new Error(`${what}: aborted`)));
    const timer = setTimeout(() => finish(() => reject(new TimeoutError(what, ms))), ms);
    function finish(settle: () => void) {
      clearTimeout(timer);
      signal?.removeEventListener("abort", onAbort);
      settle();
    }
    if (signal?.aborted) return onAbort();
    signal?.addEventListener("abort", onAbort, { once: true });
    work.then(
      (value) => finish(() => resolve(value)),
      (error) => finish(() => reject(error)),
    );
  });
}

/** Waits `ms` unless aborted: for backoff between polls, never as a stand-in for a condition. */
export function pause(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal?.aborted) return reject(signal.reason);
    const timer = setTimeout(() => {
      signal?.removeEventListener("abort", onAbort);
      resolve();
    }, ms);
    const onAbort = () => {
      clearTimeout(timer);
      reject(signal?.reason);
    };
    signal?.addEventListener("abort", onAbort, { once: true });
  });
}

/** "90s", "10m", "1h30m", "500ms" or a bare number of seconds → milliseconds; NaN when malformed. */
export function parseDurationMs(text: string): number {
  if (/^\d+(\.\d+)?$/.test(text)) return Number(text) * 1000;
  const units: Record<string, number> = { ms: 1, s: 1000, m: 60_000, h: 3_600_000 };
  let total = 0;
  let consumed = 0;
  for (const m of text.matchAll(/(\d+(?:\.\d+)?)(ms|s|m|h)/g)) {
    total += Number(m[1]) * units[m[2]!]!;
    consumed += m[0].length;
  }
  return consumed === text.length && consumed > 0 ? total : NaN;
}

/**
 * An AbortSignal that fires after `ms` (or with `parent`). Unlike AbortSignal.timeout its timer
 * keeps the process alive: a request stuck on a half-open socket (docker-proxy accepts before the
 * container listens) must end in a timeout, not in Node exiting with an unsettled promise.
 */
export function deadlineSignal(ms: number, parent?: AbortSignal): { signal: AbortSignal; done: () => void } {
  const controller = new AbortController();
  const timer = setTimeout(() => controller.abort(new TimeoutError("request", ms)), ms);
  const onParent = () => controller.abort(parent?.reason);
  if (parent?.aborted) onParent();
  parent?.addEventListener("abort", onParent, { once: true });
  return {
    signal: controller.signal,
    done: () => {
      clearTimeout(timer);
      parent?.removeEventListener("abort", onParent);
    },
  };
}
