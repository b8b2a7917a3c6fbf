// Initialising a colony the way Coral's own compose stack does (contract §1.2, §1.9): `init` inside
// the container, then the config edits `start` needs (public endpoint on 0.0.0.0:8443 for agent
// bootstrap, STUN pointed nowhere), then `start` as the container's main process. The container's
// entrypoint blocks on a FIFO until the runner hands it the colony id, so `start` is PID 1's exec
// and a `docker restart` starts the same colony again.
import { parse, stringify } from "yaml";
import type { ContainerHandle } from "../docker/container.js";
import type { ColonyIdentity } from "./nodes.js";
import { PORTS, STUN_NOWHERE } from "./settings.js";

const STATE_DIR = "/root/.coral-e2e";

/** PID 1 of the colony container: wait for the id once, then exec `coral-colony start`. */
export const COLONY_ENTRYPOINT = [
  "bash",
  "-c",
  [
    `mkdir -p ${STATE_DIR}`,
    `if [ ! -s ${STATE_DIR}/colony-id ]; then`,
    `  [ -p ${STATE_DIR}/start ] || mkfifo ${STATE_DIR}/start`,
    `  read -r id < ${STATE_DIR}/start && printf '%s' "$id" > ${STATE_DIR}/colony-id`,
    `fi`,
    `exec coral-colony start --colony "$(cat ${STATE_DIR}/colony-id)"`,
  ].join("\n"),
];

export class ColonySetupError extends Error {}

/** Reads `export NAME=value` lines of `coral-colony init` (indented by two spaces, §1.2). */
export function parseInitOutput(output: string): ColonyIdentity {
  const value = (name: string) => new RegExp(`^\\s*export ${name}=(\\S+)\\s*$`, "m").exec(output)?.[1];
  const id = value("CORAL_COLONY_ID");
  const caFingerprint = value("CORAL_CA_FINGERPRINT");
  const bootstrapPsk = value("CORAL_BOOTSTRAP_PSK");
  if (!id || !caFingerprint || !bootstrapPsk) {
    const missing = [!id && "CORAL_COLONY_ID", !caFingerprint && "CORAL_CA_FINGERPRINT", !bootstrapPsk && "CORAL_BOOTSTRAP_PSK"].filter(Boolean);
    throw new ColonySetupError(`coral-colony init printed no ${missing.join(", ")}`);
  }
  return { id, caFingerprint, bootstrapPsk };
}

/** The colony config edits of §1.9: enable the public endpoint, point STUN nowhere (§6.10). */
export function editColonyConfig(yamlText: string): string {
  const config = (parse(yamlText) ?? {}) as Record<string, any>;
  config.public_endpoint = {
    ...(config.public_endpoint ?? {}),
    enabled: true,
    host: "0.0.0.0",
    port: PORTS.colonyPublic,
    auth: { ...(config.public_endpoint?.auth ?? {}), require: true },
  };
  config.discovery = { ...(config.discovery ?? {}), stun_servers: [STUN_NOWHERE] };
  return stringify(config);
}

export async function initColony(colony: ContainerHandle, discoveryUrl: string): Promise<ColonyIdentity> {
  const init = await colony.exec(["coral-colony", "init", "coral-e2e", "--env", "e2e", "--storage", "/var/lib/coral", "--discovery", discoveryUrl], {
    timeoutMs: 60_000,
    workingDir: "/root",
  });
  if (init.exitCode !== 0) throw new ColonySetupError(`coral-colony init exited ${init.exitCode}: ${(init.stderr || init.stdout).trim()}`);
  const identity = parseInitOutput(init.stdout);

  const configPath = `/root/.coral/colonies/${identity.id}/config.yaml`;
  const read = await colony.exec(["cat", configPath]);
  if (read.exitCode !== 0) throw new ColonySetupError(`cannot read ${configPath}: ${read.stderr.trim()}`);
  const edited = Buffer.from(editColonyConfig(read.stdout)).toString("base64");
  const write = await colony.exec(["bash", "-c", `printf '%s' '${edited}' | base64 -d > '${configPath}'`]);
  if (write.exitCode !== 0) throw new ColonySetupError(`cannot write ${configPath}: ${write.stderr.trim()}`);

  const go = await colony.exec(["bash", "-c", `printf '%s\\n' '${identity.id}' > ${STATE_DIR}/start`], { timeoutMs: 15_000 });
  if (go.exitCode !== 0) throw new ColonySetupError(`cannot hand the colony id to the container: ${go.stderr.trim()}`);
  return identity;
}
