// `coral-e2e report`: flags only; the behaviour is in ../report-action.ts.
import { Command } from "commander";
import { commandIO, type CommandContext } from "../io.js";
import { reportAction } from "../report-action.js";

export interface ReportFlags {
  html?: string;
  junit?: string;
}

export function reportCommand(context: CommandContext): Command {
  return new Command("report")
    .description("render a saved JSON report again: the HTML timeline and/or JUnit XML")
    .argument("<report.json>", "a JSON report of `coral-e2e run` (--json, or report.json in the artifacts folder)")
    .option("--html <file>", "write the self-contained HTML timeline")
    .option("--junit <file>", "write JUnit XML")
    .action(async (file: string, flags: ReportFlags, command: Command) => {
      context.setExitCode(await reportAction(file, flags, commandIO(command, context.deps)));
    });
}
