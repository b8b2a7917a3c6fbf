#!/usr/bin/env node
// Benchmark (not a test): wall time of a whole run (the connectivity phase, or what --phase/--layer
// select) from warm images, the deployment's milestones, each check's time, the critical chain of
// checks (each one starting when the one before it ended: the waits that set the run's length), how
// much ran in parallel, and the runner's overhead (run time minus setup and the chain).
// With --compare: the same selection at the default concurrency and at --concurrency 1, and the ratio.
// With --observability: on a fresh deployment, the time from an app's start to colony-visible
// percentiles, and from an agent's start to colony-visible host metrics.
// With --profiling: L2 profiling + L3 runs (one ordinary agent plus the eBPF agent), each check's
// time, the layer times and the checks' own metrics (attach, attach → events, ProfileCPU wall time).
// Usage: node scripts/bench.mjs [--runs N] [--compare] [--profiling] [extra coral-e2e run flags…]
//        node scripts/bench.mjs --observability
import { spawnSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

const root = join(dirname(fileURLToPath(import.meta.url)), "..");
const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
const s = (ms) => `${(ms / 1000).toFixed(2)} s`;
const args = process.argv.slice(2);
if (args.includes("--observability")) {
  await benchObservability();
  process.exit(0);
}
const profilingAt = args.indexOf("--profiling");
const selected = args.includes("--phase") || args.includes("--layer") || args.includes("--check");
const selection =
  profilingAt >= 0
    ? (args.splice(profilingAt, 1), ["--agents", "1", "--check", "profiling/*", "--check", "debug/*"])
    : selected
      ? []
      : ["--phase", "connectivity"];
const label = profilingAt >= 0 ? "L2 profiling + L3" : selected ? args.join(" ") : "connectivity phase";
const runsAt = args.indexOf("--runs");
const runs = runsAt >= 0 ? Number(args.splice(runsAt, 2)[1]) : 1;
const compareAt = args.indexOf("--compare");
const compare = compareAt >= 0 && args.splice(compareAt, 1).length > 0;

const modes = compare ? [["default concurrency", []], ["--concurrency 1", ["--concurrency", "1"]]] : [["", []]];
const walls = new Map();
for (const [mode, extra] of modes) walls.set(mode, benchmark(mode, extra));
if (compare) {
  const [fast, slow] = [...walls.values()].map(median);
  console.log(`default concurrency / --concurrency 1: ${s(fast)} / ${s(slow)} = ${(fast / slow).toFixed(2)}`);
}

/** Runs the selection `runs` times in one mode and prints its figures; the run times. */
function benchmark(mode, extra) {
  const work = mkdtempSync(join(tmpdir(), "coral-e2e-bench-"));
  const perCheck = new Map();
  const perMetric = new Map();
  const perLayer = new Map();
  const wallTimes = [];
  const runTimes = [];
  const setups = [];
  const chains = [];
  try {
    for (let i = 0; i < runs; i++) {
      const json = join(work, `run-${i}.json`);
      const started = performance.now();
      const res = spawnSync(process.execPath, [join(root, "bin", "coral-e2e.js"), "run", ...selection, "--images", "reference", "--json", json, "--artifacts", join(work, "artifacts"), ...extra, ...args], {
        stdio: ["ignore", "ignore", "inherit"],
        env: { ...process.env, NO_COLOR: "1" },
      });
      wallTimes.push(performance.now() - started);
      if (res.status !== 0) console.error(`run ${i + 1} exited ${res.status}`);
      const report = JSON.parse(readFileSync(json, "utf8"));
      runTimes.push(report.durationMs);
      const props = report.properties ?? {};
      const setup = Object.fromEntries(Object.entries(props).filter(([k]) => k.startsWith("setup.ms.")).map(([k, v]) => [k.slice(9), Number(v)]));
      setups.push(setup);
      chains.push(criticalChain(report, Math.max(0, ...Object.values(setup))));
      const layerSum = new Map();
      for (const r of report.results) {
        if (!perCheck.has(r.id)) perCheck.set(r.id, []);
        perCheck.get(r.id).push(r.durationMs);
        for (const m of r.metrics ?? []) {
          const key = `${r.id}: ${m.name}`;
          if (!perMetric.has(key)) perMetric.set(key, []);
          perMetric.get(key).push(m.value);
        }
        if (r.layer !== undefined) layerSum.set(r.layer, (layerSum.get(r.layer) ?? 0) + r.durationMs);
      }
      for (const [layer, ms] of layerSum) {
        if (!perLayer.has(layer)) perLayer.set(layer, []);
        perLayer.get(layer).push(ms);
      }
    }
  } finally {
    rmSync(work, { recursive: true, force: true });
  }

  console.log(`${label}${mode ? ` (${mode})` : ""}, reference images, ${runs} run(s)`);
  console.log(`  wall time (process start to exit, teardown included): median ${s(median(wallTimes))}  [${wallTimes.map(s).join(", ")}]`);
  console.log(`  run time (start to reports): median ${s(median(runTimes))}`);
  for (const key of Object.keys(setups[0] ?? {})) console.log(`  setup ${key.padEnd(20)} median ${s(median(setups.map((x) => x[key])))} after setup start`);
  console.log("  per check (median):");
  let total = 0;
  for (const [id, times] of perCheck) {
    total += median(times);
    console.log(`    ${id.padEnd(44)} ${s(median(times)).padStart(9)}`);
  }
  console.log(`  sum of checks ${s(total)}`);
  for (const [layer, times] of perLayer) console.log(`  layer ${layer} checks (median) ${s(median(times))}`);
  const chain = chains[chains.length - 1];
  console.log(`  critical chain (last run): setup ${s(chain.setupMs)} → ${chain.links.map((l) => `${l.id} ${s(l.ms)}`).join(" → ")}`);
  console.log(`  parallelism: ${(median(chains.map((c) => c.parallelism))).toFixed(2)} checks running on average while any ran`);
  const overhead = chains.map((c, i) => runTimes[i] - c.setupMs - c.chainMs);
  console.log(`  runner overhead (run time − setup − chain): median ${s(median(overhead))} = ${((100 * median(overhead)) / median(runTimes)).toFixed(1)} % of the run`);
  if (perMetric.size) console.log("  metrics the checks recorded (median):");
  for (const [key, values] of perMetric) console.log(`    ${key.padEnd(60)} ${s(median(values)).padStart(9)}`);
  return runTimes;
}

/**
 * From the last check to finish back to setup, each link the check that ended last before the
 * current one started: the chain of waits the run could not overlap. Also the average number of
 * checks running while any ran.
 */
function criticalChain(report, setupMs) {
  const t0 = Date.parse(report.startedAt);
  const spans = report.results
    .filter((r) => r.durationMs > 0)
    .map((r) => ({ id: r.id, from: Date.parse(r.startedAt) - t0, to: Date.parse(r.startedAt) - t0 + r.durationMs }));
  const links = [];
  let current = spans.reduce((a, b) => (b.to > (a?.to ?? -1) ? b : a), undefined);
  while (current) {
    links.unshift({ id: current.id, ms: current.to - current.from });
    const start = current.from;
    current = spans.filter((x) => x.to <= start + 50 && x.from < start).reduce((a, b) => (b.to > (a?.to ?? -1) ? b : a), undefined);
  }
  const busy = spans.reduce((n, x) => n + (x.to - x.from), 0);
  const first = Math.min(...spans.map((x) => x.from));
  const last = Math.max(...spans.map((x) => x.to));
  return { setupMs, links, chainMs: links.reduce((n, l) => n + l.ms, 0), parallelism: busy / Math.max(1, last - first) };
}

/** App start → colony percentiles, agent start → colony host metrics, on the reference images. */
async function benchObservability() {
  const dist = (p) => import(join(root, "dist", p));
  const { createCoralProvider } = await dist("src/coral/provider.js");
  const { IMAGE_PRESETS, FIXTURES } = await dist("src/coral/settings.js");
  const { newRunId } = await dist("src/docker/labels.js");
  const { pollUntil } = await dist("src/util/poll.js");
  const provider = createCoralProvider({ images: IMAGE_PRESETS.reference, agents: 1, timeoutScale: 1 });
  const runId = newRunId();
  const signal = new AbortController().signal;
  try {
    const setupStart = performance.now();
    const d = await provider.setup({ runId, signal, progress: () => {} });
    console.log(`deployment (discovery, colony, 1 agent) ready in ${s(performance.now() - setupStart)}`);
    const colony = await d.colony.api();
    const query = async (sql) => (await colony.executeQuery({ sql, maxRows: 10 })).rows;

    const appStart = performance.now();
    const app = await d.startApp(d.agents[0], { ...FIXTURES.otelApp, name: "bench-app", port: 8090, env: { OTEL_APP_SERVICE: "bench-app", OTEL_APP_PORT: "8090" } });
    const appUp = performance.now() - appStart;
    await pollUntil("bench-app percentiles at the colony", async () => {
      await app.drive("/api/users", 3);
      return query("SELECT p50_ms FROM otel_summaries WHERE service_name = 'bench-app'");
    }, (rows) => rows.length > 0, { timeoutMs: 120_000, intervalMs: 200 });
    console.log(`app start → colony-visible percentiles: ${s(performance.now() - appStart)} (app up and connected after ${s(appUp)})`);

    const agentStart = performance.now();
    await d.startAgent("bench-agent");
    await pollUntil("bench-agent host metrics at the colony", () => query("SELECT count(*) FROM system_metrics_summaries WHERE agent_id = 'bench-agent'"), (rows) => Number(rows[0]?.values[0] ?? 0) > 0, {
      timeoutMs: 120_000,
      intervalMs: 200,
    });
    console.log(`agent start → colony-visible host metrics: ${s(performance.now() - agentStart)}`);
  } finally {
    await provider.teardown(runId, { keep: false });
  }
}
