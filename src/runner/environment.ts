// What the engine needs from the system under test, whatever deploys it: a deployment for the
// real runner (src/coral), a fake in the engine's own tests.
import type { Action, PartsModel } from "./claims.js";
import type { FaultWindow, Milestone } from "./results.js";

export interface ContainerEvidence {
  name: string; // container name
  role: string; // "colony", "agent-0", "discovery", …
  state: string; // "running", "exited (1)", "paused", "removed", …
  logs: string; // stdout+stderr, ANSI stripped, possibly truncated at the head
}

export interface RunEnvironment {
  /** Report properties: images, detected Coral version, agent count… (never secrets). */
  properties(): Record<string, string>;
  /** Why a requirement cannot be met here, or undefined when it can. */
  missing(requirement: { minAgents?: number; capabilities?: string[] }): string | undefined | Promise<string | undefined>;
  /** Logs and state of every container of the run, now. Never throws. */
  snapshot(): Promise<ContainerEvidence[]>;
  /** The parts checks may name in `touches`; without it checks share only what they name literally. */
  parts?(): PartsModel;
  /** What the check did to the deployment while it ran (see src/runner/acting-check.ts). */
  actionsOf?(checkId: string): Action[];
  /** The deployment's milestones and the faults injected into it so far. */
  timeline?(): { milestones: Array<Omit<Milestone, "repetition">>; faults: Array<Omit<FaultWindow, "repetition">> };
}

export interface SetupContext {
  runId: string;
  signal: AbortSignal;
  progress(message: string): void;
  /** How many planned checks name each part, and the capabilities they need: what the deployment can prepare at once. */
  wants?: { parts: Record<string, number>; capabilities: string[] };
}

export interface EnvironmentProvider<Env extends RunEnvironment> {
  /** Brings the system up; on failure it must still leave `teardown` able to remove what it made. */
  setup(ctx: SetupContext): Promise<Env>;
  /** Evidence when setup itself failed (no Env exists). Never throws. */
  setupEvidence(runId: string): Promise<ContainerEvidence[]>;
  /** Removes everything the run created (by the run's label), unless keep. Never throws. */
  teardown(runId: string, options: { keep: boolean }): Promise<void>;
  /** For --keep-containers: how to reach what was kept. Never throws. */
  keptNotes?(runId: string): Promise<string[]>;
}
