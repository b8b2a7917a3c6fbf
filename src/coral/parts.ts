// The parts of a Coral deployment that checks name in `touches` (src/runner/check.ts). Agents come
// in two kinds: the run agents (--agents), which checks only watch, as the group "agents"; and one
// spare agent for each check that disturbs an agent, as the pool "spare-agent" the engine lends
// from. So no check that watches every agent ever waits for one that stops or cuts an agent.

export const EBPF_AGENT_HOSTNAME = "agent-ebpf";
export const L0_AGENT_HOSTNAME = "agent-l0";

export const PARTS = {
  /** The group of run agents. */
  agents: "agents",
  /** The pool of spare agents: a check that disturbs one agent is lent one. */
  spareAgent: "spare-agent",
  /** Every check observes it implicitly; a restart excludes everyone. */
  colony: "colony",
  discovery: "discovery",
  /** The colony's address allocation: every join uses it; malformed registrations burn or poison it. */
  ipPool: "ip-pool",
  /** The layer agents, by their ids. */
  ebpfAgent: EBPF_AGENT_HOSTNAME,
  l0Agent: L0_AGENT_HOSTNAME,
  /**
   * The eBPF agent's apps, for what the checks do to them rather than to the agent: profiles count
   * cpu-app's busy threads (a check that keeps it busy has it alone); a uprobe session probes
   * sdk-app's function (one session at a time). Scheduling only: no fault is recorded on them.
   */
  cpuApp: "cpu-app",
  sdkApp: "sdk-app",
} as const;
