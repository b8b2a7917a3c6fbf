// The behaviour behind the commands that need Docker or the image build, from src/docker,
// src/images and src/coral; the command files only parse flags and call them.
import type { ChalkInstance } from "chalk";
import { access } from "node:fs/promises";
import { constants } from "node:fs";
import { join } from "node:path";
import { runDoctorChecks, doctorExitCode } from "../coral/doctor.js";
import { createCoralProvider } from "../coral/provider.js";
import { IMAGE_PRESETS, type CoralImages } from "../coral/settings.js";
import { DockerClient } from "../docker/client.js";
import { buildImages as buildAll } from "../images/build.js";
import { registerSecret } from "../report/secrets.js";
import { EnvironmentError, UsageError } from "../runner/errors.js";
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
  rebuildBase?: boolean;
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
  /** Reference-image fault switches per role (tests of the checks themselves). */
  refFaults?: Partial<Record<"discovery" | "colony" | "agent", string>>;
  /** false: the L2-profiling/L3 agent runs without SYS_ADMIN/SYS_PTRACE (its checks are skipped). */
  ebpfPrivileges?: boolean;
  verbose: boolean;
  debug: boolean;
}

/** Exit code by the worst severity: 0 all pass, 1 a warning, 3 a failure (environment). */
export async function runDoctor(options: DoctorOptions): Promise<number> {
  const items = await runDoctorChecks(new DockerClient());
  if (options.json) options.stdout.write(`${JSON.stringify(items, null, 2)}\n`);
  else {
    const mark = { pass: options.chalk.green("pass"), warn: options.chalk.yellow("warn"), fail: options.chalk.red("FAIL") };
    for (const item of items) options.stdout.write(`${mark[item.severity]}  ${item.item.padEnd(44)} ${item.detail}\n`);
  }
  return doctorExitCode(items);
}

export async function cleanLeftovers(options: CleanOptions): Promise<void> {
  const docker = new DockerClient();
  await docker.version().catch((error: Error) => {
    throw new EnvironmentError(error.message);
  });
  const removed = await docker.removeLabelled(options.runId);
  const what = options.runId ? `run ${options.runId}` : "every coral-e2e run";
  options.stderr.write(
    `removed ${removed.containers.length} containers, ${removed.networks.length} networks, ${removed.volumes.length} volumes of ${what}\n`,
  );
  if (options.verbose) for (const name of [...removed.containers, ...removed.networks, ...removed.volumes]) options.stderr.write(`  ${name}\n`);
}

export async function buildImages(options: ImagesOptions): Promise<void> {
  const docker = new DockerClient();
  await docker.version().catch((error: Error) => {
    throw new EnvironmentError(error.message);
  });
  const online = options.mode === "online" || (options.mode === "auto" && !(await commandExists("debootstrap")));
  const built = await buildAll(docker, { online, rebuildBase: options.rebuildBase ?? false, log: (line) => options.stderr.write(`${line}\n`) });
  options.stderr.write(`built ${built.join(", ")}\n`);
}

/** The real provider: createCoralProvider from src/coral/provider.ts. Creating it touches no Docker. */
export function createProvider(options: DeploymentOptions): EnvironmentProvider<RunEnvironment> {
  const preset = options.images.preset ? IMAGE_PRESETS[options.images.preset]! : undefined;
  const pick = (role: keyof CoralImages): string => {
    const image = options.images[role] ?? preset?.[role];
    if (!image) throw new UsageError(`no ${role} image: pass --${role}-image or --images reference`);
    return image;
  };
  return createCoralProvider({
    images: { discovery: pick("discovery"), colony: pick("colony"), agent: pick("agent") },
    agents: options.agents,
    timeoutScale: options.timeoutScale,
    refFaults: options.refFaults,
    ebpfPrivileges: options.ebpfPrivileges,
    onSecret: registerSecret,
  });
}

async function commandExists(name: string): Promise<boolean> {
  const dirs = (process.env.PATH ?? "").split(":").filter(Boolean);
  for (const dir of dirs) {
    try {
      await access(join(dir, name), constants.X_OK);
      return true;
    } catch {
      // next
    }
  }
  return false;
}
