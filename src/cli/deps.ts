// Everything the CLI takes from the outside world, so tests can run it in-process or spawn it with
// fakes: the check modules, the provider factory, the Docker-backed actions, streams, environment,
// signals and process exit.
import type { CheckModule } from "../runner/check.js";
import type { EnvironmentProvider, RunEnvironment } from "../runner/environment.js";
import { modules } from "../../checks/index.js";
import { newRunId } from "../docker/labels.js";
import * as actions from "./actions.js";

export type Stream = NodeJS.WritableStream & { isTTY?: boolean };

/** The process events a run reacts to: interrupts, and errors that escaped a check. */
export interface SignalSource {
  on(event: "SIGINT" | "SIGTERM", listener: (signal: NodeJS.Signals) => void): unknown;
  on(event: "uncaughtException" | "unhandledRejection", listener: (error: unknown) => void): unknown;
  off(event: "SIGINT" | "SIGTERM", listener: (signal: NodeJS.Signals) => void): unknown;
  off(event: "uncaughtException" | "unhandledRejection", listener: (error: unknown) => void): unknown;
}

export interface CliDeps {
  // The Env type of the modules is the provider's; the CLI only passes it through.
  modules: CheckModule<any>[];
  createProvider: (options: actions.DeploymentOptions) => EnvironmentProvider<RunEnvironment>;
  runDoctor: typeof actions.runDoctor;
  cleanLeftovers: typeof actions.cleanLeftovers;
  buildImages: typeof actions.buildImages;
  stdout: Stream;
  stderr: Stream;
  env: NodeJS.ProcessEnv;
  signals: SignalSource;
  /** Forced exit (second Ctrl-C). */
  exit: (code: number) => never;
  newRunId: () => string;
}

export function defaultDeps(): CliDeps {
  return {
    modules,
    createProvider: actions.createProvider,
    runDoctor: actions.runDoctor,
    cleanLeftovers: actions.cleanLeftovers,
    buildImages: actions.buildImages,
    stdout: process.stdout,
    stderr: process.stderr,
    env: process.env,
    signals: process,
    exit: (code) => process.exit(code),
    newRunId: () => newRunId(),
  };
}
