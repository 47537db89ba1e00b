// GlobalNetworkPolicy rules (calico-semantics §4, §10). Cases follow validator_test.go
// "GlobalNetworkPolicy validation", "ApplyOnForward field checks" and "Types field checks".
import { describe, test } from "node:test";
import { validateRules } from "../../../src/calico/validate/index.js";
import { assertErrors, gnp, runCases } from "./harness.js";

describe("GlobalNetworkPolicy name", () => {
  runCases([
    { name: "valid name", object: gnp({}, "thing"), expect: [] },
    { name: "one dot (tier or default. prefix)", object: gnp({}, "default.thing"), expect: [] },
    {
      name: "tier-prefixed name in another tier",
      object: gnp({ tier: "security" }, "security.thing"),
      expect: [],
    },
    {
      name: "v3.32: a dotted name whose prefix is not the tier is allowed (#11232)",
      object: gnp({ tier: "security" }, "other.thing"),
      expect: [],
    },
    {
      name: "invalid character",
      object: gnp({}, "t~!s.h.i.ng"),
      expect: [["metadata.name", "GlobalNetworkPolicy name"]],
    },
    { name: "mixed case", object: gnp({}, "tHiNg"), expect: [["metadata.name", "lower-case"]] },
    {
      name: "k8s policy name",
      object: gnp({}, "knp.default.thing"),
      expect: [["metadata.name", "knp.default."]],
    },
    { name: "two dots", object: gnp({}, "t.h.i.ng"), expect: [["metadata.name", "at most one '.'"]] },
    { name: "254 characters", object: gnp({}, "a".repeat(254)), expect: [["metadata.name", "at most 253"]] },
    { name: "a label of 63 characters", object: gnp({}, "a".repeat(63)), expect: [] },
  ]);

  // The v1 storage form: v3.29–v3.31 stored default-tier policies as `default.<name>`, and v3.32 keeps the
  // v3 name in the metadata annotation (calico-semantics §2.3, trap T8).
  runCases([
    {
      name: "v1 legacy default.<name> with a dotted v3 name",
      object: gnp({}, "default.a.b"),
      expect: [],
      forms: ["v1"],
    },
    {
      name: "v3 cannot use two dots",
      object: gnp({}, "default.a.b"),
      expect: [["metadata.name", "at most one '.'"]],
      forms: ["v3"],
    },
  ]);

  test("v1: the v3 name stored in the metadata annotation is the one validated", () => {
    const object = {
      apiVersion: "crd.projectcalico.org/v1",
      kind: "GlobalNetworkPolicy",
      metadata: {
        name: "default.allow-ssh",
        annotations: { "projectcalico.org/metadata": JSON.stringify({ name: "Allow_SSH" }) },
      },
      spec: { selector: "all()" },
    };
    assertErrors(validateRules(object), [
      ['metadata.annotations["projectcalico.org/metadata"].name', "GlobalNetworkPolicy name"],
    ]);
  });

  test("v1: labels inside the metadata annotation are validated", () => {
    const object = {
      apiVersion: "crd.projectcalico.org/v1",
      kind: "GlobalNetworkPolicy",
      metadata: {
        name: "thing",
        labels: { "projectcalico.org/tier": "default" },
        annotations: { "projectcalico.org/metadata": JSON.stringify({ labels: { "bad key!": "x" } }) },
      },
      spec: {},
    };
    assertErrors(validateRules(object), [
      ['metadata.annotations["projectcalico.org/metadata"].labels["bad key!"]', "label key"],
    ]);
  });
});

describe("GlobalNetworkPolicy preDNAT, doNotTrack, applyOnForward", () => {
  runCases([
    {
      name: "preDNAT and doNotTrack",
      object: gnp({ preDNAT: true, doNotTrack: true, applyOnForward: true }),
      expect: [["spec.preDNAT", "cannot both be true"]],
    },
    { name: "preDNAT, not doNotTrack", object: gnp({ preDNAT: true, applyOnForward: true }), expect: [] },
    {
      name: "doNotTrack, not preDNAT",
      object: gnp({ preDNAT: false, doNotTrack: true, applyOnForward: true }),
      expect: [],
    },
    {
      name: "preDNAT egress rules",
      object: gnp({ preDNAT: true, applyOnForward: true, egress: [{ action: "Allow" }] }),
      expect: [["spec.egress", "cannot have egress rules"]],
    },
    {
      name: "preDNAT ingress rules",
      object: gnp({ preDNAT: true, applyOnForward: true, ingress: [{ action: "Allow" }] }),
      expect: [],
    },
    { name: "applyOnForward alone", object: gnp({ applyOnForward: true }), expect: [] },
    {
      name: "all false",
      object: gnp({ preDNAT: false, doNotTrack: false, applyOnForward: false }),
      expect: [],
    },
    {
      name: "preDNAT without applyOnForward",
      object: gnp({ preDNAT: true, applyOnForward: false }),
      expect: [["spec.applyOnForward", "applyOnForward must be true when preDNAT is true"]],
    },
    {
      name: "doNotTrack without applyOnForward",
      object: gnp({ doNotTrack: true }),
      expect: [["spec.applyOnForward", "when doNotTrack is true"]],
    },
    {
      name: "preDNAT and doNotTrack without applyOnForward",
      object: gnp({ preDNAT: true, doNotTrack: true }),
      expect: [
        ["spec.preDNAT", "cannot both be true"],
        ["spec.applyOnForward", "applyOnForward must be true"],
      ],
    },
  ]);
});

describe("GlobalNetworkPolicy types", () => {
  runCases([
    { name: "missing types", object: gnp({}), expect: [] },
    { name: "empty types", object: gnp({ types: [] }), expect: [] },
    { name: "Ingress", object: gnp({ types: ["Ingress"] }), expect: [] },
    { name: "Egress", object: gnp({ types: ["Egress"] }), expect: [] },
    { name: "Ingress+Egress", object: gnp({ types: ["Ingress", "Egress"] }), expect: [] },
    {
      name: "repeated Egress",
      object: gnp({ types: ["Egress", "Egress"] }),
      expect: [["spec.types[1]", "more than once"]],
    },
    {
      name: "unexpected value",
      object: gnp({ types: ["unexpected"] }),
      expect: [["spec.types[0]", "Ingress or Egress"]],
    },
    {
      name: "lower-case ingress",
      object: gnp({ types: ["ingress"] }),
      expect: [["spec.types[0]", 'use "Ingress"']],
    },
    {
      name: "Egress type with Ingress rules",
      object: gnp({ ingress: [{ action: "Allow" }], types: ["Egress"] }),
      expect: [],
    },
    {
      name: "Ingress type with Egress rules",
      object: gnp({ egress: [{ action: "Allow" }], types: ["Ingress"] }),
      expect: [],
    },
    {
      name: "Ingress type with preDNAT",
      object: gnp({ preDNAT: true, applyOnForward: true, types: ["Ingress"] }),
      expect: [],
    },
    {
      name: "Egress type with preDNAT",
      object: gnp({ preDNAT: true, applyOnForward: true, types: ["Egress"] }),
      expect: [["spec.types[0]", "preDNAT policy cannot have the Egress type"]],
    },
    {
      name: "Ingress+Egress types with preDNAT",
      object: gnp({ preDNAT: true, applyOnForward: true, types: ["Ingress", "Egress"] }),
      expect: [["spec.types[1]", "Egress type"]],
    },
  ]);
});

describe("GlobalNetworkPolicy selectors, tier and performance hints", () => {
  runCases([
    {
      name: "global() in namespaceSelector",
      object: gnp({ namespaceSelector: "global()" }),
      expect: [["spec.namespaceSelector", "global()"]],
    },
    {
      name: "global() in selector",
      object: gnp({ selector: "global()" }),
      expect: [["spec.selector", "EntityRule namespaceSelector"]],
    },
    {
      name: "global() in serviceAccountSelector",
      object: gnp({ serviceAccountSelector: "global()" }),
      expect: [["spec.serviceAccountSelector", "global()"]],
    },
    {
      name: "global() quoted in the selector is still rejected",
      object: gnp({ selector: "role == 'global()'" }),
      expect: [["spec.selector", "global()"]],
    },
    {
      name: "a selector of 1025 characters",
      object: gnp({ selector: `a == "${"x".repeat(1018)}"` }),
      expect: [["spec.selector", "at most 1024"]],
    },
    { name: "tier name", object: gnp({ tier: "security" }, "security.thing"), expect: [] },
    {
      name: "invalid tier name",
      object: gnp({ tier: "Security" }),
      expect: [["spec.tier", "not a valid resource name"]],
    },
    { name: "performance hint", object: gnp({ performanceHints: ["AssumeNeededOnEveryNode"] }), expect: [] },
    {
      name: "unknown performance hint",
      object: gnp({ performanceHints: ["AssumeNeeded"] }),
      expect: [["spec.performanceHints[0]", "AssumeNeededOnEveryNode"]],
    },
    {
      name: "duplicate performance hint",
      object: gnp({ performanceHints: ["AssumeNeededOnEveryNode", "AssumeNeededOnEveryNode"] }),
      expect: [["spec.performanceHints[1]", "more than once"]],
    },
  ]);
});

describe("GlobalNetworkPolicy metadata", () => {
  runCases([
    {
      name: "valid labels",
      object: gnp({}, "thing", { labels: { "projectcalico.org/tier": "default", app: "x" } }),
      expect: [],
    },
    {
      name: "label value of 64 characters",
      object: gnp({}, "thing", { labels: { "projectcalico.org/label": "x".repeat(64) } }),
      expect: [['metadata.labels["projectcalico.org/label"]', "at most 63"]],
    },
    {
      name: "upper-case label domain",
      object: gnp({}, "thing", { labels: { "ProjectCalico.org/label": "value" } }),
      expect: [['metadata.labels["ProjectCalico.org/label"]', "DNS-1123 subdomain"]],
    },
    {
      name: "invalid annotation key",
      object: gnp({}, "thing", { annotations: { "projectcalico.org$label": "value" } }),
      expect: [['metadata.annotations["projectcalico.org$label"]', "annotation key"]],
    },
    {
      name: "upper-case annotation domain is fine (keys are lower-cased first)",
      object: gnp({}, "thing", { annotations: { "ProjectCalico.org/Label": "value" } }),
      expect: [],
    },
  ]);
});
