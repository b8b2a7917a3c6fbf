// Fixture applications next to an agent: a container in the agent's network and PID namespaces
// (as Coral's own e2e stack runs its test apps), connected to the agent with a health endpoint so
// the agent monitors it (contract observability.md §3.2, §10 #14). The app's port lives in the
// agent's namespace, so the runner reaches it through the agent container.
import type { ExecResult } from "../docker/container.js";
import type { AgentNode } from "./nodes.js";

export interface AppSpec {
  /** Service name: also the container role suffix and, for Beyla, part of the binary path. */
  name: string;
  image: string;
  port: number;
  healthPath: string;
  env?: Record<string, string>;
  /** Another executable of the image (its name is what Beyla and procfs discovery see). */
  entrypoint?: readonly string[];
  /**
   * Serves the SDK debug contract on the agent's localhost:9002. Other apps are connected with
   * sdkCapabilities {sdkEnabled:false}, so they never inherit that SDK (observability.md §10 #11).
   */
  sdk?: boolean;
}

export class AppNode {
  constructor(
    readonly agent: AgentNode,
    readonly spec: AppSpec,
  ) {}

  get name(): string {
    return this.spec.name;
  }

  /** GET on the app from inside the agent's network namespace; the body, or an error naming the call. */
  async get(path: string, timeoutMs = 30_000): Promise<string> {
    const url = `http://127.0.0.1:${this.spec.port}${path}`;
    const res: ExecResult = await this.agent.exec(["curl", "-sS", "--fail-with-body", "--max-time", String(Math.ceil(timeoutMs / 1000)), url], timeoutMs + 5_000);
    if (res.exitCode !== 0) {
      const said = [res.stderr.trim(), res.stdout.trim() && `body: ${res.stdout.trim()}`].filter(Boolean).join("; ");
      throw new Error(`GET ${url} in ${this.agent.agentId}'s namespace failed (curl exit ${res.exitCode}): ${said}`);
    }
    return res.stdout;
  }

  /**
   * Sends exactly `n` GETs to one path from inside the agent's namespace, on one keep-alive
   * connection (one curl, one exec): traffic the app really serves, for passive observers (L0).
   * Returns how many were answered with a 2xx.
   */
  async hit(path: string, n: number, timeoutMs = 60_000): Promise<number> {
    const url = `http://127.0.0.1:${this.spec.port}${path}`;
    const args = ["curl", "-s", "--max-time", String(Math.ceil(timeoutMs / 1000)), "-o", "/dev/null", "-w", "%{http_code}\\n"];
    for (let i = 0; i < n; i++) args.push(url);
    const res: ExecResult = await this.agent.exec(args, timeoutMs + 5_000);
    return res.stdout.split("\n").filter((code) => /^2\d\d$/.test(code.trim())).length;
  }

  /** Sends exactly `n` requests to one endpoint of the app (its own driver) and flushes its spans. */
  async drive(path: string, n: number): Promise<{ sent: number; errors: number }> {
    const result = JSON.parse(await this.get(`/drive?path=${encodeURIComponent(path)}&n=${n}`, 120_000)) as { sent: number; errors: number };
    await this.get("/flush");
    return result;
  }
}
