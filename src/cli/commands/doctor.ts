// `coral-e2e doctor`: Docker, /dev/net/tun, kernel features per layer, images present.
import { Command } from "commander";
import { commandIO, type CommandContext } from "../io.js";

export function doctorCommand(context: CommandContext): Command {
  return new Command("doctor")
    .description("check this machine: Docker, /dev/net/tun, kernel features, images")
    .option("--json", "print JSON", false)
    .action(async (flags: { json: boolean }, command: Command) => {
      context.setExitCode(await context.deps.runDoctor({ ...commandIO(command, context.deps), json: flags.json }));
    });
}
