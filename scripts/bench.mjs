#!/usr/bin/env node
// Benchmark (not a test): wall time of a whole connectivity run from warm images, the deployment's
// milestones, and each check's time, so the runner's own overhead can be told from Coral's timers.
// Usage: node scripts/bench.mjs [--runs N] [extra coral-e2e run flags…]
import { spawnSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

const root = join(dirname(fileURLToPath(import.meta.url)), "..");
const args = process.argv.slice(2);
const runsAt = args.indexOf("--runs");
const runs = runsAt >= 0 ? Number(args.splice(runsAt, 2)[1]) : 1;
const work = mkdtempSync(join(tmpdir(), "coral-e2e-bench-"));

const perCheck = new Map();
const walls = [];
const setups = [];
try {
  for (let i = 0; i < runs; i++) {
    const json = join(work, `run-${i}.json`);
    const started = performance.now();
    const res = spawnSync(process.execPath, [join(root, "bin", "coral-e2e.js"), "run", "--phase", "connectivity", "--images", "reference", "--json", json, "--artifacts", join(work, "artifacts"), ...args], {
      stdio: ["ignore", "ignore", "inherit"],
      env: { ...process.env, NO_COLOR: "1" },
    });
    walls.push(performance.now() - started);
    if (res.status !== 0) console.error(`run ${i + 1} exited ${res.status}`);
    const report = JSON.parse(readFileSync(json, "utf8"));
    const props = report.summary?.properties ?? report.properties ?? {};
    setups.push(Object.fromEntries(Object.entries(props).filter(([k]) => k.startsWith("setup.ms.")).map(([k, v]) => [k.slice(9), Number(v)])));
    for (const r of report.results) {
      if (!perCheck.has(r.id)) perCheck.set(r.id, []);
      perCheck.get(r.id).push(r.durationMs);
    }
  }
} finally {
  rmSync(work, { recursive: true, force: true });
}

const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
const s = (ms) => `${(ms / 1000).toFixed(2)} s`;
console.log(`connectivity phase, reference images, ${runs} run(s)`);
console.log(`  wall time (process start to exit): median ${s(median(walls))}  [${walls.map(s).join(", ")}]`);
for (const key of Object.keys(setups[0] ?? {})) console.log(`  setup ${key.padEnd(20)} median ${s(median(setups.map((x) => x[key])))} after setup start`);
console.log("  per check (median):");
let total = 0;
for (const [id, times] of perCheck) {
  total += median(times);
  console.log(`    ${id.padEnd(44)} ${s(median(times)).padStart(9)}`);
}
console.log(`  sum of checks ${s(total)}`);
