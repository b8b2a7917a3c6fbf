// The behaviour behind the commands that need Docker or the image build. The lead replaces these
// stubs with the implementations in src/docker, src/images and src/coral; the command files only
// parse flags and call them.
import type { ChalkInstance } from "chalk";
import type { EnvironmentProvider, RunEnvironment } from "../runner/environment.js";

/** Streams and presentation every action writes through (reports on stdout, the rest on stderr). */
export interface CommandIO {
  stdout: NodeJS.WritableStream;
  stderr: NodeJS.WritableStream;
  chalk: ChalkInstance;
  verbose: boolean;
  debug: boolean;
}

export interface DoctorOptions extends CommandIO {
  json: boolean;
}

export interface CleanOptions extends CommandIO {
  /** Only this run's resources; all of the project's labelled resources when absent. */
  runId?: string;
}

export type ImageBuildMode = "auto" | "offline" | "online";

export interface ImagesOptions extends CommandIO {
  mode: ImageBuildMode;
}

export interface ImageChoice {
  preset?: "reference";
  colony?: string;
  agent?: string;
  discovery?: string;
}

/** What `coral-e2e run` asks of the deployment. */
export interface DeploymentOptions {
  agents: number;
  images: ImageChoice;
  timeoutScale: number;
  verbose: boolean;
  debug: boolean;
}

/** Exit code by the worst severity: 0 all pass, 1 a warning, 3 a failure (environment). */
export async function runDoctor(_options: DoctorOptions): Promise<number> {
  throw new Error("doctor: not implemented yet");
}

export async function cleanLeftovers(_options: CleanOptions): Promise<void> {
  throw new Error("clean: not implemented yet");
}

export async function buildImages(_options: ImagesOptions): Promise<void> {
  throw new Error("images: not implemented yet");
}

/** The real provider: createCoralProvider from src/coral/provider.ts. Creating it touches no Docker. */
export function createProvider(_options: DeploymentOptions): EnvironmentProvider<RunEnvironment> {
  throw new Error("run: the Coral provider is not implemented yet");
}
