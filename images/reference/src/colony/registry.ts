// The colony's agent registry (contract §3.4 step 6, §3.5, §3.6): in memory, with liveness computed
// at query time from last-seen. Agents that declared services (or a component name) are persisted,
// and only those come back after a restart, with an empty mesh IP and their old last-seen.
import { fromJson, toJson, type JsonValue } from "@bufbuild/protobuf";
import { ServiceInfoSchema, type ServiceInfo } from "../../../../proto/gen/coral/mesh/v1/auth_pb.js";
import type { RuntimeContextResponse } from "../../../../proto/gen/coral/agent/v1/agent_pb.js";
import { faults } from "../common/faults.js";
import { readJsonFile, writeJsonFile } from "./json-file.js";

export const HEALTHY_WITHIN_MS = 30_000;
export const DEGRADED_WITHIN_MS = 120_000;

export type Liveness = "healthy" | "degraded" | "unhealthy";

export interface AgentEntry {
  agentId: string;
  componentName: string;
  meshIpv4: string;
  wireguardPubkey: string;
  lastSeen: Date;
  registeredAt: Date;
  /** Peer endpoint given to WireGuard at Register ("" = roaming). */
  registeredEndpoint: string;
  services: ServiceInfo[];
  runtimeContext?: RuntimeContextResponse;
}

interface PersistedAgent {
  agent_id: string;
  component_name: string;
  services: JsonValue[];
  last_seen: string;
}

export function liveness(lastSeen: Date, now = Date.now()): Liveness {
  if (faults.has("always-healthy")) return "healthy";
  const age = now - lastSeen.getTime();
  if (age < HEALTHY_WITHIN_MS) return "healthy";
  if (age < DEGRADED_WITHIN_MS) return "degraded";
  return "unhealthy";
}

export class Registry {
  private readonly agents = new Map<string, AgentEntry>();
  private flushTimer: NodeJS.Timeout | undefined;

  constructor(private readonly file: string) {}

  /** Rebuilds entries from persisted services; returns how many were restored. */
  load(): number {
    const rows = readJsonFile<PersistedAgent[]>(this.file, []);
    for (const row of rows) {
      this.agents.set(row.agent_id, {
        agentId: row.agent_id,
        componentName: row.component_name,
        meshIpv4: "",
        wireguardPubkey: "",
        lastSeen: new Date(row.last_seen),
        registeredAt: new Date(row.last_seen),
        registeredEndpoint: "",
        services: row.services.map((s) => fromJson(ServiceInfoSchema, s, { ignoreUnknownFields: true })),
      });
    }
    return rows.length;
  }

  get(agentId: string): AgentEntry | undefined {
    return this.agents.get(agentId);
  }

  all(): AgentEntry[] {
    return [...this.agents.values()];
  }

  size(): number {
    return this.agents.size;
  }

  register(entry: Omit<AgentEntry, "lastSeen" | "registeredAt">): AgentEntry {
    const now = new Date();
    // Coral counts every Register as a sign of life (§3.4 step 6), which hides a dead tunnel while the
    // agent re-registers over the underlay (§3.5). fix-tunnel-loss-visible keeps the last heartbeat.
    const previous = this.agents.get(entry.agentId);
    const lastSeen = faults.has("fix-tunnel-loss-visible") && previous ? previous.lastSeen : now;
    const full: AgentEntry = { ...entry, lastSeen, registeredAt: now };
    this.agents.set(entry.agentId, full);
    if (entry.services.length > 0 || entry.componentName) this.scheduleFlush();
    return full;
  }

  /** Heartbeat: false when the agent is unknown. `freeze` keeps last-seen (fault ignore-heartbeats). */
  touch(agentId: string, freeze: boolean): boolean {
    const entry = agentId ? this.agents.get(agentId) : undefined;
    if (!entry) return false;
    if (!freeze) {
      entry.lastSeen = new Date();
      if (entry.services.length > 0 || entry.componentName) this.scheduleFlush();
    }
    return true;
  }

  /** Coral persists asynchronously; batching keeps 1 s heartbeats from rewriting the file each time. */
  private scheduleFlush(): void {
    if (this.flushTimer) return;
    this.flushTimer = setTimeout(() => {
      this.flushTimer = undefined;
      this.flush();
    }, 500);
  }

  flush(): void {
    const rows: PersistedAgent[] = this.all()
      .filter((e) => e.services.length > 0 || e.componentName)
      .map((e) => ({
        agent_id: e.agentId,
        component_name: e.componentName,
        services: e.services.map((s) => toJson(ServiceInfoSchema, s)),
        last_seen: e.lastSeen.toISOString(),
      }));
    writeJsonFile(this.file, rows);
  }
}
