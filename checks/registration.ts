// Registration: the colony lists every agent, rejects a wrong colony id without leaving a trace,
// refuses agents with a wrong PSK or CA fingerprint, and reaches each agent over the mesh
// (contract §2.3, §3.3, §3.4, §7.3).
import { byId, listAgents, newWireGuardKey, summarise, waitAgentsHealthy, type Check, type Module, type T } from "./support.js";
import { PARTS } from "../src/coral/parts.js";
import { PORTS } from "../src/coral/settings.js";

const agentsListed: Check = {
  id: "registration/agents-listed",
  title: "every agent is listed by the colony with its mesh IP and status healthy",
  touches: { observes: [PARTS.agents] },
  timeoutMs: 60_000,
  async run(t) {
    const listed = await waitAgentsHealthy(t, t.env.agents);
    t.observe("ListAgents", summarise(listed));
    const map = byId(listed);
    for (const agent of t.env.agents) {
      const wg = await agent.wg0();
      const ip = map.get(agent.agentId)!.meshIpv4;
      t.verify(wg.addresses.includes(`${ip}/32`), `${agent.agentId} is listed with the address its wg0 carries (${ip})`, wg.addresses);
    }
  },
};

/** What a stray Register could leave behind: registry entries, WireGuard peers, routes. */
async function colonyFootprint(t: T) {
  // Routes first: a joining agent gets its route before its registry entry (§3.4 steps 5, 6).
  const [status, wg] = await Promise.all([t.env.colony.statusDocument(), t.env.colony.wg0()]);
  const agents = await listAgents(t);
  const peers = ((status.json as any)?.wireguard?.status?.wireguard?.peers ?? []) as Array<{ public_key: string }>;
  return { agents, peerKeys: peers.map((p) => p.public_key), routes: wg.routes };
}

const wrongColony: Check = {
  id: "registration/wrong-colony-rejected",
  title: "a Register with a wrong colony id is rejected and leaves no peer, route or entry",
  needs: ["registration/agents-listed"],
  touches: { observes: [PARTS.ipPool] },
  timeoutMs: 30_000,
  async run(t) {
    // Other checks may be joining agents meanwhile: every claim is about this Register's own traces.
    const before = await colonyFootprint(t);
    const key = newWireGuardKey();
    const agentId = "coral-e2e-wrong-colony";
    const reply = await t.env.colony.registerProbe({ agentId, colonyId: `${t.env.colony.id}-not`, wireguardPubkey: key, version: "coral-e2e" }, t.signal);
    t.observe("Register reply", reply);
    t.verify(!reply.accepted, "the colony does not accept a Register for another colony", reply);
    t.verify(reply.reason === "wrong_colony", "the rejection names wrong_colony", reply.reason);
    t.verify(reply.assignedIp === "", "no address is assigned", reply.assignedIp);
    const after = await colonyFootprint(t);
    // A route added since belongs to an agent that joined meanwhile: its entry follows its route at
    // once (§3.4 steps 5, 6), so a listing read after the routes names it.
    const listed = await listAgents(t);
    const orphans = after.routes.filter((r) => !before.routes.includes(r) && !listed.some((a) => a.meshIpv4 === r));
    t.verify(orphans.length === 0, "every wg0 route added since the Register belongs to a listed agent", orphans);
    t.verify(!after.agents.some((a) => a.agentId === agentId), "the rejected agent is not listed", after.agents.map((a) => a.agentId));
    t.verify(!after.peerKeys.some((k) => key.startsWith(k.replace(/\.\.\.$/, ""))), "no WireGuard peer was added for the rejected key", after.peerKeys);
  },
};

/** Starts an agent that must fail its bootstrap; it must exit non-zero and never be listed. */
async function misconfiguredAgent(t: T, hostname: string, env: Record<string, string>, cause: string) {
  const agent = await t.env.startAgent(hostname, { env });
  const code = await t.waitFor(`${hostname} (${cause}) to exit`, () => agent.exitCode(), (c) => c !== undefined, {
    timeoutMs: 45_000,
    intervalMs: 500,
  });
  const logs = await agent.logs(20);
  t.observe(`${hostname} last log lines`, logs);
  t.verify(code !== 0, `${hostname} with ${cause} exits with an error (exit ${code})`, logs);
  const listed = await listAgents(t);
  t.verify(!listed.some((a) => a.agentId === hostname), `${hostname} never appears in the colony's list`, summarise(listed));
}

const badPsk: Check = {
  id: "registration/wrong-psk-refused",
  title: "an agent with a wrong bootstrap PSK exits with an error and is never listed",
  needs: ["registration/agents-listed"],
  touches: { observes: [PARTS.discovery, PARTS.ipPool] },
  timeoutMs: 90_000,
  run: (t) => misconfiguredAgent(t, "bad-psk", { CORAL_BOOTSTRAP_PSK: `coral-psk:${"0".repeat(64)}` }, "a wrong bootstrap PSK"),
};

const badFingerprint: Check = {
  id: "registration/wrong-ca-fingerprint-refused",
  title: "an agent with a wrong CA fingerprint exits with an error and is never listed",
  needs: ["registration/agents-listed"],
  touches: { observes: [PARTS.discovery, PARTS.ipPool] },
  timeoutMs: 90_000,
  run: (t) => misconfiguredAgent(t, "bad-ca", { CORAL_CA_FINGERPRINT: `sha256:${"ab".repeat(32)}` }, "a wrong CA fingerprint"),
};

const colonyReachesAgents: Check = {
  id: "registration/colony-reaches-agents",
  title: "the colony reaches each agent's API over the mesh",
  needs: ["registration/agents-listed"],
  touches: { observes: [PARTS.agents] },
  timeoutMs: 45_000,
  async run(t) {
    const listed = byId(await listAgents(t));
    for (const agent of t.env.agents) {
      const ip = listed.get(agent.agentId)?.meshIpv4;
      t.verify(!!ip, `${agent.agentId} has a mesh IP`, ip);
      // A call from inside the colony's network namespace to the agent's mesh address: it can
      // only travel through wg0.
      const res = await t.waitFor(
        `colony → ${agent.agentId} GET http://${ip}:${PORTS.agentApi}/status over the mesh`,
        () => t.env.colony.exec(["curl", "-s", "-o", "/dev/null", "-w", "%{http_code}", "--max-time", "3", `http://${ip}:${PORTS.agentApi}/status`]),
        (r) => r.exitCode === 0 && /^[2]\d\d$/.test(r.stdout.trim()),
        { timeoutMs: 15_000, intervalMs: 500 },
      );
      t.observe(`${agent.agentId} /status over the mesh`, res.stdout);
    }
  },
};

export const registration: Module = {
  name: "registration",
  phase: "connectivity",
  checks: [agentsListed, wrongColony, badPsk, badFingerprint, colonyReachesAgents],
};
