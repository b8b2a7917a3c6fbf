// Mesh IP allocation keyed by agent_id (contract §1.8): network+2 upwards, persisted, reloaded on
// restart with the next IP past the highest loaded one, never released on disconnect.
//
// The in-memory state and the persisted rows are kept apart on purpose: Coral's Release frees the
// IP in memory but leaves the row, so the freed IP is handed out again and collides with the row's
// UNIQUE(ip_address) for every later new agent (§6.16). `release(…, {purgeRow})` is the fix.
import { readJsonFile, writeJsonFile } from "./json-file.js";

interface AllocationRow {
  agent_id: string;
  ip_address: string;
  allocated_at: string;
  last_seen: string;
}

export class AllocationError extends Error {}

export function ipToInt(ip: string): number {
  return ip.split(".").reduce((acc, octet) => acc * 256 + Number(octet), 0);
}

export function intToIp(n: number): string {
  return [24, 16, 8, 0].map((shift) => Math.floor(n / 2 ** shift) % 256).join(".");
}

export function parseCidr(cidr: string): { network: number; size: number } {
  const [addr, bits] = cidr.split("/");
  const prefix = Number(bits ?? 32);
  const size = 2 ** (32 - prefix);
  return { network: Math.floor(ipToInt(addr!) / size) * size, size };
}

export class IpAllocator {
  private rows: AllocationRow[] = [];
  private readonly byAgent = new Map<string, string>();
  private readonly used = new Set<string>();
  private readonly freed: string[] = [];
  private next: number;
  private readonly network: number;
  private readonly size: number;

  constructor(
    private readonly file: string,
    subnet: string,
  ) {
    ({ network: this.network, size: this.size } = parseCidr(subnet));
    this.next = this.network + 2;
  }

  /** Reloads persisted rows; returns how many were loaded. */
  load(): number {
    this.rows = readJsonFile<AllocationRow[]>(this.file, []);
    for (const row of this.rows) {
      this.byAgent.set(row.agent_id, row.ip_address);
      this.used.add(row.ip_address);
      this.next = Math.max(this.next, ipToInt(row.ip_address) + 1);
    }
    return this.rows.length;
  }

  lookup(agentId: string): string | undefined {
    return this.byAgent.get(agentId);
  }

  /**
   * The agent's IP: its existing one, or a new one. `fresh` ignores the existing mapping
   * (fault new-ip-on-reconnect); `fixedIp` hands out that IP regardless (fault duplicate-mesh-ip).
   */
  allocate(agentId: string, opts: { fresh?: boolean; fixedIp?: boolean } = {}): string {
    if (!agentId) throw new AllocationError("agent_id is required");
    const existing = this.byAgent.get(agentId);
    if (existing && !opts.fresh) {
      this.persist(agentId, existing);
      return existing;
    }
    const ip = opts.fixedIp ? intToIp(this.network + 2) : (this.freed[0] ?? this.nextFree());
    if (!opts.fixedIp) {
      const owner = this.rows.find((r) => r.ip_address === ip && r.agent_id !== agentId);
      if (owner) throw new AllocationError(`failed to persist IP allocation: duplicate key ip_address ${ip}`);
      if (this.freed[0] === ip) this.freed.shift();
    }
    this.persist(agentId, ip);
    this.byAgent.set(agentId, ip);
    this.used.add(ip);
    return ip;
  }

  /** Frees an IP after a failed peer add. Coral forgets it in memory only; `purgeRow` also drops the row. */
  release(agentId: string, ip: string, opts: { purgeRow: boolean }): void {
    this.byAgent.delete(agentId);
    this.used.delete(ip);
    this.freed.unshift(ip);
    if (opts.purgeRow) {
      this.rows = this.rows.filter((r) => r.agent_id !== agentId);
      writeJsonFile(this.file, this.rows);
    }
  }

  private nextFree(): string {
    while (this.used.has(intToIp(this.next)) || this.next === this.network + 1) this.next++;
    if (this.next >= this.network + this.size - 1) throw new AllocationError("mesh subnet exhausted");
    return intToIp(this.next++);
  }

  private persist(agentId: string, ip: string): void {
    const now = new Date().toISOString();
    const row = this.rows.find((r) => r.agent_id === agentId);
    if (row) {
      row.ip_address = ip;
      row.last_seen = now;
    } else {
      this.rows.push({ agent_id: agentId, ip_address: ip, allocated_at: now, last_seen: now });
    }
    writeJsonFile(this.file, this.rows);
  }
}
