// The enrollment checkpoint `~/.coral/certs/enrollment.json` (contract connectivity.md §1.8, §4.2):
// the agent's WireGuard identity, written `pending` when the keys are made and `enrolled` after the
// colony accepted a Register.
import { chmodSync, existsSync, mkdirSync, readFileSync, renameSync, writeFileSync } from "node:fs";
import { dirname, join } from "node:path";

export interface EnrollmentCheckpoint {
  schema_version: 1;
  state: "pending" | "enrolled";
  agent_id: string;
  colony_id: string;
  wireguard_private_key: string;
  wireguard_public_key: string;
  assigned_ip?: string;
  mesh_subnet?: string;
  certificate_sha256?: string;
  certificate_serial?: string;
  enrolled_at?: string;
}

export const checkpointPath = (certsDir: string): string => join(certsDir, "enrollment.json");

export function readCheckpoint(certsDir: string): EnrollmentCheckpoint | undefined {
  const path = checkpointPath(certsDir);
  if (!existsSync(path)) return undefined;
  try {
    const doc = JSON.parse(readFileSync(path, "utf8")) as EnrollmentCheckpoint;
    return doc.wireguard_private_key && doc.wireguard_public_key ? doc : undefined;
  } catch {
    return undefined;
  }
}

export function writeCheckpoint(certsDir: string, checkpoint: EnrollmentCheckpoint): void {
  const path = checkpointPath(certsDir);
  mkdirSync(dirname(path), { recursive: true, mode: 0o700 });
  const tmp = `${path}.tmp`;
  writeFileSync(tmp, JSON.stringify(checkpoint, null, 2) + "\n", { mode: 0o600 });
  chmodSync(tmp, 0o600);
  renameSync(tmp, path);
}
