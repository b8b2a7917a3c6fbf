// The runner image (`coral-e2e images` builds <repo>/runner:<version> and :latest) used as CI uses
// it: `docker run` with the host's Docker socket and a mounted output folder. From inside a
// container the runner reaches the deployment through each run's network (src/docker/own-container.ts),
// hands its reports to the owner of the mounted folder, stops cleanly on Ctrl-C typed into the
// container's TTY, and leaves nothing behind: no container or network of the run, and its own
// container off the run's network before that network is removed.
//
// The checks are a focused subset of the connectivity phase, chosen to cover every way the runner
// reaches a deployment rather than every promise: discovery's HTTP API, the colony's and the agent's
// Connect APIs, the agent's OTLP receivers (gRPC and HTTP), exec, an address that changes under a
// colony restart, and the closing log scan. The other checks use the same paths; the whole phase
// from the image is measured in the README.
import assert from "node:assert/strict";
import { chown, mkdtemp, readFile, rm, stat } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { Duplex } from "node:stream";
import { test } from "node:test";
import { DockerClient } from "../src/docker/client.js";
import { RUN_LABEL } from "../src/docker/labels.js";
import { runnerTags } from "../src/images/runner.js";
import { pollUntil } from "../src/util/poll.js";
import { withTimeout } from "../src/util/time.js";
import { ROOT, spawnCommand } from "./support/spawn-cli.js";

const docker = new DockerClient();
const IMAGE = runnerTags(ROOT)[1]!; // <repo>/runner:latest
const SOCKET = "/var/run/docker.sock";
/** The owner of the mounted folder: not root, like a CI user's workspace. */
const OWNER = { uid: 4321, gid: 4321 };

async function outputFolder(): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), "coral-e2e-runner-image-"));
  await chown(dir, OWNER.uid, OWNER.gid);
  return dir;
}

/** Nothing of the run is left in Docker, and the runner's container is gone too. */
async function assertNothingLeft(runId: string, runnerName: string): Promise<void> {
  const filters = JSON.stringify({ label: [`${RUN_LABEL}=${runId}`] });
  assert.deepEqual(await docker.api.listContainers({ all: true, filters }), [], "no container of the run is left");
  assert.deepEqual(await docker.api.listNetworks({ filters }), [], "the run's network is removed (the runner left it first)");
  const runner = await docker.api.listContainers({ all: true, filters: JSON.stringify({ name: [runnerName] }) });
  assert.deepEqual(runner.map((c) => c.State), [], "the runner's container is removed");
}

async function assertOwnedByFolderOwner(path: string): Promise<void> {
  const { uid, gid } = await stat(path);
  assert.deepEqual({ uid, gid }, OWNER, `${path} belongs to the owner of the mounted folder`);
}

test("a run from the runner image passes and leaves nothing behind", { timeout: 240_000 }, async () => {
  assert.ok(await docker.imageExists(IMAGE), `${IMAGE} is missing: build it with \`coral-e2e images\``);
  const out = await outputFolder();
  const name = `coral-e2e-runner-test-${process.pid}-pass`;
  try {
    const checks = ["discovery/healthy", "registration/agents-listed", "wireguard/interfaces", "wireguard/tunnel-traffic", "otlp/receiver-edges", "heartbeat/colony-restart-recovery", "closing/no-panics"];
    // The README's command, with a name (to clean up after a failure) and a subset of the checks.
    const result = await spawnCommand(
      "docker",
      ["run", "--rm", "--name", name, "-e", "NO_COLOR=1", "-v", `${SOCKET}:${SOCKET}`, "-v", `${out}:/out`, IMAGE,
        "run", "--images", "reference", "--agents", "1", ...checks.flatMap((c) => ["--check", c]), "--junit", "/out/report.xml", "--json", "/out/report.json"],
      { cwd: out, guardMs: 200_000 },
    );
    const said = `${result.stdout}\n${result.stderr}`;
    assert.equal(result.code, 0, said);
    const report = JSON.parse(await readFile(join(out, "report.json"), "utf8")) as { runId: string; status: string; results: Array<{ id: string; outcome: string }> };
    assert.equal(report.status, "passed");
    assert.deepEqual(report.results.map((r) => [r.id, r.outcome]).sort(), checks.map((c) => [c, "passed"]).sort());
    assert.match(await readFile(join(out, "report.xml"), "utf8"), /<testsuites[^>]* failures="0"/);
    for (const path of ["report.xml", "report.json", "coral-e2e-artifacts", join("coral-e2e-artifacts", report.runId, "junit.xml")]) await assertOwnedByFolderOwner(join(out, path));
    await assertNothingLeft(report.runId, name);
  } finally {
    await docker.api.getContainer(name).remove({ force: true }).catch(() => {});
    await rm(out, { recursive: true, force: true });
  }
});

test("Ctrl-C in the runner container's TTY stops the run, writes the reports and cleans up", { timeout: 120_000 }, async () => {
  const out = await outputFolder();
  const name = `coral-e2e-runner-test-${process.pid}-sigint`;
  // `docker run -it`: a TTY, where Ctrl-C is the byte 0x03 and the kernel turns it into SIGINT for
  // the container's PID 1, node.
  const container = await docker.api.createContainer({
    name,
    Image: IMAGE,
    Tty: true,
    OpenStdin: true,
    Env: ["NO_COLOR=1"],
    Cmd: ["run", "--images", "reference", "--agents", "1", "--check", "registration/agents-listed", "--check", "heartbeat/stopped-agent-degraded", "--junit", "/out/report.xml"],
    HostConfig: { Binds: [`${SOCKET}:${SOCKET}`, `${out}:/out`] },
  });
  try {
    const tty = (await container.attach({ stream: true, stdin: true, stdout: true, stderr: true, hijack: true })) as Duplex;
    let seen = "";
    tty.on("data", (chunk: Buffer) => (seen += chunk.toString("utf8")));
    await container.start();
    // registration/agents-listed passes in a second; stopped-agent-degraded then waits ~35 s.
    await pollUntil("the runner to start heartbeat/stopped-agent-degraded", async () => seen, (text) => /PASS\s+registration\/agents-listed[\s\S]*stopped-agent-degraded/.test(text), { timeoutMs: 60_000 });
    tty.write("\x03");
    const { StatusCode } = (await withTimeout(container.wait(), 45_000, `the runner to stop after Ctrl-C; it printed:\n${seen}`)) as { StatusCode: number };
    tty.destroy();
    assert.equal(StatusCode, 130, seen);
    assert.match(seen, /SIGINT: stopping the checks, writing reports, removing containers/);
    const xml = await readFile(join(out, "report.xml"), "utf8");
    const runId = /name="run\.id" value="([^"]+)"/.exec(xml)?.[1];
    assert.ok(runId, "the JUnit report names the run");
    await assertOwnedByFolderOwner(join(out, "report.xml"));
    await container.remove({ force: true });
    await assertNothingLeft(runId, name);
  } finally {
    await container.remove({ force: true }).catch(() => {});
    await rm(out, { recursive: true, force: true });
  }
});
