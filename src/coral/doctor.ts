// `coral-e2e doctor`: what this machine offers the layers, one line per item, pass/warn/fail.
import { access, readFile } from "node:fs/promises";
import { constants } from "node:fs";
import { arch, release } from "node:os";
import type { DockerClient } from "../docker/client.js";
import { BASE_IMAGE } from "../images/build.js";
import { FIXTURE_IMAGES } from "../images/fixtures.js";
import { kernelRelease } from "./ebpf.js";
import { TRACEFS } from "./l0.js";
import { IMAGE_PRESETS, type CoralImages } from "./settings.js";

export type Severity = "pass" | "warn" | "fail";

export interface DoctorItem {
  item: string;
  severity: Severity;
  detail: string;
}

async function exists(path: string, mode = constants.F_OK): Promise<boolean> {
  try {
    await access(path, mode);
    return true;
  } catch {
    return false;
  }
}

async function readText(path: string): Promise<string | undefined> {
  try {
    return (await readFile(path, "utf8")).trim();
  } catch {
    return undefined;
  }
}

export async function runDoctorChecks(docker: DockerClient, images: CoralImages = IMAGE_PRESETS.reference!): Promise<DoctorItem[]> {
  const items: DoctorItem[] = [];
  let dockerOk = false;
  try {
    const version = await docker.version();
    dockerOk = true;
    items.push({ item: "docker", severity: "pass", detail: `daemon ${version} reachable` });
  } catch (error) {
    items.push({ item: "docker", severity: "fail", detail: (error as Error).message });
  }

  items.push(
    (await exists("/dev/net/tun"))
      ? { item: "/dev/net/tun", severity: "pass", detail: "present (WireGuard in colony and agents)" }
      : { item: "/dev/net/tun", severity: "fail", detail: "missing: colony and agents cannot create wg0 (modprobe tun)" },
  );

  // The host facts of the eBPF preflight (observability.md §5.1); the agent's own capabilities are
  // checked per run (GetRuntimeContext), where a gap skips layers 2 (profiling) and 3 with the reason.
  const kernel = release();
  const version = kernelRelease(kernel);
  const oldKernel = !version || version[0] < 5 || (version[0] === 5 && version[1] < 8);
  items.push({ item: "kernel", severity: oldKernel ? "warn" : "pass", detail: oldKernel ? `${kernel}: older than 5.8, eBPF layers (0, 2 profiling, 3) will be skipped` : `${kernel} (≥ 5.8)` });
  items.push(
    (await exists("/sys/kernel/btf/vmlinux"))
      ? { item: "kernel BTF", severity: "pass", detail: "/sys/kernel/btf/vmlinux present (eBPF layers 0, 2 profiling, 3)" }
      : { item: "kernel BTF", severity: "warn", detail: "no /sys/kernel/btf/vmlinux: eBPF layers (0, 2 profiling, 3) will be skipped" },
  );
  items.push(
    (await exists("/sys/bus/event_source/devices/uprobe/type"))
      ? { item: "uprobe PMU", severity: "pass", detail: "perf uprobe events available (layer 3 debug sessions)" }
      : { item: "uprobe PMU", severity: "warn", detail: "no /sys/bus/event_source/devices/uprobe: layer 3 uprobe sessions will fail" },
  );
  // L0 (Beyla, observability.md §10 #34): its process watcher attaches kprobes through tracefs. The
  // L0 agent mounts tracefs in its own container; the kernel must have kprobes. The run's preflight
  // reads the same facts inside that container (Docker may be remote); these are this host's.
  const kprobes = (await exists("/sys/bus/event_source/devices/kprobe")) || (await exists(`${TRACEFS}/kprobe_events`));
  items.push(
    kprobes
      ? { item: "kprobes", severity: "pass", detail: "kprobe event source present (layer 0: Beyla's process watcher)" }
      : { item: "kprobes", severity: "warn", detail: "kernel without kprobes (no kprobe in /sys/bus/event_source/devices, no kprobe_events in tracefs): layer 0 will be skipped" },
  );
  const tracefs = /\btracefs\b/.test((await readText("/proc/filesystems")) ?? "");
  items.push(
    tracefs
      ? { item: "tracefs", severity: "pass", detail: `the kernel offers tracefs; the L0 agent mounts it at ${TRACEFS} in its own container (layer 0)` }
      : { item: "tracefs", severity: "warn", detail: "no tracefs in /proc/filesystems: Beyla cannot load its process watcher, layer 0 will be skipped" },
  );
  items.push(
    arch() === "x64"
      ? { item: "architecture", severity: "pass", detail: "amd64 (uprobe return probes, hence call durations)" }
      : { item: "architecture", severity: "warn", detail: `${arch()}: not amd64, no return probes; the uprobe session check will be skipped` },
  );

  const paranoid = await readText("/proc/sys/kernel/perf_event_paranoid");
  items.push(
    paranoid === undefined
      ? { item: "perf_event_paranoid", severity: "warn", detail: "unreadable: CPU profiling may fail" }
      : { item: "perf_event_paranoid", severity: Number(paranoid) <= 2 ? "pass" : "warn", detail: `${paranoid}${Number(paranoid) > 2 ? " (> 2: profiling needs CAP_SYS_ADMIN in the agent)" : ""}` },
  );

  if (dockerOk) {
    for (const image of [BASE_IMAGE, ...new Set(Object.values(images))]) {
      const present = await docker.imageExists(image).catch(() => false);
      items.push({
        item: `image ${image}`,
        severity: present ? "pass" : image === BASE_IMAGE ? "warn" : "fail",
        detail: present ? "present" : "missing: run `coral-e2e images`",
      });
    }
    for (const image of Object.values(FIXTURE_IMAGES)) {
      const present = await docker.imageExists(image).catch(() => false);
      items.push({ item: `image ${image}`, severity: present ? "pass" : "warn", detail: present ? "present" : "missing (observability layers): run `coral-e2e images`" });
    }
  }
  return items;
}

/** Exit code by severity: 0 all pass, 1 warnings only, 3 anything failed (an environment error). */
export function doctorExitCode(items: DoctorItem[]): number {
  if (items.some((i) => i.severity === "fail")) return 3;
  if (items.some((i) => i.severity === "warn")) return 1;
  return 0;
}
