// The colony's `GET /status` document (contract §1.6): a Go map marshalled by encoding/json, so
// snake_case keys in sorted order, byte counters as numbers, peers with truncated keys.
import { existsSync } from "node:fs";
import { arch, platform } from "node:os";
import type { ColonyContext } from "./context.js";
import { statusCounts } from "./colony-service.js";
import { storageBytes } from "./storage.js";

function goTime(unixSec: number): string {
  return new Date(unixSec * 1000).toISOString().replace(/\.\d{3}Z$/, "Z");
}

/** encoding/json sorts map keys; recreate that so the document reads like Coral's. */
function sortKeys(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(sortKeys);
  if (value && typeof value === "object") {
    return Object.fromEntries(Object.keys(value).sort().map((k) => [k, sortKeys((value as Record<string, unknown>)[k])]));
  }
  return value;
}

export async function statusDocument(ctx: ColonyContext): Promise<unknown> {
  const wg = ctx.cfg.wireguard;
  let stats: Awaited<ReturnType<typeof ctx.wg.peers>> = [];
  try {
    stats = await ctx.wg.peers();
  } catch {
    stats = [];
  }
  const peers = [...ctx.configuredPeers.values()].map((p) => {
    const s = stats.find((x) => x.publicKey === p.publicKey);
    return {
      public_key: `${p.publicKey.slice(0, 16)}...`,
      configured_endpoint: p.configuredEndpoint,
      allowed_ips: p.allowedIps,
      persistent_keepalive: p.keepalive,
      endpoint: s?.endpoint ?? "",
      rx_bytes: s?.rxBytes ?? 0,
      tx_bytes: s?.txBytes ?? 0,
      last_handshake_time: goTime(s?.lastHandshakeUnixSec ?? 0),
    };
  });
  const counts = statusCounts(ctx);
  return sortKeys({
    colony: { id: ctx.colonyId, app_name: ctx.cfg.application_name, environment: ctx.cfg.environment },
    runtime: {
      status: "running",
      started_at: ctx.startedAt.toISOString(),
      uptime_seconds: Math.floor((Date.now() - ctx.startedAt.getTime()) / 1000),
      agent_count: counts.total,
      storage_bytes: storageBytes(ctx.dbPath),
      dashboard_url: `http://localhost:${ctx.cfg.services.dashboard_port}`,
      platform: { os: platform(), arch: arch() === "x64" ? "amd64" : arch() },
    },
    wireguard: {
      port: wg.port,
      public_key: wg.public_key,
      endpoints: ctx.wireguardEndpoints,
      mesh_ipv4: wg.mesh_ipv4,
      mesh_ipv6: wg.mesh_ipv6,
      status: {
        colony_id: ctx.colonyId,
        mesh_ip: wg.mesh_ipv4,
        mesh_subnet: wg.mesh_network_ipv4,
        wireguard: {
          interface_name: ctx.wg.ifname,
          listen_port: wg.port,
          public_key: wg.public_key,
          // The raw CORAL_PUBLIC_ENDPOINT value, unlike .wireguard.endpoints (§1.6).
          endpoints: wg.public_endpoints,
          interface_exists: existsSync(`/sys/class/net/${ctx.wg.ifname}`),
          peers,
          peer_count: peers.length,
        },
      },
    },
    network: { connect_port: ctx.cfg.services.connect_port },
  });
}
