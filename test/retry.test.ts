// Retries of transient failures (p-retry behind src/util/retry.ts): only what may succeed when sent
// again is retried, never past the budget or the abort signal, and only calls marked repeatable.
import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { DockerClient, isTransientDockerError } from "../src/docker/client.js";
import { isNetworkHiccup } from "../src/images/build.js";
import { retryTransient } from "../src/util/retry.js";
import { TimeoutError, pause } from "../src/util/time.js";

const http = (statusCode: number) => Object.assign(new Error(`(HTTP code ${statusCode})`), { statusCode });
const reset = () => Object.assign(new Error("read ECONNRESET"), { code: "ECONNRESET" });

/** An operation that fails with each given error in turn, then answers "done". */
function failing(...errors: Error[]) {
  const calls = { count: 0 };
  return { calls, work: async () => (calls.count++ < errors.length ? Promise.reject(errors[calls.count - 1]) : "done") };
}

describe("transient failures", () => {
  test("a daemon's 5xx and a reset connection are transient; 4xx, timeouts and refusals are not", () => {
    assert.ok(isTransientDockerError(http(500)) && isTransientDockerError(http(503)) && isTransientDockerError(reset()));
    assert.ok(!isTransientDockerError(http(404)) && !isTransientDockerError(http(409)));
    assert.ok(!isTransientDockerError(new TimeoutError("docker: inspect x", 30_000)));
    assert.ok(!isTransientDockerError(Object.assign(new Error("connect ECONNREFUSED /var/run/docker.sock"), { code: "ECONNREFUSED" })));
  });

  test("a mirror hiccup in `images` is transient, a compile error is not", () => {
    assert.ok(isNetworkHiccup(new Error("debootstrap --variant=minbase failed (exit 1): E: Couldn't download http://deb.debian.org/debian/pool/main/b/bash.deb")));
    assert.ok(isNetworkHiccup(new Error("go build failed (exit 1): dial tcp: lookup proxy.golang.org: Temporary failure in name resolution")));
    assert.ok(!isNetworkHiccup(new Error("go build failed (exit 1): ./main.go:3:2: undefined: burnCPU")));
  });
});

describe("retryTransient", () => {
  const policy = { retries: 2, capMs: 5_000, firstBackoffMs: 1, transient: isTransientDockerError };

  test("retries transient failures within its retries", async () => {
    const op = failing(http(500), reset());
    assert.equal(await retryTransient(op.work, policy), "done");
    assert.equal(op.calls.count, 3);
  });

  test("gives up after its retries, with the last error", async () => {
    const op = failing(http(500), http(502), http(503));
    await assert.rejects(retryTransient(op.work, policy), /HTTP code 503/);
    assert.equal(op.calls.count, 3);
  });

  test("does not retry a failure that is not transient", async () => {
    const op = failing(http(404));
    await assert.rejects(retryTransient(op.work, policy), /HTTP code 404/);
    assert.equal(op.calls.count, 1);
  });

  test("stops when the signal aborts, and starts no attempt after the time cap", async () => {
    const controller = new AbortController();
    controller.abort(new Error("interrupted"));
    const aborted = failing(http(500));
    await assert.rejects(retryTransient(aborted.work, { ...policy, signal: controller.signal }), /interrupted/);
    let attempts = 0;
    const slow = async () => {
      attempts++;
      await pause(30);
      throw http(500);
    };
    await assert.rejects(retryTransient(slow, { ...policy, capMs: 10 }), /HTTP code 500/);
    assert.equal(attempts, 1);
  });
});

describe("DockerClient.call", () => {
  const docker = new DockerClient();

  test("sends a repeatable call (given as a function) again after a 5xx", async () => {
    const op = failing(http(500));
    assert.equal(await docker.call(op.work, "inspect x"), "done");
    assert.equal(op.calls.count, 2);
  });

  test("never repeats a call given as a promise", async () => {
    await assert.rejects(docker.call(Promise.reject(http(500)), "create container x"), /HTTP code 500/);
  });
});
