// The monitor of a connected service (contract observability.md §3.2): a health check every 10 s
// against http://localhost:<port><health_endpoint> and PID discovery, rerun while the process is
// unknown or gone. Only services connected with a health endpoint or an exe pattern get one.
import { request } from "node:http";
import { log } from "../common/log.js";
import { binaryPathOf, isAlive, pidListeningOn, pidMatchingExe } from "./process-discovery.js";

const CHECK_INTERVAL_MS = 10_000;
const HEALTH_TIMEOUT_MS = 5_000;

export interface MonitorTarget {
  name: string;
  port: number;
  healthEndpoint: string;
  exePattern: string;
}

function healthCheck(port: number, path: string): Promise<string | undefined> {
  return new Promise((resolve) => {
    const req = request(
      { host: "localhost", port, path: path.startsWith("/") ? path : `/${path}`, method: "GET", timeout: HEALTH_TIMEOUT_MS },
      (res) => {
        res.resume();
        const code = res.statusCode ?? 0;
        resolve(code >= 200 && code < 400 ? undefined : `health check returned status ${code}`);
      },
    );
    req.on("timeout", () => req.destroy(new Error(`health check timed out after ${HEALTH_TIMEOUT_MS}ms`)));
    req.on("error", (err) => resolve(err.message));
    req.end();
  });
}

export class ServiceMonitor {
  status: "unknown" | "healthy" | "unhealthy" = "unknown";
  lastCheck?: Date;
  error = "";
  pid = 0;
  binaryPath = "";
  private timer?: NodeJS.Timeout;
  private readonly exeRegex?: RegExp;

  private checked = false;

  /** afterFirstCheck: Coral pulls SDK capabilities again after the first health check (§4.6 step 2). */
  constructor(
    private readonly target: MonitorTarget,
    private readonly afterFirstCheck: () => void = () => undefined,
  ) {
    if (target.exePattern) this.exeRegex = new RegExp(target.exePattern);
  }

  start(): void {
    void this.tick();
    this.timer = setInterval(() => void this.tick(), CHECK_INTERVAL_MS);
    this.timer.unref();
  }

  stop(): void {
    clearInterval(this.timer);
  }

  private discoverPid(): void {
    if (this.pid && isAlive(this.pid)) return;
    const pid = this.target.port > 0 ? pidListeningOn(this.target.port) : this.exeRegex ? pidMatchingExe(this.exeRegex) : undefined;
    this.pid = pid ?? 0;
    this.binaryPath = pid ? binaryPathOf(pid) : "";
    if (pid) log.info("Discovered process for service", { service: this.target.name, pid, binary_path: this.binaryPath });
  }

  private async tick(): Promise<void> {
    try {
      this.discoverPid();
    } catch (err) {
      log.debug("PID discovery failed", { service: this.target.name, error: err instanceof Error ? err.message : String(err) });
    }
    if (!this.target.healthEndpoint || this.target.port <= 0) return;
    const error = await healthCheck(this.target.port, this.target.healthEndpoint);
    this.lastCheck = new Date();
    this.status = error ? "unhealthy" : "healthy";
    this.error = error ?? "";
    if (!this.checked) {
      this.checked = true;
      this.afterFirstCheck();
    }
  }
}
