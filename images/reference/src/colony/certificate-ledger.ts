// Issued agent certificates (stand-in for DuckDB issued_certificates), for GetCAStatus statistics.
import { readJsonFile, writeJsonFile } from "./json-file.js";

interface IssuedRow {
  serial_number: string;
  agent_id: string;
  colony_id: string;
  issued_at: string;
  expires_at: string;
  status: "active" | "revoked";
}

export class CertificateLedger {
  private rows: IssuedRow[];

  constructor(private readonly file: string) {
    this.rows = readJsonFile<IssuedRow[]>(file, []);
  }

  record(row: Omit<IssuedRow, "status" | "issued_at">): void {
    this.rows.push({ ...row, issued_at: new Date().toISOString(), status: "active" });
    writeJsonFile(this.file, this.rows);
  }

  statistics(): { totalIssued: number; active: number; revoked: number } {
    const revoked = this.rows.filter((r) => r.status === "revoked").length;
    return { totalIssued: this.rows.length, active: this.rows.length - revoked, revoked };
  }
}
