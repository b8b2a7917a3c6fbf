// CLI dependencies over the fake deployment, chosen by FAKE_SCENARIO, for spawning the real CLI
// entry (test/fixtures/fake-cli.mjs) without Docker:
// (`doctor` always throws an unexpected error)
//   pass | fail | env-error | slow (a check that runs until interrupted) | slow-teardown (and teardown hangs)
// The provider appends "teardown keep=<bool>" to FAKE_TEARDOWN_FILE; stderr markers let tests sync.
import { appendFileSync } from "node:fs";
import type { CliDeps } from "../../src/cli/deps.js";
import { EnvironmentError } from "../../src/runner/errors.js";
import { registerSecret } from "../../src/report/secrets.js";
import { FakeProvider, check, failing, module, passing, waitsForAbort } from "./fakes.js";

export const FAKE_RUN_ID = "20260101-000000-fa4e00";
export const FAKE_SECRET = "fake-bootstrap-secret-123";

export function fakeCliDeps(env: NodeJS.ProcessEnv): Partial<CliDeps> {
  const scenario = env.FAKE_SCENARIO ?? "pass";
  const modules = [
    module("discovery", [
      check("discovery/health", async (t) => {
        t.log(`registered with ${FAKE_SECRET}`);
        t.verify(true, "discovery is healthy");
      }),
      scenario === "fail" ? check("discovery/register", failing) : check("discovery/register", passing),
    ]),
    module("mesh", [
      scenario.startsWith("slow")
        ? check("mesh/slow", async (t) => {
            process.stderr.write("CHECK-RUNNING\n");
            await waitsForAbort(t);
          }, { timeoutMs: 60_000 })
        : check("mesh/ping", passing),
      check("mesh/after", passing),
    ]),
  ];
  return {
    modules,
    newRunId: () => FAKE_RUN_ID,
    runDoctor: async () => {
      throw new Error("doctor: the fake machine has no doctor");
    },
    createProvider: () => {
      registerSecret(FAKE_SECRET);
      return new FakeProvider({
        setupError: scenario === "env-error" ? new EnvironmentError("Docker is not reachable (connect ENOENT /var/run/docker.sock)") : undefined,
        onTeardown: (keep) => {
          if (env.FAKE_TEARDOWN_FILE) appendFileSync(env.FAKE_TEARDOWN_FILE, `teardown keep=${keep}\n`);
          if (scenario === "slow-teardown") process.stderr.write("TEARDOWN-STARTED\n");
        },
        hangInTeardown: scenario === "slow-teardown",
      });
    },
  };
}
