// GlobalNetworkSet rules (calico-semantics §8, §10). Cases follow validator_test.go's GlobalNetworkSet entries.
import { describe, test } from "node:test";
import { validateRules } from "../../../src/calico/validate/index.js";
import { assertErrors, gns, runCases } from "./harness.js";

describe("GlobalNetworkSet", () => {
  runCases([
    {
      name: "CIDRs and IPs of both families",
      object: gns(["10.0.0.1", "11.0.0.0/8", "dead:beef::", "dead:beef::/96"]),
      expect: [],
    },
    {
      name: "unmasked CIDR is fine in a network set (cidr validator)",
      object: gns(["10.0.0.1/8"]),
      expect: [],
    },
    { name: "labels", object: gns(["10.0.0.1"], { a: "b", role: "internal-net" }), expect: [] },
    {
      name: "reserved namespace label",
      object: gns(["10.0.0.1"], { "projectcalico.org/namespace": "foo" }),
      expect: [['metadata.labels["projectcalico.org/namespace"]', "reserved"]],
    },
    {
      name: "bad name",
      object: gns(["10.0.0.1"], {}, "test$set"),
      expect: [["metadata.name", "lower-case alphanumerics"]],
    },
    {
      name: "a name of 253 characters",
      object: gns(
        ["10.0.0.1"],
        {},
        `${"a".repeat(63)}.${"b".repeat(63)}.${"c".repeat(63)}.${"d".repeat(61)}`,
      ),
      expect: [],
    },
    {
      name: "a name of 254 characters",
      object: gns(["10.0.0.1"], {}, "x".repeat(254)),
      expect: [["metadata.name", "at most 253"]],
    },
    { name: "bad nets are a decode error", object: gns(["garbage"]), expect: [] },
    {
      name: "an excessively long label value",
      object: gns(["10.0.0.1"], { "projectcalico.org/my-valid-label": "x".repeat(64) }),
      expect: [['metadata.labels["projectcalico.org/my-valid-label"]', "at most 63"]],
    },
    {
      name: "'.' at the start of a label key",
      object: gns([], { ".mylabel": "value" }),
      expect: [['metadata.labels[".mylabel"]', "name part"]],
    },
    {
      name: "'!' in a label key",
      object: gns([], { "my!nvalid-label": "value" }),
      expect: [['metadata.labels["my!nvalid-label"]', "label key"]],
    },
    {
      name: "'$' in a label key",
      object: gns([], { "my-invalid-label$": "value" }),
      expect: [['metadata.labels["my-invalid-label$"]', "label key"]],
    },
    {
      name: "upper-case name part of a label key",
      object: gns([], { "projectcalico.org/Label": "value" }),
      expect: [],
    },
  ]);

  test("v1: the reserved label inside the metadata annotation", () => {
    const object = {
      apiVersion: "crd.projectcalico.org/v1",
      kind: "GlobalNetworkSet",
      metadata: {
        name: "internal",
        annotations: {
          "projectcalico.org/metadata": JSON.stringify({
            labels: { "projectcalico.org/namespace": "kube-system" },
          }),
        },
      },
      spec: { nets: ["10.0.0.0/8"] },
    };
    assertErrors(validateRules(object), [
      [
        'metadata.annotations["projectcalico.org/metadata"].labels["projectcalico.org/namespace"]',
        "reserved",
      ],
    ]);
  });

  test("v1: the annotation's labels win over the CR's", () => {
    const object = {
      apiVersion: "crd.projectcalico.org/v1",
      kind: "GlobalNetworkSet",
      metadata: {
        name: "internal",
        labels: { role: "bad value!" },
        annotations: { "projectcalico.org/metadata": JSON.stringify({ labels: { role: "internal-net" } }) },
      },
      spec: { nets: ["10.0.0.0/8"] },
    };
    assertErrors(validateRules(object), []);
  });

  test("v1: an undecodable metadata annotation is left to normalize", () => {
    const object = {
      apiVersion: "crd.projectcalico.org/v1",
      kind: "GlobalNetworkSet",
      metadata: { name: "internal", annotations: { "projectcalico.org/metadata": "{not json" } },
      spec: { nets: ["10.0.0.0/8"] },
    };
    assertErrors(validateRules(object), []);
  });

  test("v3: projectcalico.org/metadata is an ordinary annotation", () => {
    const object = {
      apiVersion: "projectcalico.org/v3",
      kind: "GlobalNetworkSet",
      metadata: {
        name: "internal",
        annotations: {
          "projectcalico.org/metadata": JSON.stringify({ labels: { "projectcalico.org/namespace": "x" } }),
        },
      },
      spec: { nets: [] },
    };
    assertErrors(validateRules(object), []);
  });
});
