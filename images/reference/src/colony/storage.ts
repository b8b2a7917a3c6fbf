// Where Coral would keep its DuckDB file (§4.4, §6.15): `<storage>/<colony_id>.duckdb`, with the
// project config's storage.path (relative to the CWD) winning over the colony's storage_path.
// The connectivity state stays in small JSON files (json-file.ts); the DuckDB file holds the
// observability tables (database.ts).
import { existsSync, statSync } from "node:fs";
import { resolve } from "node:path";
import type { ColonyConfig } from "./config.js";
import { readProjectConfig } from "./config.js";

export function databasePath(cfg: ColonyConfig): string {
  const storage = readProjectConfig()?.storagePath || cfg.storage_path || ".coral";
  return resolve(storage, `${cfg.colony_id}.duckdb`);
}

export function storageBytes(path: string): number {
  return existsSync(path) ? statSync(path).size : 0;
}
