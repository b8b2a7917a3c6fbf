// Agent configuration: flags, an optional agent.yaml and the CORAL_* environment (contract
// connectivity.md §1.3). Environment values override the file; empty values are ignored.
import { existsSync, readFileSync } from "node:fs";
import { homedir, hostname } from "node:os";
import { join } from "node:path";
import { parse as parseYaml } from "yaml";
import { parseDuration } from "../common/duration.js";

export const DEFAULT_DISCOVERY_ENDPOINT = "https://discovery.coralmesh.dev";
export const DEFAULT_STUN_SERVER = "stun.cloudflare.com:3478";
export const DEFAULT_WIREGUARD_PORT = 51820;
export const AGENT_API_PORT = 9001;
export const MESH_PING_PORT = 9003;
export const AGENT_VERSION = "dev";
/** Hard-coded in Coral's RegisterRequest (§2.3). */
export const REGISTER_PROTOCOL_VERSION_STRING = "0.1.0";

export interface ServiceSpec {
  name: string;
  port: number;
  healthEndpoint: string;
  serviceType: string;
}

export interface AgentConfig {
  agentId: string;
  colonyId: string;
  /** Lower-case hex without prefix or colons. */
  caFingerprint: string;
  bootstrapPsk: string;
  discoveryEndpoint: string;
  colonyEndpointOverride: string;
  heartbeatIntervalMs: number;
  stunServers: string[];
  /** 0 means an ephemeral port (and no STUN). */
  wireguardPort: number;
  wireguardPortFromEnv: boolean;
  bindAll: boolean;
  monitorAll: boolean;
  services: ServiceSpec[];
  certsDir: string;
  configFile?: string;
}

export interface StartFlags {
  config?: string;
  colony?: string;
  monitorAll?: boolean;
}

export class ConfigError extends Error {}

/** `sha256:AB:CD…` / `abcd…` → `abcd…`. */
export function normaliseFingerprint(text: string): string {
  return text.trim().replace(/^sha256:/i, "").replace(/:/g, "").toLowerCase();
}

/** `name:port[:health][:type],…` (CORAL_SERVICES). */
export function parseServices(text: string): ServiceSpec[] {
  return text
    .split(",")
    .map((item) => item.trim())
    .filter(Boolean)
    .map((item) => {
      const [name = "", port = "0", health = "", type = ""] = item.split(":");
      const portNumber = Number(port);
      if (!name || !Number.isInteger(portNumber) || portNumber <= 0 || portNumber > 65535) {
        throw new ConfigError(`invalid service spec ${JSON.stringify(item)}: expected name:port[:health][:type]`);
      }
      return { name, port: portNumber, healthEndpoint: health, serviceType: type };
    });
}

/** Hostname, lower-cased, `.`/`_` → `-`; `<host>-<svc>` with one service, `<host>-multi` with more. */
export function agentIdFor(host: string, services: ServiceSpec[]): string {
  const base = host.toLowerCase().replace(/[._]/g, "-");
  if (services.length === 1) return `${base}-${services[0]!.name}`;
  if (services.length > 1) return `${base}-multi`;
  return base;
}

type Yaml = Record<string, unknown>;
const section = (value: unknown): Yaml => (value && typeof value === "object" ? (value as Yaml) : {});
const text = (value: unknown): string => (typeof value === "string" ? value : typeof value === "number" ? String(value) : "");

function loadYaml(flags: StartFlags): { file?: string; doc: Yaml } {
  const candidates = flags.config ? [flags.config] : ["./agent.yaml", "/etc/coral/agent.yaml"];
  for (const file of candidates) {
    if (!existsSync(file)) {
      if (flags.config) throw new ConfigError(`failed to load config: open ${file}: no such file or directory`);
      continue;
    }
    try {
      return { file, doc: section(parseYaml(readFileSync(file, "utf8"))) };
    } catch (err) {
      throw new ConfigError(`failed to load config: ${file}: ${err instanceof Error ? err.message : String(err)}`);
    }
  }
  return { doc: {} };
}

function yamlServices(value: unknown): ServiceSpec[] {
  if (!Array.isArray(value)) return [];
  return value.map((item) => {
    const s = section(item);
    return { name: text(s.name), port: Number(s.port) || 0, healthEndpoint: text(s.health_endpoint), serviceType: text(s.type) };
  });
}

export function loadAgentConfig(flags: StartFlags, env: NodeJS.ProcessEnv = process.env): AgentConfig {
  const { file, doc } = loadYaml(flags);
  const agent = section(doc.agent);
  const bootstrap = section(agent.bootstrap);
  const nat = section(agent.nat);
  const pick = (envName: string, fromFile: unknown): string => env[envName] || text(fromFile);

  const colonyId = flags.colony || pick("CORAL_COLONY_ID", section(agent.colony).id);
  if (!colonyId) throw new ConfigError("colony ID is required (set CORAL_COLONY_ID, --colony or agent.colony.id)");
  const fingerprint = pick("CORAL_CA_FINGERPRINT", bootstrap.ca_fingerprint);
  if (!fingerprint) {
    throw new ConfigError("CA fingerprint is required for certificate bootstrap (set CORAL_CA_FINGERPRINT or agent.bootstrap.ca_fingerprint)");
  }
  const services = env.CORAL_SERVICES ? parseServices(env.CORAL_SERVICES) : yamlServices(doc.services);
  const stun = pick("CORAL_STUN_SERVERS", Array.isArray(nat.stun_servers) ? nat.stun_servers.join(",") : nat.stun_servers);
  const portText = env.CORAL_WIREGUARD_PORT;
  const portNumber = Number(portText);
  const wireguardPort = portText && Number.isInteger(portNumber) ? Math.max(portNumber, 0) : DEFAULT_WIREGUARD_PORT;
  const monitorEnv = env.CORAL_MONITOR_ALL;
  const monitorAll = flags.monitorAll ?? (monitorEnv ? monitorEnv.toLowerCase() === "true" || monitorEnv === "1" : agent.monitor_all !== false);

  return {
    agentId: agentIdFor(hostname(), services),
    colonyId,
    caFingerprint: normaliseFingerprint(fingerprint),
    bootstrapPsk: pick("CORAL_BOOTSTRAP_PSK", bootstrap.bootstrap_psk),
    discoveryEndpoint: (env.CORAL_DISCOVERY_ENDPOINT || DEFAULT_DISCOVERY_ENDPOINT).replace(/\/+$/, ""),
    colonyEndpointOverride: pick("CORAL_COLONY_ENDPOINT", bootstrap.colony_endpoint),
    heartbeatIntervalMs: parseDuration(pick("CORAL_HEARTBEAT_INTERVAL", agent.heartbeat_interval), 30_000),
    stunServers: (stun || DEFAULT_STUN_SERVER).split(",").map((s) => s.trim()).filter(Boolean),
    wireguardPort,
    wireguardPortFromEnv: Boolean(portText),
    bindAll: env.CORAL_AGENT_BIND_ALL === "true",
    monitorAll,
    services,
    certsDir: pick("CORAL_CERTS_DIR", bootstrap.certs_dir) || join(configBase(env), ".coral", "certs"),
    configFile: file,
  };
}

/** `$CORAL_CONFIG`, else `$HOME`, else `/tmp/coral-fallback`. */
export function configBase(env: NodeJS.ProcessEnv = process.env): string {
  return env.CORAL_CONFIG || env.HOME || homedir() || "/tmp/coral-fallback";
}
