// The WireGuard mesh: interfaces and routes as `ip` shows them, traffic through the tunnel both
// ways, address allocation, and an agent's address surviving its restart (contract §1.7, §1.8,
// §2.4, §3.4). Tunnel health comes from MeshPing and byte counters, never from ListAgents (§6.7).
import { inSubnet, ipToNumber } from "../src/coral/netinfo.js";
import { MESH } from "../src/coral/settings.js";
import { byId, lastSeenMs, listAgents, meshPingAll, pingSummary, type Check, type Module, waitAgentsHealthy } from "./support.js";
import { PARTS } from "../src/coral/parts.js";

const interfaces: Check = {
  id: "wireguard/interfaces",
  title: "colony and agents have wg0 up with mesh addresses and routes",
  touches: { observes: [PARTS.agents] },
  timeoutMs: 30_000,
  async run(t) {
    const colonyIf = await t.env.colony.wg0();
    t.observe("colony wg0", colonyIf);
    t.verify(colonyIf.exists && colonyIf.up, "the colony's wg0 exists and is UP", colonyIf);
    t.verify(colonyIf.addresses.includes(`${MESH.colonyIp}/32`), `the colony's wg0 has ${MESH.colonyIp}/32`, colonyIf.addresses);

    const agentIps: string[] = [];
    for (const agent of t.env.agents) {
      const wg = await t.waitFor(`${agent.agentId}'s wg0 to carry a mesh address`, () => agent.wg0(), (w) => w.addresses.length > 0, { timeoutMs: 15_000 });
      t.observe(`${agent.agentId} wg0`, wg);
      t.verify(wg.exists && wg.up, `${agent.agentId}'s wg0 exists and is UP`, wg);
      const mine = wg.addresses.filter((a) => a.endsWith("/32") && inSubnet(a.split("/")[0]!, MESH.subnet));
      t.verify(mine.length === 1, `${agent.agentId}'s wg0 has one /32 address in ${MESH.subnet}`, wg.addresses);
      t.verify(wg.routes.includes(MESH.colonyIp), `${agent.agentId} routes ${MESH.colonyIp} via wg0`, wg.routes);
      agentIps.push(mine[0]!.split("/")[0]!);
    }
    t.verify(new Set(agentIps).size === agentIps.length, "agent mesh addresses are unique", agentIps);
    for (const ip of agentIps) t.verify(colonyIf.routes.includes(ip), `the colony routes ${ip}/32 via wg0`, colonyIf.routes);
  },
};

const tunnelTraffic: Check = {
  id: "wireguard/tunnel-traffic",
  title: "the tunnel carries traffic both ways to every agent",
  needs: ["wireguard/interfaces"],
  touches: { observes: [PARTS.agents] },
  timeoutMs: 45_000,
  async run(t) {
    const api = await t.env.colony.api();
    const before = await api.meshAudit({}, { signal: t.signal });
    t.observe("MeshAudit before", before.results);
    const pings = await t.waitFor("MeshPing answered by every agent (3/3)", () => meshPingAll(t, t.env.agents), (r) => r.every((p) => p.received === p.sent && p.sent > 0), {
      timeoutMs: 20_000,
    });
    t.observe("MeshPing", pingSummary(pings));
    for (const agent of t.env.agents) {
      const rx0 = Number(before.results.find((r) => r.agentId === agent.agentId)?.rxBytes ?? 0);
      const audit = await t.waitFor(
        `${agent.agentId}: MeshAudit shows a real handshake and received bytes growing past ${rx0}`,
        async () => (await api.meshAudit({ agentId: agent.agentId }, { signal: t.signal })).results[0],
        (r) => !!r && Number(r.handshakeAgeSeconds) >= 0 && Number(r.handshakeAgeSeconds) < 1e9 && Number(r.rxBytes) > rx0,
        { timeoutMs: 15_000 },
      );
      t.metric(`${agent.agentId}.handshakeAgeSeconds`, Number(audit?.handshakeAgeSeconds), "s");
    }
  },
};

const allocation: Check = {
  id: "wireguard/address-allocation",
  title: "agent addresses are unique and allocated from .2 upward",
  requires: { minAgents: 3 },
  touches: { observes: [PARTS.agents] },
  timeoutMs: 20_000,
  async run(t) {
    // Every agent that joined with the deployment: the run agents and the spares started with them.
    const agents = t.env.setupAgents;
    const listed = byId(await listAgents(t));
    const ips = agents.map((a) => listed.get(a.agentId)?.meshIpv4 ?? "");
    t.observe("agent mesh IPs", Object.fromEntries(agents.map((a, i) => [a.agentId, ips[i]])));
    t.verify(ips.every((ip) => ip !== ""), "every agent has a mesh IP", ips);
    t.verify(new Set(ips).size === ips.length, "no two agents share a mesh IP", ips);
    const base = ipToNumber(MESH.colonyIp) - 1;
    const offsets = ips.map((ip) => ipToNumber(ip) - base).sort((a, b) => a - b);
    const expected = ips.map((_, i) => i + 2);
    t.verify(JSON.stringify(offsets) === JSON.stringify(expected), `addresses are .2 to .${ips.length + 1} of the mesh, in allocation order`, ips);
  },
};

const stableAddress: Check = {
  id: "wireguard/address-kept-for-hostname",
  title: "an agent re-created with the same hostname gets its address back",
  needs: ["wireguard/tunnel-traffic"],
  // Its own agent: the run agents stay free for the checks that watch all of them.
  touches: { observes: [PARTS.discovery, PARTS.ipPool] },
  timeoutMs: 90_000,
  async run(t) {
    const first = await t.env.startAgent("recreated");
    const [before] = await waitAgentsHealthy(t, [first], `${first.agentId} to register`, 60_000).then((l) => l.filter((a) => a.agentId === first.agentId));
    // A new container with new WireGuard keys and the same hostname: Coral allocates by agent id,
    // so the address must come back (contract §1.8).
    const recreatedAt = Date.now();
    const agent = await t.env.recreateAgent(first);
    const after = await t.waitFor(
      `the re-created ${agent.agentId} to register and heartbeat`,
      async () => byId(await listAgents(t)).get(agent.agentId),
      (a) => !!a && a.status === "healthy" && lastSeenMs(a) > recreatedAt && !!a.meshIpv4,
      { timeoutMs: 60_000, intervalMs: 500 },
    );
    t.metric("agent re-creation to healthy", Date.now() - recreatedAt, "ms");
    t.verify(after?.meshIpv4 === before!.meshIpv4, `${agent.agentId} got ${before!.meshIpv4} back`, { before: before!.meshIpv4, after: after?.meshIpv4 });
    const wg = await t.waitFor(`${agent.agentId}'s wg0 to carry its address`, () => agent.wg0(), (w) => w.addresses.length > 0, { timeoutMs: 15_000 });
    t.verify(wg.addresses.includes(`${before!.meshIpv4}/32`), `${agent.agentId}'s wg0 carries ${before!.meshIpv4}/32`, wg.addresses);
    const [ping] = await t.waitFor(`MeshPing to the re-created ${agent.agentId}`, () => meshPingAll(t, [agent]), (r) => r[0]!.received > 0, {
      timeoutMs: 30_000,
    });
    t.observe("MeshPing after re-creation", ping);
  },
};

export const wireguard: Module = {
  name: "wireguard",
  phase: "connectivity",
  checks: [interfaces, tunnelTraffic, allocation, stableAddress],
};
