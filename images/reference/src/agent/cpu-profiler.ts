// Continuous CPU profiling (contract observability.md §4.4): one persistent perf session per
// connected, monitored service whose PID is known, at 19 Hz, drained every 15 s into
// cpu_profile_samples_local (timestamp = drain time, one row per distinct stack). Idle services
// give no rows. A session that cannot start is logged as Coral logs it and not retried for that PID.
import { log } from "../common/log.js";
import type { LocalTable } from "./local-table.js";
import { startPerfSession, type PerfSession, type PerfStack } from "./perf-helper.js";
import type { ProfilingConfig } from "./profiling-config.js";
import { profileFrames } from "./profile-faults.js";
import type { ServiceRegistry } from "./service-registry.js";

export interface CpuSampleRow {
  /** Unix ms of the drain. */
  timestamp: number;
  buildId: string;
  stackFrames: string[];
  sampleCount: number;
  serviceName: string;
  tgid: number;
}

const RECONCILE_MS = 1_000;

export class ContinuousCpuProfiler {
  private sessions = new Map<string, { pid: number; session?: PerfSession }>();
  private timer?: NodeJS.Timeout;

  constructor(
    private readonly services: ServiceRegistry,
    private readonly table: LocalTable<CpuSampleRow>,
    private readonly config: ProfilingConfig,
  ) {}

  start(): void {
    if (this.config.disabled) {
      log.info("Continuous CPU profiling disabled");
      return;
    }
    const profiled = this.reconcile();
    if (profiled === 0) log.info("No services with PIDs to profile - continuous profiling ready for new services");
    else log.info("Continuous CPU profiling started successfully", { services: profiled });
    this.timer = setInterval(() => this.reconcile(), RECONCILE_MS);
    this.timer.unref();
  }

  /** Starts sessions for newly found PIDs and ends those of disconnected or restarted services. */
  private reconcile(): number {
    const wanted = new Map(this.services.targets().filter((t) => t.monitored && t.pid > 0).map((t) => [t.name, t.pid]));
    for (const [name, entry] of this.sessions) {
      if (wanted.get(name) === entry.pid) continue;
      entry.session?.stop();
      this.sessions.delete(name);
    }
    for (const [name, pid] of wanted) if (!this.sessions.has(name)) this.open(name, pid);
    return wanted.size;
  }

  private open(service: string, pid: number): void {
    const entry: { pid: number; session?: PerfSession } = { pid };
    this.sessions.set(service, entry);
    const args = ["profile", "--pid", String(pid), "--hz", String(this.config.frequencyHz), "--drain", `${this.config.intervalMs}ms`];
    const session = startPerfSession(args, (line) => {
      if (line.event !== "samples") return;
      this.store(service, pid, line.buildId ?? "", line.stacks ?? [], line.time);
    });
    entry.session = session;
    session.ready.then(
      () => log.info("Persistent BPF session started, draining maps on interval", { frequency_hz: this.config.frequencyHz, pid, service_id: service }),
      (err: Error) => {
        entry.session = undefined;
        log.error("Failed to start persistent CPU profile session", { service_id: service, pid, error: err.message });
      },
    );
  }

  private store(service: string, pid: number, buildId: string, stacks: PerfStack[], time?: string): void {
    const timestamp = time ? Date.parse(time) : Date.now();
    const total = stacks.reduce((n, s) => n + s.count, 0);
    this.table.insert(stacks.map((s) => ({ timestamp, buildId, stackFrames: profileFrames(s.frames), sampleCount: s.count, serviceName: service, tgid: pid })));
    log.debug("Drained CPU profile samples", { service_id: service, total_samples: total, unique_stacks: stacks.length });
  }
}
