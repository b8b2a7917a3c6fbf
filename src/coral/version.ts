// Which Coral release a deployment runs (contract §5.2). Images print "dev" as their version, so
// the release is told by what the agent's CLI offers: `--no-monitor-all` exists only in v0.3.0,
// the RFD-108 `--bootstrap-public-endpoint` flag from v0.2.0.
import type { AgentNode } from "./nodes.js";

export interface CoralVersion {
  version: "v0.3.0" | "v0.2.0" | "v0.1" | "unknown";
  evidence: string;
}

export function versionFromHelp(help: string): CoralVersion {
  if (help.includes("--no-monitor-all")) return { version: "v0.3.0", evidence: "coral-agent start --help lists --no-monitor-all" };
  if (help.includes("--bootstrap-public-endpoint")) return { version: "v0.2.0", evidence: "coral-agent start --help lists --bootstrap-public-endpoint, not --no-monitor-all" };
  if (help.includes("--monitor-all")) return { version: "v0.1", evidence: "coral-agent start --help lists only --monitor-all" };
  return { version: "unknown", evidence: `coral-agent start --help printed: ${help.slice(0, 200)}` };
}

export async function detectVersion(agent: AgentNode): Promise<CoralVersion> {
  try {
    const help = await agent.cli(["start", "--help"], 10_000);
    return versionFromHelp(help.stdout + help.stderr);
  } catch (error) {
    return { version: "unknown", evidence: `coral-agent start --help failed: ${(error as Error).message}` };
  }
}
