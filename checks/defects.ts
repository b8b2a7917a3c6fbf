// Promises Coral v0.3.0 breaks (contract connectivity.md §6, §7): each check asserts the promise;
// the engine reports a failure as a known defect (CI stays green) and a pass as "fixed". The
// checks that leave traces in the colony (fake peers, a burned or poisoned IP pool) run last.
import { PARTS } from "../src/coral/parts.js";
import { LIVENESS, TIMERS } from "../src/coral/settings.js";
import { byId, listAgents, meshPingAll, newWireGuardKey, pingSummary, spareAgent, summarise, waitAgentsHealthy, type Check, type Module, type T } from "./support.js";

const SINCE = "v0.3.0";

const tunnelLossVisible: Check = {
  id: "defects/tunnel-loss-visible",
  title: "an agent whose tunnel is down is not reported healthy",
  needs: ["registration/agents-listed"],
  touches: { disturbs: [PARTS.spareAgent] },
  timeoutMs: 120_000,
  knownDefect: {
    since: SINCE,
    ref: "connectivity.md §3.5, §6.7",
    summary: "agents re-register over the underlay every heartbeat interval while their tunnel is down, and each Register refreshes last-seen, so ListAgents keeps them healthy",
  },
  async run(t) {
    const agent = spareAgent(t);
    // A restored agent tries the dead mesh URL first on every re-registration (3 × 5 s, §3.4): its
    // last-seen then ages past the threshold and the defect hides by timing, not by a fix.
    if (agent.restoredFromCheckpoint) {
      t.skip(`${agent.agentId} was restarted from its enrollment checkpoint by an earlier check: its re-registrations try the mesh URL first (connectivity.md §3.4), so it would turn degraded by timing; the run starts one spare agent per such check, so this happens only when a check was lent a spare twice`);
    }
    // Precondition: a healthy agent with a working tunnel (an earlier check may have disturbed it).
    await waitAgentsHealthy(t, [agent], `${agent.agentId} healthy before the tunnel is cut`);
    await t.waitFor(`MeshPing to ${agent.agentId} before the tunnel is cut`, () => meshPingAll(t, [agent], 2), (r) => r[0]!.received > 0, { timeoutMs: 45_000 });
    // Only this agent's WireGuard UDP is dropped in the colony: the other agents' tunnels stay up.
    const restore = await t.env.colony.dropWireGuardFrom(agent);
    const cutAt = Date.now();
    try {
      const down = await t.waitFor(`MeshPing to ${agent.agentId} to fail with its WireGuard UDP dropped in the colony`, () => meshPingAll(t, [agent], 2), (r) => r[0]!.received === 0, {
        timeoutMs: 20_000,
      });
      t.observe("MeshPing with the tunnel down", pingSummary(down));
      // The promise: within Coral's own degraded threshold (plus two heartbeats) of the cut, the listing admits it.
      const listed = await t.waitFor(
        `${agent.agentId}, whose tunnel is down (MeshPing ${pingSummary(down)}), to be listed as not healthy`,
        () => listAgents(t),
        (l) => !!byId(l).get(agent.agentId) && byId(l).get(agent.agentId)!.status !== "healthy",
        { timeoutMs: Math.max(0, cutAt + LIVENESS.degradedAfterMs + 2 * TIMERS.heartbeatIntervalMs - Date.now()), intervalMs: 2_000 },
      );
      t.observe("ListAgents with the tunnel down", summarise(listed));
    } finally {
      await restore();
    }
  },
};

/** Registers a fake agent over the underlay (no tunnel ever comes up for it). */
function registerProbe(t: T, agentId: string, wireguardPubkey = newWireGuardKey()) {
  return t.env.colony.registerProbe({ agentId, colonyId: t.env.colony.id, wireguardPubkey, version: "coral-e2e-probe" }, t.signal);
}

const neverHandshakedAge: Check = {
  id: "defects/never-handshaked-age",
  title: "MeshAudit reports a peer that never handshook with handshake age -1",
  needs: ["registration/agents-listed"],
  touches: { observes: [PARTS.ipPool] },
  timeoutMs: 30_000,
  knownDefect: {
    since: SINCE,
    ref: "connectivity.md §2.4, §6.30",
    summary: "MeshAudit reports a never-handshaked peer's age as the current Unix time instead of -1",
  },
  async run(t) {
    const probe = await registerProbe(t, "defect-no-handshake");
    t.verify(probe.accepted, "the colony accepts a fake agent whose tunnel never comes up", probe);
    const audit = await (await t.env.colony.api()).meshAudit({ agentId: "defect-no-handshake" }, { signal: t.signal });
    const result = audit.results[0];
    t.observe("MeshAudit", result);
    t.verify(Number(result?.handshakeAgeSeconds) === -1, "a peer that never handshook has handshakeAgeSeconds -1", result?.handshakeAgeSeconds?.toString());
  },
};

const publicEndpointUrl: Check = {
  id: "defects/public-endpoint-url",
  title: "the discovery record's public endpoint URL names a host agents can reach",
  needs: ["discovery/colony-registered"],
  touches: { observes: [PARTS.discovery] },
  timeoutMs: 15_000,
  knownDefect: {
    since: SINCE,
    ref: "connectivity.md §2.2, §6.25",
    summary: "the colony advertises its public endpoint as http://localhost:8443",
  },
  async run(t) {
    const record = await (await t.env.discovery.client()).lookupColony({ meshId: t.env.colony.id }, { signal: t.signal });
    const url = record.publicEndpoint?.url ?? "";
    t.observe("publicEndpoint.url", url);
    let host = "";
    try {
      host = new URL(url).hostname;
    } catch {
      t.fail(`publicEndpoint.url is not a URL: ${JSON.stringify(url)}`);
    }
    t.verify(!["localhost", "127.0.0.1", "0.0.0.0", "::1", "[::1]"].includes(host), "publicEndpoint.url names a host other than loopback or the wildcard", url);
    t.verify(url.startsWith("https://"), "publicEndpoint.url is https (the public endpoint serves TLS)", url);
  },
};

const shortKey: Check = {
  id: "defects/short-key-register-rejected",
  title: "a Register with a very short WireGuard key gets a clear rejection and burns no address",
  needs: ["registration/agents-listed"],
  touches: { disturbs: [PARTS.ipPool] },
  timeoutMs: 30_000,
  knownDefect: {
    since: SINCE,
    ref: "connectivity.md §3.4, §6.16",
    summary: "a key shorter than 8 characters panics the Register handler (empty reply) after an address was allocated",
  },
  async run(t) {
    const first = await registerProbe(t, "defect-short-before");
    t.verify(first.accepted, "a well-formed probe registers", first);
    const reply = await t.env.colony.registerMalformed({ agentId: "defect-short-key", colonyId: t.env.colony.id, wireguardPubkey: "abc" }, t.signal);
    t.env.provokedLogLines.push(/slice bounds out of range \[:8\]/);
    t.observe("Register with a 3-character key", reply);
    t.verify("status" in reply, "the colony answers a malformed Register (no dropped connection)", reply);
    const rejected = "status" in reply && (reply.status >= 400 || !/"accepted"\s*:\s*true/.test(reply.body));
    t.verify(rejected, "the malformed Register is rejected", reply);
    const second = await registerProbe(t, "defect-short-after");
    const gap = ipGap(first.assignedIp, second.assignedIp);
    t.verify(gap === 1, `the next agent gets the next address (${first.assignedIp} → ${second.assignedIp}): no address burned`, { first: first.assignedIp, next: second.assignedIp });
  },
};

const malformedKey: Check = {
  id: "defects/malformed-key-leaves-no-trace",
  title: "a Register with a malformed 43-character key is rejected and later agents still get addresses",
  needs: ["registration/agents-listed"],
  touches: { disturbs: [PARTS.ipPool] },
  timeoutMs: 30_000,
  knownDefect: {
    since: SINCE,
    ref: "connectivity.md §3.4, §6.16",
    summary: "a 43-character key is rejected with peer_add_failed but its address row is not released, so every later new agent gets ip_allocation_failed",
  },
  async run(t) {
    const before = await registerProbe(t, "defect-bad-before");
    t.verify(before.accepted, "a well-formed probe registers", before);
    const bad = await t.env.colony.registerMalformedProbe({ agentId: "defect-bad-key", colonyId: t.env.colony.id, wireguardPubkey: newWireGuardKey().slice(0, 43), version: "coral-e2e-probe" }, t.signal);
    t.observe("Register with a 43-character key", bad);
    t.verify(!bad.accepted && bad.reason !== "", "the malformed key is rejected with a reason", bad);
    const after = await registerProbe(t, "defect-bad-after");
    t.observe("Register of the next new agent", after);
    t.verify(after.accepted, "the next new agent is still accepted", after);
    t.verify(ipGap(before.assignedIp, after.assignedIp) === 1, "it gets the next address: the malformed Register left no allocation behind", { before: before.assignedIp, after: after.assignedIp });
  },
};

function ipGap(a: string, b: string): number {
  const last = (ip: string) => Number(ip.split(".").pop());
  return last(b) - last(a);
}

export const defects: Module = {
  name: "defects",
  phase: "connectivity",
  checks: [publicEndpointUrl, tunnelLossVisible, neverHandshakedAge, shortKey, malformedKey],
};
