// Tier rules (calico-semantics §4): validateTier and the v3.32 CRD rules on Tier.
import { describe } from "node:test";
import { runCases, tier } from "./harness.js";

describe("Tier", () => {
  runCases([
    { name: "a custom tier", object: tier("security", { order: 100, defaultAction: "Pass" }), expect: [] },
    { name: "a custom tier without order or action", object: tier("platform", {}), expect: [] },
    {
      name: "the default tier",
      object: tier("default", { order: 1_000_000, defaultAction: "Deny" }),
      expect: [],
    },
    {
      name: "the default tier with defaultAction unset (defaults to Deny)",
      object: tier("default", { order: 1_000_000 }),
      expect: [],
    },
    { name: "kube-admin", object: tier("kube-admin", { order: 1000, defaultAction: "Pass" }), expect: [] },
    {
      name: "kube-baseline",
      object: tier("kube-baseline", { order: 10_000_000, defaultAction: "Pass" }),
      expect: [],
    },
    { name: "a dotted tier name", object: tier("sec.ops", {}), expect: [["metadata.name", "no dots"]] },
    {
      name: "an upper-case tier name",
      object: tier("Security", {}),
      expect: [["metadata.name", "lower-case"]],
    },
    {
      name: "a tier name of 64 characters",
      object: tier("t".repeat(64), {}),
      expect: [["metadata.name", "at most 63"]],
    },
    {
      name: "defaultAction Allow",
      object: tier("security", { defaultAction: "Allow" }),
      expect: [["spec.defaultAction", "Deny or Pass"]],
    },
    {
      name: "defaultAction lower-case",
      object: tier("security", { defaultAction: "pass" }),
      expect: [["spec.defaultAction", "Deny or Pass"]],
    },
    {
      name: "the default tier reordered",
      object: tier("default", { order: 100 }),
      expect: [["spec.order", "order 1000000"]],
    },
    {
      name: "the default tier without order",
      object: tier("default", {}),
      expect: [["spec.order", "missing"]],
    },
    {
      name: "the default tier with Pass",
      object: tier("default", { order: 1_000_000, defaultAction: "Pass" }),
      expect: [["spec.defaultAction", "must have defaultAction Deny"]],
    },
    {
      name: "kube-admin without defaultAction (defaults to Deny)",
      object: tier("kube-admin", { order: 1000 }),
      expect: [["spec.defaultAction", "unset means Deny"]],
    },
    {
      name: "kube-baseline reordered",
      object: tier("kube-baseline", { order: 1, defaultAction: "Pass" }),
      expect: [["spec.order", "10000000"]],
    },
  ]);
});
