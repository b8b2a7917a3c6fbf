// The eBPF and L0 preflights (observability.md §5.1, §10 #34): their reasons from GetRuntimeContext
// facts, the kernel as the agent's container sees it and agent logs, and real runs where the agent
// lacks the privileges, the kernel has no kprobes, Beyla cannot load its process watcher, or Beyla
// is missing or crash-loops: the layer's checks are skipped with the reason (never failed, never
// passed) and the rest of the run is unaffected; with a kernel that has kprobes L0 runs and passes.
import assert from "node:assert/strict";
import { existsSync } from "node:fs";
import { describe, test } from "node:test";
import { modules } from "../checks/index.js";
import { ebpfGaps, type EbpfFacts } from "../src/coral/ebpf.js";
import { l0Gap, parseKernelFacts } from "../src/coral/l0.js";
import { createCoralProvider } from "../src/coral/provider.js";
import { IMAGE_PRESETS } from "../src/coral/settings.js";
import { newRunId } from "../src/docker/labels.js";
import { runSuite } from "../src/runner/engine.js";
import { planRun } from "../src/runner/plan.js";

const able: EbpfFacts = { capSysAdmin: true, capBpf: false, capPerfmon: false, capSysPtrace: true, kernel: "6.18.44-fc", btf: true, arch: "amd64" };

describe("eBPF preflight reasons", () => {
  test("an agent with CAP_SYS_ADMIN, BTF, kernel ≥ 5.8 on amd64 has no gap", () => {
    assert.deepEqual(ebpfGaps(able), { ebpf: undefined, returnProbes: undefined });
  });
  test("CAP_BPF + CAP_PERFMON stand in for CAP_SYS_ADMIN", () => {
    assert.equal(ebpfGaps({ ...able, capSysAdmin: false, capBpf: true, capPerfmon: true }).ebpf, undefined);
  });
  test("each missing fact is named", () => {
    assert.match(ebpfGaps({ ...able, capSysAdmin: false }).ebpf ?? "", /agent lacks CAP_SYS_ADMIN\/CAP_BPF/);
    assert.match(ebpfGaps({ ...able, btf: false }).ebpf ?? "", /no BTF/);
    assert.match(ebpfGaps({ ...able, kernel: "5.4.0-150-generic" }).ebpf ?? "", /kernel 5\.4\.0-150-generic is older than 5\.8/);
    assert.equal(ebpfGaps({ ...able, arch: "arm64" }).returnProbes, "not amd64 (arm64): no return probes");
  });
});

describe("L0 preflight reasons", () => {
  const withKprobes = parseKernelFacts("sources: breakpoint kprobe software tracepoint uprobe\ntracefs: /sys/kernel/tracing\n");
  const without = parseKernelFacts("sources: breakpoint msr software tracepoint uprobe\ntracefs: /sys/kernel/tracing\n");
  const started = "INF Beyla process started pid=42\n";
  test("the kernel facts are read from the probe's output", () => {
    assert.deepEqual(without, { sources: ["breakpoint", "msr", "software", "tracepoint", "uprobe"], tracefs: "/sys/kernel/tracing", kprobeEvents: "" });
    assert.equal(parseKernelFacts("sources: uprobe\ntracefs: \nkprobe_events: /sys/kernel/tracing/kprobe_events\n").kprobeEvents, "/sys/kernel/tracing/kprobe_events");
  });
  test("Beyla up, kprobes present, no watcher error: L0 can run", () => {
    assert.equal(l0Gap(started, withKprobes, 5_000), undefined);
    assert.equal(l0Gap(started, parseKernelFacts("sources: uprobe\ntracefs: /t\nkprobe_events: /t/kprobe_events\n"), 5_000), undefined);
  });
  test("a kernel without kprobes is named, with Beyla's watcher error when it logged one", () => {
    assert.match(l0Gap(started, without, 5_000) ?? "", /^L0 unavailable: kernel without kprobes .*msr.*§10 #34\)$/);
    const logs = `${started}ERR level=ERROR msg="Unable to load eBPF watcher for process events" error="open /sys/kernel/tracing/kprobe_events: no such file or directory" source=beyla\n`;
    assert.match(l0Gap(logs, without, 5_000) ?? "", /kernel without kprobes .*Beyla logs "Unable to load eBPF watcher .*kprobe_events: no such file/);
  });
  test("the watcher error alone is named", () => {
    const logs = `${started}ERR level=ERROR msg="Unable to load eBPF watcher for process events" error="neither debugfs nor tracefs are mounted" source=beyla\n`;
    assert.match(l0Gap(logs, withKprobes, 5_000) ?? "", /^L0 unavailable: Beyla cannot load its eBPF process watcher .*neither debugfs nor tracefs are mounted/);
  });
  test("a missing Beyla and a crash loop come first", () => {
    assert.match(l0Gap("ERR Beyla binary not found\n", without, 5_000) ?? "", /Beyla binary not found/);
    assert.match(l0Gap(`${started}ERR Beyla process exited unexpectedly, restarting\n`, without, 5_000) ?? "", /crash loop.*known defect/);
  });
});

/** The L0 checks' outcomes of one run on the reference images with these agent switches. */
async function l0Run(agentFaults?: string) {
  const provider = createCoralProvider({ images: IMAGE_PRESETS.reference!, agents: 1, timeoutScale: 1, refFaults: agentFaults ? { agent: agentFaults } : undefined });
  const summary = await runSuite({ runId: newRunId(), plan: planRun(modules, { checks: ["red-metrics/*"] }), provider });
  return { results: summary.results, seen: summary.results.map((r) => `${r.id}: ${r.outcome} (${r.message ?? ""})`).join("\n") };
}

const hostHasKprobes = existsSync("/sys/bus/event_source/devices/kprobe") || existsSync("/sys/kernel/tracing/kprobe_events");

test("on a kernel without kprobes L0 is skipped with the kernel's reason", { skip: hostHasKprobes && "this host's kernel has kprobes" }, async () => {
  const { results, seen } = await l0Run();
  assert.equal(results.length, 3, seen);
  for (const result of results) {
    assert.equal(result.outcome, "skipped", seen);
    assert.match(result.message ?? "", /kernel without kprobes.*Unable to load eBPF watcher.*kprobe_events: no such file/, seen);
  }
});

test("Beyla's watcher error skips L0 with the error (kprobes present, tracefs gone)", async () => {
  const { results, seen } = await l0Run("pretend-kprobes,tracefs-unmounted");
  for (const result of results) {
    assert.equal(result.outcome, "skipped", seen);
    assert.match(result.message ?? "", /Beyla cannot load its eBPF process watcher .*neither debugfs nor tracefs are mounted/, seen);
  }
});

test("with kprobes (pretend-kprobes) and tracefs mounted by the runner, L0 runs and passes", async () => {
  const { results, seen } = await l0Run("pretend-kprobes");
  assert.equal(results.length, 3, seen);
  for (const result of results) assert.equal(result.outcome, "passed", seen);
});

test("an eBPF agent without SYS_ADMIN/SYS_PTRACE skips L2 profiling and L3 with the reason", async () => {
  const provider = createCoralProvider({ images: IMAGE_PRESETS.reference!, agents: 1, timeoutScale: 1, ebpfPrivileges: false });
  const plan = planRun(modules, { checks: ["profiling/*", "debug/*"] });
  const summary = await runSuite({ runId: newRunId(), plan, provider });
  const seen = summary.results.map((r) => `${r.id}: ${r.outcome} (${r.message ?? ""})`).join("\n");
  assert.equal(summary.results.length, 8, seen);
  for (const result of summary.results) {
    assert.equal(result.outcome, "skipped", seen);
    assert.match(result.message ?? "", /agent lacks CAP_SYS_ADMIN\/CAP_BPF/, seen);
  }
});

test("an agent whose Beyla crash-loops skips L0 with the known defect named; the rest runs", async () => {
  const provider = createCoralProvider({ images: IMAGE_PRESETS.reference!, agents: 1, timeoutScale: 1, refFaults: { agent: "beyla-crash-loop" } });
  const plan = planRun(modules, { checks: ["red-metrics/*", "otlp/grpc-ingestion"] });
  const summary = await runSuite({ runId: newRunId(), plan, provider });
  const seen = summary.results.map((r) => `${r.id}: ${r.outcome} (${r.message ?? ""})`).join("\n");
  for (const result of summary.results.filter((r) => r.id.startsWith("red-metrics/"))) {
    assert.equal(result.outcome, "skipped", seen);
    assert.match(result.message ?? "", /Beyla started and exited unexpectedly .*crash loop.*known defect/, seen);
  }
  assert.equal(summary.results.find((r) => r.id === "otlp/grpc-ingestion")?.outcome, "passed", seen);
});

test("an agent without Beyla skips L0 with the reason", async () => {
  const provider = createCoralProvider({ images: IMAGE_PRESETS.reference!, agents: 1, timeoutScale: 1, refFaults: { agent: "beyla-missing" } });
  const summary = await runSuite({ runId: newRunId(), plan: planRun(modules, { checks: ["red-metrics/*"] }), provider });
  const seen = summary.results.map((r) => `${r.id}: ${r.outcome} (${r.message ?? ""})`).join("\n");
  assert.equal(summary.results.length, 3, seen);
  for (const result of summary.results) {
    assert.equal(result.outcome, "skipped", seen);
    assert.match(result.message ?? "", /Beyla binary not found/, seen);
  }
});
