// `coral-e2e images`: builds the base image and the project's images, offline or online.
import { Command, Option } from "commander";
import type { ImageBuildMode } from "../actions.js";
import { commandIO, type CommandContext } from "../io.js";

export function imagesCommand(context: CommandContext): Command {
  return new Command("images")
    .description("build the base image and the project's images")
    .addOption(
      new Option("--mode <mode>", "offline: debootstrap + docker import; online: FROM debian:bookworm-slim")
        .choices(["auto", "offline", "online"])
        .default("auto"),
    )
    .option("--rebuild-base", "rebuild the base image even when it exists", false)
    .action(async (flags: { mode: ImageBuildMode; rebuildBase: boolean }, command: Command) => {
      await context.deps.buildImages({ ...commandIO(command, context.deps), mode: flags.mode, rebuildBase: flags.rebuildBase });
    });
}
