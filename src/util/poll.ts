// Polling with a deadline: the only way the runner waits for something to become true.
import { describe } from "./describe.js";
import { pause } from "./time.js";

export class PollTimeout extends Error {
  constructor(
    readonly what: string,
    readonly waitedMs: number,
    readonly lastSeen: string,
  ) {
    super(`timed out after ${(waitedMs / 1000).toFixed(1)} s waiting for ${what}; last saw: ${lastSeen}`);
    this.name = "PollTimeout";
  }
}

export interface PollOptions {
  timeoutMs: number;
  intervalMs?: number;
  signal?: AbortSignal;
}

/** Calls probe until accept(value) holds; probe errors count as observations, not verdicts. */
export async function pollUntil<T>(what: string, probe: () => Promise<T>, accept: (value: T) => boolean, options: PollOptions): Promise<T> {
  const started = Date.now();
  const interval = options.intervalMs ?? 250;
  let last: unknown = "nothing yet";
  for (;;) {
    options.signal?.throwIfAborted();
    try {
      const value = await probe();
      last = value;
      if (accept(value)) return value;
    } catch (error) {
      if (options.signal?.aborted) throw options.signal.reason;
      last = error;
    }
    const waited = Date.now() - started;
    if (waited >= options.timeoutMs) throw new PollTimeout(what, waited, describe(last));
    await pause(Math.min(interval, options.timeoutMs - waited), options.signal);
  }
}
