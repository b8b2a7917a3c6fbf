// The system metrics collector (contract observability.md §4.3): 13 metrics per tick from /proc
// and statfs, the first at collector start, then every CORAL_SYSTEM_METRICS_INTERVAL; a group
// that fails to read is skipped for that tick, as in Coral.
import { faults } from "../common/faults.js";
import { log } from "../common/log.js";
import type { AgentStore } from "./agent-store.js";
import type { SystemMetricsConfig } from "./observability-config.js";
import {
  cpuUtilizationPercent,
  readCpuTimes,
  readDiskIo,
  readMemory,
  readNetwork,
  readRootDisk,
  ticksToSeconds,
  type CpuTimes,
} from "./proc-readers.js";

export interface SystemMetricRow {
  /** Unix ms. */
  timestamp: number;
  name: string;
  value: number;
  unit: "percent" | "seconds" | "bytes" | "count";
  metricType: "gauge" | "counter";
  /** A JSON string such as {"mount":"/"}, or "". */
  attributes: string;
}

type Reading = Omit<SystemMetricRow, "timestamp">;

const FIRST_CPU_WINDOW_MS = 250;
const ROOT_MOUNT = JSON.stringify({ mount: "/" });

export class SystemMetricsCollector {
  private lastCpu?: CpuTimes;

  constructor(
    private readonly store: AgentStore,
    private readonly config: SystemMetricsConfig,
  ) {}

  async start(): Promise<void> {
    // Utilisation needs two readings; the first tick measures over a short window instead.
    this.lastCpu = readCpuTimes();
    await new Promise((resolve) => setTimeout(resolve, FIRST_CPU_WINDOW_MS));
    // Fault late-first-system-sample: the first sample waits three intervals instead of none.
    const firstDelayMs = faults.has("late-first-system-sample") ? 3 * this.config.intervalMs : 0;
    setTimeout(() => {
      this.collect();
      setInterval(() => this.collect(), this.config.intervalMs).unref();
    }, firstDelayMs).unref();
    log.info("System metrics collector started successfully", { interval: `${this.config.intervalMs}ms` });
  }

  private group(name: string, read: () => Reading[]): Reading[] {
    try {
      return read();
    } catch (err) {
      log.warn("Failed to collect system metrics", { group: name, error: err instanceof Error ? err.message : String(err) });
      return [];
    }
  }

  private cpu(): Reading[] {
    const now = readCpuTimes();
    const utilization = this.lastCpu ? cpuUtilizationPercent(this.lastCpu, now) : 0;
    this.lastCpu = now;
    return [
      {
        name: "system.cpu.utilization",
        value: faults.has("utilization-over-100") ? 100 + Math.max(utilization, 1) : utilization,
        unit: "percent",
        metricType: "gauge",
        attributes: "",
      },
      { name: "system.cpu.time", value: ticksToSeconds(now.busy), unit: "seconds", metricType: "counter", attributes: "" },
    ];
  }

  private memory(): Reading[] {
    const m = readMemory();
    const rows: Reading[] = [
      { name: "system.memory.usage", value: m.usageBytes, unit: "bytes", metricType: "gauge", attributes: "" },
      { name: "system.memory.limit", value: m.limitBytes, unit: "bytes", metricType: "gauge", attributes: "" },
      {
        name: "system.memory.utilization",
        value: m.limitBytes > 0 ? (m.usageBytes / m.limitBytes) * 100 : 0,
        unit: "percent",
        metricType: "gauge",
        attributes: "",
      },
    ];
    return faults.has("missing-system-metric") ? rows.filter((r) => r.name !== "system.memory.limit") : rows;
  }

  private disk(): Reading[] {
    const io = readDiskIo();
    const root = readRootDisk();
    return [
      { name: "system.disk.io.read", value: io.readBytes, unit: "bytes", metricType: "counter", attributes: "" },
      { name: "system.disk.io.write", value: io.writeBytes, unit: "bytes", metricType: "counter", attributes: "" },
      { name: "system.disk.usage", value: root.usedBytes, unit: "bytes", metricType: "gauge", attributes: ROOT_MOUNT },
      { name: "system.disk.utilization", value: root.utilizationPercent, unit: "percent", metricType: "gauge", attributes: ROOT_MOUNT },
    ];
  }

  private network(): Reading[] {
    const n = readNetwork();
    return [
      { name: "system.network.io.receive", value: n.receiveBytes, unit: "bytes", metricType: "counter", attributes: "" },
      { name: "system.network.io.transmit", value: n.transmitBytes, unit: "bytes", metricType: "counter", attributes: "" },
      { name: "system.network.errors.receive", value: n.receiveErrors, unit: "count", metricType: "counter", attributes: "" },
      { name: "system.network.errors.transmit", value: n.transmitErrors, unit: "count", metricType: "counter", attributes: "" },
    ];
  }

  collect(): void {
    const timestamp = Date.now();
    const readings = [
      ...(this.config.cpu ? this.group("cpu", () => this.cpu()) : []),
      ...(this.config.memory ? this.group("memory", () => this.memory()) : []),
      ...(this.config.disk ? this.group("disk", () => this.disk()) : []),
      ...(this.config.network ? this.group("network", () => this.network()) : []),
    ];
    this.store.systemMetrics.insert(readings.map((r) => ({ timestamp, ...r })));
    log.debug("Collected system metrics", { count: readings.length });
  }
}
