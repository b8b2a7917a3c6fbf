// The Docker layer against a real daemon: labelled, named resources, exec with separate streams
// and exit codes, deadlines on exec, logs, 127.0.0.1 ephemeral ports, and removal by label.
import assert from "node:assert/strict";
import { after, before, describe, test } from "node:test";
import { DockerClient } from "../src/docker/client.js";
import { RUN_LABEL, newRunId } from "../src/docker/labels.js";
import { RunScope } from "../src/docker/run-scope.js";
import { BASE_IMAGE } from "../src/images/build.js";
import { TimeoutError } from "../src/util/time.js";

const docker = new DockerClient();

describe("docker layer", () => {
  const runId = newRunId();
  const scope = new RunScope(docker, runId);

  before(async () => {
    await scope.createNetwork();
  });
  after(async () => {
    await scope.removeAll();
  });

  test("run ids are sortable and unique", () => {
    assert.match(runId, /^\d{8}-\d{6}-[0-9a-f]{6}$/);
    assert.notEqual(newRunId(), newRunId());
  });

  test("exec keeps stdout, stderr and the exit code apart", async () => {
    const box = await scope.start({ role: "box", image: BASE_IMAGE, cmd: ["bash", "-c", "echo started; exec tail -f /dev/null"], publish: [8080] });
    const res = await box.exec(["bash", "-c", "echo out; echo err >&2; exit 7"]);
    assert.deepEqual(res, { exitCode: 7, stdout: "out\n", stderr: "err\n" });
    assert.equal(await box.state(), "running");
    const inspect = await box.inspect();
    assert.equal(inspect.HostConfig.PidsLimit, 512, "every container gets a pids limit");
    assert.equal(inspect.HostConfig.Privileged, false);
    assert.equal(inspect.Config.Labels[RUN_LABEL], runId);
    const port = await box.hostPort(8080);
    assert.ok(port > 0 && port < 65536);
    assert.equal(inspect.HostConfig.PortBindings["8080/tcp"][0].HostIp, "127.0.0.1");
    assert.match(await box.logs(), /started/);
  });

  test("a hung exec fails with a timeout instead of hanging", async () => {
    const box = await scope.start({ role: "hang", image: BASE_IMAGE, cmd: ["tail", "-f", "/dev/null"] });
    const started = Date.now();
    await assert.rejects(box.exec(["sleep", "30"], { timeoutMs: 1_000 }), TimeoutError);
    assert.ok(Date.now() - started < 5_000);
  });

  test("lifecycle: stop reports the exit state, start brings it back, pause is visible", async () => {
    const box = await scope.start({ role: "life", image: BASE_IMAGE, cmd: ["tail", "-f", "/dev/null"] });
    await box.pause();
    assert.equal(await box.state(), "paused");
    await box.unpause();
    await box.stop(1);
    assert.match(await box.state(), /^exited/);
    assert.notEqual(await box.exitCode(), undefined);
    await box.start();
    assert.equal(await box.exitCode(), undefined);
  });

  test("removing by run label leaves nothing of the run behind", async () => {
    const other = new RunScope(docker, newRunId());
    await other.createNetwork();
    await other.start({ role: "gone", image: BASE_IMAGE, cmd: ["tail", "-f", "/dev/null"] });
    const removed = await docker.removeLabelled(other.runId);
    assert.equal(removed.containers.length, 1);
    assert.equal(removed.networks.length, 1);
    const left = await docker.api.listContainers({ all: true, filters: JSON.stringify({ label: [`${RUN_LABEL}=${other.runId}`] }) });
    assert.equal(left.length, 0);
    assert.ok(!(await docker.runsWithLeftovers()).includes(other.runId));
  });
});
