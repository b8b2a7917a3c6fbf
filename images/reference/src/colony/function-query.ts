// ColonyDebugService/QueryFunctions (contract observability.md §3.5): the function registry filled by
// the function poller, case-insensitive substring match on the name (empty query = all), at most
// max_results (default 20, max 50), offsets as hex strings, every result scored 1.
import { create } from "@bufbuild/protobuf";
import {
  FunctionInstrumentationSchema,
  FunctionRefSchema,
  FunctionResultSchema,
  FunctionSearchSchema,
  QueryFunctionsResponseSchema,
  type QueryFunctionsRequest,
} from "../../../../proto/gen/coral/colony/v1/debug_pb.js";
import { faults } from "../common/faults.js";
import type { ColonyDatabase } from "./database.js";

const DEFAULT_MAX_RESULTS = 20;
const MAX_RESULTS = 50;

export async function queryFunctions(db: ColonyDatabase, req: QueryFunctionsRequest) {
  const limit = req.maxResults > 0 ? Math.min(req.maxResults, MAX_RESULTS) : DEFAULT_MAX_RESULTS;
  const response = create(QueryFunctionsResponseSchema, { serviceName: req.serviceName, query: req.query });
  // Fault function-registry-empty: the registry never answers with a function (§3.5).
  if (faults.has("function-registry-empty")) return response;
  // One row per (service, name) even when several agents run the service: the freshest wins.
  const reader = await db.read(
    `SELECT service_name, function_name, package, file_path, line_number, "offset", has_dwarf
       FROM functions
      WHERE (? = '' OR service_name = ?) AND contains(lower(function_name), lower(?))
    QUALIFY row_number() OVER (PARTITION BY service_name, function_name ORDER BY updated_at DESC, agent_id) = 1
      ORDER BY service_name, function_name
      LIMIT ?`,
    [req.serviceName, req.serviceName, req.query, limit],
  );
  response.results = reader.getRowObjectsJS().map((r) =>
    create(FunctionResultSchema, {
      function: create(FunctionRefSchema, {
        id: `${r.service_name}/${r.function_name}`,
        name: String(r.function_name),
        package: String(r.package ?? ""),
        file: String(r.file_path ?? ""),
        line: Number(r.line_number ?? 0),
        offset: `0x${BigInt((r.offset as bigint | null) ?? 0n).toString(16)}`,
      }),
      search: create(FunctionSearchSchema, { score: 1, reason: "Semantic match" }),
      instrumentation: create(FunctionInstrumentationSchema, { isProbeable: true, hasDwarf: Boolean(r.has_dwarf) }),
    }),
  );
  return response;
}
