// Node as a container's PID 1 (the runner image) gets no default action for signals from the
// kernel: a SIGINT or SIGTERM without a handler is simply ignored, so Ctrl-C on `docker run -it` or
// `docker stop` would do nothing. While a run is underway its own handlers stop it cleanly
// (run-action.ts); outside of one (list, doctor, images, the moments before they are installed) the
// handlers here end the process as the default action would.
// SIGHUP stays ignored: a run whose terminal went away finishes and cleans up.
const SIGNALS = { SIGINT: 2, SIGTERM: 15 } as const;

export function exitOnSignalsAsInit(proc: NodeJS.Process = process): void {
  if (proc.pid !== 1) return;
  for (const [signal, number] of Object.entries(SIGNALS) as Array<[keyof typeof SIGNALS, number]>) {
    proc.on(signal, () => {
      if (proc.listenerCount(signal) === 1) proc.exit(128 + number);
    });
  }
}
