// Errors that decide the exit code. Anything that is neither a usage nor an environment problem is
// a failure of the run itself (exit 1); see src/cli/exit-codes.ts.

/** Bad flag, bad value, unknown check id, empty selection, inconsistent check modules: exit 2. */
export class UsageError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "UsageError";
  }
}

/**
 * The machine cannot host a run (no Docker, missing image, no /dev/net/tun): exit 3. Providers throw
 * it from setup; `cause` keeps the underlying error for --debug.
 */
export class EnvironmentError extends Error {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = "EnvironmentError";
  }
}

/** Abort reason for the run's root signal on SIGINT/SIGTERM: exit 130. */
export class InterruptError extends Error {
  constructor(readonly signal: string) {
    super(`interrupted (${signal})`);
    this.name = "InterruptError";
  }
}

/** Abort reason for the run's root signal when --timeout elapses. */
export class RunTimeoutError extends Error {
  constructor(readonly timeoutMs: number) {
    super(`run timeout of ${formatSeconds(timeoutMs)} reached`);
    this.name = "RunTimeoutError";
  }
}

/** Abort reason for one check's signal when its own deadline passes. */
export class DeadlineError extends Error {
  constructor(
    readonly timeoutMs: number,
    detail?: string,
  ) {
    super(`deadline of ${formatSeconds(timeoutMs)} exceeded${detail ? ` ${detail}` : ""}`);
    this.name = "DeadlineError";
  }
}

/** "30s", "1.5s", "90s": the unit every deadline message uses. */
export function formatSeconds(ms: number): string {
  const seconds = ms / 1000;
  return `${Number.isInteger(seconds) ? seconds : seconds.toFixed(1)}s`;
}
