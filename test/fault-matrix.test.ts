// Proof that the checks can fail: every row of the fault matrix deploys the reference images with
// one fault and expects its checks to fail with a message naming the cause while the unrelated ones
// pass. Also: every check fails in at least one row. Two rows run at a time (two deployments);
// CORAL_E2E_MATRIX_CONCURRENCY runs each row's checks at that --concurrency (1: one at a time, in
// declared order), to compare verdicts with the default.
import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { modules } from "../checks/index.js";
import { newRunId } from "../src/docker/labels.js";
import { runSuite } from "../src/runner/engine.js";
import { planRun } from "../src/runner/plan.js";
import { faultMatrix } from "./fault-matrix.js";
import { referenceProvider } from "./support/reference-provider.js";

const checkConcurrency = process.env.CORAL_E2E_MATRIX_CONCURRENCY ? Number(process.env.CORAL_E2E_MATRIX_CONCURRENCY) : undefined;

describe("fault matrix", { concurrency: 2 }, () => {
  test("every check fails in at least one row (known-defect checks: see known-defects.test)", () => {
    const covered = new Set(faultMatrix.flatMap((row) => Object.keys(row.failing)));
    const checks = modules.flatMap((m) => m.checks.filter((c) => !c.knownDefect).map((c) => c.id));
    assert.deepEqual(checks.filter((id) => !covered.has(id)), []);
  });

  for (const row of faultMatrix) {
    test(row.name, async () => {
      const summary = await runSuite({ runId: newRunId(), plan: planRun(modules, { checks: row.checks }), provider: referenceProvider(row), concurrency: checkConcurrency });
      const byId = new Map(summary.results.map((r) => [r.id, r]));
      const seen = summary.results.map((r) => `${r.id}: ${r.outcome}${r.message ? ` (${r.message})` : ""}`).join("\n");
      for (const [id, pattern] of Object.entries(row.failing)) {
        const result = byId.get(id);
        assert.equal(result?.outcome, "failed", `${id} should fail under "${row.name}"; results:\n${seen}`);
        assert.match(result!.message ?? "", pattern, `${id}'s message should name the cause`);
      }
      for (const id of row.passing) assert.equal(byId.get(id)?.outcome, "passed", `${id} should still pass under "${row.name}"; results:\n${seen}`);
    });
  }
});
