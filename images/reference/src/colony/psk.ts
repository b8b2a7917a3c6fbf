// The bootstrap PSK (`coral-psk:<64 hex>`), stored encrypted in ca/bootstrap-psk.enc with an
// AES-256-GCM key derived from the root CA private key, so it is only readable with the CA.
import { createCipheriv, createDecipheriv, hkdfSync, randomBytes, timingSafeEqual } from "node:crypto";
import { chmodSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { rootKeyMaterial, type ColonyCA } from "../common/ca.js";

const FILE = "bootstrap-psk.enc";

async function derivedKey(ca: ColonyCA): Promise<Buffer> {
  return Buffer.from(hkdfSync("sha256", await rootKeyMaterial(ca), "coral-bootstrap-psk", "aes-256-gcm", 32));
}

export function generatePsk(): string {
  return `coral-psk:${randomBytes(32).toString("hex")}`;
}

export async function savePsk(ca: ColonyCA, psk: string): Promise<void> {
  const nonce = randomBytes(12);
  const cipher = createCipheriv("aes-256-gcm", await derivedKey(ca), nonce);
  const body = Buffer.concat([cipher.update(psk, "utf8"), cipher.final()]);
  const path = join(ca.dir, FILE);
  writeFileSync(path, Buffer.concat([nonce, cipher.getAuthTag(), body]), { mode: 0o600 });
  chmodSync(path, 0o600);
}

export async function loadPsk(ca: ColonyCA): Promise<string> {
  const blob = readFileSync(join(ca.dir, FILE));
  const decipher = createDecipheriv("aes-256-gcm", await derivedKey(ca), blob.subarray(0, 12));
  decipher.setAuthTag(blob.subarray(12, 28));
  return Buffer.concat([decipher.update(blob.subarray(28)), decipher.final()]).toString("utf8");
}

export function pskMatches(expected: string, given: string): boolean {
  const a = Buffer.from(expected);
  const b = Buffer.from(given);
  return a.length === b.length && timingSafeEqual(a, b);
}
