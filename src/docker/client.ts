// The one place that talks to the Docker daemon (dockerode). Every call carries a timeout; a daemon
// that does not answer becomes an error naming the call, never a hung run.
import Docker from "dockerode";
import { isConnectionReset, retryTransient } from "../util/retry.js";
import { withTimeout } from "../util/time.js";
import { PROJECT_LABEL, REACH_LABEL, ROLE_LABEL, RUN_LABEL } from "./labels.js";
import { findOwnContainer, type OwnContainer } from "./own-container.js";

export const DOCKER_CALL_MS = 30_000;

export class DockerUnavailableError extends Error {
  constructor(detail: string) {
    super(`Docker is not reachable (${detail}); start the daemon or set DOCKER_HOST`);
    this.name = "DockerUnavailableError";
  }
}

export interface RemovedResources {
  containers: string[];
  networks: string[];
  volumes: string[];
}

export class DockerClient {
  readonly api: Docker;
  private own?: Promise<OwnContainer | undefined>;

  constructor(api = new Docker()) {
    this.api = api;
  }

  /** Daemon version, or DockerUnavailableError. */
  async version(timeoutMs = 5_000): Promise<string> {
    try {
      const info = await withTimeout(this.api.version(), timeoutMs, "docker version");
      return info.Version;
    } catch (error) {
      throw new DockerUnavailableError((error as Error).message);
    }
  }

  /**
   * The container this process runs in, when the daemon has it (the runner image with the socket
   * mounted); undefined on the host. Asked once per client.
   */
  ownContainer(): Promise<OwnContainer | undefined> {
    this.own ??= findOwnContainer(this);
    return this.own;
  }

  async imageExists(tag: string): Promise<boolean> {
    try {
      await this.call(() => this.api.getImage(tag).inspect(), `inspect image ${tag}`);
      return true;
    } catch (error) {
      if (statusOf(error) === 404) return false;
      throw error;
    }
  }

  /** The containers of one run with their role, published ports and reach label. */
  async runContainers(runId: string): Promise<Array<{ name: string; role: string; state: string; ports: Array<{ private: number; public: number; ip: string }>; reach?: string }>> {
    const filters = JSON.stringify({ label: [`${RUN_LABEL}=${runId}`] });
    const containers = await this.call(() => this.api.listContainers({ all: true, filters }), "list containers");
    return containers.map((c) => ({
      name: c.Names?.[0]?.replace(/^\//, "") ?? c.Id,
      role: c.Labels?.[ROLE_LABEL] ?? "",
      state: c.State,
      ports: (c.Ports ?? []).filter((p) => p.PublicPort).map((p) => ({ private: p.PrivatePort, public: p.PublicPort, ip: p.IP ?? "127.0.0.1" })),
      reach: c.Labels?.[REACH_LABEL],
    }));
  }

  /** Run ids of every run that left labelled resources behind. */
  async runsWithLeftovers(): Promise<string[]> {
    const filters = JSON.stringify({ label: [PROJECT_LABEL] });
    const [containers, networks] = await Promise.all([
      this.call(() => this.api.listContainers({ all: true, filters }), "list containers"),
      this.call(() => this.api.listNetworks({ filters }), "list networks"),
    ]);
    const ids = new Set<string>();
    for (const c of containers) if (c.Labels?.[RUN_LABEL]) ids.add(c.Labels[RUN_LABEL]);
    for (const n of networks) if (n.Labels?.[RUN_LABEL]) ids.add(n.Labels[RUN_LABEL]);
    return [...ids].sort();
  }

  /**
   * Removes every container, network and volume carrying the project's label, or only those of one
   * run. Containers first (a network with endpoints cannot go). Errors on one resource do not stop
   * the others; the names removed are returned.
   */
  async removeLabelled(runId?: string): Promise<RemovedResources> {
    const label = runId ? `${RUN_LABEL}=${runId}` : PROJECT_LABEL;
    const filters = JSON.stringify({ label: [label] });
    const removed: RemovedResources = { containers: [], networks: [], volumes: [] };

    const containers = await this.call(() => this.api.listContainers({ all: true, filters }), "list containers");
    await Promise.all(
      containers.map(async (c) => {
        try {
          await this.call(() => this.api.getContainer(c.Id).remove({ force: true, v: true }), `remove container ${c.Id}`);
          removed.containers.push(c.Names?.[0]?.replace(/^\//, "") ?? c.Id);
        } catch (error) {
          if (statusOf(error) === 404) return;
        }
      }),
    );
    const networks = await this.call(() => this.api.listNetworks({ filters }), "list networks");
    for (const n of networks) {
      try {
        await this.leaveNetwork(n.Id);
        await this.call(() => this.api.getNetwork(n.Id).remove(), `remove network ${n.Name}`);
        removed.networks.push(n.Name);
      } catch {
        // already gone, or still in use by a container of another tool: leave it
      }
    }
    const volumes = await this.call(() => this.api.listVolumes({ filters }), "list volumes");
    for (const v of volumes.Volumes ?? []) {
      try {
        await this.call(this.api.getVolume(v.Name).remove(), `remove volume ${v.Name}`);
        removed.volumes.push(v.Name);
      } catch {
        // in use or gone
      }
    }
    return removed;
  }

  /** The runner's own container (when it has one) joins a run's network, to reach its containers. */
  async joinNetwork(network: string): Promise<void> {
    const own = await this.ownContainer();
    if (!own) return;
    await this.call(this.api.getNetwork(network).connect({ Container: own.id }), `connect the runner's container ${own.name} to ${network}`);
  }

  /** …and leaves it before the network is removed (a network with endpoints cannot go). */
  async leaveNetwork(network: string): Promise<void> {
    const own = await this.ownContainer();
    if (!own) return;
    const { Containers } = await this.call(() => this.api.getNetwork(network).inspect(), `inspect network ${network}`);
    if (!Containers?.[own.id]) return;
    await this.call(() => this.api.getNetwork(network).disconnect({ Container: own.id, Force: true }), `disconnect the runner's container ${own.name} from ${network}`);
  }

  /**
   * Wraps one daemon call with the standard timeout. A call given as a function is one that may be
   * sent twice (reads, forced removals): answered 5xx or cut by a reset connection, it is sent
   * again, at most twice more, within the same timeout and until `signal` aborts.
   */
  call<T>(work: Promise<T> | (() => Promise<T>), what: string, timeoutMs = DOCKER_CALL_MS, signal?: AbortSignal): Promise<T> {
    const label = `docker: ${what}`;
    if (typeof work !== "function") return withTimeout(work, timeoutMs, label, signal);
    return retryTransient((remainingMs) => withTimeout(work(), remainingMs, label, signal), { retries: 2, capMs: timeoutMs, signal, transient: isTransientDockerError });
  }
}

/** A daemon answer or connection failure that another attempt may not meet. */
export function isTransientDockerError(error: unknown): boolean {
  const status = statusOf(error);
  return status !== undefined ? status >= 500 : isConnectionReset(error);
}

/** HTTP status of a dockerode error (404 missing, 409 conflict, 304 not modified). */
export function statusOf(error: unknown): number | undefined {
  return (error as { statusCode?: number } | undefined)?.statusCode;
}
