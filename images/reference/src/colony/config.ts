// Colony, global and project configuration files (contract connectivity.md §1.2, §6.15, §6.23).
import { existsSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { dirname, join } from "node:path";
import YAML from "yaml";
import { parseDuration } from "../common/duration.js";

export const DEFAULT_DISCOVERY = "https://discovery.coralmesh.dev";
export const DEFAULT_STUN = "stun.cloudflare.com:3478";

export interface ColonyConfig {
  version: string;
  colony_id: string;
  application_name: string;
  environment: string;
  colony_secret: string;
  wireguard: {
    private_key: string;
    public_key: string;
    port: number;
    public_endpoints: string[];
    interface_name?: string;
    mesh_ipv4: string;
    mesh_ipv6: string;
    mesh_network_ipv4: string;
    mesh_network_ipv6: string;
    mtu: number;
    persistent_keepalive: number;
  };
  services: { connect_port: number; dashboard_port: number; poll_interval: string };
  storage_path: string;
  discovery: { disabled: boolean; auto_register: boolean; register_interval: string; stun_servers: string[] };
  public_endpoint: {
    enabled: boolean;
    host: string;
    port: number;
    tls?: { cert?: string; key?: string };
    auth?: { require?: boolean; tokens_file?: string };
    discovery?: { register?: boolean; advertise_url?: string };
  };
  telemetry?: Record<string, unknown>;
  created_at?: string;
  created_by?: string;
  [extra: string]: unknown;
}

/** `$CORAL_CONFIG`, else `$HOME`, else /tmp/coral-fallback; Coral keeps everything under `<base>/.coral`. */
export function coralHome(): string {
  return join(process.env.CORAL_CONFIG || process.env.HOME || "/tmp/coral-fallback", ".coral");
}

export function colonyDir(colonyId: string): string {
  return join(coralHome(), "colonies", colonyId);
}

export function colonyConfigPath(colonyId: string): string {
  return join(colonyDir(colonyId), "config.yaml");
}

/** Tolerant of duplicate top-level keys (a runner may append a block): the last one wins. */
function readYaml(path: string): Record<string, any> | undefined {
  if (!existsSync(path)) return undefined;
  const doc = YAML.parse(readFileSync(path, "utf8"), { uniqueKeys: false });
  return doc && typeof doc === "object" ? doc : {};
}

export function writeYaml(path: string, value: unknown): void {
  mkdirSync(dirname(path), { recursive: true, mode: 0o700 });
  writeFileSync(path, YAML.stringify(value), { mode: 0o600 });
}

export function defaultColonyConfig(fields: {
  colonyId: string;
  app: string;
  env: string;
  secret: string;
  privateKey: string;
  publicKey: string;
  storage: string;
}): ColonyConfig {
  return {
    version: "1",
    colony_id: fields.colonyId,
    application_name: fields.app,
    environment: fields.env,
    colony_secret: fields.secret,
    wireguard: {
      private_key: fields.privateKey,
      public_key: fields.publicKey,
      port: 41580,
      public_endpoints: [],
      mesh_ipv4: "100.64.0.1",
      mesh_ipv6: "fd42::1",
      mesh_network_ipv4: "100.64.0.0/10",
      mesh_network_ipv6: "fd42::/48",
      mtu: 1420,
      persistent_keepalive: 25,
    },
    services: { connect_port: 9000, dashboard_port: 3000, poll_interval: "10s" },
    storage_path: fields.storage,
    discovery: { disabled: false, auto_register: true, register_interval: "60s", stun_servers: [DEFAULT_STUN] },
    public_endpoint: { enabled: false, host: "127.0.0.1", port: 8443 },
    created_at: new Date().toISOString(),
    created_by: process.env.USER || "root",
  };
}

/** Loads a colony config, filling defaults for keys a hand-edited file may lack. */
export function loadColonyConfig(colonyId: string): ColonyConfig | undefined {
  const raw = readYaml(colonyConfigPath(colonyId));
  if (!raw) return undefined;
  const base = defaultColonyConfig({ colonyId, app: "", env: "", secret: "", privateKey: "", publicKey: "", storage: ".coral" });
  const cfg: ColonyConfig = {
    ...base,
    ...raw,
    wireguard: { ...base.wireguard, ...(raw.wireguard ?? {}) },
    services: { ...base.services, ...(raw.services ?? {}) },
    discovery: { ...base.discovery, ...(raw.discovery ?? {}) },
    public_endpoint: { ...base.public_endpoint, ...(raw.public_endpoint ?? {}) },
  } as ColonyConfig;
  if (!cfg.services.connect_port) cfg.services.connect_port = 9000;
  if (!cfg.services.dashboard_port) cfg.services.dashboard_port = 3000;
  if (!cfg.wireguard.port) cfg.wireguard.port = 41580;
  if (!cfg.public_endpoint.port) cfg.public_endpoint.port = 8443;
  if (!cfg.public_endpoint.host) cfg.public_endpoint.host = "127.0.0.1";
  if (!cfg.discovery.stun_servers?.length) cfg.discovery.stun_servers = [DEFAULT_STUN];
  return cfg;
}

export function saveColonyConfig(cfg: ColonyConfig): void {
  writeYaml(colonyConfigPath(cfg.colony_id), cfg);
}

/** Env overrides of the colony config (empty values ignored; lists comma-separated). */
export function applyColonyEnv(cfg: ColonyConfig): void {
  const env = (name: string) => (process.env[name] ? process.env[name]! : undefined);
  const list = (v: string) => v.split(",").map((s) => s.trim()).filter(Boolean);
  if (env("CORAL_COLONY_SECRET")) cfg.colony_secret = env("CORAL_COLONY_SECRET")!;
  if (env("CORAL_PUBLIC_ENDPOINT")) cfg.wireguard.public_endpoints = list(env("CORAL_PUBLIC_ENDPOINT")!);
  if (env("CORAL_MESH_SUBNET")) cfg.wireguard.mesh_network_ipv4 = env("CORAL_MESH_SUBNET")!;
  if (env("CORAL_WG_KEEPALIVE")) cfg.wireguard.persistent_keepalive = Math.round(parseDuration(env("CORAL_WG_KEEPALIVE"), 25_000) / 1000);
  if (env("CORAL_SERVICES_POLL_INTERVAL")) cfg.services.poll_interval = env("CORAL_SERVICES_POLL_INTERVAL")!;
  if (env("CORAL_STORAGE_PATH")) cfg.storage_path = env("CORAL_STORAGE_PATH")!;
  if (env("CORAL_DISCOVERY_REGISTER_INTERVAL")) cfg.discovery.register_interval = env("CORAL_DISCOVERY_REGISTER_INTERVAL")!;
  if (env("CORAL_PUBLIC_ENDPOINT_ADVERTISE_URL")) {
    cfg.public_endpoint.discovery = { ...(cfg.public_endpoint.discovery ?? {}), advertise_url: env("CORAL_PUBLIC_ENDPOINT_ADVERTISE_URL")! };
  }
  const telemetry: [string, string][] = [
    ["CORAL_TELEMETRY_POLL_INTERVAL", "poll_interval"],
    ["CORAL_BEYLA_POLL_INTERVAL", "beyla_poll_interval"],
    ["CORAL_SYSTEM_METRICS_POLLER_INTERVAL", "system_metrics_poll_interval"],
    ["CORAL_PROFILING_POLLER_INTERVAL", "profiling_poll_interval"],
    ["CORAL_CONNECTIONS_CACHE_TTL", "connections_cache_ttl"],
    ["CORAL_FUNCTIONS_POLL_INTERVAL", "functions_poll_interval"],
  ];
  for (const [name, key] of telemetry) if (env(name)) cfg.telemetry = { ...(cfg.telemetry ?? {}), [key]: env(name) };
}

// --- global (~/.coral/config.yaml) and project (./.coral/config.yaml) configs ---

export function globalConfigPath(): string {
  return join(coralHome(), "config.yaml");
}

export function projectConfigPath(): string {
  return join(process.cwd(), ".coral", "config.yaml");
}

export interface GlobalView {
  defaultColony: string;
  discoveryEndpoint: string;
}

/**
 * The global config as the colony reads it. When the file exists its keys are taken as they are,
 * so a file overwritten by the project config (init run from $HOME, §6.15) yields an EMPTY
 * discovery URL, not the public default. CORAL_DISCOVERY_ENDPOINT / CORAL_DEFAULT_COLONY override.
 */
export function loadGlobalView(): GlobalView {
  const raw = readYaml(globalConfigPath());
  const view: GlobalView = raw
    ? { defaultColony: String(raw.default_colony ?? ""), discoveryEndpoint: String(raw.discovery?.endpoint ?? "") }
    : { defaultColony: "", discoveryEndpoint: DEFAULT_DISCOVERY };
  if (process.env.CORAL_DEFAULT_COLONY) view.defaultColony = process.env.CORAL_DEFAULT_COLONY;
  if (process.env.CORAL_DISCOVERY_ENDPOINT) view.discoveryEndpoint = process.env.CORAL_DISCOVERY_ENDPOINT;
  return view;
}

export function writeGlobalConfig(defaultColony: string, discoveryEndpoint: string): void {
  const existing = readYaml(globalConfigPath()) ?? {};
  writeYaml(globalConfigPath(), {
    ...existing,
    version: "1",
    default_colony: defaultColony,
    discovery: { ...(existing.discovery ?? {}), endpoint: discoveryEndpoint, timeout: "10s" },
  });
}

/** The project config init writes in the CWD; in the images CWD=$HOME, so it replaces the global one. */
export function writeProjectConfig(colonyId: string): void {
  writeYaml(projectConfigPath(), {
    version: "1",
    colony_id: colonyId,
    dashboard: { port: 3000, enabled: true },
    storage: { path: ".coral" },
  });
}

export function readProjectConfig(): { colonyId: string; storagePath: string } | undefined {
  const raw = readYaml(projectConfigPath());
  if (!raw) return undefined;
  return { colonyId: String(raw.colony_id ?? ""), storagePath: String(raw.storage?.path ?? "") };
}

/** `--colony`, then CORAL_COLONY_ID, then ./.coral/config.yaml colony_id, then global default_colony. */
export function resolveColonyId(flag: string | undefined): string {
  if (flag) return flag;
  if (process.env.CORAL_COLONY_ID) return process.env.CORAL_COLONY_ID;
  const project = readProjectConfig();
  if (project?.colonyId) return project.colonyId;
  return loadGlobalView().defaultColony;
}
