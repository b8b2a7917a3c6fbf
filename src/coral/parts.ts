// The parts of a Coral deployment that checks name in `touches` (src/runner/check.ts), besides the
// run agents, which are the pool "agent" (one lent to a check) and the group "agents" (all of them).

export const EBPF_AGENT_HOSTNAME = "agent-ebpf";
export const L0_AGENT_HOSTNAME = "agent-l0";

export const PARTS = {
  /** Every check observes it implicitly; a restart excludes everyone. */
  colony: "colony",
  discovery: "discovery",
  /** The colony's address allocation: every join uses it; malformed registrations burn or poison it. */
  ipPool: "ip-pool",
  /** The layer agents, by their ids. */
  ebpfAgent: EBPF_AGENT_HOSTNAME,
  l0Agent: L0_AGENT_HOSTNAME,
} as const;
