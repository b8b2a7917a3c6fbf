// Image tags are global to a Docker daemon, and a run creates containers from them until it ends
// (agents and apps it starts mid-run): moving a tag under a running run would hand it images other
// than those it started with. So `coral-e2e images` builds each image under a temporary tag of its
// own, and only when every build has succeeded moves the real tags, all at once; a tag whose image
// did not change (a cached build) is left alone, and no tag moves while a run that uses this
// repository's images is up: that is refused with the run ids and what to do.
import { randomBytes } from "node:crypto";
import type { DockerClient } from "../docker/client.js";
import { statusOf } from "../docker/client.js";
import { PROJECT_LABEL, RUN_LABEL } from "../docker/labels.js";
import { EnvironmentError } from "../runner/errors.js";

/** An image built under a temporary tag, to be published under `tag`. */
export interface StagedImage {
  tag: string;
  staged: string;
}

/** A temporary tag next to `tag` (same repository), unique to this build. */
export function stagingTag(tag: string, nonce = randomBytes(4).toString("hex")): string {
  const colon = tag.lastIndexOf(":");
  const [repository, version] = colon > tag.lastIndexOf("/") ? [tag.slice(0, colon), tag.slice(colon + 1)] : [tag, "latest"];
  return `${repository}:${version}-building-${nonce}`;
}

/** Moves every tag to its staged image, or none of them if a run is using them; staged tags go either way. */
export async function publishStaged(docker: DockerClient, images: StagedImage[], log: (line: string) => void): Promise<void> {
  try {
    const changed: StagedImage[] = [];
    let replaced = false;
    for (const image of images) {
      const [next, current] = await Promise.all([imageId(docker, image.staged), imageId(docker, image.tag)]);
      if (next === current) continue;
      changed.push(image);
      replaced ||= current !== undefined;
    }
    if (replaced) {
      const runs = await runsUsing(docker, images.map((i) => i.tag));
      if (runs.length > 0) throw refusal(runs, changed);
    }
    for (const image of changed) await tagImage(docker, image.staged, image.tag);
    log(changed.length ? `tagged ${changed.map((i) => i.tag).join(", ")}` : "every image is unchanged: no tag moved");
  } finally {
    await dropStaged(docker, images);
  }
}

/** Points `tag` (repository:tag) at `image`; Docker replaces a tag in one step. */
export async function tagImage(docker: DockerClient, image: string, tag: string): Promise<void> {
  const colon = tag.lastIndexOf(":");
  await docker.call(() => docker.api.getImage(image).tag({ repo: tag.slice(0, colon), tag: tag.slice(colon + 1) }), `tag ${tag}`);
}

/** Removes the temporary tags (the image stays while another tag or a container uses it). */
export async function dropStaged(docker: DockerClient, images: StagedImage[]): Promise<void> {
  for (const { staged } of images) {
    try {
      await docker.call(() => docker.api.getImage(staged).remove({ noprune: true }), `untag ${staged}`);
    } catch (error) {
      if (statusOf(error) !== 404) throw error;
    }
  }
}

async function imageId(docker: DockerClient, tag: string): Promise<string | undefined> {
  try {
    return (await docker.call(() => docker.api.getImage(tag).inspect(), `inspect image ${tag}`)).Id;
  } catch (error) {
    if (statusOf(error) === 404) return undefined;
    throw error;
  }
}

/** Ids of the runs with a running container created from one of `tags`. */
export async function runsUsing(docker: DockerClient, tags: string[]): Promise<string[]> {
  const filters = JSON.stringify({ label: [PROJECT_LABEL], status: ["running", "paused", "restarting"] });
  const containers = await docker.call(() => docker.api.listContainers({ filters }), "list running containers");
  const runs = containers.filter((c) => tags.includes(c.Image)).map((c) => c.Labels?.[RUN_LABEL] ?? c.Id);
  return [...new Set(runs)].sort();
}

function refusal(runs: string[], changed: StagedImage[]): EnvironmentError {
  const which = runs.length === 1 ? `run ${runs[0]} is` : `runs ${runs.join(", ")} are`;
  return new EnvironmentError(
    `not moving ${changed.map((i) => i.tag).join(", ")} to the new build: ${which} using these images and may still create containers from them; ` +
      `run \`coral-e2e images\` again once ${runs.length === 1 ? "it has" : "they have"} ended (the build is cached), or remove ${runs.length === 1 ? "it" : "them"} with \`coral-e2e clean --run-id ID\``,
  );
}
