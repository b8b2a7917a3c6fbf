// Spawns the CLI (or a script standing in for it) as a user would, with colour off.
import { spawn } from "node:child_process";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";

export const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), "..", "..", "..");
export const BIN = join(ROOT, "bin", "coral-e2e.js");

export interface Spawned {
  code: number | null;
  stdout: string;
  stderr: string;
}

export function childEnv(extra: Record<string, string> = {}): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = { ...process.env, NO_COLOR: "1", ...extra };
  delete env.FORCE_COLOR;
  return env;
}

export interface SpawnOptions {
  cwd: string;
  env?: Record<string, string>;
  /** Kills the child after this long (a guard: the CLI's own --timeout should end it first). */
  guardMs?: number;
  /** Sees stderr as it grows; may send the child a signal. */
  onStderr?: (text: string, kill: (s: NodeJS.Signals) => void) => void;
  /** Sees stdout as it grows; may send the child a signal. */
  onStdout?: (text: string, kill: (s: NodeJS.Signals) => void) => void;
}

export function spawnCli(script: string, args: string[], options: SpawnOptions): Promise<Spawned> {
  return spawnCommand(process.execPath, [script, ...args], options);
}

/** Any command (`docker run …`), with the same environment, guard and output watchers. */
export function spawnCommand(command: string, args: string[], options: SpawnOptions): Promise<Spawned> {
  return new Promise((resolvePromise, reject) => {
    const child = spawn(command, args, { cwd: options.cwd, env: childEnv(options.env) });
    let stdout = "";
    let stderr = "";
    const guard = setTimeout(() => child.kill("SIGKILL"), options.guardMs ?? 20_000);
    child.stdout.on("data", (chunk) => {
      stdout += chunk;
      options.onStdout?.(stdout, (signal) => child.kill(signal));
    });
    child.stderr.on("data", (chunk) => {
      stderr += chunk;
      options.onStderr?.(stderr, (signal) => child.kill(signal));
    });
    child.on("error", reject);
    child.on("close", (code) => {
      clearTimeout(guard);
      resolvePromise({ code, stdout, stderr });
    });
  });
}
