// Value parsers for commander: a bad value is an InvalidArgumentError, which commander reports as one
// line and main.ts maps to exit 2.
import { InvalidArgumentError } from "commander";
import { FAULT_KIND_IDS, type FaultKindId } from "../chaos/catalogue.js";
import type { Layer } from "../runner/check.js";
import { parseDurationMs } from "../util/time.js";

export function parseLayer(text: string, previous: Layer[] = []): Layer[] {
  if (!/^[0-3]$/.test(text.trim())) throw new InvalidArgumentError("a layer is 0, 1, 2 or 3");
  return [...previous, Number(text) as Layer];
}

/** Chaos mode's --layer: only layer 1 (an app's spans reaching the colony) has an invariant. */
export function parseChaosLayer(text: string): 1 {
  if (text.trim() !== "1") throw new InvalidArgumentError("chaos mode checks layer 1 only (an app's spans reaching the colony after every round)");
  return 1;
}

const FAULT_ROLES = ["discovery", "colony", "agent"] as const;

/** `colony=a,b` → { colony: "a,b" }: CORAL_REF_FAULTS for one role of the reference images. */
export function parseRefFaults(text: string, previous: Partial<Record<(typeof FAULT_ROLES)[number], string>> = {}) {
  const match = /^(discovery|colony|agent)=([a-z0-9=.,-]+)$/.exec(text.trim());
  if (!match) throw new InvalidArgumentError(`expected ${FAULT_ROLES.join("|")}=<switch>[,<switch>…] (see images/reference/FAULTS.md)`);
  const role = match[1] as (typeof FAULT_ROLES)[number];
  return { ...previous, [role]: [previous[role], match[2]].filter(Boolean).join(",") };
}

export function collect(text: string, previous: string[] = []): string[] {
  return [...previous, text];
}

export function parsePositiveInt(text: string): number {
  const value = Number(text);
  if (!/^\d+$/.test(text.trim()) || !Number.isSafeInteger(value) || value < 1) {
    throw new InvalidArgumentError("expected a whole number of at least 1");
  }
  return value;
}

export function parsePositiveNumber(text: string): number {
  const value = Number(text);
  if (text.trim() === "" || !Number.isFinite(value) || value <= 0) throw new InvalidArgumentError("expected a number above 0");
  return value;
}

/** "10m", "90s", "1h30m", "500ms" or seconds → milliseconds. */
export function parseDuration(text: string): number {
  const ms = parseDurationMs(text.trim());
  if (!Number.isFinite(ms) || ms <= 0) throw new InvalidArgumentError('expected a duration such as "90s", "10m" or "1h30m"');
  return ms;
}

/** A chaos seed: a whole number that fits the generator's 32 bits. */
export function parseSeed(text: string): number {
  const value = Number(text);
  if (!/^\d+$/.test(text.trim()) || value > 0xffffffff) throw new InvalidArgumentError("expected a whole number from 0 to 4294967295");
  return value;
}

/** `agent-pause,colony-restart` (repeatable) → the fault kinds, each one of the catalogue's. */
export function parseFaultKinds(text: string, previous: FaultKindId[] = []): FaultKindId[] {
  const kinds = text.split(",").map((k) => k.trim()).filter(Boolean);
  const unknown = kinds.filter((k) => !(FAULT_KIND_IDS as readonly string[]).includes(k));
  if (kinds.length === 0 || unknown.length > 0) {
    throw new InvalidArgumentError(`${unknown.length ? `unknown fault kind ${unknown.map((k) => `"${k}"`).join(", ")}` : "no fault kind"}; one of ${FAULT_KIND_IDS.join(", ")}`);
  }
  return [...new Set([...previous, ...(kinds as FaultKindId[])])];
}
