// Layer 2 (continuous CPU profiling): the agent's always-on profiler sees a busy connected service,
// and the colony's historical profile holds the same frame (observability.md §4.4, §5.2, §10 #7,
// #15, #29). Runs on the eBPF agent; skipped with the preflight's reason when it lacks the rights.
import { timestampFromMs } from "@bufbuild/protobuf/wkt";
import type { CPUProfileSample } from "../proto/gen/coral/agent/v1/debug_pb.js";
import { FIXTURES, TIMERS } from "../src/coral/settings.js";
import { appOnEbpfAgent, frameShare, hasFrame, HOT_FRAME, keepBusy, servicePid, stackCounts, topStacks } from "./ebpf-support.js";
import type { Check, Module } from "./support.js";
import { PARTS } from "../src/coral/parts.js";

const SERVICE = FIXTURES.cpuApp.name;
const EBPF = { capabilities: ["ebpf"] };

const stacksOf = (samples: CPUProfileSample[]) => samples.map((s) => ({ frames: s.stackFrames, count: s.sampleCount }));

const agentSamples: Check = {
  id: "profiling/continuous-agent",
  title: `the agent's continuous profile of a busy ${SERVICE} contains its hot function`,
  requires: EBPF,
  // It keeps cpu-app busy: no other check may profile it meanwhile.
  touches: { observes: [PARTS.ebpfAgent], disturbs: [PARTS.cpuApp] },
  timeoutMs: 90_000,
  async run(t) {
    const { agent, app } = await appOnEbpfAgent(t, FIXTURES.cpuApp);
    const pid = await servicePid(t, agent, SERVICE);
    const debug = await agent.debug();
    const load = keepBusy(t, app);
    let samples: CPUProfileSample[];
    try {
      // Connect + PID (≤ 3 s) + one drain; two drains of slack (§4.4 step 4).
      ({ samples } = await t.waitFor(
        `${agent.agentId}'s QueryCPUProfileSamples(${SERVICE}) to hold a stack with ${HOT_FRAME}`,
        async () => {
          const s = (await debug.queryCPUProfileSamples({ serviceName: SERVICE }, { signal: t.signal })).samples;
          return { rows: s.length, top: topStacks(stacksOf(s)), samples: s };
        },
        ({ samples: s }) => s.some((x) => hasFrame(x.stackFrames)),
        { timeoutMs: 3 * TIMERS.cpuProfilingIntervalMs + 10_000, intervalMs: 1_000 },
      ));
    } finally {
      await load.stop();
    }
    t.observe("load errors", load.errors);
    const hot = samples.filter((s) => hasFrame(s.stackFrames));
    t.verify(hot.every((s) => s.sampleCount > 0 && s.serviceName === SERVICE), `stacks with ${HOT_FRAME} are ${SERVICE}'s and count samples`, hot.slice(0, 2));
    t.verify(hot.every((s) => s.tgid === pid), `the samples' tgid is ${SERVICE}'s PID ${pid}`, [...new Set(hot.map((s) => s.tgid))]);
    t.verify(samples.every((s, i) => i === 0 || s.seqId > samples[i - 1]!.seqId), "seq ids ascend", samples.slice(0, 5).map((s) => s.seqId));
  },
};

const colonyHistory: Check = {
  id: "profiling/continuous-colony",
  title: `the colony's historical profile of ${SERVICE} has samples and the same hot frame`,
  needs: ["profiling/continuous-agent"],
  requires: EBPF,
  touches: {},
  timeoutMs: 60_000,
  async run(t) {
    const debug = await t.env.colony.debug();
    const since = Date.now() - 10 * 60_000;
    // Both bounds are required: without endTime the answer is an empty success (§10 #15).
    const { res } = await t.waitFor(
      `the colony's QueryHistoricalCPUProfile(${SERVICE}, last 10 min) to hold a stack with ${HOT_FRAME}`,
      async () => {
        const r = await debug.queryHistoricalCPUProfile({ serviceName: SERVICE, startTime: timestampFromMs(since), endTime: timestampFromMs(Date.now() + 60_000) }, { signal: t.signal });
        return { success: r.success, totalSamples: r.totalSamples, top: topStacks(stackCounts(r.samples)), res: r };
      },
      ({ res: r }) => r.samples.some((s) => hasFrame(s.frameNames)),
      { timeoutMs: 3 * TIMERS.profilingPollIntervalMs + 20_000, intervalMs: 1_000 },
    );
    const share = frameShare(res.samples);
    t.verify(res.success, "the colony answers success", { success: res.success, error: res.error });
    t.verify(Number(res.totalSamples) > 0 && Number(res.totalSamples) >= share.hot, `totalSamples (${res.totalSamples}) is positive and covers the ${share.hot} ${HOT_FRAME} samples`, { totalSamples: res.totalSamples, ...share });
  },
};

export const profiling: Module = {
  name: "profiling",
  phase: "observability",
  layer: 2,
  checks: [agentSamples, colonyHistory],
};
