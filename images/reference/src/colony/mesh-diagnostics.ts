// ColonyService MeshPing and MeshAudit (contract §2.4, §6.30): tunnel evidence from UDP echoes to
// each agent's :9003 through wg0 and from wireguard-go's own peer statistics.
import { create } from "@bufbuild/protobuf";
import { Code, ConnectError } from "@connectrpc/connect";
import { createSocket, type Socket } from "node:dgram";
import { randomBytes } from "node:crypto";
import {
  MeshAuditAgentResultSchema,
  MeshAuditResponseSchema,
  MeshPingResponseSchema,
  MeshPingResultSchema,
  type MeshAuditRequest,
  type MeshPingRequest,
} from "../../../../proto/gen/coral/colony/v1/colony_pb.js";
import { faults } from "../common/faults.js";
import type { ColonyContext } from "./context.js";
import type { AgentEntry } from "./registry.js";

const MESH_PING_PORT = 9003;

function selectAgents(ctx: ColonyContext, agentId: string): AgentEntry[] {
  if (!agentId) return ctx.registry.all();
  const entry = ctx.registry.get(agentId);
  if (!entry) throw new ConnectError(`agent ${agentId} not found`, Code.NotFound);
  return [entry];
}

const round3 = (n: number) => Math.round(n * 1000) / 1000;

/** Sends `count` probes one after another; each waits up to timeoutMs for its echo. */
async function pingOne(socket: Socket, waiters: Map<string, () => void>, ip: string, count: number, timeoutMs: number) {
  const rtts: number[] = [];
  for (let seq = 0; seq < count; seq++) {
    // Any payload up to 64 bytes; the agent echoes it unchanged. A random token identifies the probe.
    const token = randomBytes(16);
    const key = token.toString("hex");
    const started = process.hrtime.bigint();
    const answered = new Promise<boolean>((resolve) => {
      const timer = setTimeout(() => {
        waiters.delete(key);
        resolve(false);
      }, timeoutMs);
      waiters.set(key, () => {
        clearTimeout(timer);
        waiters.delete(key);
        resolve(true);
      });
    });
    socket.send(token, MESH_PING_PORT, ip, () => undefined);
    if (await answered) rtts.push(Number(process.hrtime.bigint() - started) / 1e6);
  }
  return rtts;
}

export async function meshPing(ctx: ColonyContext, req: MeshPingRequest) {
  const agents = selectAgents(ctx, req.agentId);
  const count = req.count > 0 ? req.count : 3;
  const timeoutMs = req.timeoutMs > 0 ? req.timeoutMs : 1000;
  const socket = createSocket("udp4");
  const waiters = new Map<string, () => void>();
  socket.on("message", (msg) => waiters.get(msg.toString("hex"))?.());
  socket.on("error", () => undefined);
  await new Promise<void>((resolve) => socket.bind(0, resolve));
  try {
    const results = await Promise.all(
      agents.map(async (agent) => {
        if (!agent.meshIpv4) {
          return create(MeshPingResultSchema, { agentId: agent.agentId, error: "agent has no mesh IP" });
        }
        const rtts = await pingOne(socket, waiters, agent.meshIpv4, count, timeoutMs);
        const received = rtts.length;
        return create(MeshPingResultSchema, {
          agentId: agent.agentId,
          meshIp: agent.meshIpv4,
          sent: count,
          received,
          packetLossPercentage: round3(((count - received) / count) * 100),
          minRttMs: received ? round3(Math.min(...rtts)) : 0,
          avgRttMs: received ? round3(rtts.reduce((a, b) => a + b, 0) / received) : 0,
          maxRttMs: received ? round3(Math.max(...rtts)) : 0,
        });
      }),
    );
    return create(MeshPingResponseSchema, { results });
  } finally {
    socket.close();
  }
}

export async function meshAudit(ctx: ColonyContext, req: MeshAuditRequest) {
  const agents = selectAgents(ctx, req.agentId);
  const stats = await ctx.wg.peers();
  const nowSec = Math.floor(Date.now() / 1000);
  const results = agents.map((agent) => {
    const peer = stats.find((p) => p.publicKey === agent.wireguardPubkey);
    if (!peer) {
      return create(MeshAuditAgentResultSchema, {
        agentId: agent.agentId,
        meshIp: agent.meshIpv4,
        agentRegisteredEndpoint: agent.registeredEndpoint,
        natType: "no_handshake",
        handshakeAgeSeconds: -1n,
        error: "not found in WireGuard peer list",
      });
    }
    // v0.3.0 tests only IsZero() on a 1970 time, so a never-handshaked peer reports ≈ Unix time.
    const never = peer.lastHandshakeUnixSec === 0;
    const age = never && faults.has("fix-handshake-age") ? -1 : nowSec - peer.lastHandshakeUnixSec;
    let natType: string;
    if (!agent.registeredEndpoint) natType = "roaming";
    else if (!peer.endpoint) natType = "no_handshake";
    else if (peer.endpoint === agent.registeredEndpoint) natType = "direct";
    else if (peer.endpoint.split(":")[0] === agent.registeredEndpoint.split(":")[0]) natType = "symmetric";
    else natType = "unexpected";
    return create(MeshAuditAgentResultSchema, {
      agentId: agent.agentId,
      meshIp: agent.meshIpv4,
      colonyObservedEndpoint: peer.endpoint,
      agentRegisteredEndpoint: agent.registeredEndpoint,
      natType,
      handshakeAgeSeconds: BigInt(age),
      rxBytes: BigInt(peer.rxBytes),
      txBytes: BigInt(peer.txBytes),
    });
  });
  return create(MeshAuditResponseSchema, { results });
}
