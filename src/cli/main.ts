// Entry point: builds the commander program, runs it, and maps every outcome to an exit code
// (exit-codes.ts). Usage and environment errors are one line on stderr; stacks only with --debug.
import { readFileSync } from "node:fs";
import { Command, CommanderError } from "commander";
import { maskSecrets } from "../report/secrets.js";
import { chaosCommand } from "./commands/chaos.js";
import { cleanCommand } from "./commands/clean.js";
import { doctorCommand } from "./commands/doctor.js";
import { imagesCommand } from "./commands/images.js";
import { listCommand } from "./commands/list.js";
import { reportCommand } from "./commands/report.js";
import { runCommand } from "./commands/run.js";
import { defaultDeps, type CliDeps } from "./deps.js";
import { EXIT, exitCodeForError } from "./exit-codes.js";
import type { CommandContext } from "./io.js";

/** Runs the CLI for `argv` (node, script, args…) and resolves to the exit code; never throws. */
export async function runCli(argv: string[] = process.argv, overrides: Partial<CliDeps> = {}): Promise<number> {
  const deps: CliDeps = { ...defaultDeps(), ...overrides };
  let exitCode: number = EXIT.passed;
  const context: CommandContext = { deps, setExitCode: (code) => (exitCode = code) };
  try {
    await buildProgram(context).parseAsync(argv);
    return exitCode;
  } catch (error) {
    // commander has already printed its own parse errors (one line, see outputError below).
    if (!(error instanceof CommanderError)) reportError(error, deps, argv.includes("--debug"));
    return exitCodeForError(error);
  }
}

export function buildProgram(context: CommandContext): Command {
  const { stdout, stderr } = context.deps;
  const program = new Command("coral-e2e")
    .description("conformance runner for Coral: deploys discovery, colony and agents, then runs ordered checks")
    .version(packageVersion(), "-V, --version")
    .option("--debug", "show stack traces")
    .option("-v, --verbose", "show every check's log and more progress")
    .option("--no-color", "no colours (NO_COLOR is honoured too)")
    .exitOverride()
    .configureOutput({
      writeOut: (text) => stdout.write(text),
      writeErr: (text) => stderr.write(text),
      // commander puts "(Did you mean …?)" on a second line; keep the error to one line.
      outputError: (text, write) => write(`${text.trimEnd().replace(/\s*\n\s*/g, " ")}\n`),
    });
  for (const make of [runCommand, chaosCommand, reportCommand, listCommand, doctorCommand, cleanCommand, imagesCommand]) {
    program.addCommand(make(context).copyInheritedSettings(program));
  }
  return program;
}

function reportError(error: unknown, deps: CliDeps, debug: boolean): void {
  const message = error instanceof Error ? error.message : String(error);
  deps.stderr.write(maskSecrets(`error: ${message}\n`));
  if (debug && error instanceof Error && error.stack) deps.stderr.write(maskSecrets(`${error.stack}\n`));
}

function packageVersion(): string {
  try {
    const url = new URL("../../../package.json", import.meta.url);
    return (JSON.parse(readFileSync(url, "utf8")) as { version?: string }).version ?? "unknown";
  } catch {
    return "unknown";
  }
}
