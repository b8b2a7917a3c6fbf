// Every check's `touches` declaration names parts a Coral deployment has (a typo would silently
// share a part nobody else names), and the checks that act on the deployment declare something.
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { modules } from "../checks/index.js";
import { PARTS } from "../src/coral/parts.js";
import { unknownParts, type PartsModel } from "../src/runner/claims.js";

const MODEL: PartsModel = { pools: { [PARTS.spareAgent]: ["spare-0"] }, groups: { [PARTS.agents]: ["agent-0"] }, implicit: [PARTS.colony] };

describe("check declarations", () => {
  const checks = modules.flatMap((m) => m.checks);

  it("name only parts a Coral deployment has", () => {
    const wrong = checks.flatMap((c) => unknownParts(c.touches, MODEL, Object.values(PARTS)).map((p) => `${c.id}: ${p}`));
    assert.deepEqual(wrong, []);
  });

  it("are given by every check but the final one, so no check runs alone by accident", () => {
    assert.deepEqual(checks.filter((c) => !c.touches && !c.final).map((c) => c.id), []);
  });
});
