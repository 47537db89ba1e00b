// KubeControllersConfiguration rules (calico-semantics §9.2).
import { describe } from "node:test";
import { type Json, kcc, runCases } from "./harness.js";

const hostEndpoint = (h: { [key: string]: Json }) => ({
  controllers: { node: { hostEndpoint: h } },
});

describe("KubeControllersConfiguration", () => {
  runCases([
    { name: "auto HEPs enabled", object: kcc(hostEndpoint({ autoCreate: "Enabled" })), expect: [] },
    { name: "auto HEPs disabled", object: kcc(hostEndpoint({ autoCreate: "Disabled" })), expect: [] },
    {
      name: "the fixture's full spec",
      object: kcc({
        controllers: {
          node: { hostEndpoint: { autoCreate: "Enabled" }, reconcilerPeriod: "5m", syncLabels: "Enabled" },
        },
        healthChecks: "Enabled",
        logSeverityScreen: "Info",
      }),
      expect: [],
    },
    { name: "no controllers", object: kcc({}), expect: [] },
    {
      name: "lower-case autoCreate",
      object: kcc(hostEndpoint({ autoCreate: "enabled" })),
      expect: [["spec.controllers.node.hostEndpoint.autoCreate", "Enabled or Disabled"]],
    },
    {
      name: "autoCreate true",
      object: kcc(hostEndpoint({ autoCreate: "true" })),
      expect: [["spec.controllers.node.hostEndpoint.autoCreate", "Enabled or Disabled"]],
    },
    {
      name: "createDefaultHostEndpoint",
      object: kcc(hostEndpoint({ autoCreate: "Enabled", createDefaultHostEndpoint: "Maybe" })),
      expect: [["spec.controllers.node.hostEndpoint.createDefaultHostEndpoint", "Enabled or Disabled"]],
    },
    {
      name: "syncLabels",
      object: kcc({ controllers: { node: { syncLabels: "yes" } } }),
      expect: [["spec.controllers.node.syncLabels", "Enabled or Disabled"]],
    },
    {
      name: "healthChecks",
      object: kcc({ healthChecks: "On" }),
      expect: [["spec.healthChecks", "Enabled or Disabled"]],
    },
    {
      name: "a name other than default",
      object: kcc(hostEndpoint({ autoCreate: "Enabled" }), "custom"),
      expect: [["metadata.name", 'named "default"']],
    },
    {
      name: "a valid template",
      object: kcc(
        hostEndpoint({
          autoCreate: "Enabled",
          templates: [
            {
              generateName: "storage",
              interfaceCIDRs: ["10.20.0.0/16"],
              nodeSelector: "has(storage)",
              labels: { interface: "storage" },
            },
          ],
        }),
      ),
      expect: [],
    },
    {
      name: "template problems",
      object: kcc(
        hostEndpoint({
          autoCreate: "Enabled",
          templates: [
            { interfaceCIDRs: ["10.20.0.0/16"] },
            { generateName: "storage", interfaceCIDRs: [] },
            { generateName: "storage", interfaceCIDRs: ["10.0.0.0/33"], nodeSelector: "has(storage" },
            { generateName: "Bad_Name", interfaceCIDRs: ["10.0.0.0/8"], labels: { "bad key!": "v" } },
          ],
        }),
      ),
      expect: [
        ["spec.controllers.node.hostEndpoint.templates[0].generateName", "must be specified"],
        ["spec.controllers.node.hostEndpoint.templates[1].interfaceCIDRs", "can not be empty"],
        ["spec.controllers.node.hostEndpoint.templates[2].generateName", "must be unique"],
        ["spec.controllers.node.hostEndpoint.templates[2].interfaceCIDRs[0]", "not a CIDR"],
        ["spec.controllers.node.hostEndpoint.templates[2].nodeSelector", "invalid selector"],
        ["spec.controllers.node.hostEndpoint.templates[3].generateName", "not a valid resource name"],
        ['spec.controllers.node.hostEndpoint.templates[3].labels["bad key!"]', "label key"],
      ],
    },
  ]);
});
