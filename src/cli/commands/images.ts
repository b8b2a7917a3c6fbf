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
    .action(async (flags: { mode: ImageBuildMode }, command: Command) => {
      await context.deps.buildImages({ ...commandIO(command, context.deps), mode: flags.mode });
    });
}
