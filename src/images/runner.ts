// The runner's own image, `<repo>/runner:<version>` and `:latest`, for CI: the project's base image,
// the build machine's node binary (as the reference images get theirs) and the runner's files —
// package.json, bin/, the compiled dist/ (src, checks, generated protos), proto/ (read at run time
// by @grpc/proto-loader) and the production node_modules, copied from the local install (the
// closure of package.json's dependencies), so no registry is needed. The repository's root
// Dockerfile defines the image: online its `build` stage makes these files from `npm ci`; offline
// its last stage runs alone, over a `build` stage of the copied files.
import { cpSync, existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { dirname, join, relative, sep } from "node:path";
import { IMAGE_REPO } from "./repo.js";

export function runnerTags(root: string): string[] {
  const { version } = JSON.parse(readFileSync(join(root, "package.json"), "utf8")) as { version: string };
  return [`${IMAGE_REPO}/runner:${version}`, `${IMAGE_REPO}/runner:latest`];
}

/** Fills `out` with the offline build context: `node`, `app/` (the runner's files) and the Dockerfile. */
export function prepareRunnerContext(root: string, out: string, nodeBinary = process.execPath): void {
  rmSync(out, { recursive: true, force: true });
  const app = join(out, "app");
  mkdirSync(app, { recursive: true });
  writeFileSync(join(out, "Dockerfile"), offlineDockerfile(readFileSync(join(root, "Dockerfile"), "utf8")));
  cpSync(nodeBinary, join(out, "node"));
  const notRuntime = (path: string) => !/\.(map|d\.ts|tsbuildinfo)$/.test(path);
  for (const part of ["package.json", "bin", join("dist", "src"), join("dist", "checks"), join("dist", "proto")]) {
    const from = join(root, part);
    if (!existsSync(from)) throw new Error(`${part} is missing: run \`npm run build\` before \`coral-e2e images\``);
    cpSync(from, join(app, part), { recursive: true, filter: notRuntime });
  }
  cpSync(join(root, "proto"), join(app, "proto"), { recursive: true, filter: (path) => !path.startsWith(join(root, "proto", "gen")) });
  for (const dir of productionPackages(root)) {
    cpSync(dir, join(app, relative(root, dir)), {
      recursive: true,
      dereference: true,
      // A package's own node_modules holds only what the walk reaches by itself.
      filter: (path) => notRuntime(path) && !path.startsWith(join(dir, "node_modules") + sep) && path !== join(dir, "node_modules"),
    });
  }
}

/**
 * The root Dockerfile's last stage (the runner) with its `build` stage replaced by the prepared
 * files: `ARG BASE`, a scratch stage holding them where the online build puts them, the last stage.
 */
export function offlineDockerfile(rootDockerfile: string): string {
  const lines = rootDockerfile.split("\n");
  const baseArg = lines.find((l) => l.startsWith("ARG BASE="));
  const lastFrom = lines.map((l) => l.startsWith("FROM ")).lastIndexOf(true);
  if (!baseArg || lastFrom < 0) throw new Error("the root Dockerfile has no `ARG BASE=` or no stage");
  return [baseArg, "FROM scratch AS build", "COPY node /stage/node", "COPY app /stage/app", "", ...lines.slice(lastFrom)].join("\n");
}

/**
 * The installed package directories the runner needs at run time: package.json's dependencies and,
 * through each package's own dependencies (optional and peer ones where installed), their
 * closure, resolved as node resolves them (the nearest node_modules upwards). Paths stay under
 * `root`, so their layout (nested node_modules) is kept.
 */
export function productionPackages(root: string): string[] {
  const found = new Set<string>();
  const visit = (name: string, from: string, required: boolean) => {
    const dir = locatePackage(name, from, root);
    if (!dir) {
      if (required) throw new Error(`dependency ${name} (of ${relative(root, from) || "the project"}) is not installed: run \`npm ci\``);
      return;
    }
    if (found.has(dir)) return;
    found.add(dir);
    const pkg = JSON.parse(readFileSync(join(dir, "package.json"), "utf8")) as Record<string, Record<string, string> | undefined>;
    for (const dep of Object.keys(pkg.dependencies ?? {})) visit(dep, dir, true);
    for (const dep of Object.keys({ ...pkg.optionalDependencies, ...pkg.peerDependencies })) visit(dep, dir, false);
  };
  const project = JSON.parse(readFileSync(join(root, "package.json"), "utf8")) as { dependencies?: Record<string, string> };
  for (const dep of Object.keys(project.dependencies ?? {})) visit(dep, root, true);
  return [...found].sort();
}

function locatePackage(name: string, from: string, root: string): string | undefined {
  for (let dir = from; ; dir = dirname(dir)) {
    const candidate = join(dir, "node_modules", name);
    if (existsSync(join(candidate, "package.json"))) return candidate;
    if (dir === root || dir === dirname(dir)) return undefined;
  }
}
