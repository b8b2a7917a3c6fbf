// What `coral-e2e run` does: validate the selection (before any Docker call), then run the plan
// through the session every deploying command shares (suite-session.ts: provider, reporters,
// interrupts, engine, exit code).
import { planRun } from "../runner/plan.js";
import type { CommandIO } from "./actions.js";
import type { RunFlags } from "./commands/run.js";
import type { CliDeps } from "./deps.js";
import { runSession } from "./suite-session.js";

export async function runAction(flags: RunFlags, io: CommandIO, deps: CliDeps): Promise<number> {
  const plan = planRun(deps.modules, { phase: flags.phase, layers: flags.layer, checks: flags.check });
  return runSession({
    flags,
    io,
    deps,
    runId: deps.newRunId(),
    plan,
    engine: {
      runTimeoutMs: flags.timeout,
      repeat: flags.repeat,
      concurrency: flags.concurrency,
      failFast: flags.failFast,
      knownDefects: { honour: flags.knownDefects, strict: flags.strictDefects },
    },
    onInterrupt: "stopping the checks",
  });
}
