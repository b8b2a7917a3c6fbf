// What the profiling (L2) and debug (L3) checks share: the privileged agent with its fixture apps,
// a CPU load that runs only while a profile is being taken (observability.md §10 #28), and small
// readers of profile stacks.
import type { StackSample } from "../proto/gen/coral/agent/v1/debug_pb.js";
import type { AppNode } from "../src/coral/apps.js";
import type { AgentNode } from "../src/coral/nodes.js";
import { FIXTURES } from "../src/coral/settings.js";
import type { T } from "./support.js";

export const HOT_FRAME = FIXTURES.cpuApp.hotFrame;

/** The eBPF agent and an app on it; the engine's preflight has already vouched for the agent. */
export async function appOnEbpfAgent(t: T, fixture: typeof FIXTURES.cpuApp | typeof FIXTURES.sdkApp): Promise<{ agent: AgentNode; app: AppNode }> {
  const { agent } = await t.env.ebpfAgent();
  const app = await t.env.startApp(agent, fixture);
  return { agent, app };
}

/** The PID the agent found for a service (its monitor, or the SDK's report). */
export async function servicePid(t: T, agent: AgentNode, service: string): Promise<number> {
  const api = await agent.api();
  const listed = await t.waitFor(
    `${agent.agentId} to list ${service} with a process id`,
    async () => (await api.listServices({}, { signal: t.signal })).services.find((s) => s.name === service),
    (s) => (s?.processId ?? 0) > 0,
    { timeoutMs: 15_000, intervalMs: 500 },
  );
  return listed!.processId;
}

/**
 * Burns CPU on one thread of cpu-app in short bursts until stopped. Each burst is one request, so
 * the load ends within a burst of stop(); errors are kept for the check's evidence.
 */
export function keepBusy(t: T, app: AppNode, burstMs = 2_000): { stop(): Promise<void>; errors: string[] } {
  let running = true;
  const errors: string[] = [];
  const loop = (async () => {
    while (running && !t.signal.aborted) {
      try {
        await app.get(`/burn?ms=${burstMs}&threads=1`, burstMs + 15_000);
      } catch (error) {
        errors.push((error as Error).message);
        if (errors.length >= 3) return;
      }
    }
  })();
  return {
    errors,
    async stop() {
      running = false;
      await loop;
    },
  };
}

export const hasFrame = (frames: string[], name = HOT_FRAME) => frames.some((f) => f.includes(name));

/** Samples whose stacks contain the frame, out of all. */
export function frameShare(samples: StackSample[], name = HOT_FRAME): { hot: number; total: number } {
  let hot = 0;
  let total = 0;
  for (const s of samples) {
    total += Number(s.count);
    if (hasFrame(s.frameNames, name)) hot += Number(s.count);
  }
  return { hot, total };
}

/** A profile's stacks in the shape topStacks reads. */
export const stackCounts = (samples: StackSample[]) => samples.map((s) => ({ frames: s.frameNames, count: Number(s.count) }));

/** The heaviest stacks, innermost frames first, for evidence. */
export function topStacks(stacks: Array<{ frames: string[]; count: number }>, n = 3): string[] {
  return [...stacks]
    .sort((a, b) => b.count - a.count)
    .slice(0, n)
    .map((s) => `${s.count}× ${s.frames.slice(0, 4).join(" ← ")}`);
}
