// What `coral-e2e chaos` does: draw the schedule from the seed and print it (so a failure is
// replayed with the same seed), then run the chaos plan on one deployment through the session
// `run` uses, one check at a time, with the chaos summary added to the reports.
import { randomInt } from "node:crypto";
import { chaosPlan, HEAL_LIMIT_MS } from "../../checks/chaos.js";
import { FAULT_KIND_IDS } from "../chaos/catalogue.js";
import { ChaosHistory } from "../chaos/history.js";
import { ChaosReporter } from "../chaos/reporter.js";
import { buildSchedule, formatSchedule } from "../chaos/schedule.js";
import { maskSecrets } from "../report/secrets.js";
import type { CommandIO } from "./actions.js";
import type { ChaosFlags } from "./commands/chaos.js";
import type { CliDeps } from "./deps.js";
import { EXIT } from "./exit-codes.js";
import { runSession } from "./suite-session.js";

export async function chaosAction(flags: ChaosFlags, io: CommandIO, deps: CliDeps): Promise<number> {
  const schedule = buildSchedule({
    seed: flags.seed ?? randomInt(0, 2 ** 31),
    durationMs: flags.duration,
    agents: flags.agents,
    faults: flags.faults ?? FAULT_KIND_IDS,
    quick: flags.quick,
    spans: flags.layer === 1,
  });
  const print = (lines: string[]) => io.stdout.write(maskSecrets(lines.map((line) => `${line}\n`).join("")));
  print(formatSchedule(schedule));
  if (flags.dryRun) return EXIT.passed;
  const history = new ChaosHistory(schedule);
  return runSession({
    flags,
    io,
    deps,
    runId: deps.newRunId(),
    plan: chaosPlan(schedule, history),
    // Rounds build on one another: one check at a time, in order; a stopped round heals before teardown.
    engine: { concurrency: 1, limits: { settleMs: HEAL_LIMIT_MS } },
    wrapReporter: (reporter) => new ChaosReporter(reporter, history, print),
    onInterrupt: "healing the active faults",
  });
}
