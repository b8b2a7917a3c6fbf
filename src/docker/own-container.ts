// Whether the runner itself runs in a container of the daemon it drives (the runner image with the
// Docker socket mounted). From there, ports published on the host's 127.0.0.1 are out of reach, so
// the run scope joins each run's network and the containers are reached by their addresses
// (ContainerHandle.endpoint). The evidence: the container id in our own mounts (Docker bind-mounts
// /var/lib/docker/containers/<id>/{hostname,hosts,resolv.conf}), our cgroup path (cgroup v1, or v2
// with the host's cgroup namespace), or a hostname that is a short id; the daemon confirms it.
import { readFileSync } from "node:fs";
import { hostname } from "node:os";
import type { DockerClient } from "./client.js";

export interface OwnContainer {
  id: string;
  name: string;
}

/** Container ids this process may run in, most reliable first. */
export function ownContainerCandidates(files: { mountinfo?: string; cgroup?: string; hostname?: string } = readProcFiles()): string[] {
  const ids: string[] = [];
  for (const m of (files.mountinfo ?? "").matchAll(/\/containers\/([0-9a-f]{64})\//g)) ids.push(m[1]!);
  for (const m of (files.cgroup ?? "").matchAll(/(?:\/docker\/|docker-)([0-9a-f]{64})/g)) ids.push(m[1]!);
  if (files.hostname && /^[0-9a-f]{12}$/.test(files.hostname)) ids.push(files.hostname);
  return [...new Set(ids)];
}

function readProcFiles(): { mountinfo?: string; cgroup?: string; hostname?: string } {
  const read = (path: string) => {
    try {
      return readFileSync(path, "utf8");
    } catch {
      return undefined;
    }
  };
  return { mountinfo: read("/proc/self/mountinfo"), cgroup: read("/proc/self/cgroup"), hostname: hostname() };
}

/**
 * The daemon's container among the candidates; undefined on the host, in a container of another
 * daemon, or in one that shares the host's network (`--network host`: 127.0.0.1 is the host's).
 */
export async function findOwnContainer(docker: DockerClient, candidates = ownContainerCandidates()): Promise<OwnContainer | undefined> {
  for (const id of candidates) {
    try {
      const info = await docker.call(() => docker.api.getContainer(id).inspect(), `inspect own container ${id.slice(0, 12)}`);
      if (info.HostConfig?.NetworkMode === "host") return undefined;
      return { id: info.Id, name: info.Name.replace(/^\//, "") };
    } catch (error) {
      if ((error as { statusCode?: number }).statusCode !== 404) throw error;
    }
  }
  return undefined;
}
