/**
 * Every suite in ../shared/scenarios runs through runSuiteFile — the code path of `hostguard test` —
 * and every step and flow must pass. One node:test case per suite case, so a failure names it.
 */
import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { runSuiteFile } from "../../src/cli/suite-files.js";
import { suiteFiles } from "../helpers/shared.js";

const files = suiteFiles();

test("the shared scenarios are there", () => assert.ok(files.length >= 3, `found ${files.length} suites`));

for (const file of files) {
  const result = runSuiteFile(file);
  describe(`scenario: ${result.name}`, () => {
    for (const c of result.cases) {
      test(`${c.kind}: ${c.name}`, () => assert.ok(c.passed, c.failures.join("\n")));
    }
  });
}
