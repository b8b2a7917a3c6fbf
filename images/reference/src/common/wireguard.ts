// The WireGuard device of the reference colony and agent: a coral-ref-wg child process (userspace
// wireguard-go on a TUN device, like Coral) configured through the UAPI protocol on a private unix
// socket, plus `ip` for addresses, link state and routes (Coral shells out to `ip` too).
import { spawn, type ChildProcess } from "node:child_process";
import { createPrivateKey, createPublicKey, generateKeyPairSync } from "node:crypto";
import { lookup } from "node:dns/promises";
import { existsSync, rmSync } from "node:fs";
import { isIPv4, isIPv6, createConnection } from "node:net";

export interface WgPeerConfig {
  publicKey: string; // base64
  endpoint?: string; // "ip:port"; a hostname is resolved to IPv4 here
  allowedIps: string[];
  keepaliveSeconds?: number;
}

export interface WgPeerStats {
  publicKey: string;
  endpoint: string;
  rxBytes: number;
  txBytes: number;
  lastHandshakeUnixSec: number;
  allowedIps: string[];
}

const SOCKET_DIR = "/run/coral-ref";
const START_DEADLINE_MS = 5_000;
const UAPI_TIMEOUT_MS = 3_000;
const IP_TIMEOUT_MS = 5_000;

// X25519 keys as raw 32 bytes: the last 32 bytes of the DER encodings node produces.
const PKCS8_X25519_PREFIX = Buffer.from("302e020100300506032b656e04220420", "hex");

export function generateKeyPair(): { privateKey: string; publicKey: string } {
  const { privateKey } = generateKeyPairSync("x25519");
  const raw = privateKey.export({ format: "der", type: "pkcs8" }).subarray(-32);
  const privateKeyB64 = Buffer.from(raw).toString("base64");
  return { privateKey: privateKeyB64, publicKey: publicKeyOf(privateKeyB64) };
}

export function publicKeyOf(privateKeyB64: string): string {
  const raw = Buffer.from(privateKeyB64, "base64");
  if (raw.length !== 32) throw new Error("invalid private key: expected 32 bytes");
  const key = createPrivateKey({ key: Buffer.concat([PKCS8_X25519_PREFIX, raw]), format: "der", type: "pkcs8" });
  const spki = createPublicKey(key).export({ format: "der", type: "spki" });
  return Buffer.from(spki.subarray(-32)).toString("base64");
}

function keyToHex(b64: string): string {
  const raw = Buffer.from(b64, "base64");
  if (raw.length !== 32 || raw.toString("base64") !== b64) throw new Error(`invalid WireGuard key: ${b64}`);
  return raw.toString("hex");
}

export function runCommand(
  cmd: string,
  args: string[],
  timeoutMs = IP_TIMEOUT_MS,
): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    const child = spawn(cmd, args, { stdio: ["ignore", "pipe", "pipe"], timeout: timeoutMs, killSignal: "SIGKILL" });
    let stdout = "";
    let stderr = "";
    child.stdout.on("data", (d) => (stdout += d));
    child.stderr.on("data", (d) => (stderr += d));
    child.on("error", (err) => resolve({ code: 127, stdout, stderr: stderr + err.message }));
    child.on("close", (code, signal) =>
      resolve({ code: code ?? 128, stdout, stderr: signal ? `${stderr}killed by ${signal} (timeout ${timeoutMs} ms)` : stderr }),
    );
  });
}

async function ip(args: string[], tolerate?: RegExp): Promise<void> {
  const r = await runCommand("ip", args);
  if (r.code !== 0 && !(tolerate && tolerate.test(r.stderr))) {
    throw new Error(`ip ${args.join(" ")}: ${r.stderr.trim() || `exit ${r.code}`}`);
  }
}

async function resolveEndpoint(endpoint: string): Promise<string> {
  const colon = endpoint.lastIndexOf(":");
  if (colon < 0) throw new Error(`endpoint without port: ${endpoint}`);
  const host = endpoint.slice(0, colon).replace(/^\[|\]$/g, "");
  const port = endpoint.slice(colon + 1);
  if (isIPv4(host)) return `${host}:${port}`;
  if (isIPv6(host)) return `[${host}]:${port}`;
  const { address } = await lookup(host, { family: 4 });
  return `${address}:${port}`;
}

/** One request/response exchange on the UAPI socket; rejects on errno≠0 or timeout. */
function uapi(socketPath: string, request: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const sock = createConnection(socketPath);
    let reply = "";
    const timer = setTimeout(() => {
      sock.destroy();
      reject(new Error(`UAPI ${socketPath}: timeout after ${UAPI_TIMEOUT_MS} ms`));
    }, UAPI_TIMEOUT_MS);
    const finish = (err?: Error) => {
      clearTimeout(timer);
      sock.destroy();
      if (err) return reject(err);
      const errno = /(?:^|\n)errno=(-?\d+)\n/.exec(reply);
      if (!errno) return reject(new Error(`UAPI: malformed reply ${JSON.stringify(reply)}`));
      if (errno[1] !== "0") return reject(new Error(`UAPI: errno=${errno[1]}`));
      resolve(reply);
    };
    sock.on("connect", () => sock.write(request));
    sock.on("data", (d) => {
      reply += d;
      if (reply.endsWith("\n\n")) finish();
    });
    sock.on("error", (err) => finish(err));
    sock.on("end", () => (reply.endsWith("\n\n") ? undefined : finish(new Error(`UAPI: connection closed: ${reply}`))));
  });
}

export class WireGuardDevice {
  private stopped = false;

  private constructor(
    readonly ifname: string,
    private readonly child: ChildProcess,
    private readonly socketPath: string,
  ) {}

  static async start(opts: { ifname: string; privateKey: string; listenPort: number }): Promise<WireGuardDevice> {
    const bin = process.env.CORAL_REF_WG_BIN || "/usr/local/libexec/coral-ref-wg";
    const socketPath = `${SOCKET_DIR}/${opts.ifname}.sock`;
    // A helper that was SIGKILLed with its agent left its socket behind: waiting for the path would
    // find the dead one (ECONNREFUSED) before the new helper replaces it. Coral keeps no such socket.
    rmSync(socketPath, { force: true });
    // wireguard-go's own `ERROR: (wg0) …` lines go straight to our stdout, as in Coral's logs.
    const child = spawn(bin, [opts.ifname, socketPath], { stdio: ["ignore", "inherit", "pipe"] });
    // Startup errors are returned in the rejection; later stderr output is passed through.
    let stderr = "";
    let started = false;
    let exited: string | undefined;
    child.stderr!.on("data", (d) => {
      if (started) process.stderr.write(d);
      else stderr += d;
    });
    child.on("error", (err) => (exited = err.message));
    child.on("exit", (code, signal) => (exited = `exit ${code ?? signal}`));
    process.on("exit", () => child.kill("SIGKILL"));

    const deadline = Date.now() + START_DEADLINE_MS;
    while (!existsSync(socketPath) || exited !== undefined) {
      if (exited !== undefined) throw new Error(stderr.trim() || `coral-ref-wg: ${exited}`);
      if (Date.now() > deadline) {
        child.kill("SIGKILL");
        throw new Error(`coral-ref-wg: UAPI socket ${socketPath} not ready after ${START_DEADLINE_MS} ms ${stderr.trim()}`);
      }
      await new Promise((r) => setTimeout(r, 20));
    }
    started = true;
    const dev = new WireGuardDevice(opts.ifname, child, socketPath);
    try {
      await uapi(socketPath, `set=1\nprivate_key=${keyToHex(opts.privateKey)}\nlisten_port=${opts.listenPort}\n\n`);
      await ip(["link", "set", "dev", opts.ifname, "up"]);
    } catch (err) {
      await dev.stop();
      throw err;
    }
    return dev;
  }

  async addAddress(cidr: string): Promise<void> {
    await ip(["addr", "add", cidr, "dev", this.ifname], /File exists|already assigned/);
  }

  async flushAddresses(): Promise<void> {
    await ip(["addr", "flush", "dev", this.ifname]);
  }

  async addRoute(cidr: string): Promise<void> {
    await ip(["route", "replace", cidr, "dev", this.ifname]);
  }

  async setPeer(peer: WgPeerConfig): Promise<void> {
    const lines = [`set=1`, `public_key=${keyToHex(peer.publicKey)}`, `replace_allowed_ips=true`];
    if (peer.endpoint) lines.push(`endpoint=${await resolveEndpoint(peer.endpoint)}`);
    if (peer.keepaliveSeconds !== undefined) lines.push(`persistent_keepalive_interval=${peer.keepaliveSeconds}`);
    for (const cidr of peer.allowedIps) lines.push(`allowed_ip=${cidr}`);
    await uapi(this.socketPath, lines.join("\n") + "\n\n");
  }

  async removePeer(publicKey: string): Promise<void> {
    await uapi(this.socketPath, `set=1\npublic_key=${keyToHex(publicKey)}\nremove=true\n\n`);
  }

  async peers(): Promise<WgPeerStats[]> {
    const reply = await uapi(this.socketPath, "get=1\n\n");
    const peers: WgPeerStats[] = [];
    let current: WgPeerStats | undefined;
    for (const line of reply.split("\n")) {
      const eq = line.indexOf("=");
      if (eq < 0) continue;
      const key = line.slice(0, eq);
      const value = line.slice(eq + 1);
      if (key === "public_key") {
        current = { publicKey: Buffer.from(value, "hex").toString("base64"), endpoint: "", rxBytes: 0, txBytes: 0, lastHandshakeUnixSec: 0, allowedIps: [] };
        peers.push(current);
      } else if (!current) {
        continue;
      } else if (key === "endpoint") current.endpoint = value;
      else if (key === "rx_bytes") current.rxBytes = Number(value);
      else if (key === "tx_bytes") current.txBytes = Number(value);
      else if (key === "last_handshake_time_sec") current.lastHandshakeUnixSec = Number(value);
      else if (key === "allowed_ip") current.allowedIps.push(value);
    }
    return peers;
  }

  async stop(): Promise<void> {
    if (this.stopped) return;
    this.stopped = true;
    if (this.child.exitCode !== null || this.child.signalCode !== null) return;
    const gone = new Promise<void>((r) => this.child.once("exit", () => r()));
    this.child.kill("SIGTERM");
    const timer = setTimeout(() => this.child.kill("SIGKILL"), 3_000);
    await gone;
    clearTimeout(timer);
  }
}
