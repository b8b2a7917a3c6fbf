// `coral-e2e run`: flags only; the behaviour is in ../run-action.ts.
import { Command, Option } from "commander";
import type { Layer, Phase } from "../../runner/check.js";
import { commandIO, type CommandContext } from "../io.js";
import { collect, parseDuration, parseLayer, parsePositiveInt } from "../options.js";
import { runAction } from "../run-action.js";
import type { SessionFlags } from "../suite-session.js";
import { addSessionOptions, refFaultsOption } from "./session-options.js";

/** Run agents: checks watch them as a whole (each check that disturbs an agent gets a spare of its own). */
export const DEFAULT_AGENTS = 3;

export interface RunFlags extends SessionFlags {
  phase: Phase | "all";
  layer: Layer[];
  check: string[];
  failFast: boolean;
  repeat: number;
  concurrency?: number; // undefined: as many as the checks' declarations allow
  timeout?: number; // ms
  strictDefects: boolean;
  knownDefects: boolean; // false with --no-known-defects
  ebpfPrivileges: boolean; // false with --no-ebpf-privileges
}

export function runCommand(context: CommandContext): Command {
  const command = new Command("run")
    .description("deploy Coral and run the selected checks in order")
    .addOption(new Option("--phase <phase>", "checks of one phase").choices(["connectivity", "observability", "all"]).default("all"))
    .option("--layer <n>", "observability layer 0-3 (repeatable)", parseLayer, [])
    .option("--check <glob>", "check id or glob, `!glob` excludes (repeatable)", collect, [])
    .option("--agents <n>", `number of run agents, which checks watch (default ${DEFAULT_AGENTS}); the run adds one spare agent per check that disturbs an agent`, parsePositiveInt, DEFAULT_AGENTS);
  return addSessionOptions(command)
    .option("--fail-fast", "stop at the first failed check", false)
    .option("--repeat <n>", "run the selection n times on fresh deployments and report flakiness", parsePositiveInt, 1)
    .option("--concurrency <n>", "at most n checks at once (default: as many as their declarations allow; 1: one at a time, in declared order)", parsePositiveInt)
    .option("--timeout <duration>", 'deadline for the whole run, e.g. "10m"', parseDuration)
    .option("--strict-defects", "a known defect that no longer reproduces fails the run", false)
    .option("--no-known-defects", "treat known-defect checks as ordinary checks")
    .option("--no-ebpf-privileges", "start the L2-profiling/L3 agent without SYS_ADMIN, SYS_PTRACE, seccomp=unconfined (those checks are then skipped)")
    .addOption(refFaultsOption())
    .action(async (flags: RunFlags, command: Command) => {
      context.setExitCode(await runAction(flags, commandIO(command, context.deps), context.deps));
    });
}
