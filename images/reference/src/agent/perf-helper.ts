// The agent's window on perf events: the Go helper `coral-ref-perf` (images/reference/perf) opens
// perf_event_open sessions on a PID (CPU samples, uprobes), or watches the HTTP exchanges of its
// network namespace passively (httpcap, L0), and reports them as JSON lines. Without
// the rights (CAP_SYS_ADMIN or CAP_PERFMON) it exits with one error line, which the agent passes on
// as Coral does: an error, never invented data (contract observability.md §7).
import { execFile, spawn, type ChildProcess } from "node:child_process";
import { createInterface } from "node:readline";

export const PERF_HELPER = process.env.CORAL_REF_PERF_HELPER || "/usr/local/libexec/coral-ref-perf";

export interface PerfStack {
  frames: string[];
  count: number;
}

export interface PerfLine {
  event: "started" | "samples" | "attached" | "entry" | "return" | "http" | "watcher-error" | "error";
  error?: string;
  time?: string;
  buildId?: string;
  total?: number;
  lost?: number;
  stacks?: PerfStack[];
  pid?: number;
  tid?: number;
  durationNs?: number;
  returnOffsets?: number[];
  /** httpcap: one HTTP exchange the app served. */
  serverPort?: number;
  method?: string;
  path?: string;
  status?: number;
}

export interface PerfSession {
  child: ChildProcess;
  /** Resolves with the first line ("started"/"attached"), rejects with the helper's error. */
  ready: Promise<PerfLine>;
  /** Resolves when the helper has exited. */
  exited: Promise<void>;
  stop(): void;
}

const READY_TIMEOUT_MS = 15_000;

/** Starts the helper; every line after the first goes to onLine. */
export function startPerfSession(args: string[], onLine: (line: PerfLine) => void): PerfSession {
  const child = spawn(PERF_HELPER, args, { stdio: ["ignore", "pipe", "pipe"] });
  let stderr = "";
  child.stderr!.on("data", (chunk: Buffer) => (stderr = (stderr + chunk.toString()).slice(-2000)));
  let settle: { resolve(line: PerfLine): void; reject(err: Error): void } | undefined;
  const ready = new Promise<PerfLine>((resolve, reject) => (settle = { resolve, reject }));
  const fail = (message: string) => {
    settle?.reject(new Error(message));
    settle = undefined;
  };
  const timer = setTimeout(() => {
    fail(`perf helper did not start within ${READY_TIMEOUT_MS} ms`);
    child.kill("SIGKILL");
  }, READY_TIMEOUT_MS);
  createInterface({ input: child.stdout! }).on("line", (text) => {
    let line: PerfLine;
    try {
      line = JSON.parse(text) as PerfLine;
    } catch {
      return;
    }
    if (line.event === "error") return fail(line.error ?? "perf helper failed");
    if (settle) {
      clearTimeout(timer);
      settle.resolve(line);
      settle = undefined;
      return;
    }
    onLine(line);
  });
  const exited = new Promise<void>((resolve) =>
    child.on("close", (code, signal) => {
      clearTimeout(timer);
      fail(stderr.trim().split("\n").at(-1) || `perf helper exited (${signal ?? code})`);
      resolve();
    }),
  );
  child.on("error", (err) => fail(`perf helper: ${err.message}`));
  return { child, ready, exited, stop: () => void child.kill("SIGTERM") };
}

/** The executable's functions from its DWARF (`coral-ref-perf functions`), as Coral indexes a non-SDK service. */
export function listDwarfFunctions(binary: string): Promise<Array<{ name: string; file?: string; line?: number; offset: number }>> {
  return new Promise((resolve, reject) => {
    execFile(PERF_HELPER, ["functions", "--binary", binary], { maxBuffer: 64 * 1024 * 1024, timeout: 60_000 }, (err, stdout) => {
      const line = JSON.parse(stdout.trim().split("\n").at(-1) || "{}") as { event?: string; error?: string; functions?: Array<{ name: string; file?: string; line?: number; offset: number }> };
      if (line.event === "functions") resolve(line.functions ?? []);
      else reject(new Error(line.error || err?.message || "perf helper listed no functions"));
    });
  });
}
