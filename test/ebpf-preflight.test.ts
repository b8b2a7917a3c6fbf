// The eBPF and L0 preflights (observability.md §5.1): their reasons from GetRuntimeContext facts
// and agent logs, and real runs where the agent lacks the privileges, or its Beyla is missing or
// crash-loops: the layer's checks are skipped with the reason (never failed, never passed) and the
// rest of the run is unaffected.
import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { modules } from "../checks/index.js";
import { ebpfGaps, type EbpfFacts } from "../src/coral/ebpf.js";
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

test("an eBPF agent without SYS_ADMIN/SYS_PTRACE skips L2 profiling and L3 with the reason", async () => {
  const provider = createCoralProvider({ images: IMAGE_PRESETS.reference!, agents: 1, timeoutScale: 1, ebpfPrivileges: false });
  const plan = planRun(modules, { checks: ["profiling/*", "debug/*"] });
  const summary = await runSuite({ runId: newRunId(), plan, provider });
  const seen = summary.results.map((r) => `${r.id}: ${r.outcome} (${r.message ?? ""})`).join("\n");
  assert.equal(summary.results.length, 7, seen);
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
