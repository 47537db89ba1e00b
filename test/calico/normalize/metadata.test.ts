import { describe, test } from "node:test";
import assert from "node:assert/strict";
import { annotationsOf, assertError, decoded, failed, labelsOf, V1, V3 } from "./helpers.js";

const STASH = "projectcalico.org/metadata";

function hep(apiVersion: string, metadata: Record<string, unknown>): unknown {
  return { apiVersion, kind: "HostEndpoint", metadata, spec: { node: "w-1", interfaceName: "*" } };
}

describe("metadata of crd.projectcalico.org/v1 objects", () => {
  test("labels and annotations come from the metadata annotation, overlaying the v1 ones", () => {
    const r = decoded(
      hep(V1, {
        name: "w-1-auto-hep",
        labels: { "projectcalico.org/created-by": "calico-kube-controllers", zone: "v1-value", only: "v1" },
        annotations: {
          [STASH]: JSON.stringify({
            creationTimestamp: null,
            labels: {
              "kubernetes-host": "",
              zone: "stashed",
              "projectcalico.org/created-by": "calico-kube-controllers",
            },
            annotations: { team: "net", note: "stashed" },
          }),
          note: "v1",
          "projectcalico.org/owned": "yes",
        },
      }),
      "HostEndpoint",
    );
    assert.deepEqual(labelsOf(r), {
      "projectcalico.org/created-by": "calico-kube-controllers",
      zone: "stashed",
      only: "v1",
      "kubernetes-host": "",
    });
    assert.deepEqual(annotationsOf(r), { note: "stashed", "projectcalico.org/owned": "yes", team: "net" });
    assert.equal(r.annotations.has(STASH), false, "the metadata annotation itself is removed");
  });

  const harmless: [string, string][] = [
    ["null", "null"],
    ["empty object", "{}"],
    ["only a timestamp", '{"creationTimestamp":null}'],
    ["unknown fields", '{"generation":3,"managedFields":[{"manager":"x"}]}'],
  ];
  for (const [name, text] of harmless) {
    test(`annotation ${name}: v1 labels stay`, () => {
      const r = decoded(
        hep(V1, { name: "h", labels: { a: "1" }, annotations: { [STASH]: text } }),
        "HostEndpoint",
      );
      assert.deepEqual(labelsOf(r), { a: "1" });
      assert.deepEqual(annotationsOf(r), {});
    });
  }

  const malformed: [string, string, string, RegExp][] = [
    ["not JSON", "{labels:", `metadata.annotations["${STASH}"]`, /not valid JSON/],
    ["a JSON array", "[]", `metadata.annotations["${STASH}"]`, /JSON object/],
    ["a JSON string", '"x"', `metadata.annotations["${STASH}"]`, /JSON object/],
    [
      "labels not an object",
      '{"labels":["a"]}',
      `metadata.annotations["${STASH}"].labels`,
      /must be an object/,
    ],
    [
      "a non-string label",
      '{"labels":{"a":1}}',
      `metadata.annotations["${STASH}"].labels.a`,
      /must be a string/,
    ],
    ["a non-string name", '{"name":5}', `metadata.annotations["${STASH}"].name`, /must be a string/],
  ];
  for (const [name, text, path, reason] of malformed) {
    test(`annotation ${name} is an error`, () => {
      assertError(failed(hep(V1, { name: "h", annotations: { [STASH]: text } })), path, reason);
    });
  }

  test("creationTimestamp: the stashed one wins when set, else the CR's", () => {
    const stashed = decoded(
      hep(V1, {
        name: "h",
        creationTimestamp: "2026-11-21T15:21:13Z",
        annotations: { [STASH]: '{"creationTimestamp":"2024-01-01T00:00:00Z"}' },
      }),
      "HostEndpoint",
    );
    assert.equal(stashed.creationTimestamp, "2024-01-01T00:00:00Z");
    const fromCr = decoded(
      hep(V1, {
        name: "h",
        creationTimestamp: "2026-11-21T15:21:13Z",
        annotations: { [STASH]: '{"creationTimestamp":null}' },
      }),
      "HostEndpoint",
    );
    assert.equal(fromCr.creationTimestamp, "2026-11-21T15:21:13Z");
  });
});

describe("metadata of projectcalico.org/v3 objects", () => {
  test("is taken as written; a metadata annotation is an ordinary annotation", () => {
    const r = decoded(
      hep(V3, {
        name: "h",
        uid: "u-1",
        resourceVersion: "42",
        creationTimestamp: "2026-11-21T15:21:13Z",
        labels: { a: "1" },
        annotations: { [STASH]: '{"labels":{"b":"2"}}' },
      }),
      "HostEndpoint",
    );
    assert.deepEqual(labelsOf(r), { a: "1" });
    assert.deepEqual(annotationsOf(r), { [STASH]: '{"labels":{"b":"2"}}' });
    assert.equal(r.uid, "u-1");
    assert.equal(r.resourceVersion, "42");
    assert.equal(r.creationTimestamp, "2026-11-21T15:21:13Z");
  });

  test("optional fields stay absent", () => {
    const r = decoded(hep(V3, { name: "h" }), "HostEndpoint");
    assert.equal(Object.hasOwn(r, "uid"), false);
    assert.equal(Object.hasOwn(r, "resourceVersion"), false);
    assert.equal(Object.hasOwn(r, "creationTimestamp"), false);
    assert.equal(r.labels.size, 0);
  });

  test("labels are a Map: prototype names are plain labels", () => {
    const r = decoded(
      hep(V3, { name: "h", labels: JSON.parse('{"constructor":"x","__proto__":"y"}') }),
      "HostEndpoint",
    );
    assert.equal(r.labels.get("constructor"), "x");
    assert.equal(r.labels.get("__proto__"), "y");
    assert.equal(r.labels.get("toString"), undefined);
  });
});

describe("metadata errors", () => {
  const cases: [string, unknown, string, RegExp][] = [
    ["no metadata", undefined, "metadata", /is required/],
    ["metadata not an object", "x", "metadata", /must be an object/],
    ["no name", {}, "metadata.name", /is required/],
    ["empty name", { name: "" }, "metadata.name", /is required/],
    ["numeric name", { name: 7 }, "metadata.name", /must be a string/],
    ["labels a list", { name: "h", labels: ["a"] }, "metadata.labels", /must be an object/],
    [
      "a numeric label value",
      { name: "h", labels: { "kubernetes-host": 1 } },
      'metadata.labels["kubernetes-host"]',
      /string/,
    ],
    ["annotations a string", { name: "h", annotations: "x" }, "metadata.annotations", /must be an object/],
    ["uid a number", { name: "h", uid: 1 }, "metadata.uid", /must be a string/],
  ];
  for (const [name, metadata, path, reason] of cases) {
    test(name, () => {
      const object = {
        apiVersion: V3,
        kind: "HostEndpoint",
        spec: { node: "n" },
        ...(metadata !== undefined && { metadata }),
      };
      assertError(failed(object), path, reason);
    });
  }

  test("metadata and spec errors are reported together", () => {
    const errors = failed({
      apiVersion: V3,
      kind: "HostEndpoint",
      metadata: { labels: { a: 1 } },
      spec: { expectedIPs: ["10.0.0.0/8"] },
    });
    assertError(errors, "metadata.name", /is required/);
    assertError(errors, "metadata.labels.a", /must be a string/);
    assertError(errors, "spec.expectedIPs[0]", /not an IP address/);
  });
});
