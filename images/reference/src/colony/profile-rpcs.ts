// ColonyDebugService CPU profile methods (contract observability.md §3.5, §4.4 step 3, §4.5).
// Domain failures are success:false + error bodies (HTTP 200), never Connect errors (§3.1).
import { create } from "@bufbuild/protobuf";
import { timestampMs } from "@bufbuild/protobuf/wkt";
import { StackSampleSchema } from "../../../../proto/gen/coral/agent/v1/debug_pb.js";
import {
  ProfileCPUResponseSchema,
  QueryHistoricalCPUProfileResponseSchema,
  type ProfileCPURequest,
  type QueryHistoricalCPUProfileRequest,
} from "../../../../proto/gen/coral/colony/v1/debug_pb.js";
import { faults } from "../common/faults.js";
import { agentDebugClient } from "./agent-client.js";
import { locateForProfile } from "./agent-coordinator.js";
import { historicalStacks } from "./cpu-profile-summaries.js";
import type { ColonyDatabase } from "./database.js";
import type { Registry } from "./registry.js";
import { errorText } from "./rpc-errors.js";

const DEFAULT_DURATION_S = 30;
const MAX_DURATION_S = 300;
const DEFAULT_FREQUENCY_HZ = 99;
const MAX_FREQUENCY_HZ = 1000;
/** The agent blocks for the whole profile; allow it the duration plus what the Coral CLI allows. */
const PROFILE_GRACE_MS = 60_000;

function clamp(value: number, fallback: number, max: number): number {
  return value <= 0 ? fallback : Math.min(value, max);
}

export async function profileCPU(registry: Registry, req: ProfileCPURequest) {
  const durationSeconds = clamp(req.durationSeconds, DEFAULT_DURATION_S, MAX_DURATION_S);
  const frequencyHz = clamp(req.frequencyHz, DEFAULT_FREQUENCY_HZ, MAX_FREQUENCY_HZ);
  let location;
  try {
    location = await locateForProfile(registry, req.serviceName);
  } catch (err) {
    return create(ProfileCPUResponseSchema, { success: false, error: errorText(err) });
  }
  const { agent, pid } = location;
  try {
    const res = await agentDebugClient(agent.meshIpv4).profileCPU(
      { agentId: agent.agentId, serviceName: req.serviceName, pid, durationSeconds, frequencyHz },
      { timeoutMs: durationSeconds * 1000 + PROFILE_GRACE_MS },
    );
    return create(ProfileCPUResponseSchema, {
      samples: res.samples,
      totalSamples: res.totalSamples,
      lostSamples: res.lostSamples,
      success: res.success,
      error: res.error,
    });
  } catch (err) {
    return create(ProfileCPUResponseSchema, { success: false, error: `failed to profile CPU on agent ${agent.agentId}: ${errorText(err)}` });
  }
}

export async function queryHistoricalCPUProfile(db: ColonyDatabase, req: QueryHistoricalCPUProfileRequest) {
  // Both bounds are required; without one Coral answers a bare success (§3.5, §10 #15).
  if (!req.startTime || !req.endTime) return create(QueryHistoricalCPUProfileResponseSchema, { success: true });
  // Fault historical-profile-empty: stored profiles are never returned (§4.4 step 3).
  if (faults.has("historical-profile-empty")) return create(QueryHistoricalCPUProfileResponseSchema, { success: true });
  try {
    const stacks = await historicalStacks(db, req.serviceName, timestampMs(req.startTime), timestampMs(req.endTime));
    return create(QueryHistoricalCPUProfileResponseSchema, {
      samples: stacks.map((s) => create(StackSampleSchema, { frameNames: s.frames, count: s.count })),
      totalSamples: stacks.reduce((sum, s) => sum + s.count, 0n),
      success: true,
    });
  } catch (err) {
    return create(QueryHistoricalCPUProfileResponseSchema, { success: false, error: `failed to query historical CPU profile: ${errorText(err)}` });
  }
}
