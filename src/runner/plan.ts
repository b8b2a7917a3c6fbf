// From the check modules (in their fixed order) and the command line's selection to the ordered list
// of checks a run executes. Everything here is validated before anything touches Docker: a bad
// selection or an inconsistent module list is a UsageError (exit 2).
import type { CheckModule, CheckSpec, Layer, Phase } from "./check.js";
import { UsageError } from "./errors.js";
import type { CheckInfo } from "./results.js";

export interface Selection {
  phase?: Phase | "all";
  /** Observability layers to keep; empty or absent keeps all. Connectivity checks are not layered. */
  layers?: Layer[];
  /**
   * Globs over check ids (`*` any text, `?` one character); a bare module name selects the module.
   * `!glob` excludes, and an exclusion wins over any inclusion.
   */
  checks?: string[];
}

export interface PlannedCheck<Env> {
  info: CheckInfo;
  spec: CheckSpec<Env>;
}

export interface Plan<Env> {
  checks: PlannedCheck<Env>[];
}

/** Every check of every module in order, with its module's attributes; validates the modules. */
export function allChecks<Env>(modules: CheckModule<Env>[]): PlannedCheck<Env>[] {
  const planned: PlannedCheck<Env>[] = [];
  const seen = new Set<string>();
  for (const module of modules) {
    for (const spec of module.checks) {
      if (seen.has(spec.id)) throw new UsageError(`check id ${spec.id} is declared twice`);
      for (const need of spec.needs ?? []) {
        // Order is the contract: a check can only depend on one that runs before it.
        if (!seen.has(need)) {
          throw new UsageError(`check ${spec.id} needs ${need}, which is not declared before it`);
        }
      }
      if (!(spec.timeoutMs > 0)) throw new UsageError(`check ${spec.id} has no positive timeoutMs`);
      seen.add(spec.id);
      planned.push({ info: infoOf(module, spec), spec });
    }
  }
  return planned;
}

export function planRun<Env>(modules: CheckModule<Env>[], selection: Selection = {}): Plan<Env> {
  const all = allChecks(modules);
  const phase = selection.phase ?? "all";
  const layers = selection.layers ?? [];
  if (layers.length > 0 && phase === "connectivity") {
    throw new UsageError("--layer selects observability checks; it cannot be combined with --phase connectivity");
  }
  const patterns = parsePatterns(selection.checks ?? [], all.map(({ info }) => info));
  const checks = all.filter(({ info }) => {
    if (phase !== "all" && info.phase !== phase) return false;
    if (layers.length > 0 && info.phase === "observability" && !layers.includes(info.layer ?? 0)) return false;
    if (patterns.exclude.some((p) => p.matches(info))) return false;
    return patterns.include.length === 0 || patterns.include.some((p) => p.matches(info));
  });
  if (checks.length === 0) throw new UsageError(`the selection matches no check (${describeSelection(selection)})`);
  return { checks };
}

export function describeSelection(selection: Selection): string {
  const parts = [`phase ${selection.phase ?? "all"}`];
  if (selection.layers?.length) parts.push(`layer ${selection.layers.join(",")}`);
  if (selection.checks?.length) parts.push(`check ${selection.checks.join(" ")}`);
  return parts.join(", ");
}

interface Pattern {
  text: string;
  matches(info: CheckInfo): boolean;
}

function parsePatterns(texts: string[], all: CheckInfo[]): { include: Pattern[]; exclude: Pattern[] } {
  const include: Pattern[] = [];
  const exclude: Pattern[] = [];
  for (const raw of texts) {
    const negated = raw.startsWith("!");
    const text = negated ? raw.slice(1) : raw;
    if (text === "") throw new UsageError(`--check ${raw}: empty pattern`);
    const pattern = compilePattern(text);
    // A pattern naming nothing is a typo, even in an exclusion: say so instead of ignoring it.
    if (!all.some((info) => pattern.matches(info))) {
      const kind = /[*?]/.test(text) ? "pattern" : "check id";
      throw new UsageError(`--check ${raw}: unknown ${kind} (see \`coral-e2e list\`)`);
    }
    (negated ? exclude : include).push(pattern);
  }
  return { include, exclude };
}

function compilePattern(text: string): Pattern {
  const source = text.replace(/[.+^${}()|[\]\\]/g, "\\$&").replace(/\*/g, ".*").replace(/\?/g, ".");
  const regex = new RegExp(`^${source}$`);
  return { text, matches: (info) => regex.test(info.id) || info.module === text };
}

function infoOf<Env>(module: CheckModule<Env>, spec: CheckSpec<Env>): CheckInfo {
  const layer = module.phase === "observability" ? module.layer : undefined;
  return {
    id: spec.id,
    title: spec.title,
    module: module.name,
    phase: module.phase,
    layer,
    classname: layer === undefined ? `${module.phase}.${module.name}` : `${module.phase}.L${layer}.${module.name}`,
    needs: spec.needs ?? [],
    requires: spec.requires,
    timeoutMs: spec.timeoutMs,
    knownDefect: spec.knownDefect,
  };
}
