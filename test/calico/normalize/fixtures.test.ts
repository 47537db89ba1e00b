/**
 * Every object in the shared scenarios and recorded fixtures decodes, except the deliberately invalid
 * ones, which must fail for the reason they were written for.
 */
import { describe, test } from "node:test";
import assert from "node:assert/strict";
import { readFileSync, readdirSync } from "node:fs";
import { parse, parseAllDocuments } from "yaml";
import { normalize } from "../../../src/calico/normalize/index.js";
import type { FieldError } from "../../../src/calico/result.js";

const SHARED = new URL("../../../../shared/", import.meta.url);

interface Sample {
  readonly where: string;
  readonly object: unknown;
}

function read(relative: string): string {
  return readFileSync(new URL(relative, SHARED), "utf8");
}

function files(dir: string, suffix: string): string[] {
  return readdirSync(new URL(dir, SHARED))
    .filter((f) => f.endsWith(suffix))
    .sort()
    .map((f) => `${dir}${f}`);
}

function isRecord(v: unknown): v is Record<string, unknown> {
  return typeof v === "object" && v !== null && !Array.isArray(v);
}

/** `state:` (inline list or a path to a state file), and every step's `apply:`. */
function scenarioSamples(): Sample[] {
  const out: Sample[] = [];
  for (const file of files("scenarios/", ".yaml")) {
    const doc: unknown = parse(read(file));
    if (Array.isArray(doc)) {
      doc.forEach((object: unknown, i) => out.push({ where: `${file} [${i}]`, object }));
      continue;
    }
    assert.ok(isRecord(doc), `${file} is a suite`);
    if (Array.isArray(doc.state)) {
      doc.state.forEach((object: unknown, i) => out.push({ where: `${file} state[${i}]`, object }));
    } else {
      assert.equal(typeof doc.state, "string", `${file}: state is a list or a path`);
    }
    const steps: unknown[] = Array.isArray(doc.steps) ? doc.steps : [];
    steps.forEach((step, i) => {
      if (isRecord(step) && step.apply !== undefined)
        out.push({ where: `${file} steps[${i}].apply`, object: step.apply });
    });
  }
  return out;
}

function admissionSamples(): Sample[] {
  const out: Sample[] = [];
  for (const file of files("fixtures/admission/", ".json")) {
    const review: unknown = JSON.parse(read(file));
    assert.ok(isRecord(review) && isRecord(review.request), `${file} is an AdmissionReview`);
    for (const key of ["object", "oldObject"]) {
      const object = review.request[key];
      if (object !== null && object !== undefined) out.push({ where: `${file} request.${key}`, object });
    }
  }
  return out;
}

function clusterSamples(): Sample[] {
  const out: Sample[] = [];
  for (const file of ["fixtures/cluster/nodes.yaml", "fixtures/cluster/calico-objects.yaml"]) {
    parseAllDocuments(read(file)).forEach((d, i) => out.push({ where: `${file} #${i}`, object: d.toJS() }));
  }
  return out;
}

/** List responses; core lists omit each item's apiVersion/kind, which the list's kind implies. */
function listSamples(): Sample[] {
  const out: Sample[] = [];
  for (const file of files("fixtures/apiserver/", ".json").filter(
    (f) => f.includes("/list-") && !f.includes("expired"),
  )) {
    const list: unknown = JSON.parse(read(file));
    assert.ok(isRecord(list) && Array.isArray(list.items), `${file} is a list`);
    const kind = String(list.kind).replace(/List$/, "");
    list.items.forEach((item: unknown, i) => {
      assert.ok(isRecord(item));
      out.push({ where: `${file} items[${i}]`, object: { apiVersion: list.apiVersion, kind, ...item } });
    });
  }
  return out;
}

/** The deliberately broken objects: the `broken` GNP with an unclosed has(. */
function isDeliberatelyInvalid(object: unknown): boolean {
  return isRecord(object) && isRecord(object.metadata) && object.metadata.name === "broken";
}

function describeErrors(errors: readonly FieldError[]): string {
  return errors.map((e) => `${e.path}: ${e.reason}`).join("; ");
}

const groups: [string, () => Sample[], number][] = [
  ["scenarios", scenarioSamples, 40],
  ["admission fixtures", admissionSamples, 40],
  ["cluster fixtures", clusterSamples, 11],
  ["apiserver list fixtures", listSamples, 11],
];

for (const [name, load, atLeast] of groups) {
  describe(`shared ${name}`, () => {
    const samples = load();
    test(`found at least ${atLeast} objects`, () =>
      assert.ok(samples.length >= atLeast, `found ${samples.length}`));
    for (const { where, object } of samples) {
      if (isDeliberatelyInvalid(object)) {
        test(`${where} fails with a selector error`, () => {
          const r = normalize(object);
          assert.equal(r.ok, false);
          if (!r.ok) {
            assert.deepEqual(
              r.error.map((e) => e.path),
              ["spec.selector"],
            );
            assert.match(r.error[0]?.reason ?? "", /invalid selector "has\(kubernetes-host".*offset 19/);
          }
        });
      } else {
        test(`${where} decodes`, () => {
          const r = normalize(object);
          assert.ok(r.ok, r.ok ? "" : describeErrors(r.error));
        });
      }
    }
  });
}

describe("what the fixtures decode to", () => {
  const all = [...scenarioSamples(), ...admissionSamples()];
  test("the v1 auto HEPs carry the Node labels from the metadata annotation", () => {
    const hep = all.find(
      (s) => isRecord(s.object) && isRecord(s.object.metadata) && s.object.metadata.name === "w-1-auto-hep",
    );
    const r = normalize(hep?.object);
    assert.ok(r.ok && r.value.kind === "HostEndpoint");
    assert.deepEqual(Object.fromEntries(r.value.labels), {
      "projectcalico.org/created-by": "calico-kube-controllers",
      "kubernetes-host": "",
      "kubernetes-worker": "",
    });
    assert.equal(r.value.annotations.size, 0);
  });
  test("the v1 GNPs with written types keep them; the v3 ones without are defaulted", () => {
    for (const { object } of all) {
      const r = normalize(object);
      if (!r.ok || r.value.kind !== "GlobalNetworkPolicy") continue;
      const spec = isRecord(object) && isRecord(object.spec) ? object.spec : {};
      assert.equal(r.value.typesDefaulted, !Array.isArray(spec.types) || spec.types.length === 0);
    }
  });
  test("the failsafe patch in lower case is normalised to upper case", () => {
    const review: unknown = JSON.parse(read("fixtures/admission/felixconfiguration-update.json"));
    assert.ok(isRecord(review) && isRecord(review.request));
    const r = normalize(review.request.object);
    assert.ok(r.ok && r.value.kind === "FelixConfiguration");
    assert.deepEqual(r.value.scope, { kind: "global" });
    assert.deepEqual(r.value.fields.failsafeInboundHostPorts, {
      value: [
        { protocol: "TCP", port: 22 },
        { protocol: "TCP", port: 6443 },
      ],
      source: "spec",
    });
  });
});
