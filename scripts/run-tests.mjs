// Runs every test/**/*.test.ts file with node:test under tsx.
//
// Why a script: `node --test` does not expand directories to .ts files on Node 20, and a run that
// finds no file exits 0. We list the files ourselves, pass them explicitly, and fail the run when
// no test executed. The spec reporter goes to stdout; a TAP copy goes to a temp file, from which we
// read the counts for the closing `N passed, M failed` line, which also names the Node version.
// HOSTGUARD_TEST_NODE=v24.1.2 makes the run fail unless it runs on that version (CI, .ci/run).
import { spawnSync } from "node:child_process";
import { mkdtempSync, readFileSync, readdirSync, rmSync, statSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, relative } from "node:path";

const root = new URL("..", import.meta.url).pathname;
const filter = process.argv.slice(2);

const expected = process.env.HOSTGUARD_TEST_NODE;
if (expected && expected !== process.version) {
  console.error("run-tests: HOSTGUARD_TEST_NODE is %s but this is Node %s", expected, process.version);
  process.exit(1);
}

function collect(dir) {
  const out = [];
  for (const name of readdirSync(dir).sort()) {
    const path = join(dir, name);
    if (statSync(path).isDirectory()) out.push(...collect(path));
    else if (name.endsWith(".test.ts")) out.push(path);
  }
  return out;
}

const files = collect(join(root, "test"))
  .map((f) => relative(root, f))
  .filter((f) => filter.length === 0 || filter.some((part) => f.includes(part)));

if (files.length === 0) {
  console.error("run-tests: no test files found under test/ (filter: %s)", filter.join(" ") || "none");
  process.exit(1);
}

const tmp = mkdtempSync(join(tmpdir(), "hostguard-tests-"));
const tap = join(tmp, "report.tap");
const result = spawnSync(
  process.execPath,
  [
    "--import",
    "tsx",
    "--test",
    // A hung test must fail, not stall CI. (Not --test-force-exit: it cuts off the TAP report.)
    "--test-timeout=180000",
    "--test-reporter=spec",
    "--test-reporter-destination=stdout",
    "--test-reporter=tap",
    `--test-reporter-destination=${tap}`,
    ...files,
  ],
  {
    cwd: root,
    stdio: "inherit",
    env: { ...process.env, FORCE_COLOR: process.env.CI ? "0" : process.env.FORCE_COLOR },
  },
);

let report = "";
try {
  report = readFileSync(tap, "utf8");
} catch {
  // no report: counted as zero tests below
}
rmSync(tmp, { recursive: true, force: true });

const count = (key) => Number(new RegExp(`^# ${key} (\\d+)$`, "m").exec(report)?.[1] ?? 0);
const passed = count("pass");
const failed = count("fail");
const cancelled = count("cancelled");
const skipped = count("skipped");

console.log(`${passed} passed, ${failed + cancelled} failed, ${skipped} skipped (Node ${process.version})`);
if (passed + failed + cancelled === 0) {
  console.error("run-tests: zero tests ran; failing the run");
  process.exit(1);
}
process.exit(result.status === 0 && failed + cancelled === 0 ? 0 : 1);
