// Ctrl-C in the middle of a real run: exit 130, reports written (the HTML page with the deployment's
// milestones too), and nothing of the run left in Docker (checked by the run's label).
import assert from "node:assert/strict";
import { mkdtemp, readFile, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { test } from "node:test";
import { DockerClient } from "../src/docker/client.js";
import { RUN_LABEL } from "../src/docker/labels.js";
import { BIN, spawnCli } from "./support/spawn-cli.js";

test("SIGINT during a run on the reference images leaves nothing behind", async () => {
  const dir = await mkdtemp(join(tmpdir(), "coral-e2e-sigint-"));
  try {
    const junit = join(dir, "report.xml");
    const html = join(dir, "report.html");
    let sent = false;
    const result = await spawnCli(BIN, ["run", "--images", "reference", "--agents", "1", "--check", "heartbeat/stopped-agent-degraded", "--check", "registration/agents-listed", "--junit", junit, "--html", html, "--artifacts", join(dir, "a")], {
      cwd: dir,
      guardMs: 180_000,
      onStdout: (text, kill) => {
        // The stop/degraded check that follows runs for ~35 s: interrupt it once it has started.
        if (!sent && /PASS\s+registration\/agents-listed/.test(text)) {
          sent = true;
          kill("SIGINT");
        }
      },
    });
    assert.ok(sent, `the run reached the long check; output:\n${result.stdout}${result.stderr}`);
    assert.equal(result.code, 130, result.stdout + result.stderr);
    const xml = await readFile(junit, "utf8");
    const runId = /name="run\.id" value="([^"]+)"/.exec(xml)?.[1];
    assert.ok(runId, "the JUnit report names the run");
    const page = await readFile(html, "utf8");
    assert.match(page, /<span class="status s-interrupted">INTERRUPTED<\/span>/);
    assert.match(page, /<details class="check" id="check-registration-agents-listed" data-outcome="passed">/);
    for (const milestone of ["discovery healthy", "colony registered", "agents listed"]) {
      assert.ok(page.includes(`<span class="name">${milestone}</span>`), `the page marks "${milestone}"`);
    }
    const docker = new DockerClient();
    const filters = JSON.stringify({ label: [`${RUN_LABEL}=${runId}`] });
    assert.deepEqual(await docker.api.listContainers({ all: true, filters }), []);
    assert.deepEqual(await docker.api.listNetworks({ filters }), []);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});
