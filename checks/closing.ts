// Closing: no component panicked or logged a fatal error during the run (headscale's
// ShutdownAssertNoPanics, cilium's check-log-errors). Runs last, over every container's logs.
import type { Check, Module } from "./support.js";

/** Lines that mean a crash: Go panics (also the ones net/http recovers), fatal runtime errors. */
const CRASH = [/\bpanic: /, /http: panic serving/, /^fatal error: /, /\bFTL\b/];

/** The crash lines of a log, without those a check provoked on purpose. */
export function crashLines(logs: string, provoked: RegExp[]): string[] {
  return logs.split("\n").filter((line) => CRASH.some((re) => re.test(line)) && !provoked.some((re) => re.test(line)));
}

const noPanics: Check = {
  id: "closing/no-panics",
  title: "no component logged a panic or a fatal error during the run",
  final: true,
  timeoutMs: 60_000,
  async run(t) {
    const containers = await t.env.snapshot();
    t.verify(containers.length > 0, "the run's containers were found", containers.length);
    const crashes: string[] = [];
    for (const c of containers) {
      const lines = crashLines(c.logs, t.env.provokedLogLines);
      if (lines.length) crashes.push(`${c.role}: ${lines.slice(0, 3).join(" | ")}`);
    }
    if (t.env.provokedLogLines.length) t.observe("crashes provoked on purpose by known-defect checks (not counted)", t.env.provokedLogLines.map(String));
    t.verify(crashes.length === 0, `no panic or fatal line in the logs of ${containers.length} containers`, crashes);
  },
};

export const closing: Module = {
  name: "closing",
  phase: "connectivity",
  checks: [noPanics],
};
