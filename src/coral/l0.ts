// L0 (Beyla) in the L0 agent's container: what Beyla needs there, and the preflight that reads
// whether it got it (observability.md §4.1 step 7, §5.1, §10 #23, #34). v0.3.0 reports L0 over no
// RPC, so the evidence is the agent's log and the kernel as the container sees it (Docker may be
// remote: read with `docker exec`, never on this host). A gap skips the layer, never fails it.

export const TRACEFS = "/sys/kernel/tracing";
const EVENT_SOURCES = "/sys/bus/event_source/devices";

/**
 * PID 1 of the L0 agent: tracefs mounted in its own container when absent (Docker mounts neither
 * tracefs nor debugfs; SYS_ADMIN + seccomp=unconfined allow it, §10 #34), then `coral-agent start`.
 * No host mount, no --privileged. A failed mount is left for the preflight to see.
 */
export const L0_AGENT_ENTRYPOINT = [
  "bash",
  "-c",
  [
    `grep -qs ' ${TRACEFS} tracefs ' /proc/mounts || mount -t tracefs nodev ${TRACEFS} || echo "coral-e2e: cannot mount tracefs at ${TRACEFS}" >&2`,
    "exec coral-agent start",
  ].join("\n"),
];

/** Lists the kernel facts Beyla's process watcher depends on, as the container sees them. */
export const KERNEL_PROBE = [
  "sh",
  "-c",
  [
    `echo "sources: $(ls ${EVENT_SOURCES} 2>/dev/null | tr '\\n' ' ')"`,
    `echo "tracefs: $(awk '$3 == "tracefs" {print $2; exit}' /proc/mounts)"`,
    `for f in ${TRACEFS}/kprobe_events /sys/kernel/debug/tracing/kprobe_events; do [ -e "$f" ] && echo "kprobe_events: $f"; done; true`,
  ].join("; "),
];

export interface L0KernelFacts {
  /** The perf event sources of /sys/bus/event_source/devices. */
  sources: string[];
  /** Where tracefs is mounted in the container, "" if nowhere. */
  tracefs: string;
  /** A kprobe_events file of tracefs or debugfs, "" if none. */
  kprobeEvents: string;
}

export function parseKernelFacts(output: string): L0KernelFacts {
  const value = (key: string) => new RegExp(`^${key}: *(.*)$`, "m").exec(output)?.[1]?.trim() ?? "";
  return { sources: value("sources").split(/\s+/).filter(Boolean), tracefs: value("tracefs"), kprobeEvents: value("kprobe_events") };
}

export const hasKprobes = (k: L0KernelFacts) => k.sources.includes("kprobe") || k.kprobeEvents !== "";

const WATCHER_ERROR = /Unable to load eBPF watcher[^\n]*/;

/** Why L0 cannot run, from the agent's log after Beyla's start window and the kernel facts; undefined if it can. */
export function l0Gap(logs: string, kernel: L0KernelFacts, stableMs: number): string | undefined {
  if (/Beyla binary not found/.test(logs)) return 'L0 unavailable: the agent logs "Beyla binary not found"';
  const exits = logs.match(/Beyla process exited unexpectedly/g)?.length ?? 0;
  if (exits > 0) {
    return (
      `L0 unavailable: Beyla started and exited unexpectedly ${exits}× within ${stableMs / 1000} s (a crash loop; ` +
      "known defect of v0.3.0: reported over no RPC, and every restart leaves a copy of the binary on disk, observability.md §4.1 step 7, §10 #23)"
    );
  }
  const watcher = WATCHER_ERROR.exec(logs)?.[0];
  const beyla = watcher ? `; Beyla logs "${watcher.slice(0, 240)}"` : "";
  if (!hasKprobes(kernel)) {
    return (
      `L0 unavailable: kernel without kprobes (no kprobe in ${EVENT_SOURCES}: ${kernel.sources.join(", ") || "none"}; ` +
      `no kprobe_events in tracefs${kernel.tracefs ? ` at ${kernel.tracefs}` : ", which is not mounted"}): Beyla cannot attach its process watcher (observability.md §10 #34)${beyla}`
    );
  }
  if (watcher) return `L0 unavailable: Beyla cannot load its eBPF process watcher (observability.md §10 #34)${beyla}`;
  return undefined;
}
