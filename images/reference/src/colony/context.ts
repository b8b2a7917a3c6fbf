// Everything the running colony's handlers share.
import { createContextKey } from "@connectrpc/connect";
import type { IncomingMessage } from "node:http";
import type { ColonyCA } from "../common/ca.js";
import type { WireGuardDevice } from "../common/wireguard.js";
import type { ColonyConfig } from "./config.js";
import type { IpAllocator } from "./ip-allocator.js";
import type { Registry } from "./registry.js";
import type { CertificateLedger } from "./certificate-ledger.js";
import type { ColonyDatabase } from "./database.js";

/** A WireGuard peer as the colony configured it; /status lists these, stale keys included (§3.4). */
export interface ConfiguredPeer {
  publicKey: string;
  allowedIps: string[];
  configuredEndpoint: string;
  keepalive: number;
}

export interface ColonyContext {
  cfg: ColonyConfig;
  colonyId: string;
  discoveryUrl: string;
  ca: ColonyCA;
  psk: string;
  wg: WireGuardDevice;
  allocator: IpAllocator;
  registry: Registry;
  certificates: CertificateLedger;
  configuredPeers: Map<string, ConfiguredPeer>;
  startedAt: Date;
  /** `<host of each CORAL_PUBLIC_ENDPOINT>:<wireguard.port>`, or 127.0.0.1:<port>. */
  wireguardEndpoints: string[];
  dbPath: string;
  /** The embedded DuckDB behind the observability pollers and query RPCs. */
  db: ColonyDatabase;
}

/** The raw HTTP request behind an RPC: peer address, and the socket to drop for the short-key panic. */
export const kRawRequest = createContextKey<IncomingMessage | undefined>(undefined);

export function peerAddr(req: IncomingMessage | undefined): string {
  const sock = req?.socket;
  return sock ? `${sock.remoteAddress?.replace(/^::ffff:/, "")}:${sock.remotePort}` : "";
}
