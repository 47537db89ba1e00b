/**
 * Shared set-up for the deploy tests: the repository root, running certs/make-certs.sh, and a
 * throw-away copy of deploy/ with freshly generated certificates in <copy>/certs/out, laid out like
 * the repository so that the self-signed overlay's `../../../certs/out` resolves. The tests never
 * write into the repository's own certs/out.
 */
import assert from "node:assert/strict";
import { spawnSync, type SpawnSyncReturns } from "node:child_process";
import { cpSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";

export const REPO = resolve(dirname(fileURLToPath(import.meta.url)), "../..");
export const MAKE_CERTS = join(REPO, "certs", "make-certs.sh");

/** Time limit for one run of the script or of openssl (generous: slow CI machines, RSA keys). */
export const SPAWN_TIMEOUT_MS = 60_000;

export function commandWorks(command: string, args: string[]): boolean {
  const r = spawnSync(command, args, { encoding: "utf8", timeout: SPAWN_TIMEOUT_MS });
  return !r.error && r.status === 0;
}

export const OPENSSL_AVAILABLE = commandWorks("openssl", ["version"]);
export const NO_OPENSSL_MESSAGE = "openssl is not installed on this machine; certs/make-certs.sh needs it";

export function makeCerts(args: string[], env: NodeJS.ProcessEnv = process.env): SpawnSyncReturns<string> {
  return spawnSync("bash", [MAKE_CERTS, ...args], { encoding: "utf8", timeout: SPAWN_TIMEOUT_MS, env });
}

export function tempDir(prefix: string): string {
  return mkdtempSync(join(tmpdir(), `hostguard-${prefix}-`));
}

export function removeDir(dir: string): void {
  rmSync(dir, { recursive: true, force: true });
}

export interface Workspace {
  /** the copy's root: deploy/ and certs/out/ below it */
  readonly root: string;
  readonly certsOut: string;
  overlay(name: string): string;
}

/** A copy of deploy/ with certificates generated into certs/out beside it (needs openssl). */
export function makeWorkspace(): Workspace {
  const root = tempDir("deploy");
  cpSync(join(REPO, "deploy"), join(root, "deploy"), { recursive: true });
  const certsOut = join(root, "certs", "out");
  const run = makeCerts(["--out", certsOut]);
  assert.equal(run.status, 0, `make-certs.sh failed: ${run.stderr}${run.error ? String(run.error) : ""}`);
  return { root, certsOut, overlay: (name) => join(root, "deploy", "overlays", name) };
}
