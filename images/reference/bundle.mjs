// Bundles each reference program (with its generated proto code and npm dependencies) into one
// file under build/, so the images need only a node binary. DuckDB's native binding cannot be
// bundled: it stays external and its packages are copied into build/node_modules, which the
// Dockerfile puts next to the bundles (/opt/coral-ref/node_modules).
import { build } from "esbuild";
import { cpSync, existsSync, readdirSync, rmSync } from "node:fs";
import { createRequire } from "node:module";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

const here = dirname(fileURLToPath(import.meta.url));
const NATIVE_EXTERNALS = ["@duckdb/node-api", "@duckdb/node-bindings", "@duckdb/node-bindings-*"];

for (const role of ["discovery", "colony", "agent"]) {
  await build({
    entryPoints: [join(here, "src", role, "main.ts")],
    outfile: join(here, "build", `${role}.js`),
    bundle: true,
    platform: "node",
    target: "node20",
    format: "esm",
    external: NATIVE_EXTERNALS,
    banner: { js: "import { createRequire as __cr } from 'node:module'; const require = __cr(import.meta.url);" },
    logLevel: "warning",
  });
}

/** The directory of an installed package, resolved the way node would from `from`. */
function packageDir(name, from) {
  return dirname(createRequire(join(from, "noop.js")).resolve(`${name}/package.json`));
}

// @duckdb/node-api → @duckdb/node-bindings → the glibc binding of the build machine's arch (the
// images are Debian, built for the host's architecture) and detect-libc, which the bindings use.
function copyDuckDB() {
  const out = join(here, "build", "node_modules");
  rmSync(out, { recursive: true, force: true });
  const api = packageDir("@duckdb/node-api", here);
  const bindings = packageDir("@duckdb/node-bindings", api);
  const arch = { x64: "x64", arm64: "arm64" }[process.arch];
  if (!arch) throw new Error(`no DuckDB binding for architecture ${process.arch}`);
  const native = packageDir(`@duckdb/node-bindings-linux-${arch}`, bindings);
  const libc = packageDir("detect-libc", bindings);
  for (const [name, dir] of [
    ["@duckdb/node-api", api],
    ["@duckdb/node-bindings", bindings],
    [`@duckdb/node-bindings-linux-${arch}`, native],
    ["detect-libc", libc],
  ]) {
    cpSync(dir, join(out, name), { recursive: true, dereference: true });
  }
  // Type declarations and source maps are not needed at run time.
  const prune = (dir) => {
    for (const entry of readdirSync(dir, { withFileTypes: true })) {
      const path = join(dir, entry.name);
      if (entry.isDirectory()) prune(path);
      else if (/\.d\.ts$|\.map$/.test(entry.name)) rmSync(path);
    }
  };
  prune(out);
  if (!existsSync(join(out, `@duckdb/node-bindings-linux-${arch}`, "duckdb.node"))) throw new Error("DuckDB native binding missing after copy");
}
copyDuckDB();
