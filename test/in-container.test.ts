// What the runner does differently inside its image, without Docker: finding its own container id,
// handing its outputs to the mounted folder's owner, ending as PID 1 on a signal nothing else
// handles, and which installed packages the image gets.
import assert from "node:assert/strict";
import { EventEmitter } from "node:events";
import { readFileSync } from "node:fs";
import { chown, mkdir, mkdtemp, rm, stat, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join, relative } from "node:path";
import { describe, test } from "node:test";
import { exitOnSignalsAsInit } from "../src/cli/init-signals.js";
import { handOverOutputs } from "../src/cli/output-ownership.js";
import { ownContainerCandidates } from "../src/docker/own-container.js";
import { offlineDockerfile, productionPackages } from "../src/images/runner.js";
import { ROOT } from "./support/spawn-cli.js";

const ID = "f54d1bf23feed1a46f14bf67949d14b9bfc49c9fe32e75378b98672a482dc426";

describe("the runner's own container", () => {
  test("its id comes from the mounts Docker gives every container, then the cgroup, then a short-id hostname", () => {
    const mountinfo = `257 217 254:0 /var/lib/docker/containers/${ID}/resolv.conf /etc/resolv.conf rw,relatime - ext4 /dev/vda rw\n`;
    assert.deepEqual(ownContainerCandidates({ mountinfo, cgroup: `0::/docker/${ID}\n`, hostname: ID.slice(0, 12) }), [ID, ID.slice(0, 12)]);
    assert.deepEqual(ownContainerCandidates({ cgroup: `0::/system.slice/docker-${ID}.scope\n` }), [ID]);
    assert.deepEqual(ownContainerCandidates({ mountinfo: "22 27 0:21 / /proc rw - proc proc rw\n", cgroup: "0::/\n", hostname: "build-host" }), []);
  });
});

describe("outputs written as root", () => {
  test("go to the owner of the folder they were written into", async () => {
    const dir = await mkdtemp(join(tmpdir(), "coral-e2e-ownership-"));
    try {
      await chown(dir, 4321, 4321);
      await mkdir(join(dir, "artifacts", "run"), { recursive: true });
      await writeFile(join(dir, "artifacts", "run", "junit.xml"), "<testsuites/>");
      await writeFile(join(dir, "report.xml"), "<testsuites/>");
      const warnings: string[] = [];
      await handOverOutputs([join(dir, "artifacts"), join(dir, "report.xml"), join(dir, "never-written.json")], (w) => warnings.push(w), 0);
      for (const path of ["artifacts", "artifacts/run", "artifacts/run/junit.xml", "report.xml"]) {
        const { uid, gid } = await stat(join(dir, path));
        assert.deepEqual({ uid, gid }, { uid: 4321, gid: 4321 }, path);
      }
      assert.deepEqual(warnings, []);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });

  test("are left alone when the runner is not root", async () => {
    const dir = await mkdtemp(join(tmpdir(), "coral-e2e-ownership-"));
    try {
      await chown(dir, 4321, 4321);
      await writeFile(join(dir, "report.xml"), "");
      const before = await stat(join(dir, "report.xml"));
      await handOverOutputs([join(dir, "report.xml")], () => {}, 1000);
      assert.equal((await stat(join(dir, "report.xml"))).uid, before.uid);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});

describe("node as PID 1", () => {
  const fakeProcess = (pid: number) => {
    const proc = Object.assign(new EventEmitter(), { pid, exits: [] as number[] });
    return Object.assign(proc, { exit: (code: number) => void proc.exits.push(code) });
  };

  test("exits on SIGINT and SIGTERM that nothing else handles, as the default action would", () => {
    const proc = fakeProcess(1);
    exitOnSignalsAsInit(proc as unknown as NodeJS.Process);
    proc.emit("SIGINT", "SIGINT");
    proc.emit("SIGTERM", "SIGTERM");
    assert.deepEqual(proc.exits, [130, 143]);
  });

  test("leaves a signal to a run's own handler, and does nothing outside PID 1", () => {
    const proc = fakeProcess(1);
    exitOnSignalsAsInit(proc as unknown as NodeJS.Process);
    proc.on("SIGINT", () => {});
    proc.emit("SIGINT", "SIGINT");
    assert.deepEqual(proc.exits, []);
    const other = fakeProcess(4242);
    exitOnSignalsAsInit(other as unknown as NodeJS.Process);
    assert.equal(other.listenerCount("SIGINT"), 0);
  });
});

describe("the runner image's packages", () => {
  test("are the closure of the production dependencies, without the development ones", () => {
    const packages = productionPackages(ROOT).map((dir) => relative(ROOT, dir));
    for (const name of ["dockerode", "p-retry", "@grpc/grpc-js", "@grpc/proto-loader", "@connectrpc/connect-node", "docker-modem", "protobufjs"]) {
      assert.ok(packages.includes(join("node_modules", name)), `${name} is in the image`);
    }
    for (const name of ["typescript", "esbuild", "@bufbuild/buf", "@duckdb/node-api", "fast-xml-parser"]) {
      assert.ok(!packages.some((p) => p === join("node_modules", name)), `${name} (development only) is not`);
    }
  });

  test("are put together by the root Dockerfile's last stage, offline as online", () => {
    const root = readFileSync(join(ROOT, "Dockerfile"), "utf8");
    const offline = offlineDockerfile(root);
    const lastStage = root.slice(root.lastIndexOf("\nFROM ${BASE}") + 1);
    assert.ok(offline.startsWith("ARG BASE=coral-e2e/base:bookworm\nFROM scratch AS build\nCOPY node /stage/node\nCOPY app /stage/app\n"), offline);
    assert.ok(offline.endsWith(lastStage), "the last stage, unchanged");
    assert.match(lastStage, /COPY --from=build \/stage\/node \/usr\/local\/bin\/node\nCOPY --from=build \/stage\/app \/opt\/coral-e2e/);
  });
});
