// What a check's `touches` declaration claims of the deployment, resolved to concrete parts, and
// whether claims can be held at the same time: observers share a part, a disturber has it to itself.
// Pure data and functions: the scheduler decides with them, the tests exercise them directly.
import type { Touches } from "./check.js";

/** The vocabulary of parts an environment offers its checks. */
export interface PartsModel {
  /** A claim on a pool's name gets one member, lent by the engine ("agent" → "agent-2"). */
  pools: Record<string, string[]>;
  /** A claim on a group's name claims every member ("agents" → every agent of the run). */
  groups: Record<string, string[]>;
  /** Parts every check observes without declaring them (the colony: every check talks to it). */
  implicit: string[];
}

export const NO_PARTS: PartsModel = { pools: {}, groups: {}, implicit: [] };

export type Mode = "observe" | "disturb";

/** Resolved claims: concrete parts with their mode, plus pools still waiting for a member. */
export interface Claims {
  parts: Map<string, Mode>;
  pools: Map<string, Mode>;
  /** Undeclared checks run alone: they conflict with everything. */
  alone: boolean;
}

export function resolveClaims(touches: Touches | undefined, model: PartsModel): Claims {
  const claims: Claims = { parts: new Map(), pools: new Map(), alone: touches === undefined };
  const add = (name: string, mode: Mode) => {
    const target = model.pools[name] ? claims.pools : claims.parts;
    for (const part of model.groups[name] ?? [name]) {
      if (target.get(part) !== "disturb") target.set(part, mode);
    }
  };
  for (const part of model.implicit) add(part, "observe");
  for (const name of touches?.observes ?? []) add(name, "observe");
  for (const name of touches?.disturbs ?? []) add(name, "disturb");
  return claims;
}

/** Every name a declaration uses that the model does not know: a typo in a check, caught in tests. */
export function unknownParts(touches: Touches | undefined, model: PartsModel, known: Iterable<string>): string[] {
  const names = new Set([...Object.keys(model.pools), ...Object.keys(model.groups), ...model.implicit, ...known]);
  return [...(touches?.observes ?? []), ...(touches?.disturbs ?? [])].filter((n) => !names.has(n));
}

function clash(a: Mode | undefined, b: Mode | undefined): boolean {
  return a !== undefined && b !== undefined && (a === "disturb" || b === "disturb");
}

/**
 * Whether two sets of claims may be held at once. A pool claim not yet lent conflicts only with
 * the pool's members claimed by a group in a clashing mode: lending picks a member that is free.
 */
export function conflicts(a: Claims, b: Claims, model: PartsModel): boolean {
  if (a.alone || b.alone) return true;
  for (const [part, mode] of a.parts) if (clash(mode, b.parts.get(part))) return true;
  const poolAgainstParts = (pools: Claims["pools"], parts: Claims["parts"]) => {
    for (const [pool, mode] of pools) {
      const members = model.pools[pool] ?? [];
      // A pool claim clashes with parts only when no member could be lent without a clash.
      if (members.length > 0 && members.every((m) => clash(mode, parts.get(m)))) return true;
    }
    return false;
  };
  return poolAgainstParts(a.pools, b.parts) || poolAgainstParts(b.pools, a.parts);
}

/** The claims with one member lent for each pool: the concrete parts the check holds while it runs. */
export function withLent(claims: Claims, lent: Record<string, string>): Claims {
  const parts = new Map(claims.parts);
  for (const [pool, mode] of claims.pools) {
    const member = lent[pool]!;
    if (parts.get(member) !== "disturb") parts.set(member, mode);
  }
  return { parts, pools: new Map(), alone: claims.alone };
}

/**
 * Picks a member for each pool claim that clashes with none of `held` (the claims of running checks
 * and of earlier checks still waiting); among those, the one disturbed least so far, then lent least,
 * so that disturbing checks spread over different members. Undefined when some pool has no free member.
 */
export function lend(claims: Claims, held: Claims[], model: PartsModel, usage: Map<string, { disturbed: number; lent: number }>): Record<string, string> | undefined {
  const lent: Record<string, string> = {};
  const taken = new Set<string>();
  for (const [pool, mode] of claims.pools) {
    const free = (model.pools[pool] ?? []).filter((member) => !taken.has(member) && !held.some((h) => clash(mode, h.parts.get(member))));
    if (free.length === 0) return undefined;
    const score = (m: string) => usage.get(m) ?? { disturbed: 0, lent: 0 };
    free.sort((x, y) => score(x).disturbed - score(y).disturbed || score(x).lent - score(y).lent);
    lent[pool] = free[0]!;
    taken.add(free[0]!);
  }
  return lent;
}

/** A check's recorded act on a part: it disturbed it, used it (joined an agent through it), or created it. */
export interface Action {
  part: string;
  kind: "disturb" | "use" | "create";
  what: string; // "stop", "pause", "drop WireGuard UDP", "join"…
}

/** Acts not covered by the check's resolved claims, as sentences for the failure message. */
export function undeclaredActions(actions: Action[], held: Claims): string[] {
  if (held.alone) return [];
  const created = new Set(actions.filter((a) => a.kind === "create").map((a) => a.part));
  const found = new Set<string>();
  for (const action of actions) {
    if (action.kind === "create" || created.has(action.part)) continue;
    const mode = held.parts.get(action.part);
    if (action.kind === "disturb" && mode !== "disturb") found.add(`${action.what} ${action.part} without declaring it in touches.disturbs`);
    if (action.kind === "use" && mode === undefined) found.add(`${action.what} through ${action.part} without declaring it in touches`);
  }
  return [...found];
}
