// The STUN probe colony and agent run in v0.3.0 (contract §1.2 step 3, §1.3 step 3, §6.10): from the
// WireGuard UDP port, before the device exists, up to 3 s per resolved server. Name resolution is the
// system's, so an unresolvable host on a network with no egress stalls as it does for Coral (capped
// at 10 s). The request goes out of an unconnected socket, as Coral's does: the kernel reports no
// ICMP port-unreachable to such a socket, so an unanswered literal IP (127.0.0.1:3478, §6.10) costs
// the whole 3 s query timeout — most of the 3.8 s colony and ~4 s agent starts of §7.1, the ~3 s
// left of the failing starts of §7.3 once the DNS stall is gone, and of a colony restart (§3.6).
import { randomBytes } from "node:crypto";
import { createSocket } from "node:dgram";
import { lookup } from "node:dns/promises";
import { isIPv4 } from "node:net";
import { log } from "./log.js";

const QUERY_TIMEOUT_MS = 3_000;
const DNS_TIMEOUT_MS = 10_000;
const MAGIC = 0x2112a442;

export interface StunResult {
  ip: string;
  port: number;
}

function bindingRequest(txid: Buffer): Buffer {
  const msg = Buffer.alloc(20);
  msg.writeUInt16BE(0x0001, 0);
  msg.writeUInt16BE(0, 2);
  msg.writeUInt32BE(MAGIC, 4);
  txid.copy(msg, 8);
  return msg;
}

/** XOR-MAPPED-ADDRESS (or MAPPED-ADDRESS) of an IPv4 binding success response. */
function parseResponse(msg: Buffer, txid: Buffer): StunResult | undefined {
  if (msg.length < 20 || msg.readUInt16BE(0) !== 0x0101 || !msg.subarray(8, 20).equals(txid)) return undefined;
  let offset = 20;
  while (offset + 4 <= msg.length) {
    const type = msg.readUInt16BE(offset);
    const len = msg.readUInt16BE(offset + 2);
    const value = msg.subarray(offset + 4, offset + 4 + len);
    if ((type === 0x0020 || type === 0x0001) && value.length >= 8 && value[1] === 0x01) {
      const xor = type === 0x0020;
      const port = value.readUInt16BE(2) ^ (xor ? MAGIC >>> 16 : 0);
      const addr = value.readUInt32BE(4) ^ (xor ? MAGIC : 0);
      return { ip: [24, 16, 8, 0].map((s) => (addr >>> s) & 255).join("."), port };
    }
    offset += 4 + len + ((4 - (len % 4)) % 4);
  }
  return undefined;
}

function query(ip: string, port: number, localPort: number): Promise<StunResult> {
  return new Promise((resolve, reject) => {
    const socket = createSocket({ type: "udp4", reuseAddr: true });
    const txid = randomBytes(12);
    const done = (err?: Error, result?: StunResult) => {
      clearTimeout(timer);
      socket.close();
      if (err) reject(err);
      else resolve(result!);
    };
    const timer = setTimeout(() => done(new Error("STUN request timed out")), QUERY_TIMEOUT_MS);
    socket.on("error", (err) => done(err));
    socket.on("message", (msg) => {
      const result = parseResponse(msg, txid);
      if (result) done(undefined, result);
    });
    socket.bind(localPort, () => socket.send(bindingRequest(txid), port, ip));
  });
}

async function resolveWithin(host: string, ms: number): Promise<string> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error("i/o timeout")), ms);
  });
  try {
    return (await Promise.race([lookup(host, { family: 4 }), timeout])).address;
  } finally {
    clearTimeout(timer);
  }
}

/** The public address of `localPort` as the first answering STUN server sees it, or undefined. */
export async function discoverPublicEndpoint(servers: string[], localPort: number): Promise<StunResult | undefined> {
  for (const server of servers) {
    const colon = server.lastIndexOf(":");
    const host = colon > 0 ? server.slice(0, colon) : server;
    const port = colon > 0 ? Number(server.slice(colon + 1)) : 3478;
    let ip = host;
    if (!isIPv4(host)) {
      log.debug("Resolving STUN server address", { server });
      try {
        ip = await resolveWithin(host, DNS_TIMEOUT_MS);
      } catch (err) {
        log.warn("STUN query failed", { server, error: `failed to resolve STUN server: lookup ${host}: ${(err as Error).message}` });
        continue;
      }
    }
    try {
      const result = await query(ip, port, localPort);
      log.info("STUN discovered public endpoint", { server, ip: result.ip, port: result.port });
      return result;
    } catch (err) {
      log.warn("STUN query failed", { server, error: err });
    }
  }
  return undefined;
}
