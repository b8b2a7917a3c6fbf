// The options every command shares (--debug, --verbose, --no-color are declared on the program and
// accepted before or after the command name) and the CommandIO built from them.
import type { Command } from "commander";
import { makeChalk } from "../report/colour.js";
import type { CommandIO } from "./actions.js";
import type { CliDeps } from "./deps.js";

export interface GlobalOptions {
  color: boolean; // false with --no-color
  debug?: boolean;
  verbose?: boolean;
}

/** What a command file receives: the dependencies and a way to hand back its exit code. */
export interface CommandContext {
  deps: CliDeps;
  setExitCode(code: number): void;
}

export function commandIO(command: Command, deps: CliDeps): CommandIO {
  const globals = command.optsWithGlobals<GlobalOptions>();
  return {
    stdout: deps.stdout,
    stderr: deps.stderr,
    chalk: makeChalk({ noColorFlag: globals.color === false, env: deps.env, isTTY: deps.stdout.isTTY === true }),
    verbose: globals.verbose ?? false,
    debug: globals.debug ?? false,
  };
}

/**
 * A spinner belongs on an interactive stderr only: not piped, not TERM=dumb, not CI. A terminal that
 * reports no width (`script` without a size) is treated as none: ora's line clearing loops forever.
 */
export function isInteractive(deps: CliDeps): boolean {
  const columns = (deps.stderr as { columns?: number }).columns ?? 0;
  return deps.stderr.isTTY === true && columns > 0 && deps.env.TERM !== "dumb" && !("CI" in deps.env);
}
