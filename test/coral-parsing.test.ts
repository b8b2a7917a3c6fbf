// What the deployment reads from Coral's own output: init's export lines, the colony config it
// edits, `ip` output, the version evidence, Docker's multiplexed logs.
import assert from "node:assert/strict";
import { test } from "node:test";
import { parse } from "yaml";
import { ColonySetupError, editColonyConfig, parseInitOutput } from "../src/coral/colony-setup.js";
import { inSubnet, parseAddresses, parseLink, parseRoutes } from "../src/coral/netinfo.js";
import { versionFromHelp } from "../src/coral/version.js";
import { demuxBuffer, stripAnsi } from "../src/docker/stream.js";
import { parseDurationMs } from "../src/util/time.js";

const INIT_OUTPUT = `Root CA Fingerprint (distribute to agents):
  sha256:0a1b
Bootstrap PSK (distribute to agents):
  coral-psk:${"f".repeat(64)}

  export CORAL_COLONY_ID=coral-e2e-e2e-3cb657
  export CORAL_CA_FINGERPRINT=sha256:0a1b
  export CORAL_BOOTSTRAP_PSK=coral-psk:${"f".repeat(64)}
  coral agent start
✓ Colony initialized successfully
`;

test("init output: the three exports, indented as Coral prints them", () => {
  assert.deepEqual(parseInitOutput(INIT_OUTPUT), {
    id: "coral-e2e-e2e-3cb657",
    caFingerprint: "sha256:0a1b",
    bootstrapPsk: `coral-psk:${"f".repeat(64)}`,
  });
  assert.throws(() => parseInitOutput("✓ Colony initialized successfully"), ColonySetupError);
});

test("colony config edit: public endpoint on 0.0.0.0:8443 and STUN nowhere, other keys kept", () => {
  const edited = parse(editColonyConfig("colony_id: x\ndiscovery:\n  register_interval: 60s\n"));
  assert.equal(edited.colony_id, "x");
  assert.equal(edited.discovery.register_interval, "60s");
  assert.deepEqual(edited.discovery.stun_servers, ["127.0.0.1:3478"]);
  assert.deepEqual(edited.public_endpoint, { enabled: true, host: "0.0.0.0", port: 8443, auth: { require: true } });
});

test("ip output parsing", () => {
  assert.deepEqual(parseLink("5: wg0: <POINTOPOINT,MULTICAST,NOARP,UP,LOWER_UP> mtu 1420"), { exists: true, up: true });
  assert.deepEqual(parseLink("5: wg0: <POINTOPOINT,NOARP> mtu 1420"), { exists: true, up: false });
  assert.deepEqual(parseAddresses("5: wg0    inet 100.64.0.2/32 scope global wg0\\       valid_lft forever"), ["100.64.0.2/32"]);
  assert.deepEqual(parseRoutes("100.64.0.1 scope link \n100.64.0.3/32 scope link\n"), ["100.64.0.1", "100.64.0.3"]);
  assert.ok(inSubnet("100.64.0.9", "100.64.0.0/10"));
  assert.ok(!inSubnet("100.128.0.1", "100.64.0.0/10"));
});

test("version evidence from the agent's help", () => {
  assert.equal(versionFromHelp("  --monitor-all\n  --no-monitor-all\n").version, "v0.3.0");
  assert.equal(versionFromHelp("  --bootstrap-public-endpoint string\n  --monitor-all").version, "v0.2.0");
  assert.equal(versionFromHelp("  --monitor-all").version, "v0.1");
  assert.equal(versionFromHelp("nothing").version, "unknown");
});

test("docker log frames are split into stdout and stderr; ANSI is stripped", () => {
  const frame = (kind: number, text: string) => {
    const body = Buffer.from(text);
    const head = Buffer.alloc(8);
    head[0] = kind;
    head.writeUInt32BE(body.length, 4);
    return Buffer.concat([head, body]);
  };
  assert.deepEqual(demuxBuffer(Buffer.concat([frame(1, "a\n"), frame(2, "b\n"), frame(1, "c\n")])), { stdout: "a\nc\n", stderr: "b\n" });
  assert.equal(stripAnsi("\x1b[90m08:39:10\x1b[0m \x1b[32mINF\x1b[0m ok"), "08:39:10 INF ok");
});

test("durations for --timeout", () => {
  assert.equal(parseDurationMs("90s"), 90_000);
  assert.equal(parseDurationMs("1m30s"), 90_000);
  assert.equal(parseDurationMs("45"), 45_000);
  assert.ok(Number.isNaN(parseDurationMs("soon")));
});
