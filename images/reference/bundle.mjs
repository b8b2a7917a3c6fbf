// Bundles each reference program (with its generated proto code and npm dependencies) into one
// file under build/, so the images need only a node binary.
import { build } from "esbuild";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

const here = dirname(fileURLToPath(import.meta.url));
for (const role of ["discovery", "colony", "agent"]) {
  await build({
    entryPoints: [join(here, "src", role, "main.ts")],
    outfile: join(here, "build", `${role}.js`),
    bundle: true,
    platform: "node",
    target: "node20",
    format: "esm",
    banner: { js: "import { createRequire as __cr } from 'node:module'; const require = __cr(import.meta.url);" },
    logLevel: "warning",
  });
}
