// `coral-e2e images`: the base image and the project's images, built locally. Two paths give the
// same tags: offline (debootstrap + import, for machines without a registry) and online (a
// Dockerfile FROM debian:bookworm-slim).
import { spawn } from "node:child_process";
import { copyFileSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, statSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join, relative } from "node:path";
import { fileURLToPath } from "node:url";
import type { DockerClient } from "../docker/client.js";
import { EnvironmentError } from "../runner/errors.js";
import { IMAGE_PRESETS } from "../coral/settings.js";
import { FIXTURE_IMAGES, FIXTURE_NAMES } from "./fixtures.js";

export const BASE_IMAGE = "coral-e2e/base:bookworm";
const DEBIAN_MIRROR = process.env.CORAL_E2E_DEBIAN_MIRROR ?? "http://deb.debian.org/debian";

/** The repository root (images/ and proto/ ship with the package). */
export const PROJECT_ROOT = join(dirname(fileURLToPath(import.meta.url)), "..", "..", "..");
const BASE_DIR = join(PROJECT_ROOT, "images", "base");
const REFERENCE_DIR = join(PROJECT_ROOT, "images", "reference");
const FIXTURES_DIR = join(PROJECT_ROOT, "images", "fixtures");

export interface BuildOptions {
  online: boolean;
  rebuildBase: boolean;
  log: (line: string) => void;
  signal?: AbortSignal;
}

export async function buildImages(docker: DockerClient, options: BuildOptions): Promise<string[]> {
  const built = await buildBaseImage(docker, options);
  built.push(...(await buildReferenceImages(docker, options)));
  return [...built, ...(await buildFixtureImages(docker, options))];
}

/** The base image, unless present (or --rebuild-base). */
export async function buildBaseImage(docker: DockerClient, options: BuildOptions): Promise<string[]> {
  if (!options.rebuildBase && (await docker.imageExists(BASE_IMAGE))) return [];
  options.log(`building ${BASE_IMAGE} (${options.online ? "online, FROM debian:bookworm-slim" : "offline, debootstrap"})`);
  if (options.online) await dockerBuild(docker, BASE_DIR, BASE_IMAGE, {}, options);
  else await debootstrapBase(docker, options);
  return [BASE_IMAGE];
}

export async function buildReferenceImages(docker: DockerClient, options: BuildOptions): Promise<string[]> {
  const built: string[] = [];
  options.log("preparing the reference build context (bundles, wireguard and perf helpers, node)");
  await prepareReferenceContext(options);
  const tags = IMAGE_PRESETS.reference!;
  for (const role of ["discovery", "colony", "agent"] as const) {
    options.log(`building ${tags[role]}`);
    await dockerBuild(docker, REFERENCE_DIR, tags[role], { target: role, exclude: ["src/", "wg/", "perf/"] }, options);
    built.push(tags[role]);
  }
  return built;
}

/**
 * The fixture apps (src/images/fixtures.ts lists them): `go build` on the host (static, CGO_ENABLED=0,
 * -trimpath; modules from the Go module proxy or the module cache) into images/fixtures/build/<name>,
 * then images/fixtures/<name>/Dockerfile FROM the local base image, context images/fixtures with only
 * that Dockerfile and that binary, so no registry is needed.
 */
export async function buildFixtureImages(docker: DockerClient, options: BuildOptions): Promise<string[]> {
  const out = join(FIXTURES_DIR, "build");
  mkdirSync(out, { recursive: true });
  const listed = new Set<string>(FIXTURE_NAMES);
  for (const name of readdirSync(FIXTURES_DIR)) {
    if (name !== "build" && !listed.has(name) && statSync(join(FIXTURES_DIR, name)).isDirectory()) {
      options.log(`skipping images/fixtures/${name}: not listed in src/images/fixtures.ts`);
    }
  }
  const built: string[] = [];
  for (const name of FIXTURE_NAMES) {
    const tag = FIXTURE_IMAGES[name];
    options.log(`building ${name} (go build) and ${tag}`);
    await run("go", ["build", "-trimpath", "-buildvcs=false", "-o", join(out, name), "."], options, 600_000, join(FIXTURES_DIR, name), { CGO_ENABLED: "0" });
    await dockerBuild(docker, FIXTURES_DIR, tag, { dockerfile: `${name}/Dockerfile`, src: [`${name}/Dockerfile`, `build/${name}`] }, options);
    built.push(tag);
  }
  return built;
}

function basePackages(): string[] {
  return readFileSync(join(BASE_DIR, "packages.txt"), "utf8")
    .split("\n")
    .map((l) => l.trim())
    .filter((l) => l && !l.startsWith("#"));
}

async function debootstrapBase(docker: DockerClient, options: BuildOptions): Promise<void> {
  const root = mkdtempSync(join(tmpdir(), "coral-e2e-rootfs-"));
  try {
    await run("debootstrap", ["--variant=minbase", `--include=${basePackages().join(",")}`, "bookworm", root, DEBIAN_MIRROR], options, 15 * 60_000);
    const tar = spawn("tar", ["-C", root, "-c", "."], { stdio: ["ignore", "pipe", "inherit"] });
    const stream = await docker.call(
      docker.api.importImage(tar.stdout as unknown as string, { repo: "coral-e2e/base", tag: "bookworm", changes: ["WORKDIR /root", 'CMD ["bash"]'] } as object),
      "import base image",
      10 * 60_000,
    );
    await followProgress(docker, stream as NodeJS.ReadableStream);
  } finally {
    rmSync(root, { recursive: true, force: true });
  }
}

async function prepareReferenceContext(options: BuildOptions): Promise<void> {
  const out = join(REFERENCE_DIR, "build");
  mkdirSync(out, { recursive: true });
  await run(process.execPath, [join(PROJECT_ROOT, "scripts", "gen-proto.mjs")], options, 120_000);
  await run(process.execPath, [join(REFERENCE_DIR, "bundle.mjs")], options, 300_000);
  // The Go helpers: WireGuard (all Coral roles with a tunnel) and perf events (the agent's profiles and uprobes).
  for (const [dir, binary] of [["wg", "coral-ref-wg"], ["perf", "coral-ref-perf"]] as const) {
    await run("go", ["build", "-trimpath", "-o", join(out, binary), "."], options, 600_000, join(REFERENCE_DIR, dir), { CGO_ENABLED: "0" });
  }
  copyFileSync(process.execPath, join(out, "node"));
}

interface DockerBuildSpec {
  /** The Dockerfile's stage to build. */
  target?: string;
  /** The Dockerfile, relative to the context (default Dockerfile). */
  dockerfile?: string;
  /** The files sent as context, relative to it (default: every file but those under `exclude`). */
  src?: string[];
  exclude?: string[];
}

/** Builds one target of a Dockerfile through the daemon's build API; errors arrive in the stream. */
async function dockerBuild(docker: DockerClient, contextDir: string, tag: string, spec: DockerBuildSpec, options: BuildOptions): Promise<void> {
  const exclude = spec.exclude ?? [];
  const src = spec.src ?? listFiles(contextDir).filter((f) => !exclude.some((prefix) => f.startsWith(prefix)));
  const stream = await docker.call(
    docker.api.buildImage({ context: contextDir, src }, { t: tag, target: spec.target, dockerfile: spec.dockerfile, rm: true, forcerm: true } as object),
    `build ${tag}`,
    60_000,
  );
  await followProgress(docker, stream as NodeJS.ReadableStream);
}

function listFiles(dir: string, base = dir): string[] {
  return readdirSync(dir).flatMap((name) => {
    const path = join(dir, name);
    return statSync(path).isDirectory() ? listFiles(path, base) : [relative(base, path)];
  });
}

function followProgress(docker: DockerClient, stream: NodeJS.ReadableStream): Promise<void> {
  return new Promise((resolve, reject) => {
    docker.api.modem.followProgress(stream, (error: Error | null, output: Array<{ error?: string; errorDetail?: { message?: string } }>) => {
      const failed = output?.find((o) => o.error || o.errorDetail);
      if (error) reject(error);
      else if (failed) reject(new Error(failed.errorDetail?.message ?? failed.error));
      else resolve();
    });
  });
}

function run(cmd: string, args: string[], options: BuildOptions, timeoutMs: number, cwd?: string, env?: Record<string, string>): Promise<void> {
  return new Promise((resolve, reject) => {
    const child = spawn(cmd, args, { cwd, env: { ...process.env, ...env }, stdio: ["ignore", "pipe", "pipe"], signal: options.signal });
    let output = "";
    child.stdout.on("data", (d) => (output += d));
    child.stderr.on("data", (d) => (output += d));
    const timer = setTimeout(() => child.kill("SIGKILL"), timeoutMs);
    child.on("error", (error) => {
      clearTimeout(timer);
      reject((error as NodeJS.ErrnoException).code === "ENOENT" ? new EnvironmentError(`${cmd} is not installed; \`coral-e2e images\` needs it`) : error);
    });
    child.on("close", (code) => {
      clearTimeout(timer);
      if (code === 0) resolve();
      else reject(new EnvironmentError(`${cmd} ${args.slice(0, 3).join(" ")} failed (exit ${code}): ${output.trim().split("\n").slice(-5).join(" | ")}`));
    });
  });
}
