// `coral-e2e run`: flags only; the behaviour is in ../run-action.ts.
import { Command, Option } from "commander";
import type { Layer, Phase } from "../../runner/check.js";
import { commandIO, type CommandContext } from "../io.js";
import { collect, parseDuration, parseRefFaults, parseLayer, parsePositiveInt, parsePositiveNumber } from "../options.js";
import { DEFAULT_ARTIFACTS_DIR, runAction } from "../run-action.js";

/** Run agents: checks watch them as a whole (each check that disturbs an agent gets a spare of its own). */
export const DEFAULT_AGENTS = 3;

export interface RunFlags {
  phase: Phase | "all";
  layer: Layer[];
  check: string[];
  agents: number;
  keepContainers: boolean;
  junit?: string;
  json?: string;
  html?: string;
  artifacts: string;
  images?: "reference";
  colonyImage?: string;
  agentImage?: string;
  discoveryImage?: string;
  timeoutScale: number;
  failFast: boolean;
  repeat: number;
  concurrency?: number; // undefined: as many as the checks' declarations allow
  timeout?: number; // ms
  strictDefects: boolean;
  knownDefects: boolean; // false with --no-known-defects
  refFaults: Partial<Record<"discovery" | "colony" | "agent", string>>;
  ebpfPrivileges: boolean; // false with --no-ebpf-privileges
}

export function runCommand(context: CommandContext): Command {
  return new Command("run")
    .description("deploy Coral and run the selected checks in order")
    .addOption(new Option("--phase <phase>", "checks of one phase").choices(["connectivity", "observability", "all"]).default("all"))
    .option("--layer <n>", "observability layer 0-3 (repeatable)", parseLayer, [])
    .option("--check <glob>", "check id or glob, `!glob` excludes (repeatable)", collect, [])
    .option("--agents <n>", `number of run agents, which checks watch (default ${DEFAULT_AGENTS}); the run adds one spare agent per check that disturbs an agent`, parsePositiveInt, DEFAULT_AGENTS)
    .option("--keep-containers", "leave the deployment running after the run", false)
    .option("--junit <file>", "write a JUnit XML report")
    .option("--json <file>", "write a JSON report")
    .option("--html <file>", "write a self-contained HTML timeline of the run")
    .addOption(new Option("--artifacts <dir>", "folder for evidence and logs").default(DEFAULT_ARTIFACTS_DIR).env("CORAL_E2E_ARTIFACTS"))
    .addOption(new Option("--images <preset>", "image preset for every role").choices(["reference"]))
    .addOption(new Option("--colony-image <ref>", "colony image (overrides --images)").env("CORAL_E2E_COLONY_IMAGE"))
    .addOption(new Option("--agent-image <ref>", "agent image (overrides --images)").env("CORAL_E2E_AGENT_IMAGE"))
    .addOption(new Option("--discovery-image <ref>", "discovery image (overrides --images)").env("CORAL_E2E_DISCOVERY_IMAGE"))
    .option("--timeout-scale <x>", "multiply every deadline by x", parsePositiveNumber, 1)
    .option("--fail-fast", "stop at the first failed check", false)
    .option("--repeat <n>", "run the selection n times on fresh deployments and report flakiness", parsePositiveInt, 1)
    .option("--concurrency <n>", "at most n checks at once (default: as many as their declarations allow; 1: one at a time, in declared order)", parsePositiveInt)
    .option("--timeout <duration>", 'deadline for the whole run, e.g. "10m"', parseDuration)
    .option("--strict-defects", "a known defect that no longer reproduces fails the run", false)
    .option("--no-known-defects", "treat known-defect checks as ordinary checks")
    .option("--no-ebpf-privileges", "start the L2-profiling/L3 agent without SYS_ADMIN, SYS_PTRACE, seccomp=unconfined (those checks are then skipped)")
    .option("--ref-faults <role=switches>", "reference images only: fault switches for a role, e.g. colony=accept-wrong-colony (repeatable)", parseRefFaults, {})
    .action(async (flags: RunFlags, command: Command) => {
      context.setExitCode(await runAction(flags, commandIO(command, context.deps), context.deps));
    });
}
