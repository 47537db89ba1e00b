/** `bench/main.ts --quick --json` runs end to end and prints one JSON object with the stable keys. */
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { fileURLToPath } from "node:url";
import { test } from "node:test";

const ROOT = fileURLToPath(new URL("../../", import.meta.url));

test("bench --quick --json exits 0 and prints the figures", { timeout: 120_000 }, () => {
  const run = spawnSync(process.execPath, ["--import", "tsx", "bench/main.ts", "--quick", "--json"], {
    cwd: ROOT,
    encoding: "utf8",
    timeout: 110_000,
  });
  assert.equal(run.status, 0, run.stderr);
  const result = JSON.parse(run.stdout) as Record<string, Record<string, unknown>>;
  for (const scale of ["1k", "5k"]) {
    const d = result.decide?.[scale] as Record<string, unknown> | undefined;
    assert.ok(d, `decide.${scale}`);
    for (const key of ["p50Ms", "p95Ms", "p99Ms", "maxMs", "n", "truncated", "byChange"])
      assert.ok(key in d, `decide.${scale}.${key}`);
  }
  for (const key of ["p50Ms", "p99Ms", "rps", "noopP50Ms", "noopP99Ms", "ratioP50"]) {
    assert.ok(key in (result.https ?? {}), `https.${key}`);
  }
  assert.ok("5k" in (result.rssMiB ?? {}), "rssMiB.5k");
  assert.equal(typeof result.machine, "string");
  assert.ok(Array.isArray(result.targets));
});
