// `coral-colony start`: the startup sequence of contract §1.2 (preflight, storage, STUN, WireGuard,
// registry, servers, blocking discovery registration, then "Colony started successfully").
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { issueServerCertificate, loadColonyCA, pemFingerprint } from "../common/ca.js";
import { log } from "../common/log.js";
import { WireGuardDevice } from "../common/wireguard.js";
import { ApiTokens } from "./api-tokens.js";
import { CertificateLedger } from "./certificate-ledger.js";
import { CliError } from "./cli-error.js";
import { applyColonyEnv, colonyDir, loadColonyConfig, loadGlobalView, resolveColonyId, saveColonyConfig } from "./config.js";
import type { ColonyContext } from "./context.js";
import { startDiscoveryRegistration } from "./discovery-registration.js";
import { IpAllocator } from "./ip-allocator.js";
import { loadPsk } from "./psk.js";
import { Registry } from "./registry.js";
import { startMeshServer, startPublicEndpoint } from "./servers.js";
import { databasePath } from "./storage.js";
import { ColonyDatabase } from "./database.js";
import { startObservabilityPollers } from "./observability-pollers.js";
import { discoverPublicEndpoint } from "../common/stun.js";

const CAP_NET_ADMIN = 12n;

function hasNetAdmin(): boolean {
  try {
    const line = readFileSync("/proc/self/status", "utf8").split("\n").find((l) => l.startsWith("CapEff:"));
    return line ? ((BigInt(`0x${line.split(/\s+/)[1]}`) >> CAP_NET_ADMIN) & 1n) === 1n : false;
  } catch {
    return false;
  }
}

/** Only the host of each CORAL_PUBLIC_ENDPOINT entry is kept, joined with wireguard.port (§1.2). */
function wireguardEndpoints(publicEndpoints: string[], port: number): string[] {
  const hosts = publicEndpoints.map((e) => (e.includes(":") && !e.startsWith("[") ? e.slice(0, e.lastIndexOf(":")) : e));
  return (hosts.length ? hosts : ["127.0.0.1"]).map((h) => `${h}:${port}`);
}

/** Raw zerolog JSON line: Coral mixes a few of these into its console output (§4.3). */
function rawJsonLog(level: string, message: string): void {
  process.stdout.write(JSON.stringify({ level, time: new Date().toISOString().replace(/\.\d{3}Z$/, "Z"), message }) + "\n");
}

export async function startColony(flags: { colony?: string }): Promise<void> {
  if (!hasNetAdmin()) throw new CliError("preflight checks failed: colony requires CAP_NET_ADMIN capability for network management.");

  const colonyId = resolveColonyId(flags.colony);
  if (!colonyId) throw new CliError("no colony specified: use --colony, CORAL_COLONY_ID, or run 'coral-colony init'");
  const cfg = loadColonyConfig(colonyId);
  if (!cfg) throw new CliError(`failed to load colony config: colony ${colonyId} not found`);
  applyColonyEnv(cfg);
  const discoveryUrl = loadGlobalView().discoveryEndpoint;
  log.info("Colony configuration loaded", {
    colony_id: colonyId,
    application: cfg.application_name,
    environment: cfg.environment,
    discovery_url: discoveryUrl,
    storage_path: cfg.storage_path,
  });

  const dir = colonyDir(colonyId);
  const dbPath = databasePath(cfg);
  let db: ColonyDatabase;
  try {
    db = await ColonyDatabase.open(dbPath);
  } catch (err) {
    throw new CliError(`failed to initialize database: ${(err as Error).message}`);
  }
  log.info("Database initialized", { path: dbPath });
  const ca = await loadColonyCA(join(dir, "ca"));
  const psk = await loadPsk(ca);
  log.info("Certificate authority loaded", { fingerprint: `sha256:${pemFingerprint(ca.root.certPem).toString("hex")}` });

  const stun = await discoverPublicEndpoint(cfg.discovery.stun_servers, cfg.wireguard.port);

  const allocator = new IpAllocator(join(dir, "ip-allocations.json"), cfg.wireguard.mesh_network_ipv4);
  let wg: WireGuardDevice;
  try {
    wg = await WireGuardDevice.start({ ifname: "wg0", privateKey: cfg.wireguard.private_key, listenPort: cfg.wireguard.port });
  } catch (err) {
    throw new CliError(`failed to initialize WireGuard: failed to create WireGuard device: ${(err as Error).message}`);
  }
  log.info("Persistent IP allocator loaded from database", { loaded_allocations: allocator.load() });
  log.info("WireGuard device started successfully", { interface: wg.ifname, listen_port: cfg.wireguard.port });
  try {
    await wg.flushAddresses();
    await wg.addAddress(`${cfg.wireguard.mesh_ipv4}/32`);
  } catch (err) {
    await wg.stop();
    throw new CliError(`failed to assign IP to WireGuard interface: ${(err as Error).message}`);
  }
  log.info("Successfully assigned IP to WireGuard interface", { interface: wg.ifname, ip: cfg.wireguard.mesh_ipv4 });

  // The effective config, env overrides included, is written back (§1.2, §6.23).
  cfg.wireguard.interface_name = wg.ifname;
  saveColonyConfig(cfg);

  const registry = new Registry(join(dir, "registered-agents.json"));
  if (registry.load() === 0) rawJsonLog("debug", "No persisted services found in database");

  const ctx: ColonyContext = {
    cfg,
    colonyId,
    discoveryUrl,
    ca,
    psk,
    wg,
    allocator,
    registry,
    certificates: new CertificateLedger(join(dir, "issued-certificates.json")),
    configuredPeers: new Map(),
    startedAt: new Date(),
    wireguardEndpoints: wireguardEndpoints(cfg.wireguard.public_endpoints, cfg.wireguard.port),
    dbPath,
    db,
  };
  log.info("Built WireGuard endpoints for discovery registration", { wireguard_endpoints: ctx.wireguardEndpoints });

  const tokens = new ApiTokens(cfg.public_endpoint.auth?.tokens_file || join(dir, "tokens.yaml"));
  const shutdown = async (signal: string) => {
    log.info("Shutting down colony", { signal });
    registry.flush();
    db.close();
    await wg.stop();
    process.exit(0);
  };
  process.on("SIGTERM", () => void shutdown("SIGTERM"));
  process.on("SIGINT", () => void shutdown("SIGINT"));
  process.on("SIGHUP", () => {
    log.info("Received SIGHUP, reloading configuration");
    tokens.reload();
    log.info("API tokens reloaded successfully");
  });

  await startMeshServer(ctx);
  if (cfg.public_endpoint.enabled) {
    const tls = await issueServerCertificate(ca, colonyId, cfg.public_endpoint.host);
    await startPublicEndpoint(ctx, tls, tokens);
  }
  startObservabilityPollers(db, registry);
  await startDiscoveryRegistration(ctx, stun);
  log.info("Colony started successfully", { colony_id: colonyId, mesh_ip: cfg.wireguard.mesh_ipv4, connect_port: cfg.services.connect_port });
}
