// `coral-e2e clean`: removes the containers, networks and volumes carrying the project's labels.
import { Command } from "commander";
import { commandIO, type CommandContext } from "../io.js";

export function cleanCommand(context: CommandContext): Command {
  return new Command("clean")
    .description("remove the containers, networks and volumes left by runs")
    .option("--run-id <id>", "only what this run created")
    .action(async (flags: { runId?: string }, command: Command) => {
      await context.deps.cleanLeftovers({ ...commandIO(command, context.deps), runId: flags.runId });
    });
}
