// GetMetricPercentile (contract observability.md §3.4, §10 #6). Coral v0.3.0's query names a column
// that does not exist, so every call fails with DuckDB's binder error as `internal`; the reference
// runs an equally broken statement so the error comes from the database itself. `fix-metric-percentile`
// answers with the nearest-rank percentile (ms) of the service's stored span durations instead.
import { create } from "@bufbuild/protobuf";
import { timestampNow } from "@bufbuild/protobuf/wkt";
import { Code, ConnectError } from "@connectrpc/connect";
import { GetMetricPercentileResponseSchema, type GetMetricPercentileRequest } from "../../../../proto/gen/coral/colony/v1/queries_pb.js";
import type { DuckDBListValue } from "@duckdb/node-api";
import { faults } from "../common/faults.js";
import type { ColonyDatabase } from "./database.js";
import { timestampParam } from "./span-summaries.js";
import { nearestRank } from "./span-percentiles.js";
import { DEFAULT_TIME_RANGE_MS } from "./time-range.js";

export async function getMetricPercentile(db: ColonyDatabase, req: GetMetricPercentileRequest) {
  if (req.percentile < 0 || req.percentile > 1) throw new ConnectError("percentile must be between 0 and 1", Code.InvalidArgument);
  const rangeMs = req.timeRangeMs > 0n ? Number(req.timeRangeMs) : DEFAULT_TIME_RANGE_MS;
  const since = timestampParam(Date.now() - rangeMs);
  try {
    if (!faults.has("fix-metric-percentile")) {
      await db.read(
        `SELECT quantile_cont(duration_ns / 1e6, ?) FROM otel_spans WHERE service_name = ? AND start_time >= ?`,
        [req.percentile, req.service, since],
      );
    }
    const reader = await db.read(
      `SELECT list(duration_ms ORDER BY duration_ms) FROM otel_spans WHERE service_name = ? AND start_time >= ?`,
      [req.service, since],
    );
    const durations = ((reader.getRows()[0]?.[0] as DuckDBListValue | null)?.items ?? []) as number[];
    const value = durations.length ? nearestRank(durations, req.percentile) : 0;
    return create(GetMetricPercentileResponseSchema, { value, unit: "ms", timestamp: timestampNow() });
  } catch (err) {
    throw new ConnectError(`failed to query percentile: ${(err as Error).message}`, Code.Internal);
  }
}
