// GetDebugResults statistics from a session's persisted events (contract observability.md §3.5,
// §4.6 step 7): total calls = return events with a duration (events/2 when there are none), nearest-
// rank P50/P95/P99 and max of those durations, up to 10 slow outliers (> P95, slowest first), and a
// one-node call tree (the collector probes one function, so it has no children).
import { create } from "@bufbuild/protobuf";
import { DurationSchema, type Duration } from "@bufbuild/protobuf/wkt";
import { faults } from "../common/faults.js";
import {
  CallTreeNodeSchema,
  CallTreeSchema,
  DebugStatisticsSchema,
  GetDebugResultsResponseSchema,
  SlowOutlierSchema,
  type GetDebugResultsResponse,
} from "../../../../proto/gen/coral/colony/v1/debug_pb.js";
import type { DebugSessionRecord } from "./debug-sessions.js";
import { nearestRank } from "./span-percentiles.js";
import type { StoredEvent } from "./uprobe-events.js";

const MAX_SLOW_OUTLIERS = 10;
const NS_PER_S = 1_000_000_000n;

export function durationFromNanos(ns: bigint): Duration {
  return create(DurationSchema, { seconds: ns / NS_PER_S, nanos: Number(ns % NS_PER_S) });
}

export function countCalls(events: readonly Pick<StoredEvent, "eventType" | "durationNs">[]): number {
  const returns = events.filter((e) => e.eventType === "return" && e.durationNs > 0n).length;
  return returns > 0 ? returns : Math.floor(events.length / 2);
}

export function debugResults(session: DebugSessionRecord, events: readonly StoredEvent[]): GetDebugResultsResponse {
  const returns = events.filter((e) => e.eventType === "return" && e.durationNs > 0n);
  const totalCalls = countCalls(events);
  const sorted = returns.map((e) => e.durationNs).sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
  const res = create(GetDebugResultsResponseSchema, {
    sessionId: session.sessionId,
    function: session.functionName,
    duration: durationFromNanos(BigInt(session.expiresAtMs - session.startedAtMs) * 1_000_000n),
    // Fault debug-results-undercount: totalCalls no longer covers every observed call (§5.2).
    statistics: create(DebugStatisticsSchema, { totalCalls: BigInt(faults.has("debug-results-undercount") ? Math.floor(totalCalls / 2) : totalCalls) }),
  });
  if (sorted.length > 0) {
    const p95 = nearestRank(sorted, 0.95);
    Object.assign(res.statistics!, {
      durationP50: durationFromNanos(nearestRank(sorted, 0.5)),
      durationP95: durationFromNanos(p95),
      durationP99: durationFromNanos(nearestRank(sorted, 0.99)),
      durationMax: durationFromNanos(sorted.at(-1)!),
    });
    res.slowOutliers = returns
      .filter((e) => e.durationNs > p95)
      .sort((a, b) => (a.durationNs > b.durationNs ? -1 : a.durationNs < b.durationNs ? 1 : 0))
      .slice(0, MAX_SLOW_OUTLIERS)
      .map((e) => create(SlowOutlierSchema, { duration: durationFromNanos(e.durationNs), timestamp: e.event.timestamp }));
  }
  if (totalCalls > 0) {
    const total = durationFromNanos(sorted.reduce((a, b) => a + b, 0n));
    res.callTree = create(CallTreeSchema, {
      root: create(CallTreeNodeSchema, { functionName: session.functionName, totalDuration: total, selfDuration: total, callCount: BigInt(totalCalls) }),
      totalInvocations: BigInt(totalCalls),
    });
  }
  return res;
}
