import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { test } from "node:test";

test("the test runner fails when no test file matches (zero tests is not a pass)", () => {
  const r = spawnSync(process.execPath, ["scripts/run-tests.mjs", "no-test-file-has-this-name"], {
    encoding: "utf8",
  });
  assert.equal(r.status, 1);
  assert.match(r.stderr, /no test files found/);
});
