// Fault switches of the reference images. `CORAL_REF_FAULTS` is a comma list of switch names,
// each optionally with a value (`stop-heartbeats-after=20s`). Each switch breaks one promise of the
// contract (or, for `fix-*` switches, turns one of Coral v0.3.0's known defects into the promised
// behaviour) while everything else keeps working. Real Coral ignores the variable.
const parsed = new Map<string, string>();
for (const item of (process.env.CORAL_REF_FAULTS ?? "").split(",")) {
  const trimmed = item.trim();
  if (!trimmed) continue;
  const eq = trimmed.indexOf("=");
  if (eq < 0) parsed.set(trimmed, "");
  else parsed.set(trimmed.slice(0, eq), trimmed.slice(eq + 1));
}

export const faults = {
  has: (name: string): boolean => parsed.has(name),
  value: (name: string): string | undefined => parsed.get(name),
  list: (): string[] => [...parsed.keys()],
};
