// Heartbeats and reconnection: last-seen advances through the tunnel, agents recover from a
// colony restart with their addresses, the mesh survives a discovery outage, and a stopped agent
// turns degraded (contract §3.5-§3.7, §6.8, §7.2).
import { PARTS } from "../src/coral/parts.js";
import { LIVENESS, TIMERS } from "../src/coral/settings.js";
import {
  byId,
  lastSeenMs,
  listAgents,
  meshPingAll,
  pingSummary,
  spareAgent,
  summarise,
  waitAgentsHealthy,
  type Check,
  type Module,
  type T,
} from "./support.js";
import type { AgentNode } from "../src/coral/nodes.js";

/** Waits until every agent's last-seen is later than `since` (and healthy). */
function waitLastSeenAfter(t: T, agents: AgentNode[], since: number, what: string, timeoutMs: number) {
  return t.waitFor(
    what,
    () => listAgents(t),
    (listed) => {
      const map = byId(listed);
      return agents.every((a) => map.get(a.agentId)?.status === "healthy" && lastSeenMs(map.get(a.agentId)) > since);
    },
    { timeoutMs, intervalMs: 500 },
  );
}

const lastSeenAdvances: Check = {
  id: "heartbeat/last-seen-advances",
  title: "every agent's last-seen advances within two heartbeat intervals and stays healthy",
  needs: ["registration/agents-listed"],
  touches: { observes: [PARTS.agents] },
  timeoutMs: 45_000,
  async run(t) {
    const start = await listAgents(t);
    const since = Math.max(...t.env.agents.map((a) => lastSeenMs(byId(start).get(a.agentId))));
    const listed = await waitLastSeenAfter(t, t.env.agents, since, "every agent's last-seen to advance", 2 * TIMERS.heartbeatIntervalMs + 1_000);
    t.observe("ListAgents", summarise(listed));
    // Twice: heartbeats keep coming, not just one late registration.
    const again = Math.max(...t.env.agents.map((a) => lastSeenMs(byId(listed).get(a.agentId))));
    const second = await waitLastSeenAfter(t, t.env.agents, again, "every agent's last-seen to advance a second time", 2 * TIMERS.heartbeatIntervalMs + 1_000);
    t.observe("ListAgents", summarise(second));
  },
};

const throughTunnel: Check = {
  id: "heartbeat/through-tunnel",
  title: "heartbeats travel through the tunnel: last-seen advances with the underlay path to :9000 cut",
  needs: ["heartbeat/last-seen-advances", "wireguard/tunnel-traffic"],
  touches: { disturbs: [PARTS.spareAgent] },
  timeoutMs: 60_000,
  async run(t) {
    // TCP from the agent to the colony's underlay address on :9000 is rejected; the mesh address
    // 100.64.0.1 stays reachable through wg0, so only heartbeats sent over the tunnel get through.
    const agent = spareAgent(t);
    const restore = await agent.cutUnderlayToColony(t.env.colony);
    try {
      const since = Date.now();
      const listed = await waitLastSeenAfter(t, [agent], since, `${agent.agentId}'s last-seen to advance with the underlay cut`, 3 * TIMERS.heartbeatIntervalMs + 1_000);
      t.observe("ListAgents", summarise(listed));
    } finally {
      await restore();
    }
  },
};

const colonyRestart: Check = {
  id: "heartbeat/colony-restart-recovery",
  title: "after a colony restart agents re-register with the same addresses and the tunnel works again",
  needs: ["registration/agents-listed"],
  touches: { disturbs: [PARTS.colony], observes: [PARTS.agents] },
  timeoutMs: 120_000,
  async run(t) {
    const before = byId(await listAgents(t));
    const ips = Object.fromEntries(t.env.agents.map((a) => [a.agentId, before.get(a.agentId)?.meshIpv4 ?? ""]));
    t.observe("mesh IPs before", ips);
    const restartedAt = Date.now();
    await t.env.colony.restart(10);
    await t.waitFor("the colony's :9000/status to answer again", () => t.env.colony.statusDocument(3_000), (r) => r.status === 200, {
      timeoutMs: 60_000,
    });
    const listed = await waitLastSeenAfter(t, t.env.agents, restartedAt, "every agent to heartbeat the restarted colony", 60_000);
    const after = byId(listed);
    for (const agent of t.env.agents) {
      t.verify(after.get(agent.agentId)?.meshIpv4 === ips[agent.agentId], `${agent.agentId} kept ${ips[agent.agentId]}`, after.get(agent.agentId)?.meshIpv4);
    }
    const pings = await t.waitFor("MeshPing answered by every agent after the restart", () => meshPingAll(t, t.env.agents), (r) => r.every((p) => p.received === p.sent && p.sent > 0), {
      timeoutMs: 30_000,
    });
    t.observe("MeshPing", pingSummary(pings));
    t.metric("colony restart recovery", Date.now() - restartedAt, "ms");
  },
};

const discoveryOutage: Check = {
  id: "heartbeat/discovery-outage",
  title: "during a discovery outage the mesh keeps heartbeating, a new agent cannot join, and one joins after it returns",
  needs: ["registration/agents-listed"],
  touches: { disturbs: [PARTS.discovery], observes: [PARTS.agents, PARTS.ipPool] },
  timeoutMs: 180_000,
  async run(t) {
    await t.env.discovery.stop(5);
    let late: AgentNode | undefined;
    try {
      const stoppedAt = Date.now();
      const during = await t.env.startAgent("outage-new");
      const listed = await waitLastSeenAfter(t, t.env.agents, stoppedAt, "running agents to keep heartbeating without discovery", 2 * TIMERS.heartbeatIntervalMs + 1_000);
      t.observe("ListAgents during the outage", summarise(listed));
      t.verify(!listed.some((a) => a.agentId === "outage-new" && a.meshIpv4), "the agent started during the outage is not registered", summarise(listed));
      const pings = await meshPingAll(t, t.env.agents);
      t.verify(pings.every((p) => p.received === p.sent && p.sent > 0), "the tunnels still answer MeshPing during the outage", pingSummary(pings));
      t.observe("outage-new state", await during.state());
    } finally {
      await t.env.discovery.start();
    }
    await t.waitFor("discovery to answer /health again", () => t.env.discovery.health(3_000), (r) => r.status === 200, { timeoutMs: 60_000 });
    late = await t.env.startAgent("after-outage");
    const listed = await waitAgentsHealthy(t, [late], "a new agent to join after discovery returned", 90_000);
    t.observe("ListAgents after the outage", summarise(listed));
    const [ping] = await t.waitFor("MeshPing to the new agent", () => meshPingAll(t, [late!]), (r) => r[0]!.received > 0, { timeoutMs: 20_000 });
    t.observe("MeshPing to after-outage", ping);
  },
};

const stoppedAgentDegraded: Check = {
  id: "heartbeat/stopped-agent-degraded",
  title: "a stopped agent turns degraded once its last-seen is older than the colony's threshold",
  needs: ["registration/agents-listed"],
  touches: { disturbs: [PARTS.spareAgent] },
  timeoutMs: 90_000,
  async run(t) {
    const agent = spareAgent(t);
    await agent.stop(5);
    const stoppedAt = Date.now();
    try {
      const listed = await t.waitFor(
        `${agent.agentId} to turn degraded`,
        () => listAgents(t),
        (l) => byId(l).get(agent.agentId)?.status === "degraded",
        { timeoutMs: LIVENESS.degradedAfterMs + 3 * TIMERS.heartbeatIntervalMs, intervalMs: 1_000 },
      );
      const entry = byId(listed).get(agent.agentId)!;
      const age = Date.now() - lastSeenMs(entry);
      t.verify(age >= LIVENESS.degradedAfterMs - 2_000, `degraded only once last-seen is ~${LIVENESS.degradedAfterMs / 1000} s old (it is ${(age / 1000).toFixed(1)} s)`, entry);
      t.metric("degraded after stop", Date.now() - stoppedAt, "ms");
      // The bystanders: agents no fault touched meanwhile (other checks may be disturbing some).
      const quiet = t.env.quietAgents(stoppedAt, [agent]);
      t.observe("bystanders (agents no fault touched meanwhile)", quiet.map((a) => a.agentId));
      t.verify(quiet.every((o) => byId(listed).get(o.agentId)?.status === "healthy"), "the agents no fault touched stay healthy", summarise(listed));
    } finally {
      // It runs on from its enrollment checkpoint (contract §3.4); no check watches spares.
      await agent.start();
    }
  },
};

export const heartbeat: Module = {
  name: "heartbeat",
  phase: "connectivity",
  checks: [lastSeenAdvances, throughTunnel, discoveryOutage, stoppedAgentDegraded],
};

/**
 * The colony restart disturbs every check, so nothing declared after it can overlap it: it is
 * declared after all others (its module keeps the name heartbeat), and the run reaches it once.
 */
export const colonyRestartModule: Module = {
  name: "heartbeat",
  phase: "connectivity",
  checks: [colonyRestart],
};
