// Finds the process behind a connected service in the agent's PID namespace (contract
// observability.md §3.2 ConnectService): the listener of a TCP port via /proc/net/tcp[6] socket
// inodes and /proc/<pid>/fd links, or the first process whose executable matches a pattern.
import { readdirSync, readFileSync, readlinkSync } from "node:fs";

const LISTEN_STATE = "0A";

function listeningInodes(port: number): Set<string> {
  const inodes = new Set<string>();
  for (const table of ["/proc/net/tcp", "/proc/net/tcp6"]) {
    let text = "";
    try {
      text = readFileSync(table, "utf8");
    } catch {
      continue;
    }
    for (const line of text.split("\n").slice(1)) {
      const f = line.trim().split(/\s+/);
      const localPort = Number.parseInt(f[1]?.split(":")[1] ?? "", 16);
      if (localPort === port && f[3] === LISTEN_STATE && f[9] && f[9] !== "0") inodes.add(f[9]);
    }
  }
  return inodes;
}

function otherPids(): number[] {
  return readdirSync("/proc")
    .filter((name) => /^\d+$/.test(name))
    .map(Number)
    .filter((pid) => pid !== process.pid);
}

function holdsSocket(pid: number, inodes: Set<string>): boolean {
  let fds: string[];
  try {
    fds = readdirSync(`/proc/${pid}/fd`);
  } catch {
    return false; // exited, or not ours to inspect
  }
  for (const fd of fds) {
    try {
      const m = /^socket:\[(\d+)\]$/.exec(readlinkSync(`/proc/${pid}/fd/${fd}`));
      if (m && inodes.has(m[1]!)) return true;
    } catch {
      // fd closed meanwhile
    }
  }
  return false;
}

export function exePathOf(pid: number): string | undefined {
  try {
    return readlinkSync(`/proc/${pid}/exe`).replace(/ \(deleted\)$/, "");
  } catch {
    return undefined;
  }
}

export function pidListeningOn(port: number): number | undefined {
  const inodes = listeningInodes(port);
  if (inodes.size === 0) return undefined;
  return otherPids().find((pid) => holdsSocket(pid, inodes));
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
