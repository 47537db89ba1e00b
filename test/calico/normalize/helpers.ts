/** Shared helpers for the normalize tests (not a test file itself). */
import assert from "node:assert/strict";
import { normalize } from "../../../src/calico/normalize/index.js";
import type { FieldError } from "../../../src/calico/result.js";
import type { CalicoResource, ResourceKind } from "../../../src/calico/types.js";

/** Normalises and asserts success and the kind; returns the typed resource. */
export function decoded<K extends ResourceKind>(
  object: unknown,
  kind: K,
): Extract<CalicoResource, { kind: K }> {
  const r = normalize(object);
  if (!r.ok) assert.fail(`normalize failed: ${JSON.stringify(r.error)}`);
  assert.equal(r.value.kind, kind);
  return r.value as Extract<CalicoResource, { kind: K }>;
}

/** Normalises and asserts failure; returns the errors. */
export function failed(object: unknown): readonly FieldError[] {
  const r = normalize(object);
  if (r.ok) assert.fail(`normalize unexpectedly succeeded for ${JSON.stringify(object)}`);
  assert.ok(r.error.length > 0, "at least one error");
  for (const e of r.error) assert.ok(!e.reason.includes("\n"), `one-line reason: ${e.reason}`);
  return r.error;
}

/** Asserts that some error has exactly this path and a reason matching `reason`. */
export function assertError(errors: readonly FieldError[], path: string, reason: RegExp): void {
  const hit = errors.find((e) => e.path === path && reason.test(e.reason));
  assert.ok(hit, `expected an error at ${path} matching ${reason}; got ${JSON.stringify(errors)}`);
}

export const V3 = "projectcalico.org/v3";
export const V1 = "crd.projectcalico.org/v1";

export function labelsOf(r: { labels: ReadonlyMap<string, string> }): Record<string, string> {
  return Object.fromEntries(r.labels);
}

export function annotationsOf(r: { annotations: ReadonlyMap<string, string> }): Record<string, string> {
  return Object.fromEntries(r.annotations);
}
