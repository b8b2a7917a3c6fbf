// `coral-colony init <app>` (contract §1.2): new colony ID, keys, CA, PSK and config files.
import { randomBytes } from "node:crypto";
import { join } from "node:path";
import { createColonyCA, derFingerprintHex } from "../common/ca.js";
import { generateKeyPair } from "../common/wireguard.js";
import {
  colonyDir,
  DEFAULT_DISCOVERY,
  defaultColonyConfig,
  saveColonyConfig,
  writeGlobalConfig,
  writeProjectConfig,
} from "./config.js";
import { generatePsk, savePsk } from "./psk.js";

/** `<app>-<env>-<6 hex>`, lower-cased, non-alphanumerics turned into `-`. Always a new suffix. */
export function newColonyId(app: string, env: string): string {
  const clean = (s: string) => s.toLowerCase().replace(/[^a-z0-9]/g, "-");
  return `${clean(app)}-${clean(env)}-${randomBytes(3).toString("hex")}`;
}

export async function initColony(app: string, flags: { env?: string; storage?: string; discovery?: string }): Promise<void> {
  const env = flags.env || "dev";
  const storage = flags.storage || ".coral";
  const discovery = flags.discovery || DEFAULT_DISCOVERY;
  const colonyId = newColonyId(app, env);
  const keys = generateKeyPair();

  console.log(`Initializing colony: ${app} (${env})`);
  const cfg = defaultColonyConfig({
    colonyId,
    app,
    env,
    secret: randomBytes(32).toString("hex"),
    privateKey: keys.privateKey,
    publicKey: keys.publicKey,
    storage,
  });
  saveColonyConfig(cfg);
  writeGlobalConfig(colonyId, discovery);

  const ca = await createColonyCA(join(colonyDir(colonyId), "ca"), colonyId);
  const psk = generatePsk();
  await savePsk(ca, psk);
  // Written last and relative to the CWD: from $HOME this replaces the global config (§6.15).
  writeProjectConfig(colonyId);

  const fingerprint = `sha256:${derFingerprintHex(ca.root.certPem)}`;
  const lines = [
    "",
    `✓ Generated colony ID: ${colonyId}`,
    `✓ Generated WireGuard keys`,
    `✓ Created certificate authority: ${join(colonyDir(colonyId), "ca")}`,
    `✓ Configuration saved: ${join(colonyDir(colonyId), "config.yaml")}`,
    "",
    "Colony ID:",
    `  ${colonyId}`,
    "",
    "Root CA Fingerprint (distribute to agents):",
    `  ${fingerprint}`,
    "",
    "Bootstrap PSK (keep secret, distribute to agents):",
    `  ${psk}`,
    "",
    "To connect agents, run on each agent host:",
    `  export CORAL_COLONY_ID=${colonyId}`,
    `  export CORAL_CA_FINGERPRINT=${fingerprint}`,
    `  export CORAL_BOOTSTRAP_PSK=${psk}`,
    "  coral agent start",
    "",
    "✓ Colony initialized successfully",
  ];
  console.log(lines.join("\n"));
}
