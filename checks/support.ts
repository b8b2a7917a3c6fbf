// Small probes the check modules share. They observe the deployment through src/coral only.
import { generateKeyPairSync } from "node:crypto";
import { Code, ConnectError } from "@connectrpc/connect";
import type { Agent } from "../proto/gen/coral/colony/v1/colony_pb.js";
import type { CoralDeployment } from "../src/coral/deployment.js";
import type { AppNode } from "../src/coral/apps.js";
import type { AgentNode } from "../src/coral/nodes.js";
import { PARTS } from "../src/coral/parts.js";
import { FIXTURES } from "../src/coral/settings.js";
import type { CheckContext, CheckModule, CheckSpec } from "../src/runner/check.js";

export type T = CheckContext<CoralDeployment>;
export type Check = CheckSpec<CoralDeployment>;
export type Module = CheckModule<CoralDeployment>;

/** A fresh WireGuard (X25519) public key in the base64 form Coral expects (44 characters). */
export function newWireGuardKey(): string {
  const { publicKey } = generateKeyPairSync("x25519");
  const jwk = publicKey.export({ format: "jwk" }) as { x: string };
  return Buffer.from(jwk.x, "base64url").toString("base64");
}

/** The Connect code of a failed call, by name ("not_found" style names are Coral's wire form). */
export function connectCode(error: unknown): string {
  return Code[ConnectError.from(error).code] ?? "unknown";
}

/** Settles a call into a value or an error, so a check can assert on either without try/catch. */
export async function attempt<V>(call: Promise<V>): Promise<{ value: V; error?: undefined } | { value?: undefined; error: unknown }> {
  try {
    return { value: await call };
  } catch (error) {
    return { error };
  }
}

/** The otel-app fixture next to an agent, exporting over one protocol under its own service name and port. */
export function startOtelApp(t: T, agent: AgentNode, service: string, protocol: "grpc" | "http", port: number): Promise<AppNode> {
  return t.env.startApp(agent, {
    ...FIXTURES.otelApp,
    name: service,
    port,
    env: { OTEL_APP_SERVICE: service, OTEL_APP_PROTOCOL: protocol, OTEL_APP_PORT: String(port) },
  });
}

/** The spare agent the engine lent this check (it declared "spare-agent" in touches.disturbs). */
export function spareAgent(t: T): AgentNode {
  return t.env.spare(t.lent(PARTS.spareAgent));
}

export async function listAgents(t: T): Promise<Agent[]> {
  const api = await t.env.colony.api();
  return (await api.listAgents({}, { signal: t.signal })).agents;
}

export function byId(agents: Agent[]): Map<string, Agent> {
  return new Map(agents.map((a) => [a.agentId, a]));
}

/** "agent-0 healthy 100.64.0.2, agent-1 degraded -" for last-seen messages. */
export function summarise(agents: Agent[]): string {
  if (agents.length === 0) return "no agents listed";
  return agents.map((a) => `${a.agentId} ${a.status || "(no status)"} ${a.meshIpv4 || "-"} lastSeen=${lastSeenMs(a) ? new Date(lastSeenMs(a)).toISOString() : "-"}`).join(", ");
}

export function lastSeenMs(agent: Agent | undefined): number {
  const ts = agent?.lastSeen;
  return ts ? Number(ts.seconds) * 1000 + Math.floor(ts.nanos / 1e6) : 0;
}

/**
 * Waits until every given agent is listed healthy with a mesh IP; returns the listing. What each
 * attempt saw starts with the agents whose container is not running (paused, exited): the likely
 * cause when the wait times out.
 */
export async function waitAgentsHealthy(t: T, agents: AgentNode[], what = "every agent listed healthy with a mesh IP", timeoutMs?: number) {
  const seen = await t.waitFor(
    what,
    async () => {
      const [listed, states] = await Promise.all([listAgents(t), Promise.all(agents.map((a) => a.container.state().catch(() => "unknown")))]);
      const notRunning = agents.flatMap((a, i) => (states[i] === "running" ? [] : [`${a.agentId}'s container ${a.container.name} is ${states[i]}`]));
      return { notRunning, summary: summarise(listed), listed };
    },
    ({ listed }) => {
      const map = byId(listed);
      return agents.every((a) => map.get(a.agentId)?.status === "healthy" && !!map.get(a.agentId)?.meshIpv4);
    },
    { timeoutMs },
  );
  return seen.listed;
}

/** MeshPing from the colony to each agent through the tunnel: every probe must come back. */
export async function meshPingAll(t: T, agents: AgentNode[], count = 3) {
  const api = await t.env.colony.api();
  const results = await Promise.all(
    agents.map(async (agent) => {
      const res = await api.meshPing({ agentId: agent.agentId, count, timeoutMs: 1000 }, { signal: t.signal });
      return res.results.find((r) => r.agentId === agent.agentId) ?? { agentId: agent.agentId, sent: 0, received: 0, error: "no result for this agent" };
    }),
  );
  return results;
}

export function pingSummary(results: Array<{ agentId: string; sent: number; received: number; error?: string }>): string {
  return results.map((r) => `${r.agentId} ${r.received}/${r.sent}${r.error ? ` (${r.error})` : ""}`).join(", ");
}
