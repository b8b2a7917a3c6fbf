// Preflight for the layers that need eBPF/perf events (L2 continuous profiling, L3): what the
// agent says it can do (GetRuntimeContext) and the kernel facts it reports (observability.md §5.1,
// §7). A gap gives the exact reason the engine skips those checks with; never a failure, never a pass.
import type { RuntimeContextResponse } from "../../proto/gen/coral/agent/v1/agent_pb.js";

export interface EbpfFacts {
  capSysAdmin: boolean;
  capBpf: boolean;
  capPerfmon: boolean;
  capSysPtrace: boolean;
  kernel: string;
  btf: boolean;
  arch: string;
}

export interface EbpfGaps {
  /** Why no eBPF/perf-based level can run on this agent. */
  ebpf?: string;
  /** Why uprobe sessions get no return events (hence no durations) here. */
  returnProbes?: string;
}

export function ebpfFacts(ctx: RuntimeContextResponse): EbpfFacts {
  const caps = ctx.capabilities?.linuxCapabilities;
  return {
    capSysAdmin: caps?.capSysAdmin ?? false,
    capBpf: caps?.capBpf ?? false,
    capPerfmon: caps?.capPerfmon ?? false,
    capSysPtrace: caps?.capSysPtrace ?? false,
    kernel: ctx.ebpfCapabilities?.kernelVersion || ctx.platform?.kernel || "",
    btf: ctx.ebpfCapabilities?.btfAvailable ?? false,
    arch: ctx.platform?.arch ?? "",
  };
}

/** "6.18.44-fc" → [6, 18]; unknown → undefined. */
export function kernelRelease(kernel: string): [number, number] | undefined {
  const m = /^(\d+)\.(\d+)/.exec(kernel);
  return m ? [Number(m[1]), Number(m[2])] : undefined;
}

export function ebpfGaps(f: EbpfFacts): EbpfGaps {
  const gaps: string[] = [];
  // linuxCapabilities, not ebpfCapabilities.capBpf (which only means "root", §5.1).
  if (!f.capSysAdmin && !(f.capBpf && f.capPerfmon)) gaps.push("agent lacks CAP_SYS_ADMIN/CAP_BPF (neither CAP_SYS_ADMIN nor CAP_BPF+CAP_PERFMON)");
  const release = kernelRelease(f.kernel);
  if (release && (release[0] < 5 || (release[0] === 5 && release[1] < 8))) gaps.push(`kernel ${f.kernel} is older than 5.8`);
  if (!f.btf) gaps.push("no BTF (/sys/kernel/btf/vmlinux missing)");
  return {
    ebpf: gaps.length ? gaps.join("; ") : undefined,
    // Coral finds return instructions with an x86-64 disassembler only (§10 #12).
    returnProbes: f.arch && f.arch !== "amd64" ? `not amd64 (${f.arch}): no return probes` : undefined,
  };
}
