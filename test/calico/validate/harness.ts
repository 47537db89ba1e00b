/**
 * Table-driven harness for validateRules: each case is written once in the `projectcalico.org/v3` form and
 * run in every representation Calico stores it in (calico-semantics §2.3): the v3 object, the same object
 * as `crd.projectcalico.org/v1`, and (when it has labels) the v1 form libcalico-go writes since v3.28, with
 * the labels inside the `projectcalico.org/metadata` annotation.
 */
import assert from "node:assert/strict";
import { test } from "node:test";
import type { FieldError } from "../../../src/calico/result.js";
import { validateRules } from "../../../src/calico/validate/index.js";

export type Json = null | boolean | number | string | Json[] | { [key: string]: Json };
export type JsonObj = { [key: string]: Json };

/** An expected error: its exact path and a substring (or pattern) of its reason. */
export type Expected = readonly [path: string, reason: string | RegExp];

export interface Case {
  readonly name: string;
  readonly object: JsonObj;
  /** `[]` for an object that must be valid */
  readonly expect: readonly Expected[];
  /** restrict to some forms (e.g. a v1-only storage quirk) */
  readonly forms?: readonly FormName[];
}

export type FormName = "v3" | "v1" | "v1-annotation";

export const METADATA_ANNOTATION = "projectcalico.org/metadata";
const STASH_PATH = `metadata.annotations[${JSON.stringify(METADATA_ANNOTATION)}]`;

export function clone<T extends Json>(value: T): T {
  return JSON.parse(JSON.stringify(value)) as T;
}

function asObject(value: Json | undefined): JsonObj | undefined {
  return value !== null && typeof value === "object" && !Array.isArray(value) ? value : undefined;
}

interface Form {
  readonly name: FormName;
  readonly object: JsonObj;
  readonly mapPath: (path: string) => string;
}

/** The forms a v3 object can be stored in. */
export function forms(v3: JsonObj): Form[] {
  const out: Form[] = [{ name: "v3", object: v3, mapPath: (p) => p }];
  const v1 = clone(v3);
  v1["apiVersion"] = "crd.projectcalico.org/v1";
  out.push({ name: "v1", object: v1, mapPath: (p) => p });
  const labels = asObject(asObject(v3["metadata"])?.["labels"]);
  if (labels !== undefined && Object.keys(labels).length > 0) {
    const stored = clone(v1);
    const metadata = asObject(stored["metadata"]) ?? {};
    delete metadata["labels"];
    const annotations = asObject(metadata["annotations"]) ?? {};
    annotations[METADATA_ANNOTATION] = JSON.stringify({ creationTimestamp: null, labels });
    metadata["annotations"] = annotations;
    stored["metadata"] = metadata;
    out.push({
      name: "v1-annotation",
      object: stored,
      mapPath: (p) =>
        p.startsWith("metadata.labels") ? `${STASH_PATH}.labels${p.slice("metadata.labels".length)}` : p,
    });
  }
  return out;
}

function describeErrors(errors: readonly FieldError[]): string {
  return errors.map((e) => `  ${e.path}: ${e.reason}`).join("\n") || "  (none)";
}

/** Asserts that `errors` has exactly the expected paths (as a multiset) and matching reasons. */
export function assertErrors(
  errors: readonly FieldError[],
  expected: readonly Expected[],
  context = "",
): void {
  const got = errors.map((e) => e.path).sort();
  const want = expected.map(([p]) => p).sort();
  assert.deepEqual(got, want, `${context}\nerror paths differ; got:\n${describeErrors(errors)}`);
  for (const [path, reason] of expected) {
    const match = errors.some(
      (e) =>
        e.path === path && (typeof reason === "string" ? e.reason.includes(reason) : reason.test(e.reason)),
    );
    assert.ok(
      match,
      `${context}\nno error at ${path} with reason ${String(reason)}; got:\n${describeErrors(errors)}`,
    );
  }
  for (const e of errors) {
    assert.ok(!e.reason.includes("\n"), `reason must be one line: ${e.reason}`);
    assert.ok(e.reason.length > 0, "reason must not be empty");
  }
}

/** Registers one node:test per case and form. */
export function runCases(cases: readonly Case[]): void {
  for (const c of cases) {
    for (const form of forms(c.object)) {
      if (c.forms !== undefined && !c.forms.includes(form.name)) continue;
      test(`${c.name} [${form.name}]`, () => {
        const errors = validateRules(form.object);
        const expected = c.expect.map(([p, r]) => [form.mapPath(p), r] as const);
        assertErrors(errors, expected, `${c.name} [${form.name}]`);
      });
    }
  }
}

// ---------------------------------------------------------------------------------------------
// Object builders (v3 form)

export function gnp(spec: JsonObj, name = "thing", metadata: JsonObj = {}): JsonObj {
  return {
    apiVersion: "projectcalico.org/v3",
    kind: "GlobalNetworkPolicy",
    metadata: { name, ...metadata },
    spec,
  };
}

/** A GNP with one rule in the given direction. */
export function gnpRule(
  rule: JsonObj,
  direction: "ingress" | "egress" = "ingress",
  extra: JsonObj = {},
): JsonObj {
  return gnp({ selector: "has(kubernetes-host)", [direction]: [rule], ...extra });
}

export function hep(spec: JsonObj, name = "node-1-eth0", metadata: JsonObj = {}): JsonObj {
  return { apiVersion: "projectcalico.org/v3", kind: "HostEndpoint", metadata: { name, ...metadata }, spec };
}

export function gns(nets: Json[], labels: JsonObj = {}, name = "internal"): JsonObj {
  return {
    apiVersion: "projectcalico.org/v3",
    kind: "GlobalNetworkSet",
    metadata: { name, ...(Object.keys(labels).length > 0 && { labels }) },
    spec: { nets },
  };
}

export function felix(spec: JsonObj, name = "default", metadata: JsonObj = {}): JsonObj {
  return {
    apiVersion: "projectcalico.org/v3",
    kind: "FelixConfiguration",
    metadata: { name, ...metadata },
    spec,
  };
}

export function kcc(spec: JsonObj, name = "default"): JsonObj {
  return {
    apiVersion: "projectcalico.org/v3",
    kind: "KubeControllersConfiguration",
    metadata: { name },
    spec,
  };
}

export function tier(name: string, spec: JsonObj): JsonObj {
  return { apiVersion: "projectcalico.org/v3", kind: "Tier", metadata: { name }, spec };
}
