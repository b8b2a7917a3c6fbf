// The colony's embedded DuckDB (`<storage>/<colony_id>.duckdb`, contract connectivity.md §4.4).
// One connection, used by one statement at a time: pollers read-modify-write summaries, and a queue
// keeps an ExecuteQuery from interleaving with that. Every statement is interrupted after a deadline.
import { DuckDBInstance, type DuckDBConnection, type DuckDBResultReader, type DuckDBValue } from "@duckdb/node-api";
import { mkdirSync } from "node:fs";
import { dirname } from "node:path";
import { OBSERVABILITY_SCHEMA } from "./observability-schema.js";

export const DEFAULT_STATEMENT_TIMEOUT_MS = 30_000;

export type SqlParams = DuckDBValue[];

export class StatementTimeoutError extends Error {}

/** A statement runner inside `exclusive` (or `read`). */
export type Run = (sql: string, params?: SqlParams) => Promise<unknown>;

const INSERT_CHUNK = 200;

/**
 * A multi-row INSERT in statements of 200 rows: `${head} VALUES (?, …), … ${tail}`, one tuple per row
 * from `params(row, index)`. Rows of one statement must not repeat an ON CONFLICT key.
 */
export async function insertRows<T>(run: Run, head: string, rows: readonly T[], params: (row: T, index: number) => SqlParams, tail = ""): Promise<void> {
  for (let i = 0; i < rows.length; i += INSERT_CHUNK) {
    const tuples = rows.slice(i, i + INSERT_CHUNK).map((row, k) => params(row, i + k));
    const values = tuples.map((t) => `(${t.map(() => "?").join(", ")})`).join(",");
    await run(`${head} VALUES ${values}${tail ? ` ${tail}` : ""}`, tuples.flat());
  }
}

export class ColonyDatabase {
  private queue: Promise<unknown> = Promise.resolve();

  private constructor(
    private readonly instance: DuckDBInstance,
    private readonly connection: DuckDBConnection,
  ) {}

  static async open(path: string): Promise<ColonyDatabase> {
    mkdirSync(dirname(path), { recursive: true });
    // No ICU extension (it would be downloaded): time zone handling is UTC, as Coral's times are.
    const instance = await DuckDBInstance.create(path);
    const db = new ColonyDatabase(instance, await instance.connect());
    for (const ddl of OBSERVABILITY_SCHEMA) await db.read(ddl);
    return db;
  }

  /** Runs `work` with the connection to itself (no other statement in between). */
  exclusive<T>(work: (run: (sql: string, params?: SqlParams, timeoutMs?: number) => Promise<DuckDBResultReader>) => Promise<T>): Promise<T> {
    const next = this.queue.then(() => work((sql, params, timeoutMs) => this.runWithDeadline(sql, params, timeoutMs)));
    this.queue = next.catch(() => undefined);
    return next;
  }

  /** One statement, fully read. */
  read(sql: string, params?: SqlParams, timeoutMs = DEFAULT_STATEMENT_TIMEOUT_MS): Promise<DuckDBResultReader> {
    return this.exclusive((run) => run(sql, params, timeoutMs));
  }

  /** One statement, read until at least `maxRows` rows (for ad-hoc SQL of any size). */
  readUntil(sql: string, maxRows: number, timeoutMs = DEFAULT_STATEMENT_TIMEOUT_MS): Promise<DuckDBResultReader> {
    return this.exclusive(() => this.runWithDeadline(sql, undefined, timeoutMs, maxRows));
  }

  close(): void {
    try {
      this.connection.closeSync();
      this.instance.closeSync();
    } catch {
      // Shutting down anyway.
    }
  }

  private async runWithDeadline(
    sql: string,
    params: SqlParams | undefined,
    timeoutMs = DEFAULT_STATEMENT_TIMEOUT_MS,
    maxRows?: number,
  ): Promise<DuckDBResultReader> {
    let timedOut = false;
    const timer = setTimeout(() => {
      timedOut = true;
      this.connection.interrupt();
    }, timeoutMs);
    try {
      return maxRows === undefined
        ? await this.connection.runAndReadAll(sql, params)
        : await this.connection.runAndReadUntil(sql, maxRows, params);
    } catch (err) {
      if (timedOut) throw new StatementTimeoutError(`statement interrupted after ${timeoutMs} ms`);
      throw err;
    } finally {
      clearTimeout(timer);
    }
  }
}
