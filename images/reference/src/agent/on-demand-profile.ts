// AgentDebugService.ProfileCPU (contract observability.md §3.3, §4.5): profiles a PID for N seconds
// at F Hz with the same perf sampling as the continuous profiler and blocks for the whole duration.
// Failures (no rights, no such PID) come back as success:false with the helper's error.
import { create } from "@bufbuild/protobuf";
import {
  ProfileCPUAgentResponseSchema,
  type ProfileCPUAgentRequest,
  type ProfileCPUAgentResponse,
} from "../../../../proto/gen/coral/agent/v1/debug_pb.js";
import { log } from "../common/log.js";
import { startPerfSession, type PerfLine } from "./perf-helper.js";
import { profileFrames, profileSeconds } from "./profile-faults.js";
import type { ServiceRegistry } from "./service-registry.js";

const DEFAULT_SECONDS = 30;
const DEFAULT_HZ = 99;

export async function profileCpu(services: ServiceRegistry, req: ProfileCPUAgentRequest): Promise<ProfileCPUAgentResponse> {
  // The colony passes the PID it read from ListServices; 0 means the agent itself (as in Coral).
  const pid = req.pid || services.target(req.serviceName)?.pid || process.pid;
  const seconds = profileSeconds(req.durationSeconds > 0 ? req.durationSeconds : DEFAULT_SECONDS);
  const hz = req.frequencyHz > 0 ? req.frequencyHz : DEFAULT_HZ;
  log.info("Starting CPU profiling", { service: req.serviceName, pid, duration_seconds: seconds, frequency_hz: hz });
  let result: PerfLine | undefined;
  const session = startPerfSession(["profile", "--pid", String(pid), "--hz", String(hz), "--duration", `${seconds}s`], (line) => {
    if (line.event === "samples") result = line;
  });
  try {
    await session.ready;
    await session.exited;
  } catch (err) {
    session.stop();
    const error = `failed to profile pid ${pid}: ${(err as Error).message}`;
    log.error("CPU profiling failed", { service: req.serviceName, error });
    return create(ProfileCPUAgentResponseSchema, { success: false, error });
  }
  if (!result) return create(ProfileCPUAgentResponseSchema, { success: false, error: `profile of pid ${pid} ended without samples output` });
  const samples = (result.stacks ?? []).map((s) => ({ frameNames: profileFrames(s.frames), count: BigInt(s.count) }));
  return create(ProfileCPUAgentResponseSchema, { samples, totalSamples: BigInt(result.total ?? 0), lostSamples: 0, success: true });
}
