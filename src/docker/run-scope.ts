// Everything one run creates in Docker: named from the run id, labelled with it, removed by label.
// Containers never run privileged: each gets the capabilities and devices it needs, a pids limit,
// and ports published on 127.0.0.1 only, on ephemeral host ports.
import type Docker from "dockerode";
import { type DockerClient, statusOf } from "./client.js";
import { ContainerHandle } from "./container.js";
import { runLabels, shortRunId } from "./labels.js";

export interface ContainerSpec {
  role: string; // "colony", "agent-0", …: part of the name and a label
  image: string;
  hostname?: string;
  env?: Record<string, string>;
  cmd?: string[];
  entrypoint?: readonly string[];
  aliases?: string[]; // network aliases on the run's network
  /** Share another container's network namespace instead of joining the run network. */
  networkOf?: ContainerHandle;
  pidOf?: ContainerHandle;
  capAdd?: string[];
  devices?: string[]; // host paths, mapped to the same path
  securityOpt?: string[];
  binds?: string[];
  publish?: number[]; // container TCP ports → 127.0.0.1:<ephemeral>
  pidsLimit?: number;
  memoryBytes?: number;
  workingDir?: string;
  /** Extra labels, next to the run's own. */
  labels?: Record<string, string>;
}

export const DEFAULT_PIDS_LIMIT = 512;

export class RunScope {
  readonly networkName: string;
  private readonly handles = new Map<string, ContainerHandle>();

  constructor(
    readonly docker: DockerClient,
    readonly runId: string,
  ) {
    this.networkName = `coral-e2e-${shortRunId(runId)}`;
  }

  containerName(role: string): string {
    return `coral-e2e-${shortRunId(this.runId)}-${role}`;
  }

  /**
   * The run's bridge network. Not `internal`: published ports need a routed bridge. A runner that
   * runs in a container joins it, to reach the run's containers by their addresses; removing the
   * run's resources (DockerClient.removeLabelled) makes it leave first.
   */
  async createNetwork(): Promise<void> {
    await this.docker.call(
      this.docker.api.createNetwork({
        Name: this.networkName,
        Driver: "bridge",
        CheckDuplicate: true,
        Labels: runLabels(this.runId, "network"),
      }),
      `create network ${this.networkName}`,
    );
    await this.docker.joinNetwork(this.networkName);
  }

  /** Creates and starts a container; the handle is kept for evidence and teardown. */
  async start(spec: ContainerSpec): Promise<ContainerHandle> {
    const name = this.containerName(spec.role);
    const exposed: Record<string, object> = {};
    const bindings: Record<string, Array<{ HostIp: string; HostPort: string }>> = {};
    for (const port of spec.publish ?? []) {
      exposed[`${port}/tcp`] = {};
      bindings[`${port}/tcp`] = [{ HostIp: "127.0.0.1", HostPort: "" }];
    }
    const options: Docker.ContainerCreateOptions = {
      name,
      Image: spec.image,
      Hostname: spec.networkOf ? undefined : spec.hostname,
      Env: Object.entries(spec.env ?? {}).map(([k, v]) => `${k}=${v}`),
      Cmd: spec.cmd,
      Entrypoint: spec.entrypoint ? [...spec.entrypoint] : undefined,
      WorkingDir: spec.workingDir,
      Labels: { ...spec.labels, ...runLabels(this.runId, spec.role) },
      ExposedPorts: exposed,
      HostConfig: {
        NetworkMode: spec.networkOf ? `container:${spec.networkOf.name}` : this.networkName,
        PidMode: spec.pidOf ? `container:${spec.pidOf.name}` : undefined,
        CapAdd: spec.capAdd,
        Devices: (spec.devices ?? []).map((path) => ({ PathOnHost: path, PathInContainer: path, CgroupPermissions: "rwm" })),
        SecurityOpt: spec.securityOpt,
        Binds: spec.binds,
        PortBindings: bindings,
        PidsLimit: spec.pidsLimit ?? DEFAULT_PIDS_LIMIT,
        Memory: spec.memoryBytes,
        Init: false,
      },
      NetworkingConfig: spec.networkOf
        ? undefined
        : { EndpointsConfig: { [this.networkName]: { Aliases: spec.aliases ?? [spec.role] } } },
    };
    try {
      await this.docker.call(this.docker.api.createContainer(options), `create container ${name}`);
    } catch (error) {
      if (statusOf(error) === 404) throw new MissingImageError(spec.image);
      throw error;
    }
    const handle = new ContainerHandle(this.docker, name, spec.role, spec.networkOf ? undefined : this.networkName);
    this.handles.set(spec.role, handle);
    await handle.start();
    return handle;
  }

  containers(): ContainerHandle[] {
    return [...this.handles.values()];
  }

  /** Disconnects a container from the run network (a network cut). */
  async disconnect(handle: ContainerHandle): Promise<void> {
    await this.docker.call(
      this.docker.api.getNetwork(this.networkName).disconnect({ Container: handle.name }),
      `disconnect ${handle.name}`,
    );
  }

  async reconnect(handle: ContainerHandle, aliases: string[] = [handle.role]): Promise<void> {
    await this.docker.call(
      this.docker.api.getNetwork(this.networkName).connect({ Container: handle.name, EndpointConfig: { Aliases: aliases } }),
      `connect ${handle.name}`,
    );
  }

  /** Removes everything labelled with this run id, whoever created it. */
  async removeAll(): Promise<void> {
    await this.docker.removeLabelled(this.runId);
    this.handles.clear();
  }
}

export class MissingImageError extends Error {
  constructor(readonly image: string) {
    super(`image ${image} is not present; build it with \`coral-e2e images\` or pass another image`);
    this.name = "MissingImageError";
  }
}
