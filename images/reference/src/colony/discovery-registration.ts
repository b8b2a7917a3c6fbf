// The colony's registration with discovery (contract §3.1): Health then RegisterColony, 5 tries
// with 1/2/4/8 s backoff at startup (blocking), then the same sequence every register_interval,
// forever. No unregister on shutdown.
import { pemFingerprint } from "../common/ca.js";
import { parseDuration } from "../common/duration.js";
import { faults } from "../common/faults.js";
import { log } from "../common/log.js";
import type { ColonyContext } from "./context.js";
import { callDiscovery } from "./discovery-client.js";
import type { StunResult } from "../common/stun.js";

const BACKOFF_MS = [1000, 2000, 4000, 8000];
const HEALTH_TIMEOUT_MS = 5_000;
const REGISTER_TIMEOUT_MS = 10_000;

/** Host part of the first CORAL_PUBLIC_ENDPOINT entry, else 127.0.0.1. */
export function publicHost(ctx: ColonyContext): string {
  const first = ctx.wireguardEndpoints[0] ?? "127.0.0.1:0";
  return first.slice(0, first.lastIndexOf(":"));
}

function publicEndpointInfo(ctx: ColonyContext) {
  const pe = ctx.cfg.public_endpoint;
  if (!pe.enabled) return undefined;
  // v0.3.0 advertises http://localhost:<port> (§2.2, §6.25); fix-public-endpoint-url sends a usable URL.
  const url =
    pe.discovery?.advertise_url ||
    (faults.has("fix-public-endpoint-url") ? `https://${publicHost(ctx)}:${pe.port}` : `http://localhost:${pe.port}`);
  return {
    enabled: true,
    url,
    caCert: Buffer.from(ctx.ca.root.certPem).toString("base64"),
    caFingerprint: { algorithm: "FINGERPRINT_ALGORITHM_SHA256", value: pemFingerprint(ctx.ca.root.certPem).toString("base64") },
    updatedAt: new Date().toISOString(),
  };
}

export function registrationRequest(ctx: ColonyContext, stun: StunResult | undefined) {
  const cfg = ctx.cfg;
  return {
    meshId: ctx.colonyId,
    pubkey: cfg.wireguard.public_key,
    endpoints: ctx.wireguardEndpoints,
    meshIpv4: cfg.wireguard.mesh_ipv4,
    meshIpv6: cfg.wireguard.mesh_ipv6,
    connectPort: cfg.services.connect_port,
    publicPort: cfg.public_endpoint.port || 8443,
    metadata: { application: cfg.application_name, environment: cfg.environment, wireguard_port: String(cfg.wireguard.port) },
    ...(stun ? { observedEndpoint: { ip: stun.ip, port: stun.port, protocol: "udp" } } : {}),
    ...(publicEndpointInfo(ctx) ? { publicEndpoint: publicEndpointInfo(ctx) } : {}),
  };
}

async function registerOnce(ctx: ColonyContext, stun: StunResult | undefined): Promise<void> {
  try {
    await callDiscovery(ctx.discoveryUrl, "Health", {}, HEALTH_TIMEOUT_MS);
  } catch (err) {
    throw new Error(`health check failed: ${(err as Error).message}`);
  }
  const res = await callDiscovery<{ ttl?: number; expiresAt?: string }>(ctx.discoveryUrl, "RegisterColony", registrationRequest(ctx, stun), REGISTER_TIMEOUT_MS);
  log.info("Successfully registered with discovery service", { mesh_id: ctx.colonyId, ttl_seconds: res.ttl ?? 0, expires_at: res.expiresAt ?? "" });
}

async function registerWithRetry(ctx: ColonyContext, stun: StunResult | undefined): Promise<boolean> {
  for (let attempt = 1; attempt <= BACKOFF_MS.length + 1; attempt++) {
    try {
      await registerOnce(ctx, stun);
      return true;
    } catch (err) {
      log.warn("Registration attempt failed", { attempt, max_retries: BACKOFF_MS.length + 1, error: err });
      const wait = BACKOFF_MS[attempt - 1];
      if (wait !== undefined) await new Promise((r) => setTimeout(r, wait));
    }
  }
  return false;
}

/** Resolves after the initial registration (successful or not); keeps re-registering in background. */
export async function startDiscoveryRegistration(ctx: ColonyContext, stun: StunResult | undefined): Promise<void> {
  const d = ctx.cfg.discovery;
  if (d.disabled || d.auto_register === false) {
    log.info("Discovery registration disabled");
    return;
  }
  if (!(await registerWithRetry(ctx, stun))) log.warn("Initial registration failed, will retry in background");
  if (faults.has("no-discovery-refresh")) return;
  const intervalMs = parseDuration(d.register_interval, 60_000);
  const loop = async () => {
    for (;;) {
      await new Promise((r) => setTimeout(r, intervalMs).unref());
      if (!(await registerWithRetry(ctx, stun))) log.error("Heartbeat registration failed", { error: "registration failed after retries" });
    }
  };
  void loop();
}
