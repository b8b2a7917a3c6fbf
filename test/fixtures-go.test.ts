// The Go programs' own tests: the fixture apps (handlers, the CPU burner's non-inlined hot function,
// and above all the SDK app's function offsets, checked against `go tool nm` and `objdump` of the
// built binary: a virtual address instead of a file offset would make Coral's uprobes record
// nothing) and the reference agent's perf helper (RET finding, symbols, real samples and uprobes).
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { existsSync } from "node:fs";
import { join } from "node:path";
import { test } from "node:test";
import { FIXTURE_NAMES } from "../src/images/fixtures.js";
import { ROOT } from "./support/spawn-cli.js";

const GO_MODULES = [...FIXTURE_NAMES.map((name) => join("images", "fixtures", name)), join("images", "reference", "perf")];

for (const module of GO_MODULES) {
  const dir = join(ROOT, module);
  test(`go test in ${module}`, { skip: !existsSync(join(dir, "go.mod")) && "no Go module" }, () => {
    const res = spawnSync("go", ["test", "-count=1", "./..."], { cwd: dir, encoding: "utf8", timeout: 600_000, env: { ...process.env, CGO_ENABLED: "0" } });
    assert.equal(res.status, 0, `${res.stdout}\n${res.stderr}`);
  });
}
