// Agent resolution for ProfileCPU / AttachUprobe (contract observability.md §3.5, §10 #16): ask
// AgentService/ListServices of every registered agent with a mesh IP, in registry order, unhealthy
// ones too, 3 s each; the first that lists the service by name wins, with that entry's process_id.
import { faults } from "../common/faults.js";
import { log } from "../common/log.js";
import { agentClient } from "./agent-client.js";
import type { AgentEntry, Registry } from "./registry.js";

const LIST_SERVICES_TIMEOUT_MS = 3_000;

export interface ServiceLocation {
  agent: AgentEntry;
  pid: number;
}

export class ServiceNotFoundError extends Error {
  constructor(serviceName: string) {
    super(`failed to find agent for service ${serviceName}: service not found`);
  }
}

/** Throws ServiceNotFoundError (Coral's exact text) when no agent lists the service. */
export async function findServiceAgent(registry: Registry, serviceName: string): Promise<ServiceLocation> {
  for (const agent of registry.all()) {
    if (!agent.meshIpv4) continue;
    try {
      const res = await agentClient(agent.meshIpv4).listServices({}, { timeoutMs: LIST_SERVICES_TIMEOUT_MS });
      const match = res.services.find((s) => s.name === serviceName);
      if (match) return { agent, pid: match.processId };
    } catch (err) {
      log.warn("Failed to query agent services", { agent_id: agent.agentId, error: err, component: "agent_coordinator" });
    }
  }
  // Fault profile-any-agent: an unknown service is routed to the first agent, with no PID.
  const first = registry.all().find((a) => a.meshIpv4);
  if (faults.has("profile-any-agent") && first) return { agent: first, pid: 0 };
  throw new ServiceNotFoundError(serviceName);
}
