// Fault switches of the reference agent's profiler and uprobe collector (images/reference/FAULTS.md).
import { createHash } from "node:crypto";
import { faults } from "../common/faults.js";

/** Fault profile-no-symbols: every frame looks unresolved ("0x…"), as a stripped binary would. */
export function profileFrames(frames: string[]): string[] {
  if (!faults.has("profile-no-symbols")) return frames;
  return frames.map((f) => `0x${createHash("sha1").update(f).digest("hex").slice(0, 12)}`);
}

/** Fault profile-returns-early: the on-demand profile runs a quarter of the time asked for. */
export function profileSeconds(requested: number): number {
  return faults.has("profile-returns-early") ? Math.max(1, Math.floor(requested / 4)) : requested;
}

export const uprobeFaults = {
  /** The collector attaches but keeps no event. */
  recordsNothing: () => faults.has("uprobe-records-nothing"),
  /** Entry probes only: no return events, no durations. */
  noReturns: () => faults.has("uprobe-no-returns"),
  /** Return durations reported ten times too long. */
  durationScale: () => (faults.has("uprobe-durations-10x") ? 10 : 1),
  /** GetFunctions lists nothing. */
  functionsEmpty: () => faults.has("functions-empty"),
};
