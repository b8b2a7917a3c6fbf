// Where the engine puts evidence: container logs and state at the moment a check fails, and every
// container's logs at the end of each repetition. src/report/artifacts.ts writes them to disk.
import type { ContainerEvidence } from "./environment.js";
import type { CheckResult, ContainerSnapshot } from "./results.js";

export interface EvidenceStore {
  /** The run's artifacts folder, for messages; undefined when evidence is not kept. */
  readonly dir?: string;
  /** Saves a failed check's evidence; returns its folder relative to `dir`. Never throws. */
  saveFailure(result: CheckResult, containers: ContainerEvidence[]): Promise<string | undefined>;
  /** Saves the end-of-repetition bundle (every container's logs and state). Never throws. */
  saveBundle(repetition: number, containers: ContainerEvidence[]): Promise<void>;
}

export const discardEvidence: EvidenceStore = {
  saveFailure: async () => undefined,
  saveBundle: async () => undefined,
};

export const EXCERPT_LINES = 40;
/** Lines of each container's log the run summary keeps at the end (the full logs are in the artifacts). */
export const SNAPSHOT_LINES = 200;

/** The last `lines` lines of a log. */
export function logTail(logs: string, lines: number): string {
  return logs.trimEnd().split("\n").slice(-lines).join("\n");
}

/** A container's state and log tail for the run summary. */
export function containerSnapshot(container: ContainerEvidence, repetition: number): ContainerSnapshot {
  const { name, role, state, logs } = container;
  return { name, role, state, repetition, logTail: logTail(logs, SNAPSHOT_LINES) };
}

/** The last lines of each container's log, headed by its role, name and state: for JUnit system-out. */
export function logExcerpt(containers: ContainerEvidence[], lines = EXCERPT_LINES): string {
  return containers
    .map((c) => {
      const tail = logTail(c.logs, lines);
      return `--- ${c.role} (${c.name}, ${c.state}) ---\n${tail || "(no output)"}`;
    })
    .join("\n");
}
