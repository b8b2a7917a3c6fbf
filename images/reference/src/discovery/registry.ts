// Colony and agent records per mesh, each with a TTL (contract connectivity.md §2.2 "Worker
// behaviour"). Lookups filter on the expiry time, so expiry is exact; the cleanup timer only deletes
// rows. The state is written to a JSON file under the persist directory, so it survives a
// `docker restart` but not a re-create, like wrangler's local Durable Object storage.
import { mkdirSync, readFileSync, renameSync, writeFileSync } from "node:fs";
import { join } from "node:path";

export interface EndpointRecord {
  ip: string;
  port: number;
  protocol: string;
}

export interface ColonyRecord {
  meshId: string;
  pubkey: string;
  endpoints: string[];
  meshIpv4: string;
  meshIpv6: string;
  connectPort: number;
  publicPort: number;
  metadata: Record<string, string>;
  observedEndpoint?: EndpointRecord;
  publicEndpoint?: unknown;
  lastSeenSec: number;
  expiresAtMs: number;
}

export interface AgentRecord {
  agentId: string;
  meshId: string;
  pubkey: string;
  endpoints: string[];
  observedEndpoint?: EndpointRecord;
  metadata: Record<string, string>;
  lastSeenSec: number;
  expiresAtMs: number;
}

interface MeshState {
  colony?: ColonyRecord;
  agents: Record<string, AgentRecord>;
}

export class Registry {
  private meshes: Record<string, MeshState> = {};
  private readonly file: string;

  constructor(persistDir: string) {
    mkdirSync(persistDir, { recursive: true });
    this.file = join(persistDir, "coral-ref-discovery.json");
    try {
      this.meshes = JSON.parse(readFileSync(this.file, "utf8")) as Record<string, MeshState>;
    } catch {
      this.meshes = {};
    }
  }

  liveColony(meshId: string, nowMs = Date.now()): ColonyRecord | undefined {
    const colony = this.meshes[meshId]?.colony;
    return colony && colony.expiresAtMs >= nowMs ? colony : undefined;
  }

  anyLiveColony(nowMs = Date.now()): ColonyRecord | undefined {
    for (const id of Object.keys(this.meshes)) {
      const colony = this.liveColony(id, nowMs);
      if (colony) return colony;
    }
    return undefined;
  }

  liveAgent(meshId: string, agentId: string, nowMs = Date.now()): AgentRecord | undefined {
    const agent = this.meshes[meshId]?.agents[agentId];
    return agent && agent.expiresAtMs >= nowMs ? agent : undefined;
  }

  putColony(record: ColonyRecord): void {
    this.mesh(record.meshId).colony = record;
    this.save();
  }

  putAgent(record: AgentRecord): void {
    this.mesh(record.meshId).agents[record.agentId] = record;
    this.save();
  }

  countLiveColonies(nowMs = Date.now()): number {
    return Object.keys(this.meshes).filter((id) => this.liveColony(id, nowMs)).length;
  }

  /** Deletes expired rows (the Worker's cleanup alarm). */
  cleanup(nowMs = Date.now()): void {
    let changed = false;
    for (const [meshId, mesh] of Object.entries(this.meshes)) {
      if (mesh.colony && mesh.colony.expiresAtMs < nowMs) {
        delete mesh.colony;
        changed = true;
      }
      for (const [agentId, agent] of Object.entries(mesh.agents)) {
        if (agent.expiresAtMs < nowMs) {
          delete mesh.agents[agentId];
          changed = true;
        }
      }
      if (!mesh.colony && Object.keys(mesh.agents).length === 0) delete this.meshes[meshId];
    }
    if (changed) this.save();
  }

  private mesh(meshId: string): MeshState {
    return (this.meshes[meshId] ??= { agents: {} });
  }

  private save(): void {
    const tmp = `${this.file}.tmp`;
    writeFileSync(tmp, JSON.stringify(this.meshes));
    renameSync(tmp, this.file);
  }
}
