// `coral-e2e list`: the ordered checks (id, phase, layer, needs, requires, known defect), optionally
// narrowed by the same selection flags as `run`; --json for tools.
import { Command, Option } from "commander";
import type { Layer, Phase } from "../../runner/check.js";
import { allChecks, planRun } from "../../runner/plan.js";
import type { CheckInfo } from "../../runner/results.js";
import type { CommandIO } from "../actions.js";
import { commandIO, type CommandContext } from "../io.js";
import { collect, parseLayer } from "../options.js";

interface ListFlags {
  phase: Phase | "all";
  layer: Layer[];
  check: string[];
  json: boolean;
}

export function listCommand(context: CommandContext): Command {
  return new Command("list")
    .description("list the checks in run order")
    .addOption(new Option("--phase <phase>", "checks of one phase").choices(["connectivity", "observability", "all"]).default("all"))
    .option("--layer <n>", "observability layer 0-3 (repeatable)", parseLayer, [])
    .option("--check <glob>", "check id or glob, `!glob` excludes (repeatable)", collect, [])
    .option("--json", "print JSON", false)
    .action((flags: ListFlags, command: Command) => {
      const { modules } = context.deps;
      const narrowed = flags.phase !== "all" || flags.layer.length > 0 || flags.check.length > 0;
      const checks = narrowed
        ? planRun(modules, { phase: flags.phase, layers: flags.layer, checks: flags.check }).checks
        : allChecks(modules);
      printChecks(checks.map((c) => c.info), flags.json, commandIO(command, context.deps));
    });
}

function printChecks(checks: CheckInfo[], json: boolean, io: CommandIO): void {
  if (json) {
    io.stdout.write(`${JSON.stringify(checks, null, 2)}\n`);
    return;
  }
  if (checks.length === 0) {
    io.stdout.write("no checks\n");
    return;
  }
  const rows = checks.map((c) => [
    c.id,
    c.phase,
    c.layer === undefined ? "-" : `L${c.layer}`,
    c.needs.join(",") || "-",
    requirementsText(c),
    c.knownDefect ? `${c.knownDefect.ref} (since ${c.knownDefect.since})` : "-",
  ]);
  const header = ["ID", "PHASE", "LAYER", "NEEDS", "REQUIRES", "KNOWN DEFECT"];
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i]!.length)));
  const format = (cells: string[]) => cells.map((cell, i) => (i === cells.length - 1 ? cell : cell.padEnd(widths[i]!))).join("  ");
  io.stdout.write(`${io.chalk.bold(format(header))}\n`);
  for (const row of rows) io.stdout.write(`${format(row)}\n`);
}

function requirementsText(check: CheckInfo): string {
  const parts: string[] = [];
  if (check.requires?.minAgents !== undefined) parts.push(`agents>=${check.requires.minAgents}`);
  parts.push(...(check.requires?.capabilities ?? []));
  return parts.join(",") || "-";
}
