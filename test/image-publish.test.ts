// `coral-e2e images` never moves a tag under a running run (src/images/publish.ts), against the
// daemon: a tag that a run's running container was created from stays where it is and the build's
// staging tag goes; once the run is gone, the tag moves; a tag whose image did not change is left.
// The images are existing ones under a repository of this test's own.
import assert from "node:assert/strict";
import { after, before, test } from "node:test";
import { DockerClient } from "../src/docker/client.js";
import { runLabels } from "../src/docker/labels.js";
import { BASE_IMAGE } from "../src/images/build.js";
import { FIXTURE_IMAGES } from "../src/images/fixtures.js";
import { publishStaged, stagingTag, tagImage } from "../src/images/publish.js";
import { EnvironmentError } from "../src/runner/errors.js";

const docker = new DockerClient();
const TAG = `coral-e2e-publish-test-${process.pid}/image:v1`;
const RUN_ID = `publish-test-${process.pid}`;
const OLD = BASE_IMAGE;
const NEW = FIXTURE_IMAGES["cpu-app"];

async function idOf(tag: string): Promise<string | undefined> {
  return docker.api.getImage(tag).inspect().then((i) => i.Id, () => undefined);
}

const tagAs = (image: string, tag: string) => tagImage(docker, image, tag);

const containerName = `coral-e2e-publish-test-${process.pid}`;

before(async () => {
  await tagAs(OLD, TAG);
});

after(async () => {
  await docker.api.getContainer(containerName).remove({ force: true }).catch(() => {});
  await docker.api.getImage(TAG).remove({ noprune: true }).catch(() => {});
});

test("a tag in use by a running run does not move; it does once the run is gone; an unchanged one is left", async () => {
  const lines: string[] = [];
  const log = (line: string) => lines.push(line);
  const container = await docker.api.createContainer({ name: containerName, Image: TAG, Cmd: ["sleep", "60"], Labels: runLabels(RUN_ID, "probe"), HostConfig: { PidsLimit: 16 } });
  await container.start();

  const refused = stagingTag(TAG);
  await tagAs(NEW, refused);
  await assert.rejects(publishStaged(docker, [{ tag: TAG, staged: refused }], log), (error: Error) => {
    assert.ok(error instanceof EnvironmentError);
    assert.match(error.message, new RegExp(`not moving ${TAG.replace(/[/.]/g, "\\$&")} to the new build: run ${RUN_ID} is using these images.*coral-e2e clean --run-id`));
    return true;
  });
  assert.equal(await idOf(TAG), await idOf(OLD), "the tag stays on the image the run started with");
  assert.equal(await idOf(refused), undefined, "the staging tag is removed");

  await container.remove({ force: true });
  const staged = stagingTag(TAG);
  await tagAs(NEW, staged);
  await publishStaged(docker, [{ tag: TAG, staged }], log);
  assert.equal(await idOf(TAG), await idOf(NEW), "with no run using it, the tag moves");
  assert.equal(await idOf(staged), undefined);

  const unchanged = stagingTag(TAG);
  await tagAs(NEW, unchanged);
  await publishStaged(docker, [{ tag: TAG, staged: unchanged }], log);
  assert.deepEqual(lines, [`tagged ${TAG}`, "every image is unchanged: no tag moved"]);
  assert.equal(await idOf(unchanged), undefined);
});
