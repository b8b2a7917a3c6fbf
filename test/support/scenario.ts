// One run of the engine over a fake deployment that produces every outcome, for reporter tests.
import type { Reporter } from "../../src/runner/reporter.js";
import { runSuite } from "../../src/runner/engine.js";
import type { EvidenceStore } from "../../src/runner/evidence.js";
import { planRun } from "../../src/runner/plan.js";
import type { RunSummary } from "../../src/runner/results.js";
import { FakeProvider, check, failing, module, passing } from "./fakes.js";

export const PSK = "coral-psk:0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef";
export const JWT = "eyJhbGciOiJFZERTQSJ9.eyJzdWIiOiJhZ2VudC0wIn0.c2lnbmF0dXJl";
export const REGISTERED_TOKEN = "tok_live_4f9a8b7c6d5e";

const defect = { since: "v0.3.0", ref: "connectivity.md §6.7", summary: "tunnel loss is invisible" };

export const scenarioModules = [
  module("discovery", [
    check("discovery/health", async (t) => {
      t.log(`using bootstrap ${PSK} and token ${REGISTERED_TOKEN}`);
      t.verify(true, "discovery answers /health", { status: "ok", jwt: JWT });
    }),
    check("discovery/register", failing),
    check("discovery/ttl", passing, { needs: ["discovery/register"] }),
  ]),
  module("wireguard", [
    check("wireguard/tunnel-loss", failing, { knownDefect: defect }),
    check("wireguard/audit-age", passing, { knownDefect: { ...defect, summary: "audit age is the Unix time" } }),
    check("wireguard/throws", async () => {
      throw new RangeError("boom <&> ]]> end");
    }),
  ]),
  module("beyla", [check("beyla/red", passing, { requires: { capabilities: ["ebpf"] } })], "observability", 0),
];

export async function runScenario(reporters: Reporter[] = [], evidence?: EvidenceStore): Promise<RunSummary> {
  const reporter: Reporter = {
    name: "fan-out",
    onRunStart: async (info) => {
      for (const r of reporters) await r.onRunStart?.(info);
    },
    onProgress: (message) => reporters.forEach((r) => r.onProgress?.(message)),
    onCheckStart: (c, n) => reporters.forEach((r) => r.onCheckStart?.(c, n)),
    onCheckEnd: async (result) => {
      for (const r of reporters) await r.onCheckEnd?.(result);
    },
    onRunEnd: async (summary) => {
      for (const r of reporters) await r.onRunEnd?.(summary);
    },
  };
  return runSuite({ runId: "20260101-000000-abc123", plan: planRun(scenarioModules), provider: new FakeProvider(), reporter, evidence });
}
