// A minimal STUN binding request (RFC 5389), as the agent runs before starting WireGuard on the same
// UDP port (contract connectivity.md §1.3 step 3): 3 s per resolved server. On a network with no
// egress the runner points it at 127.0.0.1:3478, which fails at once.
import { createSocket } from "node:dgram";
import { lookup } from "node:dns/promises";
import { randomBytes } from "node:crypto";
import { isIP } from "node:net";
import { log } from "../common/log.js";

const STUN_TIMEOUT_MS = 3_000;
const DNS_TIMEOUT_MS = 10_000;
const MAGIC_COOKIE = 0x2112a442;

export interface StunResult {
  ip: string;
  port: number;
}

function parseXorMappedAddress(msg: Buffer, txid: Buffer): StunResult | undefined {
  if (msg.length < 20 || msg.readUInt16BE(0) !== 0x0101 || !msg.subarray(8, 20).equals(txid)) return undefined;
  let offset = 20;
  while (offset + 4 <= msg.length) {
    const type = msg.readUInt16BE(offset);
    const len = msg.readUInt16BE(offset + 2);
    const value = msg.subarray(offset + 4, offset + 4 + len);
    if ((type === 0x0020 || type === 0x0001) && value.length >= 8 && value[1] === 0x01) {
      const xor = type === 0x0020;
      const port = value.readUInt16BE(2) ^ (xor ? MAGIC_COOKIE >>> 16 : 0);
      const raw = value.readUInt32BE(4) ^ (xor ? MAGIC_COOKIE : 0);
      return { ip: [raw >>> 24, (raw >>> 16) & 255, (raw >>> 8) & 255, raw & 255].join("."), port };
    }
    offset += 4 + len + ((4 - (len % 4)) % 4);
  }
  return undefined;
}

async function resolve(host: string): Promise<string> {
  if (isIP(host)) return host;
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`lookup ${host}: i/o timeout`)), DNS_TIMEOUT_MS);
  });
  try {
    return (await Promise.race([lookup(host, { family: 4 }), timeout])).address;
  } finally {
    clearTimeout(timer);
  }
}

function queryOne(ip: string, port: number, localPort: number): Promise<StunResult> {
  return new Promise((resolvePromise, reject) => {
    const socket = createSocket("udp4");
    const txid = randomBytes(12);
    const request = Buffer.alloc(20);
    request.writeUInt16BE(0x0001, 0);
    request.writeUInt16BE(0, 2);
    request.writeUInt32BE(MAGIC_COOKIE, 4);
    txid.copy(request, 8);
    const finish = (err?: Error, result?: StunResult) => {
      clearTimeout(timer);
      socket.close();
      if (err) reject(err);
      else resolvePromise(result!);
    };
    const timer = setTimeout(() => finish(new Error("STUN request timed out")), STUN_TIMEOUT_MS);
    socket.on("error", (err) => finish(err));
    socket.on("message", (msg) => {
      const mapped = parseXorMappedAddress(msg, txid);
      if (mapped) finish(undefined, mapped);
    });
    socket.bind(localPort, () => {
      socket.connect(port, ip, () => socket.send(request));
    });
  });
}

/** The public address of `localPort` as the first answering STUN server sees it, or undefined. */
export async function discoverPublicEndpoint(servers: string[], localPort: number): Promise<StunResult | undefined> {
  for (const server of servers) {
    const colon = server.lastIndexOf(":");
    const host = colon > 0 ? server.slice(0, colon) : server;
    const port = colon > 0 ? Number(server.slice(colon + 1)) : 3478;
    try {
      log.debug("Resolving STUN server address", { server });
      const ip = await resolve(host);
      const result = await queryOne(ip, port, localPort);
      log.info("Discovered public endpoint via STUN", { server, public_ip: result.ip, public_port: result.port });
      return result;
    } catch (err) {
      log.warn("STUN query failed", { server, error: err instanceof Error ? err.message : String(err) });
    }
  }
  return undefined;
}
