// The runner's EnvironmentProvider for Coral: preflight (Docker, images), a fresh deployment per
// run, evidence when setup fails, and removal of everything the run labelled.
import { DockerClient, DockerUnavailableError } from "../docker/client.js";
import { MissingImageError, RunScope } from "../docker/run-scope.js";
import { EnvironmentError } from "../runner/errors.js";
import type { ContainerEvidence, EnvironmentProvider, SetupContext } from "../runner/environment.js";
import { CoralDeployment, type DeploymentOptions, snapshotScope } from "./deployment.js";
import { PORTS, type CoralImages } from "./settings.js";

export interface CoralProviderOptions {
  images: CoralImages;
  agents: number;
  timeoutScale: number;
  refFaults?: DeploymentOptions["refFaults"];
  ebpfPrivileges?: boolean;
  onSecret?: (value: string) => void;
  docker?: DockerClient;
}

export type { CoralDeployment };

export function createCoralProvider(options: CoralProviderOptions): EnvironmentProvider<CoralDeployment> {
  const docker = options.docker ?? new DockerClient();
  const scopes = new Map<string, RunScope>();
  let preflightDone = false;

  async function preflight(): Promise<void> {
    if (preflightDone) return;
    try {
      await docker.version();
    } catch (error) {
      throw new EnvironmentError((error as Error).message);
    }
    for (const image of new Set(Object.values(options.images))) {
      if (!(await docker.imageExists(image))) throw new EnvironmentError(new MissingImageError(image).message);
    }
    preflightDone = true;
  }

  return {
    async setup(ctx: SetupContext): Promise<CoralDeployment> {
      await preflight();
      const deployment = new CoralDeployment(docker, {
        runId: ctx.runId,
        images: options.images,
        agents: options.agents,
        timeoutScale: options.timeoutScale,
        refFaults: options.refFaults,
        ebpfPrivileges: options.ebpfPrivileges,
        wants: ctx.wants,
        onSecret: options.onSecret,
        progress: ctx.progress,
        signal: ctx.signal,
      });
      scopes.set(ctx.runId, deployment.scope);
      try {
        await deployment.up();
      } catch (error) {
        if (error instanceof DockerUnavailableError || error instanceof MissingImageError) throw new EnvironmentError(error.message);
        throw error;
      }
      return deployment;
    },

    async setupEvidence(runId: string): Promise<ContainerEvidence[]> {
      const scope = scopes.get(runId);
      return scope ? snapshotScope(scope) : [];
    },

    async keptNotes(runId: string): Promise<string[]> {
      try {
        return keptNotes(await docker.runContainers(runId));
      } catch (error) {
        return [`could not list the kept containers: ${(error as Error).message}`];
      }
    },

    async teardown(runId: string, { keep }): Promise<void> {
      scopes.delete(runId);
      if (keep) return;
      try {
        await docker.removeLabelled(runId);
      } catch {
        // teardown never throws; `coral-e2e clean` removes what is left
      }
    },
  };
}

const PORT_MEANING: Record<number, string> = {
  [PORTS.discovery]: "discovery HTTP",
  [PORTS.colonyConnect]: "colony Connect API (ColonyService, ColonyDebugService)",
  [PORTS.colonyPublic]: "colony public TLS endpoint",
  [PORTS.agentApi]: "agent API (AgentService, AgentDebugService, /status)",
  [PORTS.otlpGrpc]: "agent OTLP/gRPC receiver",
  [PORTS.otlpHttp]: "agent OTLP/HTTP receiver",
};

/** One line per kept container: its published ports as URLs, or the command that reaches it. */
function keptNotes(containers: Awaited<ReturnType<DockerClient["runContainers"]>>): string[] {
  return [...containers]
    .sort((a, b) => a.role.localeCompare(b.role))
    .map((c) => {
      const ports = c.ports.map((p) => `${PORT_MEANING[p.private] ?? `:${p.private}`} ${p.private === PORTS.colonyPublic ? "https" : "http"}://${p.ip}:${p.public}`);
      const how = [...ports, ...(c.reach ? [c.reach] : [])].join("; ") || "no published port";
      return `${c.role.padEnd(18)} ${c.name} (${c.state}): ${how}`;
    });
}
