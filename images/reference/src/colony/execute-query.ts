// ExecuteQuery (contract observability.md §3.4): any SQL on the colony DuckDB, no validation, at most
// max_rows rows (default 1000), every value formatted as Go's %v.
import { create } from "@bufbuild/protobuf";
import { Code, ConnectError } from "@connectrpc/connect";
import { ExecuteQueryResponseSchema, QueryRowSchema, type ExecuteQueryRequest } from "../../../../proto/gen/coral/colony/v1/queries_pb.js";
import type { ColonyDatabase } from "./database.js";
import { goValue } from "./go-format.js";

const DEFAULT_MAX_ROWS = 1000;
const QUERY_TIMEOUT_MS = 30_000;

export async function executeQuery(db: ColonyDatabase, req: ExecuteQueryRequest) {
  if (!req.sql.trim()) throw new ConnectError("sql is required", Code.InvalidArgument);
  const maxRows = req.maxRows > 0 ? req.maxRows : DEFAULT_MAX_ROWS;
  let reader;
  try {
    reader = await db.readUntil(req.sql, maxRows, QUERY_TIMEOUT_MS);
  } catch (err) {
    throw new ConnectError(`failed to execute query: ${(err as Error).message}`, Code.Internal);
  }
  const types = reader.columnTypes().map((t) => t.typeId);
  const rows = reader
    .getRows()
    .slice(0, maxRows)
    .map((row) => create(QueryRowSchema, { values: row.map((v, i) => goValue(v, types[i])) }));
  return create(ExecuteQueryResponseSchema, { rows, rowCount: rows.length, columns: reader.columnNames() });
}
