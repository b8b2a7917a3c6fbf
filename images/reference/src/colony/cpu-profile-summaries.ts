// CPU profile samples fetched from an agent → cpu_profile_summaries rows per (minute of the sample,
// agent, service, build id, tgid, stack), ADDING each poll's counts to the minute's row (contract
// observability.md §4.4 step 2). Coral replaces the row per poll, so a minute holds only the last
// poll's batch (§10 #7); the reference keeps the promise that a summary counts every sample.
import { timestampDate } from "@bufbuild/protobuf/wkt";
import { createHash } from "node:crypto";
import type { CPUProfileSample } from "../../../../proto/gen/coral/agent/v1/debug_pb.js";
import { insertRows, type ColonyDatabase } from "./database.js";
import { minuteBucket } from "./span-percentiles.js";
import { timestampParam } from "./span-summaries.js";

const FRAME_SEPARATOR = "\n";

interface SummaryKey {
  bucketMs: number;
  serviceName: string;
  buildId: string;
  tgid: number;
  stackHash: string;
  stackFrames: string;
}

export function stackHash(stackFrames: string): string {
  return createHash("sha256").update(stackFrames).digest("hex").slice(0, 16);
}

/** Sums a batch per summary key (so one INSERT never names a key twice). */
export function summarizeSamples(samples: readonly CPUProfileSample[]): Array<SummaryKey & { count: number }> {
  const rows = new Map<string, SummaryKey & { count: number }>();
  for (const s of samples) {
    if (s.sampleCount <= 0) continue;
    const stackFrames = s.stackFrames.join(FRAME_SEPARATOR);
    const bucketMs = minuteBucket(s.timestamp ? timestampDate(s.timestamp).getTime() : Date.now());
    const key: SummaryKey = { bucketMs, serviceName: s.serviceName, buildId: s.buildId, tgid: s.tgid, stackHash: stackHash(stackFrames), stackFrames };
    const id = JSON.stringify([key.bucketMs, key.serviceName, key.buildId, key.tgid, key.stackHash]);
    const row = rows.get(id);
    if (row) row.count += s.sampleCount;
    else rows.set(id, { ...key, count: s.sampleCount });
  }
  return [...rows.values()];
}

export async function storeCpuProfileSamples(db: ColonyDatabase, agentId: string, samples: readonly CPUProfileSample[]): Promise<number> {
  const rows = summarizeSamples(samples);
  if (rows.length === 0) return 0;
  await db.exclusive((run) =>
    insertRows(
      run,
      "INSERT INTO cpu_profile_summaries (timestamp, agent_id, service_name, build_id, tgid, stack_hash, stack_frames, sample_count)",
      rows,
      (r) => [timestampParam(r.bucketMs), agentId, r.serviceName, r.buildId, r.tgid, r.stackHash, r.stackFrames, r.count],
      `ON CONFLICT (timestamp, agent_id, service_name, build_id, tgid, stack_hash)
       DO UPDATE SET sample_count = cpu_profile_summaries.sample_count + excluded.sample_count`,
    ),
  );
  return rows.length;
}

export interface StackCount {
  frames: string[];
  count: bigint;
}

/**
 * Samples per stack of one service between two instants, over the minute buckets that overlap the
 * range: a bucket counts when its minute starts at or after floor-to-minute(start) and not after end.
 */
export async function historicalStacks(db: ColonyDatabase, serviceName: string, startMs: number, endMs: number): Promise<StackCount[]> {
  const reader = await db.read(
    `SELECT any_value(stack_frames) AS frames, sum(sample_count)::BIGINT AS samples
       FROM cpu_profile_summaries
      WHERE (? = '' OR service_name = ?) AND timestamp >= ? AND timestamp <= ?
      GROUP BY stack_hash
      ORDER BY samples DESC, frames`,
    [serviceName, serviceName, timestampParam(minuteBucket(startMs)), timestampParam(endMs)],
  );
  return reader.getRowObjectsJS().map((r) => ({
    frames: String(r.frames).split(FRAME_SEPARATOR),
    count: BigInt(r.samples as bigint),
  }));
}
