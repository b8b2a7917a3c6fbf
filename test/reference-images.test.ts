// The reference images' surface against the Coral contract (connectivity.md §1, §2, §4): binary
// names, subcommands and flags, exit codes, printed formats, discovery's wire rules, and what a
// live deployment shows from inside its containers.
import assert from "node:assert/strict";
import { after, before, describe, test } from "node:test";
import { postRaw, getDocument } from "../src/coral/clients.js";
import type { CoralDeployment } from "../src/coral/deployment.js";
import { createCoralProvider } from "../src/coral/provider.js";
import { IMAGE_PRESETS } from "../src/coral/settings.js";
import { DockerClient } from "../src/docker/client.js";
import { newRunId } from "../src/docker/labels.js";
import { RunScope, type ContainerSpec } from "../src/docker/run-scope.js";
import { pollUntil } from "../src/util/poll.js";

const images = IMAGE_PRESETS.reference!;
const docker = new DockerClient();

/** Runs a container to completion: its exit code and everything it printed. */
async function runToExit(scope: RunScope, spec: ContainerSpec): Promise<{ code: number; logs: string }> {
  const container = await scope.start(spec);
  const code = await pollUntil(`${spec.role} to exit`, () => container.exitCode(), (c) => c !== undefined, { timeoutMs: 60_000 });
  return { code: code!, logs: await container.logs() };
}

describe("reference images: command lines", () => {
  const scope = new RunScope(docker, newRunId());
  before(() => scope.createNetwork());
  after(() => scope.removeAll());

  test("coral-colony init prints the parseable values and writes the CA files", async () => {
    const script = [
      "coral-colony init demo --discovery http://discovery:8080",
      'id=$(ls /root/.coral/colonies)',
      'ls /root/.coral/colonies/$id/ca',
      "coral-colony ca status",
      "coral-colony psk show",
      "coral-colony status; echo status-rc=$?",
      "coral-colony version",
    ].join(" && ");
    const { code, logs } = await runToExit(scope, { role: "colony-cli", image: images.colony, entrypoint: ["bash", "-c", script] });
    assert.equal(code, 0, logs);
    assert.match(logs, /^\s+sha256:[0-9a-f]{64}$/m);
    assert.match(logs, /^\s+coral-psk:[0-9a-f]{64}$/m);
    assert.match(logs, /^ {2}export CORAL_COLONY_ID=demo-dev-[0-9a-f]{6}$/m);
    assert.match(logs, /^ {2}export CORAL_CA_FINGERPRINT=sha256:[0-9a-f]{64}$/m);
    assert.match(logs, /^ {2}export CORAL_BOOTSTRAP_PSK=coral-psk:[0-9a-f]{64}$/m);
    assert.match(logs, /✓ Colony initialized successfully/);
    for (const file of ["root-ca.crt", "root-ca.key", "server-intermediate.crt", "agent-intermediate.crt", "bootstrap-psk.enc"]) assert.match(logs, new RegExp(`^${file}$`, "m"));
    const fingerprint = /CORAL_CA_FINGERPRINT=(sha256:[0-9a-f]{64})/.exec(logs)![1];
    assert.match(logs, new RegExp(`Fingerprint: ${fingerprint}`), "`ca status` prints init's fingerprint");
    assert.match(logs, /Bootstrap PSK:\n\s+coral-psk:/);
    assert.match(logs, /Colony is configured \(not running\)\nstatus-rc=0/, "`status` exits 0 while the colony is not running");
    assert.match(logs, /Coral Colony version dev/);
  });

  test("coral-colony start without CAP_NET_ADMIN fails its preflight at once", async () => {
    const { code, logs } = await runToExit(scope, { role: "colony-nocap", image: images.colony, entrypoint: ["bash", "-c", "coral-colony init demo >/dev/null && coral-colony start"] });
    assert.equal(code, 1, logs);
    assert.match(logs, /Error: preflight checks failed: colony requires CAP_NET_ADMIN capability for network management\./);
  });

  test("coral-agent: flags of v0.3.0, required configuration, unknown flags", async () => {
    const help = await runToExit(scope, { role: "agent-help", image: images.agent, cmd: ["start", "--help"] });
    assert.equal(help.code, 0);
    assert.match(help.logs, /--no-monitor-all/);
    assert.match(help.logs, /--monitor-all/);
    const bogus = await runToExit(scope, { role: "agent-bogus", image: images.agent, cmd: ["start", "--bogus"] });
    assert.equal(bogus.code, 1);
    assert.match(bogus.logs, /unknown flag: --bogus/);
    const unconfigured = await runToExit(scope, { role: "agent-bare", image: images.agent, cmd: ["start"], env: { CORAL_COLONY_ID: "x-dev-000000" } });
    assert.equal(unconfigured.code, 1, unconfigured.logs);
    assert.match(unconfigured.logs, /Error: .*fingerprint/i);
    const version = await runToExit(scope, { role: "agent-version", image: images.agent, cmd: ["version"] });
    assert.match(version.logs, /Coral Agent version dev/);
  });
});

describe("reference images: discovery's wire rules", () => {
  const scope = new RunScope(docker, newRunId());
  let url = "";
  before(async () => {
    await scope.createNetwork();
    const discovery = await scope.start({ role: "discovery", image: images.discovery, publish: [8080] });
    url = `http://127.0.0.1:${await discovery.hostPort(8080)}`;
    await pollUntil("discovery /health", () => getDocument(`${url}/health`, 1_500), (r) => r.status === 200, { timeoutMs: 30_000 });
  });
  after(() => scope.removeAll());

  const rpc = (method: string, body: string, contentType?: string) => postRaw(`${url}/coral.discovery.v1.DiscoveryService/${method}`, body, { contentType });

  test("JSON with camelCase keys only", async () => {
    assert.deepEqual(await rpc("LookupColony", "\n\u0004mesh", "application/proto"), {
      status: 400,
      body: JSON.stringify({ code: "invalid_argument", message: "Only JSON encoding is supported" }),
    });
    const snake = await rpc("LookupColony", JSON.stringify({ mesh_id: "m" }));
    assert.ok("status" in snake && snake.status === 400 && /mesh_id is required/.test(snake.body), JSON.stringify(snake));
  });

  test("not_found, unimplemented, health and JWKS as the Worker answers them", async () => {
    const missing = await rpc("LookupColony", JSON.stringify({ meshId: "nope" }));
    assert.deepEqual(missing, { status: 404, body: JSON.stringify({ code: "not_found", message: "colony nope not found" }) });
    const relay = await rpc("RequestRelay", "{}");
    assert.ok("status" in relay && relay.status === 501, JSON.stringify(relay));
    const health = await getDocument(`${url}/health`);
    assert.equal((health.json as { status: string }).status, "ok");
    const jwks = (await getDocument(`${url}/.well-known/jwks.json`)).json as { keys: Array<Record<string, string>> };
    assert.equal(jwks.keys[0]!.crv, "Ed25519");
    assert.equal(jwks.keys[0]!.alg, "EdDSA");
  });
});

describe("reference images: a live deployment seen from inside", () => {
  const provider = createCoralProvider({ images, agents: 1, timeoutScale: 1 });
  const runId = newRunId();
  let d: CoralDeployment;
  before(async () => {
    d = await provider.setup({ runId, signal: new AbortController().signal, progress: () => {} });
  });
  after(() => provider.teardown(runId, { keep: false }));

  test("no WireGuard control socket: `wg show` sees nothing, as in Coral", async () => {
    const all = await d.colony.exec(["wg", "show"]);
    assert.deepEqual([all.exitCode, all.stdout], [0, ""]);
    const wg0 = await d.colony.exec(["wg", "show", "wg0"]);
    assert.equal(wg0.exitCode, 1);
    assert.match(wg0.stderr, /Unable to access interface/);
  });

  test("CLI views: colony status and agents, agent status", async () => {
    const status = JSON.parse((await d.colony.cli(["status", "-c", d.colony.id, "-o", "json"])).stdout);
    assert.equal(status.status, "running");
    assert.equal(status.colony_id, d.colony.id);
    const agents = JSON.parse((await d.colony.cli(["agents", "-o", "json"])).stdout) as Array<Record<string, unknown>>;
    assert.equal(agents[0]!.agent_id, "agent-0");
    assert.ok(agents[0]!.last_seen && typeof agents[0]!.last_seen === "object", "Go encoding/json timestamps");
    const agentStatus = await d.agents[0]!.cli(["status", "-o", "json"]);
    assert.equal(agentStatus.exitCode, 0, agentStatus.stderr);
  });

  test("HTTP surfaces: colony /status peers, bare 404 for unrouted RPCs, agent has no /health", async () => {
    const doc = (await d.colony.statusDocument()).json as any;
    assert.equal(doc.colony.id, d.colony.id);
    assert.equal(doc.wireguard.status.wireguard.peers.length, 1);
    assert.match(doc.wireguard.status.wireguard.peers[0].public_key, /^.{16}\.\.\.$/);
    const unrouted = await postRaw(`${await d.colony.url()}/coral.colony.v1.ColonyService/BootstrapAndRegister`, "{}");
    assert.deepEqual(unrouted, { status: 404, body: "" });
    const health = await getDocument(`${await d.agents[0]!.url()}/health`);
    assert.equal(health.status, 404);
  });

  test("log milestones of contract §4.3", async () => {
    const colonyLogs = await d.colony.logs();
    for (const line of ["Colony configuration loaded", "WireGuard device started successfully", "Successfully registered with discovery service", "Colony started successfully", "Agent registered successfully"]) {
      assert.match(colonyLogs, new RegExp(line), `colony logs "${line}"`);
    }
    const agentLogs = await d.agents[0]!.logs();
    for (const line of ["Starting Coral agent", "Certificate bootstrap completed successfully", "Successfully registered with colony", "Agent started successfully - waiting for shutdown signal", "Starting heartbeat loop"]) {
      assert.match(agentLogs, new RegExp(line), `agent logs "${line}"`);
    }
  });
});
