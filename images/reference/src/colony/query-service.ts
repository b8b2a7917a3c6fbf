// The query methods of coral.colony.v1.ColonyService (contract observability.md §3.4), all reading
// only the colony DuckDB. Domain failures would be success:false bodies; these methods have none.
import { create } from "@bufbuild/protobuf";
import type { ServiceImpl } from "@connectrpc/connect";
import type { ColonyService } from "../../../../proto/gen/coral/colony/v1/colony_pb.js";
import { QueryUnifiedLogsResponseSchema } from "../../../../proto/gen/coral/colony/v1/queries_pb.js";
import type { ColonyDatabase } from "./database.js";
import { executeQuery } from "./execute-query.js";
import { getMetricPercentile } from "./metric-percentile.js";
import { listColonyServices } from "./service-list.js";
import { queryUnifiedMetrics } from "./unified-metrics.js";
import { queryUnifiedSummary } from "./unified-summary.js";
import { queryUnifiedTraces } from "./unified-traces.js";

export function queryServiceImpl(db: ColonyDatabase): Partial<ServiceImpl<typeof ColonyService>> {
  return {
    queryUnifiedSummary: (req) => queryUnifiedSummary(db, req),
    queryUnifiedMetrics: (req) => queryUnifiedMetrics(db, req),
    queryUnifiedTraces: (req) => queryUnifiedTraces(db, req),
    // No log ingestion anywhere (§1.1): always empty.
    queryUnifiedLogs: async () => create(QueryUnifiedLogsResponseSchema, {}),
    listServices: (req) => listColonyServices(db, req),
    getMetricPercentile: (req) => getMetricPercentile(db, req),
    executeQuery: (req) => executeQuery(db, req),
  };
}
