// One agent-local table with Coral's checkpoint semantics (contract observability.md §3.2,
// RFD 089): every row gets a `seq_id` that starts at 1 and only grows, also across restarts and
// retention cleanups. Rows live in memory and in an append-only NDJSON file, so they (and the seq
// counter) survive an agent restart the way Coral's DuckDB rows do.
import { appendFileSync, existsSync, readFileSync, renameSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { log } from "../common/log.js";

export type Stored<T> = T & { seqId: number };

export interface TableOptions<T> {
  retentionMs: number;
  /** Unix ms the retention cleanup compares against. */
  timestampOf: (row: T) => number;
  /** Rows with a key already stored are ignored (Coral's primary keys). */
  keyOf?: (row: T) => string;
}

export class LocalTable<T extends object> {
  private rows: Stored<T>[] = [];
  private keys = new Set<string>();
  private maxSeq = 0;
  private readonly dataFile: string;
  private readonly seqFile: string;

  constructor(dir: string, readonly name: string, private readonly options: TableOptions<T>) {
    this.dataFile = join(dir, `${name}.ndjson`);
    this.seqFile = join(dir, `${name}.maxseq`);
    this.load();
  }

  private load(): void {
    if (existsSync(this.seqFile)) this.maxSeq = Number(readFileSync(this.seqFile, "utf8").trim()) || 0;
    if (!existsSync(this.dataFile)) return;
    for (const line of readFileSync(this.dataFile, "utf8").split("\n")) {
      if (!line) continue;
      try {
        this.remember(JSON.parse(line) as Stored<T>);
      } catch {
        // A line cut short by a crash mid-append: the rest of the file is still good.
      }
    }
  }

  private remember(row: Stored<T>): void {
    this.rows.push(row);
    if (this.options.keyOf) this.keys.add(this.options.keyOf(row));
    this.maxSeq = Math.max(this.maxSeq, row.seqId);
  }

  /** Stores the rows not already present; returns how many were stored. */
  insert(rows: T[]): number {
    const fresh: Stored<T>[] = [];
    for (const row of rows) {
      const key = this.options.keyOf?.(row);
      if (key !== undefined && this.keys.has(key)) continue;
      const stored = { ...row, seqId: this.maxSeq + 1 } as Stored<T>;
      this.remember(stored);
      fresh.push(stored);
    }
    if (fresh.length > 0) appendFileSync(this.dataFile, fresh.map((r) => JSON.stringify(r)).join("\n") + "\n");
    return fresh.length;
  }

  /** Rows with seq_id > afterSeq that pass the filter, ascending, at most limit. */
  query(afterSeq: number, limit: number, filter: (row: Stored<T>) => boolean = () => true): Stored<T>[] {
    const out: Stored<T>[] = [];
    for (const row of this.rows) {
      if (out.length >= limit) break;
      if (row.seqId > afterSeq && filter(row)) out.push(row);
    }
    return out;
  }

  /** Drops rows older than the retention; the seq counter is kept in a side file. */
  prune(now = Date.now()): void {
    const cutoff = now - this.options.retentionMs;
    const kept = this.rows.filter((row) => this.options.timestampOf(row) >= cutoff);
    if (kept.length === this.rows.length) return;
    writeFileSync(this.seqFile, `${this.maxSeq}\n`);
    const tmp = `${this.dataFile}.tmp`;
    writeFileSync(tmp, kept.map((r) => JSON.stringify(r) + "\n").join(""));
    renameSync(tmp, this.dataFile);
    log.debug("Cleaned up old rows", { table: this.name, deleted: this.rows.length - kept.length });
    this.rows = kept;
    if (this.options.keyOf) this.keys = new Set(kept.map((row) => this.options.keyOf!(row)));
  }
}
