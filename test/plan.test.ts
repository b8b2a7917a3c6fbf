import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { UsageError } from "../src/runner/errors.js";
import { allChecks, planRun, type Selection } from "../src/runner/plan.js";
import { check, module, passing } from "./support/fakes.js";

const modules = [
  module("discovery", [check("discovery/health", passing), check("discovery/register", passing), check("discovery/ttl", passing)]),
  module("wireguard", [check("wireguard/handshake", passing), check("wireguard/mesh-ping", passing)]),
  module("beyla", [check("beyla/red-metrics", passing)], "observability", 0),
  module("otlp", [check("otlp/percentiles", passing)], "observability", 1),
  module("profiles", [check("profiles/on-demand", passing)], "observability", 3),
];

const ids = (selection: Selection) => planRun(modules, selection).checks.map((c) => c.info.id);

describe("plan", () => {
  it("keeps module order and derives classnames", () => {
    const all = allChecks(modules).map((c) => [c.info.id, c.info.classname]);
    assert.deepEqual(all, [
      ["discovery/health", "connectivity.discovery"],
      ["discovery/register", "connectivity.discovery"],
      ["discovery/ttl", "connectivity.discovery"],
      ["wireguard/handshake", "connectivity.wireguard"],
      ["wireguard/mesh-ping", "connectivity.wireguard"],
      ["beyla/red-metrics", "observability.L0.beyla"],
      ["otlp/percentiles", "observability.L1.otlp"],
      ["profiles/on-demand", "observability.L3.profiles"],
    ]);
  });

  it("selects by phase and by observability layer", () => {
    assert.deepEqual(ids({ phase: "observability" }), ["beyla/red-metrics", "otlp/percentiles", "profiles/on-demand"]);
    assert.deepEqual(ids({ phase: "observability", layers: [0, 3] }), ["beyla/red-metrics", "profiles/on-demand"]);
    // Connectivity stays with --phase all: observability checks need the mesh.
    assert.equal(ids({ layers: [1] }).length, 6);
  });

  it("selects by glob, by module name, and lets an exclusion win", () => {
    assert.deepEqual(ids({ checks: ["discovery/*"] }), ["discovery/health", "discovery/register", "discovery/ttl"]);
    assert.deepEqual(ids({ checks: ["wireguard"] }), ["wireguard/handshake", "wireguard/mesh-ping"]);
    assert.deepEqual(ids({ checks: ["discovery/*", "!discovery/t?l"] }), ["discovery/health", "discovery/register"]);
    assert.equal(ids({ checks: ["*", "!discovery/*"] }).length, 5);
    assert.deepEqual(ids({ checks: ["!discovery", "!beyla", "!otlp", "!profiles"] }), ["wireguard/handshake", "wireguard/mesh-ping"]);
  });

  it("rejects unknown ids, patterns matching nothing and empty selections as usage errors", () => {
    assert.throws(() => ids({ checks: ["discovery/nope"] }), (e: unknown) => e instanceof UsageError && /--check discovery\/nope: unknown check id/.test(e.message));
    assert.throws(() => ids({ checks: ["!nothing/*"] }), /--check !nothing\/\*: unknown pattern/);
    assert.throws(() => ids({ checks: ["discovery/health", "!discovery/*"] }), (e: unknown) => e instanceof UsageError && /matches no check/.test(e.message));
    assert.throws(() => ids({ phase: "connectivity", layers: [0] }), UsageError);
    assert.throws(() => planRun([], {}), /matches no check/);
  });

  it("rejects duplicate ids and dependencies on later or unknown checks", () => {
    assert.throws(() => allChecks([module("a", [check("a/x", passing)]), module("b", [check("a/x", passing)])]), /declared twice/);
    assert.throws(
      () => allChecks([module("a", [check("a/x", passing, { needs: ["a/y"] }), check("a/y", passing)])]),
      /a\/x needs a\/y, which is not declared before it/,
    );
  });
});
