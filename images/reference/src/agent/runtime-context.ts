// Runtime detection (contract connectivity.md §1.3 step 4, §2.5): platform, container runtime and
// Linux capabilities, reported by GetRuntimeContext, /status and the Register request.
import { create } from "@bufbuild/protobuf";
import { timestampFromDate } from "@bufbuild/protobuf/wkt";
import { existsSync, readFileSync } from "node:fs";
import { arch, release } from "node:os";
import {
  EbpfCollectorKind,
  ExecMode,
  RuntimeContext,
  RuntimeContextResponseSchema,
  SidecarMode,
  type RuntimeContextResponse,
} from "../../../../proto/gen/coral/agent/v1/agent_pb.js";
import { AGENT_VERSION } from "./config.js";

const goArch: Record<string, string> = { x64: "amd64", arm64: "arm64", arm: "arm", ia32: "386" };

// Bit numbers from linux/capability.h.
const CAP_BITS = {
  capDacOverride: 1,
  capSetgid: 6,
  capSetuid: 7,
  capNetAdmin: 12,
  capSysPtrace: 19,
  capSysAdmin: 21,
  capSysResource: 24,
  capSyslog: 34,
  capPerfmon: 38,
  capBpf: 39,
} as const;

function effectiveCapabilities(): bigint {
  try {
    const hex = /^CapEff:\s*([0-9a-f]+)$/m.exec(readFileSync("/proc/self/status", "utf8"))?.[1];
    return hex ? BigInt(`0x${hex}`) : 0n;
  } catch {
    return 0n;
  }
}

export function hasCapability(bit: number, caps = effectiveCapabilities()): boolean {
  return (caps & (1n << BigInt(bit))) !== 0n;
}

function osVersion(): string {
  try {
    return /^VERSION_ID="?([^"\n]*)"?$/m.exec(readFileSync("/etc/os-release", "utf8"))?.[1] ?? "";
  } catch {
    return "";
  }
}

function runtimeType(): RuntimeContext {
  if (process.env.KUBERNETES_SERVICE_HOST) return RuntimeContext.K8S_DAEMONSET;
  if (existsSync("/.dockerenv") || existsSync("/run/.containerenv")) return RuntimeContext.DOCKER;
  return RuntimeContext.NATIVE;
}

export function detectRuntimeContext(agentId: string, monitorAll: boolean): RuntimeContextResponse {
  const caps = effectiveCapabilities();
  const linuxCapabilities = Object.fromEntries(Object.entries(CAP_BITS).map(([name, bit]) => [name, hasCapability(bit, caps)]));
  const kernel = release();
  const sysAdmin = hasCapability(CAP_BITS.capSysAdmin, caps);
  const sysPtrace = hasCapability(CAP_BITS.capSysPtrace, caps);
  const nsenter = sysAdmin && sysPtrace;
  return create(RuntimeContextResponseSchema, {
    platform: { os: "linux", arch: goArch[arch()] ?? arch(), osVersion: osVersion(), kernel },
    runtimeType: runtimeType(),
    sidecarMode: SidecarMode.UNKNOWN,
    capabilities: {
      canRun: false,
      canExec: false,
      canShell: false,
      canConnect: true,
      // An object (§2.5; seen at runtime with SYS_ADMIN + SYS_PTRACE: mode NSENTER and both namespaces).
      execCapabilities: { mode: nsenter ? ExecMode.NSENTER : ExecMode.NONE, mountNamespaceAccess: nsenter, pidNamespaceAccess: nsenter, hasSysAdmin: sysAdmin, hasSysPtrace: sysPtrace },
      linuxCapabilities,
    },
    visibility: { allPids: monitorAll, allContainers: false },
    detectedAt: timestampFromDate(new Date()),
    version: AGENT_VERSION,
    ebpfCapabilities: {
      supported: true,
      kernelVersion: kernel,
      btfAvailable: existsSync("/sys/kernel/btf/vmlinux"),
      // "root", as in Coral, not the capability (observability.md §5.1).
      capBpf: process.getuid?.() === 0,
      // Enum values (seen at runtime: SYSCALL_STATS and UPROBE). The reference's collectors are
      // perf-event based; they need CAP_SYS_ADMIN or CAP_PERFMON.
      availableCollectors: sysAdmin || hasCapability(CAP_BITS.capPerfmon, caps) ? [EbpfCollectorKind.SYSCALL_STATS, EbpfCollectorKind.UPROBE] : [],
    },
    agentId,
  });
}
