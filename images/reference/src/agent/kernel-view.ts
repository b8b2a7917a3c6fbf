// Fix switch pretend-kprobes (FAULTS.md): this container's view of the kernel gets a kprobe event
// source, as on a kernel built with kprobes. /sys/bus/event_source/devices is covered with a tmpfs
// that mirrors the real entries (symlinks to the same /sys/devices targets, so the uprobe PMU the
// perf helper reads keeps working) plus a `kprobe` entry. Everything in the container sees it: the
// L0 stand-in (coral-ref-perf httpcap --require-kprobes) and a runner's `docker exec` preflight.
// Needs CAP_SYS_ADMIN (the L0 agent has it).
// Fault switch tracefs-unmounted: the agent unmounts tracefs from its container before it starts,
// as if the runner's entrypoint had not mounted it (the L0 stand-in then fails as Beyla does).
import { execFileSync } from "node:child_process";
import { mkdirSync, readdirSync, realpathSync, symlinkSync, writeFileSync, existsSync } from "node:fs";
import { join } from "node:path";
import { faults } from "../common/faults.js";
import { log } from "../common/log.js";

const DEVICES = "/sys/bus/event_source/devices";
const TRACEFS = "/sys/kernel/tracing";
/** PERF_TYPE_MAX + the next dynamic PMU number is what a kernel would give; any number does. */
const KPROBE_PMU_TYPE = "6";

export function applyKernelView(): void {
  if (faults.has("tracefs-unmounted")) {
    try {
      execFileSync("umount", [TRACEFS], { stdio: "pipe" });
      log.info("Kernel view: tracefs unmounted (fault tracefs-unmounted)", { path: TRACEFS });
    } catch (err) {
      log.warn("Kernel view: cannot unmount tracefs", { error: (err as Error).message.split("\n")[0] });
    }
  }
  if (!faults.has("pretend-kprobes") || existsSync(join(DEVICES, "kprobe"))) return;
  try {
    const entries = readdirSync(DEVICES).map((name) => ({ name, target: realpathSync(join(DEVICES, name)) }));
    execFileSync("mount", ["-t", "tmpfs", "-o", "mode=755", "coral-ref-kprobes", DEVICES], { stdio: "pipe" });
    for (const { name, target } of entries) symlinkSync(target, join(DEVICES, name));
    mkdirSync(join(DEVICES, "kprobe"));
    writeFileSync(join(DEVICES, "kprobe", "type"), `${KPROBE_PMU_TYPE}\n`);
    log.info("Kernel view: kprobe event source present (fix pretend-kprobes)", { devices: [...entries.map((e) => e.name), "kprobe"].join(",") });
  } catch (err) {
    log.warn("Kernel view: cannot add a kprobe event source (fix pretend-kprobes needs CAP_SYS_ADMIN)", { error: (err as Error).message });
  }
}
