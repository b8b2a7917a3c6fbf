// What the chaos invariants look at: one sample of the mesh as a user sees it (ListAgents, MeshPing
// from the colony to every agent, discovery's record of the colony), and the judges that turn a
// sample into problems, one judge per invariant. The judges are pure; the settle loop, the round
// watcher and the invariant checks all use them, so "settled" means exactly "every invariant holds".
//
// Tunnel health comes only from MeshPing. ListAgents' `healthy` is the colony's bookkeeping of
// heartbeats AND registrations: a real agent whose tunnel is down re-registers over the underlay and
// stays healthy (the known defect of v0.3.0, connectivity.md §3.5, §6.7). So no invariant expects an
// agent to be shown anything but healthy during a fault, and none concludes anything about a tunnel
// from `healthy`: a broken tunnel fails mesh-ping, whatever ListAgents says.
import type { CoralDeployment } from "../coral/deployment.js";
import { describe } from "../util/describe.js";

export interface ListedAgent {
  agentId: string;
  meshIpv4: string;
  status: string;
  lastSeenMs: number; // 0 when absent
}

export interface PingAnswer {
  sent: number;
  received: number;
  error?: string;
}

export interface MeshSample {
  startedAt: number; // epoch ms
  at: number; // when every probe had answered: what recovery times are measured to
  listed?: ListedAgent[];
  listError?: string;
  pings: Record<string, PingAnswer>;
  recordKey?: string;
  recordError?: string;
}

/** What the invariants hold a sample to. */
export interface Expectation {
  agents: string[];
  /** The mesh IP each agent had before the round. */
  ips: Record<string, string>;
  /** The colony's WireGuard key, as it was before the first fault (a restart keeps it, §3.6). */
  colonyKey: string;
  /** Every agent's last-seen must be later than this: a heartbeat arrived after the heal. */
  since: number;
}

export async function sampleMesh(deployment: CoralDeployment, agents: string[], options: { pingCount: number; signal?: AbortSignal }): Promise<MeshSample> {
  const startedAt = Date.now();
  const { signal } = options;
  // The colony's URL is resolved on each use: while it restarts there is none, and every probe says so.
  const colony = () => deployment.colony.api();
  const [listing, pings, record] = await Promise.all([
    settle((async () => (await colony()).listAgents({}, { signal }))()),
    Promise.all(
      agents.map(async (agentId): Promise<[string, PingAnswer]> => {
        const answer = await settle((async () => (await colony()).meshPing({ agentId, count: options.pingCount, timeoutMs: 1000 }, { signal }))());
        if ("error" in answer) return [agentId, { sent: 0, received: 0, error: answer.error }];
        const result = answer.value.results.find((r) => r.agentId === agentId);
        return [agentId, result ? { sent: result.sent, received: result.received, error: result.error || undefined } : { sent: 0, received: 0, error: "no result for this agent" }];
      }),
    ),
    (async () => settle((await deployment.discovery.client()).lookupColony({ meshId: deployment.colony.id }, { signal, timeoutMs: 5_000 })))(),
  ]);
  return {
    startedAt,
    at: Date.now(),
    ...("error" in listing
      ? { listError: listing.error }
      : {
          listed: listing.value.agents.map((a) => ({
            agentId: a.agentId,
            meshIpv4: a.meshIpv4,
            status: a.status,
            lastSeenMs: a.lastSeen ? Number(a.lastSeen.seconds) * 1000 + Math.floor(a.lastSeen.nanos / 1e6) : 0,
          })),
        }),
    pings: Object.fromEntries(pings),
    ...("error" in record ? { recordError: record.error } : { recordKey: record.value.pubkey }),
  };
}

async function settle<V>(call: Promise<V>): Promise<{ value: V } | { error: string }> {
  try {
    return { value: await call };
  } catch (error) {
    return { error: error instanceof Error ? error.message : describe(error) };
  }
}

/** One invariant that a sample can judge. `agents` narrows it to some agents (a fault's target). */
export interface SampledInvariant {
  id: InvariantId;
  title: string;
  problems(sample: MeshSample, expect: Expectation, agents?: string[]): string[];
}

export type InvariantId = "agents-healthy" | "addresses-stable" | "mesh-ping" | "last-seen-advancing" | "unique-listing" | "discovery-record" | "no-crash-lines" | "spans-reach-colony";

function listingOf(sample: MeshSample): { problems: string[]; byId: Map<string, ListedAgent> } {
  if (!sample.listed) return { problems: [`ListAgents failed: ${sample.listError}`], byId: new Map() };
  return { problems: [], byId: new Map(sample.listed.map((a) => [a.agentId, a])) };
}

function perAgent(judge: (agentId: string, listed: ListedAgent | undefined, sample: MeshSample, expect: Expectation) => string | undefined) {
  return (sample: MeshSample, expect: Expectation, agents = expect.agents): string[] => {
    const { problems, byId } = listingOf(sample);
    if (problems.length) return problems;
    return agents.flatMap((id) => judge(id, byId.get(id), sample, expect) ?? []);
  };
}

const seconds = (ms: number) => `${(ms / 1000).toFixed(1)} s`;

export const agentsHealthy: SampledInvariant = {
  id: "agents-healthy",
  title: "every agent listed healthy",
  problems: perAgent((id, listed, sample) => {
    if (!listed) return `${id} is not listed`;
    if (listed.status !== "healthy") return `${id} is ${listed.status || "(no status)"}${listed.lastSeenMs ? ` (last seen ${seconds(sample.at - listed.lastSeenMs)} ago)` : ""}`;
    return undefined;
  }),
};

export const addressesStable: SampledInvariant = {
  id: "addresses-stable",
  title: "every agent listed with the mesh IP it had before the round",
  problems: perAgent((id, listed, _sample, expect) => {
    const had = expect.ips[id];
    if (!listed) return `${id} is not listed (it had ${had || "no address"})`;
    if (listed.meshIpv4 !== had) return `${id} is listed with ${listed.meshIpv4 || "no mesh IP"}, it had ${had || "no address"} before the round`;
    return undefined;
  }),
};

export const meshPing: SampledInvariant = {
  id: "mesh-ping",
  title: "MeshPing answered by every agent through its tunnel",
  problems: (sample, expect, agents = expect.agents) =>
    agents.flatMap((id) => {
      const answer = sample.pings[id];
      if (!answer) return [`${id}: no MeshPing sent`];
      return answer.sent > 0 && answer.received === answer.sent ? [] : [`${id} answered ${answer.received}/${answer.sent} MeshPing${answer.error ? ` (${answer.error})` : ""}`];
    }),
};

export const lastSeenAfterHeal: SampledInvariant = {
  id: "last-seen-advancing",
  title: "every agent's last-seen advances: a heartbeat after the heal, and another within two heartbeat intervals",
  problems: perAgent((id, listed, _sample, expect) => {
    if (!listed || !listed.lastSeenMs) return `${id} has no last-seen`;
    if (listed.lastSeenMs <= expect.since) return `${id}'s last-seen has not advanced past ${new Date(expect.since).toISOString()} (it is ${seconds(expect.since - listed.lastSeenMs)} older)`;
    return undefined;
  }),
};

export const uniqueListing: SampledInvariant = {
  id: "unique-listing",
  title: "no agent listed twice or with another agent's mesh IP",
  problems(sample, expect) {
    const { problems } = listingOf(sample);
    if (problems.length) return problems;
    const found: string[] = [];
    const count = new Map<string, number>();
    for (const a of sample.listed!) count.set(a.agentId, (count.get(a.agentId) ?? 0) + 1);
    for (const [id, n] of count) if (n > 1) found.push(`${id} is listed ${n} times`);
    const byIp = new Map<string, string[]>();
    for (const a of sample.listed!) if (a.meshIpv4) byIp.set(a.meshIpv4, [...(byIp.get(a.meshIpv4) ?? []), a.agentId]);
    for (const [ip, ids] of byIp) if (new Set(ids).size > 1) found.push(`${ip} is listed for ${[...new Set(ids)].sort().join(" and ")}`);
    for (const a of sample.listed!) {
      const owner = Object.entries(expect.ips).find(([id, ip]) => id !== a.agentId && ip !== "" && ip === a.meshIpv4)?.[0];
      if (owner) found.push(`${a.agentId} is listed with ${owner}'s address ${a.meshIpv4}`);
    }
    return found;
  },
};

export const discoveryRecord: SampledInvariant = {
  id: "discovery-record",
  title: "the colony's record in discovery is present with the colony's WireGuard key",
  problems(sample, expect) {
    if (sample.recordError !== undefined) return [`LookupColony failed: ${sample.recordError}`];
    return sample.recordKey === expect.colonyKey ? [] : [`the record's key is ${sample.recordKey || "empty"}, the colony's is ${expect.colonyKey}`];
  },
};

/** Every invariant a sample judges, in report order. */
export const SAMPLED_INVARIANTS: SampledInvariant[] = [agentsHealthy, addressesStable, meshPing, lastSeenAfterHeal, uniqueListing, discoveryRecord];

/** The invariants about one agent: what a fault on it must give back. */
export const AGENT_INVARIANTS: SampledInvariant[] = [agentsHealthy, addressesStable, meshPing, lastSeenAfterHeal];

export function problemsOf(invariants: SampledInvariant[], sample: MeshSample, expect: Expectation, agents?: string[]): string[] {
  return invariants.flatMap((inv) => inv.problems(sample, expect, agents).map((p) => `${inv.id}: ${p}`));
}

/** One line per agent as a user would see it: "agent-0 healthy 100.64.0.2 ping 1/1". */
export function userView(sample: MeshSample, agents: string[]): string {
  const byId = new Map(sample.listed?.map((a) => [a.agentId, a]) ?? []);
  const listing = sample.listed ? "" : `ListAgents failed (${sample.listError}); `;
  return (
    listing +
    agents
      .map((id) => {
        const listed = byId.get(id);
        const ping = sample.pings[id];
        return `${id} ${listed ? `${listed.status} ${listed.meshIpv4 || "-"}` : sample.listed ? "absent" : "?"} ping ${ping ? `${ping.received}/${ping.sent}` : "-"}`;
      })
      .join(", ") +
    `; discovery record ${sample.recordError === undefined ? "present" : "missing"}`
  );
}
