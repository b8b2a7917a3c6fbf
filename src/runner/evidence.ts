// Where the engine puts evidence: container logs and state at the moment a check fails, and every
// container's logs at the end of each repetition. src/report/artifacts.ts writes them to disk.
import type { ContainerEvidence } from "./environment.js";
import type { CheckResult } from "./results.js";

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

/** The last lines of each container's log, headed by its role, name and state: for JUnit system-out. */
export function logExcerpt(containers: ContainerEvidence[], lines = EXCERPT_LINES): string {
  return containers
    .map((c) => {
      const tail = c.logs.trimEnd().split("\n").slice(-lines).join("\n");
      return `--- ${c.role} (${c.name}, ${c.state}) ---\n${tail || "(no output)"}`;
    })
    .join("\n");
}
