// `coral-e2e chaos`: flags only; the behaviour is in ../chaos-action.ts.
import { Command } from "commander";
import { FAULT_KIND_IDS, type FaultKindId } from "../../chaos/catalogue.js";
import { chaosAction } from "../chaos-action.js";
import { commandIO, type CommandContext } from "../io.js";
import { parseChaosLayer, parseDuration, parseFaultKinds, parsePositiveInt, parseSeed } from "../options.js";
import type { SessionFlags } from "../suite-session.js";
import { addSessionOptions, refFaultsOption } from "./session-options.js";

export const DEFAULT_CHAOS_AGENTS = 3;
export const DEFAULT_CHAOS_DURATION_MS = 10 * 60_000;

export interface ChaosFlags extends SessionFlags {
  duration: number; // ms
  seed?: number; // undefined: a random seed, printed
  faults?: FaultKindId[]; // undefined: the whole catalogue
  quick: boolean;
  dryRun: boolean;
  layer?: 1;
}

export function chaosCommand(context: CommandContext): Command {
  const command = new Command("chaos")
    .description("deploy Coral once and run a seeded schedule of overlapping faults, checking the mesh's invariants after every round")
    .option("--duration <duration>", 'the planned length of the rounds, e.g. "5m" (default 10m)', parseDuration, DEFAULT_CHAOS_DURATION_MS)
    .option("--seed <n>", "the schedule's seed; the same seed and options give the same schedule (default: a random seed, printed)", parseSeed)
    .option("--faults <kinds>", `fault kinds to draw from, comma-separated (repeatable; default all): ${FAULT_KIND_IDS.join(", ")}`, parseFaultKinds)
    .option("--agents <n>", `agents in the mesh (default ${DEFAULT_CHAOS_AGENTS})`, parsePositiveInt, DEFAULT_CHAOS_AGENTS)
    .option("--quick", "hold faults 2-20 s instead of up to past the 120 s unhealthy threshold; settle deadlines stay the contract's", false)
    .option("--layer <n>", "1: after every round an app's spans must reach the colony (an OTel app per round)", parseChaosLayer)
    .option("--dry-run", "print the schedule and exit (no Docker)", false);
  return addSessionOptions(command)
    .addOption(refFaultsOption())
    .action(async (flags: ChaosFlags, command: Command) => {
      context.setExitCode(await chaosAction(flags, commandIO(command, context.deps), context.deps));
    });
}
