// `time_range` of the colony's query RPCs (contract observability.md §3.4): a Go duration, default
// 1h; a bad one is `invalid_argument` with Coral's text.
import { Code, ConnectError } from "@connectrpc/connect";
import { parseGoDuration } from "./go-duration.js";

export const DEFAULT_TIME_RANGE_MS = 3_600_000;

/** Start of the window, Unix ms. */
export function windowStart(timeRange: string, now = Date.now()): number {
  if (!timeRange) return now - DEFAULT_TIME_RANGE_MS;
  try {
    return now - parseGoDuration(timeRange);
  } catch (err) {
    throw new ConnectError(`invalid time_range: invalid duration format: ${(err as Error).message}`, Code.InvalidArgument);
  }
}
