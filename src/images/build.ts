// `coral-e2e images`: the base image and the project's images, built locally. Two paths give the
// same tags: offline (debootstrap + import, for machines without a registry) and online (a
// Dockerfile FROM debian:bookworm-slim). The project's images are built under temporary tags and
// published together at the end, never under a running run (publish.ts).
import { spawn } from "node:child_process";
import { copyFileSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, statSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join, relative } from "node:path";
import { fileURLToPath } from "node:url";
import { type DockerClient, isTransientDockerError } from "../docker/client.js";
import { EnvironmentError } from "../runner/errors.js";
import { IMAGE_PRESETS } from "../coral/settings.js";
import { isConnectionReset, retryTransient } from "../util/retry.js";
import { FIXTURE_IMAGES, FIXTURE_NAMES } from "./fixtures.js";
import { IMAGE_REPO } from "./repo.js";
import { type StagedImage, dropStaged, publishStaged, stagingTag, tagImage } from "./publish.js";
import { prepareRunnerContext, runnerTags } from "./runner.js";

export const BASE_IMAGE = "coral-e2e/base:bookworm";
const DEBIAN_MIRROR = process.env.CORAL_E2E_DEBIAN_MIRROR ?? "http://deb.debian.org/debian";

/** The repository root (images/ and proto/ ship with the package). */
export const PROJECT_ROOT = join(dirname(fileURLToPath(import.meta.url)), "..", "..", "..");
const BASE_DIR = join(PROJECT_ROOT, "images", "base");
const REFERENCE_DIR = join(PROJECT_ROOT, "images", "reference");
const FIXTURES_DIR = join(PROJECT_ROOT, "images", "fixtures");
/** The offline runner image's build context, filled by `images` (runner.ts). */
const RUNNER_CONTEXT = join(PROJECT_ROOT, "images", "runner", "build");

export interface BuildOptions {
  online: boolean;
  rebuildBase: boolean;
  log: (line: string) => void;
  signal?: AbortSignal;
}

export async function buildImages(docker: DockerClient, options: BuildOptions): Promise<string[]> {
  const built = await buildBaseImage(docker, options);
  const staged: StagedImage[] = [];
  try {
    for (const build of [buildReferenceImages, buildFixtureImages, buildRunnerImage]) staged.push(...(await build(docker, options)));
  } catch (error) {
    await dropStaged(docker, staged).catch(() => {});
    throw error;
  }
  await publishStaged(docker, staged, options.log);
  return [...built, ...staged.map((i) => i.tag)];
}

/** The base image, unless present (or --rebuild-base). */
export async function buildBaseImage(docker: DockerClient, options: BuildOptions): Promise<string[]> {
  if (!options.rebuildBase && (await docker.imageExists(BASE_IMAGE))) return [];
  options.log(`building ${BASE_IMAGE} (${options.online ? "online, FROM debian:bookworm-slim" : "offline, debootstrap"})`);
  if (options.online) await dockerBuild(docker, BASE_DIR, BASE_IMAGE, {}, options);
  else await debootstrapBase(docker, options);
  return [BASE_IMAGE];
}

export async function buildReferenceImages(docker: DockerClient, options: BuildOptions): Promise<StagedImage[]> {
  const staged: StagedImage[] = [];
  options.log("preparing the reference build context (bundles, wireguard and perf helpers, node)");
  await prepareReferenceContext(options);
  const tags = IMAGE_PRESETS.reference!;
  for (const role of ["discovery", "colony", "agent"] as const) {
    options.log(`building ${tags[role]}`);
    staged.push(await dockerBuild(docker, REFERENCE_DIR, tags[role], { target: role, exclude: ["src/", "wg/", "perf/"] }, options));
  }
  return staged;
}

/**
 * The fixture apps (src/images/fixtures.ts lists them): `go build` on the host (static, CGO_ENABLED=0,
 * -trimpath; modules from the Go module proxy or the module cache) into images/fixtures/build/<name>,
 * then images/fixtures/<name>/Dockerfile FROM the local base image, context images/fixtures with only
 * that Dockerfile and that binary, so no registry is needed.
 */
export async function buildFixtureImages(docker: DockerClient, options: BuildOptions): Promise<StagedImage[]> {
  const out = join(FIXTURES_DIR, "build");
  mkdirSync(out, { recursive: true });
  const listed = new Set<string>(FIXTURE_NAMES);
  for (const name of readdirSync(FIXTURES_DIR)) {
    if (name !== "build" && !listed.has(name) && statSync(join(FIXTURES_DIR, name)).isDirectory()) {
      options.log(`skipping images/fixtures/${name}: not listed in src/images/fixtures.ts`);
    }
  }
  const staged: StagedImage[] = [];
  for (const name of FIXTURE_NAMES) {
    const tag = FIXTURE_IMAGES[name];
    options.log(`building ${name} (go build) and ${tag}`);
    await run("go", ["build", "-trimpath", "-buildvcs=false", "-o", join(out, name), "."], options, 600_000, join(FIXTURES_DIR, name), { CGO_ENABLED: "0" });
    staged.push(await dockerBuild(docker, FIXTURES_DIR, tag, { dockerfile: `${name}/Dockerfile`, src: [`${name}/Dockerfile`, `build/${name}`] }, options));
  }
  return staged;
}

/**
 * The runner image under `<repo>/runner:<version>` and `:latest` (runner.ts): offline from the base
 * image, the node binary and the runner's files; online from the repository's root Dockerfile.
 */
export async function buildRunnerImage(docker: DockerClient, options: BuildOptions): Promise<StagedImage[]> {
  const [tag, ...aliases] = runnerTags(PROJECT_ROOT);
  options.log(`building ${tag} (${options.online ? "online, the root Dockerfile" : "offline, from the base image"})`);
  const spec: DockerBuildSpec = { buildargs: { IMAGE_REPO } };
  let image: StagedImage;
  if (options.online) {
    const src = ["Dockerfile", "package.json", "package-lock.json", "tsconfig.json", "buf.yaml", "buf.gen.yaml", "scripts/gen-proto.mjs", ...["bin", "src", "checks", "proto"].flatMap((dir) => listFiles(join(PROJECT_ROOT, dir), PROJECT_ROOT))];
    image = await dockerBuild(docker, PROJECT_ROOT, tag!, { ...spec, src: src.filter((f) => !f.startsWith("proto/gen/")) }, options);
  } else {
    prepareRunnerContext(PROJECT_ROOT, RUNNER_CONTEXT);
    image = await dockerBuild(docker, RUNNER_CONTEXT, tag!, spec, options);
  }
  // The other tags of the same build: staged too, so they are published with the rest.
  const staged = [image];
  for (const alias of aliases) {
    staged.push({ tag: alias, staged: stagingTag(alias) });
    await tagImage(docker, image.staged, staged.at(-1)!.staged);
  }
  return staged;
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
  buildargs?: Record<string, string>;
}

/**
 * Builds one target of a Dockerfile through the daemon's build API, under a temporary tag next to
 * `tag` (publish.ts moves the real one). Errors arrive in the stream; a build that failed on a
 * network hiccup (the package mirror, the daemon's connection) is tried again, twice at most.
 */
async function dockerBuild(docker: DockerClient, contextDir: string, tag: string, spec: DockerBuildSpec, options: BuildOptions): Promise<StagedImage> {
  const exclude = spec.exclude ?? [];
  const src = spec.src ?? listFiles(contextDir).filter((f) => !exclude.some((prefix) => f.startsWith(prefix)));
  const staged = stagingTag(tag);
  await retryTransient(
    async () => {
      const stream = await docker.call(
        docker.api.buildImage({ context: contextDir, src }, { t: staged, target: spec.target, dockerfile: spec.dockerfile, buildargs: spec.buildargs, rm: true, forcerm: true } as object),
        `build ${tag}`,
        60_000,
      );
      await followProgress(docker, stream as NodeJS.ReadableStream);
    },
    { ...IMAGES_RETRY, signal: options.signal, onRetry: (error) => options.log(`building ${tag} failed on a network hiccup, trying again: ${(error as Error).message}`) },
  );
  return { tag, staged };
}

/** Mirror and network failures worth another attempt (apt, the Go module proxy, the daemon's socket). */
const NETWORK_HICCUP = /temporary failure|could not resolve|connection (reset|refused|timed out)|failed to fetch|couldn't download|i\/o timeout|tls handshake timeout|unexpected eof|hash sum mismatch|\b50[234]\b/i;

export function isNetworkHiccup(error: unknown): boolean {
  return isTransientDockerError(error) || isConnectionReset(error) || NETWORK_HICCUP.test((error as Error | undefined)?.message ?? "");
}

/** Two more attempts, starting within 30 minutes of the first (a build attempt has its own deadlines). */
const IMAGES_RETRY = { retries: 2, capMs: 30 * 60_000, firstBackoffMs: 2_000, transient: isNetworkHiccup };

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

/** Runs a build tool; a failure that reads like a network hiccup (the mirror, the module proxy) is tried again. */
function run(cmd: string, args: string[], options: BuildOptions, timeoutMs: number, cwd?: string, env?: Record<string, string>): Promise<void> {
  return retryTransient(() => runOnce(cmd, args, options, timeoutMs, cwd, env), {
    ...IMAGES_RETRY,
    signal: options.signal,
    onRetry: (error) => options.log(`${cmd} failed on a network hiccup, trying again: ${(error as Error).message}`),
  });
}

function runOnce(cmd: string, args: string[], options: BuildOptions, timeoutMs: number, cwd?: string, env?: Record<string, string>): Promise<void> {
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
