// Bearer tokens for the :8443 public endpoint, from `<colonydir>/tokens.yaml`. Like Coral, the
// running colony reads the file at start and on SIGHUP only (§1.2, §6.24).
import { createHash, timingSafeEqual } from "node:crypto";
import { existsSync, readFileSync } from "node:fs";
import YAML from "yaml";

interface TokenRow {
  token_id?: string;
  token?: string;
  token_hash?: string;
  permissions?: string[];
}

export class ApiTokens {
  private hashes: Buffer[] = [];

  constructor(private readonly file: string) {
    this.reload();
  }

  reload(): void {
    if (!existsSync(this.file)) {
      this.hashes = [];
      return;
    }
    const doc = YAML.parse(readFileSync(this.file, "utf8")) as { tokens?: TokenRow[] } | null;
    this.hashes = (doc?.tokens ?? []).flatMap((t) => {
      if (t.token_hash) return [Buffer.from(t.token_hash.replace(/^sha256:/, ""), "hex")];
      if (t.token) return [createHash("sha256").update(t.token).digest()];
      return [];
    });
  }

  valid(token: string): boolean {
    const h = createHash("sha256").update(token).digest();
    return this.hashes.some((x) => x.length === h.length && timingSafeEqual(x, h));
  }
}
