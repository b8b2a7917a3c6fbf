// Host readings from /proc and statfs for the system metrics collector (contract
// observability.md §4.3): CPU and memory are host-wide, disk I/O sums the whole disks, the disk
// usage is the container's root file system, network sums every interface of the agent's netns.
import { readdirSync, readFileSync, statfsSync } from "node:fs";

const USER_HZ = 100;
const SECTOR_BYTES = 512;

export interface CpuTimes {
  busy: number;
  total: number;
}

/** Aggregate `cpu` line of /proc/stat, in clock ticks. */
export function readCpuTimes(text = readFileSync("/proc/stat", "utf8")): CpuTimes {
  const fields = (/^cpu\s+(.*)$/m.exec(text)?.[1] ?? "").trim().split(/\s+/).map(Number);
  // user nice system idle iowait irq softirq steal (guest time is already inside user/nice).
  const [user = 0, nice = 0, system = 0, idle = 0, iowait = 0, irq = 0, softirq = 0, steal = 0] = fields;
  const busy = user + nice + system + irq + softirq + steal;
  return { busy, total: busy + idle + iowait };
}

export const ticksToSeconds = (ticks: number): number => ticks / USER_HZ;

export function cpuUtilizationPercent(before: CpuTimes, after: CpuTimes): number {
  const total = after.total - before.total;
  if (total <= 0) return 0;
  return Math.min(100, Math.max(0, ((after.busy - before.busy) / total) * 100));
}

export interface MemoryReading {
  usageBytes: number;
  limitBytes: number;
}

export function readMemory(text = readFileSync("/proc/meminfo", "utf8")): MemoryReading {
  const kib = (key: string): number => Number(new RegExp(`^${key}:\\s+(\\d+)`, "m").exec(text)?.[1] ?? 0) * 1024;
  const limitBytes = kib("MemTotal");
  const available = kib("MemAvailable") || kib("MemFree") + kib("Buffers") + kib("Cached");
  return { usageBytes: Math.max(0, limitBytes - available), limitBytes };
}

function wholeDisks(): Set<string> | undefined {
  try {
    return new Set(readdirSync("/sys/block").filter((name) => !/^(loop|ram|zram|dm-|md|sr|fd|nbd)/.test(name)));
  } catch {
    return undefined;
  }
}

/** Bytes read and written by whole disks (partitions would count the same I/O twice). */
export function readDiskIo(text = readFileSync("/proc/diskstats", "utf8"), disks = wholeDisks()): { readBytes: number; writeBytes: number } {
  let readBytes = 0;
  let writeBytes = 0;
  for (const line of text.split("\n")) {
    const f = line.trim().split(/\s+/);
    const name = f[2];
    if (!name || f.length < 10) continue;
    if (disks ? !disks.has(name) : /^(loop|ram)|\d$/.test(name)) continue;
    readBytes += Number(f[5]) * SECTOR_BYTES;
    writeBytes += Number(f[9]) * SECTOR_BYTES;
  }
  return { readBytes, writeBytes };
}

export function readRootDisk(path = "/"): { usedBytes: number; utilizationPercent: number } {
  const s = statfsSync(path);
  const usedBytes = (s.blocks - s.bfree) * s.bsize;
  const usable = usedBytes + s.bavail * s.bsize;
  return { usedBytes, utilizationPercent: usable > 0 ? (usedBytes / usable) * 100 : 0 };
}

export interface NetworkReading {
  receiveBytes: number;
  transmitBytes: number;
  receiveErrors: number;
  transmitErrors: number;
}

/** /proc/net/dev of the agent's network namespace, all interfaces summed. */
export function readNetwork(text = readFileSync("/proc/net/dev", "utf8")): NetworkReading {
  const sum = { receiveBytes: 0, transmitBytes: 0, receiveErrors: 0, transmitErrors: 0 };
  for (const line of text.split("\n").slice(2)) {
    const colon = line.indexOf(":");
    if (colon < 0) continue;
    const f = line.slice(colon + 1).trim().split(/\s+/).map(Number);
    sum.receiveBytes += f[0] ?? 0;
    sum.receiveErrors += f[2] ?? 0;
    sum.transmitBytes += f[8] ?? 0;
    sum.transmitErrors += f[10] ?? 0;
  }
  return sum;
}
