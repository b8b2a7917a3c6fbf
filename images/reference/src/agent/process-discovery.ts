// Finds the process behind a connected service in the agent's PID namespace (contract
// observability.md §3.2 ConnectService): the listener of a TCP port via /proc/net/tcp[6] socket
// inodes and /proc/<pid>/fd links, or the first process whose executable matches a pattern.
import { readdirSync, readFileSync, readlinkSync } from "node:fs";

const LISTEN_STATE = "0A";

/** Every listening TCP socket of this network namespace: its inode and port. */
function listenSockets(): Array<{ inode: string; port: number }> {
  const out: Array<{ inode: string; port: number }> = [];
  for (const table of ["/proc/net/tcp", "/proc/net/tcp6"]) {
    let text = "";
    try {
      text = readFileSync(table, "utf8");
    } catch {
      continue;
    }
    for (const line of text.split("\n").slice(1)) {
      const f = line.trim().split(/\s+/);
      const port = Number.parseInt(f[1]?.split(":")[1] ?? "", 16);
      if (f[3] === LISTEN_STATE && f[9] && f[9] !== "0" && port > 0) out.push({ inode: f[9], port });
    }
  }
  return out;
}

function otherPids(): number[] {
  return readdirSync("/proc")
    .filter((name) => /^\d+$/.test(name))
    .map(Number)
    .filter((pid) => pid !== process.pid);
}

export function exePathOf(pid: number): string | undefined {
  try {
    return readlinkSync(`/proc/${pid}/exe`).replace(/ \(deleted\)$/, "");
  } catch {
    return undefined;
  }
}

export function pidListeningOn(port: number): number | undefined {
  return listeners().find((l) => l.port === port)?.pid;
}

export function pidMatchingExe(pattern: RegExp): number | undefined {
  return otherPids().find((pid) => {
    const exe = exePathOf(pid);
    return exe !== undefined && pattern.test(exe);
  });
}

export function isAlive(pid: number): boolean {
  try {
    readFileSync(`/proc/${pid}/stat`);
    return true;
  } catch {
    return false;
  }
}

/** The binary as the agent can open it: through the process's own root (`/proc/<pid>/root/…`). */
export function binaryPathOf(pid: number): string {
  const exe = exePathOf(pid);
  return exe ? `/proc/${pid}/root${exe}` : "";
}

/** Every listening TCP port in this network namespace with the process holding it (one pass over /proc). */
export function listeners(): Array<{ port: number; pid: number }> {
  const byInode = new Map(listenSockets().map((s) => [s.inode, s.port]));
  const found = new Map<number, number>();
  for (const pid of otherPids()) {
    let fds: string[];
    try {
      fds = readdirSync(`/proc/${pid}/fd`);
    } catch {
      continue;
    }
    for (const fd of fds) {
      try {
        const m = /^socket:\[(\d+)\]$/.exec(readlinkSync(`/proc/${pid}/fd/${fd}`));
        const port = m ? byInode.get(m[1]!) : undefined;
        if (port !== undefined && !found.has(port)) found.set(port, pid);
      } catch {
        // fd closed meanwhile
      }
    }
  }
  return [...found].map(([port, pid]) => ({ port, pid }));
}

/** /proc/<pid>/comm: the kernel's process name, at most 15 characters. */
export function commOf(pid: number): string | undefined {
  try {
    return readFileSync(`/proc/${pid}/comm`, "utf8").trim();
  } catch {
    return undefined;
  }
}
