// Every network, container and volume a run creates carries these labels, so a run removes exactly
// what it made and `coral-e2e clean` finds leftovers of crashed runs.
import { randomBytes } from "node:crypto";

export const PROJECT_LABEL = "coral-e2e";
export const RUN_LABEL = "coral-e2e.run-id";
export const ROLE_LABEL = "coral-e2e.role";

/** YYYYMMDD-HHMMSS-xxxxxx: sortable, readable, unique enough for runs sharing one daemon. */
export function newRunId(now = new Date()): string {
  const pad = (n: number) => String(n).padStart(2, "0");
  const date = `${now.getUTCFullYear()}${pad(now.getUTCMonth() + 1)}${pad(now.getUTCDate())}`;
  const time = `${pad(now.getUTCHours())}${pad(now.getUTCMinutes())}${pad(now.getUTCSeconds())}`;
  return `${date}-${time}-${randomBytes(3).toString("hex")}`;
}

/** Short form used inside resource names (Docker names stay readable in `docker ps`). */
export function shortRunId(runId: string): string {
  return runId.slice(-6);
}

/** How to reach a container that publishes no port (apps in an agent's namespaces), for --keep-containers. */
export const REACH_LABEL = "coral-e2e.reach";

export function runLabels(runId: string, role: string): Record<string, string> {
  return { [PROJECT_LABEL]: "1", [RUN_LABEL]: runId, [ROLE_LABEL]: role };
}
