// L0 without Beyla (contract observability.md §4.1, README "L0 source"): the reference agent's
// stand-in for Coral's Beyla manager. Its "Beyla process" is the perf helper's `httpcap`, a passive
// packet observer of the agent's network namespace that reports each HTTP/1.x exchange an app really
// served (method, path, status, latency). Discovery follows Coral's rules: every sync interval the
// listeners of the namespace are matched against one rule per connected service (its port AND its
// name in the executable path, §10 #9) and, with monitor-all, one rule per other listener named by
// its comm. Exchanges of matched services become Beyla-style histograms exported every metrics
// interval (one row per non-empty bucket) and SERVER spans. Like Beyla, the helper needs tracefs in
// the container and a kernel with kprobes for its process watcher (§10 #34): without them it stays
// up, Coral's error line is logged with source=beyla, and nothing is recorded.
import { randomBytes } from "node:crypto";
import { writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { parseDuration } from "../common/duration.js";
import { faults } from "../common/faults.js";
import { log } from "../common/log.js";
import type { EbpfTraceSpanRow } from "./agent-store.js";
import type { LocalTable } from "./local-table.js";
import type { EbpfHttpRow } from "./otlp-metrics.js";
import { startPerfSession, type PerfLine } from "./perf-helper.js";
import { commOf, exePathOf, listeners } from "./process-discovery.js";
import type { ServiceRegistry } from "./service-registry.js";

/** Ports Beyla never instruments (§4.1 step 2). */
export const EXCLUDED_PORTS = [4317, 4318, 4319, 4320, 9000, 9001];
/** Beyla's default HTTP duration buckets, as upper bounds in ms (overflow dropped, §4.1 step 4). */
const BUCKETS_MS = [5, 10, 25, 50, 75, 100, 250, 500, 750, 1000, 2500, 5000, 7500, 10000];
const RESTART_PAUSE_MS = 2_000;

export interface RedObserverConfig {
  syncIntervalMs: number;
  metricsIntervalMs: number;
}

export function loadRedObserverConfig(env: NodeJS.ProcessEnv = process.env): RedObserverConfig {
  const otelMs = Number(env.OTEL_METRIC_EXPORT_INTERVAL);
  return {
    syncIntervalMs: parseDuration(env.CORAL_BEYLA_DISCOVERY_SYNC_INTERVAL, 30_000),
    // Beyla's own knobs reach it through the agent's environment (§1.2); 60 s by default.
    metricsIntervalMs: parseDuration(env.BEYLA_METRICS_INTERVAL, Number.isFinite(otelMs) && otelMs > 0 ? otelMs : 60_000),
  };
}

interface Rule {
  name: string;
  openPorts: number[];
  exePath: string;
}

interface Histogram {
  serviceName: string;
  method: string;
  route: string;
  status: number;
  counts: number[];
}

export class RedObserver {
  private rules: Rule[] = [];
  /** port → service name, from the last discovery. */
  private portNames = new Map<number, string>();
  private histograms = new Map<string, Histogram>();

  constructor(
    private readonly services: ServiceRegistry,
    private readonly http: LocalTable<EbpfHttpRow>,
    private readonly traces: LocalTable<EbpfTraceSpanRow>,
    private readonly monitorAll: boolean,
    private readonly config: RedObserverConfig,
  ) {}

  start(): void {
    // Fault beyla-missing: an agent image without a Beyla binary (L0 impossible, §5.1).
    if (faults.has("beyla-missing")) {
      log.error("Beyla binary not found - eBPF metrics disabled", { source: "beyla" });
      return;
    }
    this.discover();
    if (this.rules.length === 0 && this.monitorAll) log.info("MonitorAll enabled and no specific rules provided - using catch-all discovery (ports 1-65535)");
    this.launch();
    setInterval(() => this.discover(), this.config.syncIntervalMs).unref();
    setInterval(() => this.export(), this.config.metricsIntervalMs).unref();
  }

  private launch(): void {
    // Fault beyla-crash-loop: the process exits at once, every time (a placeholder binary, §4.1 step 7).
    const args = faults.has("beyla-crash-loop")
      ? ["httpcap", "--placeholder-not-available"]
      : ["httpcap", "--require-kprobes", "--exclude-ports", EXCLUDED_PORTS.join(",")];
    const session = startPerfSession(args, (line) => this.observe(line));
    // Like Coral, "started" means spawned: it is logged before a crash too.
    log.info("Beyla process started", { pid: session.child.pid, open_ports: [...this.portNames.keys()].join(","), source: "reference-httpcap" });
    session.ready.catch((err: Error) => log.error(err.message, { source: "beyla" }));
    // The observer lives as long as the agent: every exit is unexpected.
    void session.exited.then(() => {
      log.error("Beyla process exited unexpectedly, restarting", { error: "helper exited" });
      setTimeout(() => {
        this.launch();
        log.info("Beyla restarted successfully after unexpected exit");
      }, RESTART_PAUSE_MS).unref();
    });
  }

  /** Coral's discovery: connected services are pinned by name; monitor-all adds every listener. */
  private discover(): void {
    const connected = this.services.targets().filter((t) => t.port > 0);
    const names = new Map<number, string>();
    const rules = new Map<string, Rule>();
    for (const { port, pid } of listeners()) {
      if (EXCLUDED_PORTS.includes(port) || pid === process.pid) continue;
      const exe = exePathOf(pid) ?? "";
      const pinned = connected.find((t) => t.port === port);
      // A rule needs both selectors: the port, and the name inside the executable path (§10 #9).
      const name = pinned ? (exe.includes(pinned.name) ? pinned.name : undefined) : this.monitorAll ? commOf(pid) : undefined;
      if (!name) continue;
      names.set(port, name);
      const rule = rules.get(name) ?? { name, openPorts: [], exePath: `.*${name}.*` };
      rule.openPorts.push(port);
      rules.set(name, rule);
    }
    const changed = JSON.stringify([...rules.values()]) !== JSON.stringify(this.rules);
    this.rules = [...rules.values()];
    this.portNames = names;
    if (changed) {
      log.info("Discovery configuration changed", { rules: this.rules.map((r) => r.name).join(",") });
      this.writeConfig();
    }
  }

  /** The Beyla YAML Coral writes into the temp directory (§5.2 reads it with docker exec). */
  private writeConfig(): void {
    const lines = ["discovery:", "  instrument:"];
    for (const r of this.rules) lines.push(`    - name: ${r.name}`, `      open_ports: "${r.openPorts.join(",")}"`, `      exe_path: "${r.exePath}"`);
    lines.push(`  exclude_ports: "${EXCLUDED_PORTS.join(",")}"`, "routes:", "  unmatched: wildcard", "");
    try {
      writeFileSync(join(tmpdir(), "beyla-config-reference.yaml"), lines.join("\n"));
    } catch (err) {
      log.warn("Failed to write Beyla config", { error: (err as Error).message });
    }
  }

  private observe(line: PerfLine): void {
    if (line.event === "watcher-error") {
      // Beyla's own slog line, relayed by the agent as Coral does (§10 #34).
      log.error(`level=ERROR msg="Unable to load eBPF watcher for process events" component=discover.ProcessWatcher error="${line.error}"`, { source: "beyla" });
      return;
    }
    if (line.event !== "http" || line.serverPort === undefined) return;
    const found = this.portNames.get(line.serverPort);
    if (!found) return;
    // Fault l0-wrong-service-name: data under another name than the one the service was connected with.
    const serviceName = faults.has("l0-wrong-service-name") ? `${found}-observed` : found;
    const route = (line.path ?? "/").split("?")[0] || "/";
    const method = line.method ?? "GET";
    const status = line.status ?? 0;
    const ms = (line.durationNs ?? 0) / 1e6;
    const key = `${serviceName}\u0000${method}\u0000${route}\u0000${status}`;
    const h = this.histograms.get(key) ?? { serviceName, method, route, status, counts: BUCKETS_MS.map(() => 0) };
    const bucket = BUCKETS_MS.findIndex((bound) => ms <= bound);
    if (bucket >= 0) h.counts[bucket]!++;
    this.histograms.set(key, h);
    // Fault l0-no-server-spans: exchanges feed the metrics only.
    if (faults.has("l0-no-server-spans")) return;
    const start = line.time ? Date.parse(line.time) : Date.now();
    this.traces.insert([
      {
        traceId: randomBytes(16).toString("hex"),
        spanId: randomBytes(8).toString("hex"),
        parentSpanId: "",
        serviceName,
        spanName: `${method} ${route}`,
        spanKind: "SERVER",
        startTime: start,
        durationUs: Math.round(ms * 1000),
        statusCode: status,
        attributes: { "http.request.method": method, "http.route": route, "http.response.status_code": String(status), "server.port": String(line.serverPort) },
        processPid: 0,
      },
    ]);
  }

  /** One export: the interval's histograms as delta rows, one per non-empty bucket. */
  private export(): void {
    const now = Date.now();
    const rows: EbpfHttpRow[] = [];
    for (const h of this.histograms.values()) {
      h.counts.forEach((count, i) => {
        // Fault l0-counts-halved: every bucket reports half of what was observed.
        const reported = faults.has("l0-counts-halved") ? Math.floor(count / 2) : count;
        if (reported <= 0) return;
        rows.push({
          timestamp: now,
          serviceName: h.serviceName,
          httpMethod: h.method,
          httpRoute: h.route,
          httpStatusCode: h.status,
          bucketBound: BUCKETS_MS[i]!,
          count: reported,
          attributes: { "http.request.method": h.method, "http.route": h.route, "http.response.status_code": String(h.status) },
        });
      });
    }
    this.histograms.clear();
    if (rows.length) this.http.insert(rows);
  }
}
