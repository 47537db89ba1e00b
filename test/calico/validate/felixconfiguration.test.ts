// FelixConfiguration rules (calico-semantics §7): Calico's validator plus what Felix refuses to load.
// Cases follow validator_test.go "(API) ProtoPort" and "(API) FelixConfiguration".
import { describe, test } from "node:test";
import { validateRules } from "../../../src/calico/validate/index.js";
import { assertErrors, felix, runCases } from "./harness.js";

const ranges = (n: number) => Array.from({ length: n }, (_, i) => `${3000 + i * 1000}:${3500 + i * 1000}`);
const A = (key: string) => `metadata.annotations[${JSON.stringify(key)}]`;

describe("FelixConfiguration defaultEndpointToHostAction", () => {
  runCases([
    { name: "Accept", object: felix({ defaultEndpointToHostAction: "Accept" }), expect: [] },
    { name: "Drop", object: felix({ defaultEndpointToHostAction: "Drop" }), expect: [] },
    { name: "Return", object: felix({ defaultEndpointToHostAction: "Return" }), expect: [] },
    {
      name: "drop (lower case, rejected by v3.32.1)",
      object: felix({ defaultEndpointToHostAction: "drop" }),
      expect: [["spec.defaultEndpointToHostAction", 'use "Drop"']],
    },
    {
      name: "ACCEPT (Felix's spelling is not the API's)",
      object: felix({ defaultEndpointToHostAction: "ACCEPT" }),
      expect: [["spec.defaultEndpointToHostAction", "Drop, Accept or Return"]],
    },
    {
      name: "Reject",
      object: felix({ defaultEndpointToHostAction: "Reject" }),
      expect: [["spec.defaultEndpointToHostAction", "Drop, Accept or Return"]],
    },
  ]);
});

describe("FelixConfiguration failsafe lists", () => {
  runCases([
    {
      name: "UDP port 0",
      object: felix({ failsafeInboundHostPorts: [{ protocol: "UDP", port: 0 }] }),
      expect: [],
    },
    {
      name: "TCP port 20",
      object: felix({ failsafeInboundHostPorts: [{ protocol: "TCP", port: 20 }] }),
      expect: [],
    },
    { name: "empty list (none)", object: felix({ failsafeInboundHostPorts: [] }), expect: [] },
    {
      name: "nets of both families",
      object: felix({
        failsafeInboundHostPorts: [
          { protocol: "TCP", port: 22, net: "10.0.0.0/8" },
          { protocol: "TCP", port: 22, net: "fd00::/8" },
          { protocol: "UDP", port: 68, net: "192.168.1.1" },
        ],
      }),
      expect: [],
    },
    {
      name: "random protocol",
      object: felix({ failsafeInboundHostPorts: [{ protocol: "jolly-UDP", port: 0 }] }),
      expect: [["spec.failsafeInboundHostPorts[0].protocol", "is invalid"]],
    },
    {
      name: "lower-case tcp (the fixtures' form, rejected by validateProtoPort)",
      object: felix({
        failsafeInboundHostPorts: [
          { port: 22, protocol: "tcp" },
          { port: 6443, protocol: "TCP" },
        ],
      }),
      expect: [["spec.failsafeInboundHostPorts[0].protocol", "must be upper case"]],
    },
    {
      name: "SCTP passes Calico but Felix refuses it",
      object: felix({ failsafeOutboundHostPorts: [{ protocol: "SCTP", port: 2905 }] }),
      expect: [["spec.failsafeOutboundHostPorts[0].protocol", "calico-node would refuse to load"]],
    },
    {
      name: "missing protocol",
      object: felix({ failsafeInboundHostPorts: [{ port: 22 }] }),
      expect: [["spec.failsafeInboundHostPorts[0].protocol", "protocol is required"]],
    },
    {
      name: "port 65536",
      object: felix({ failsafeInboundHostPorts: [{ protocol: "TCP", port: 65536 }] }),
      expect: [["spec.failsafeInboundHostPorts[0].port", "0-65535"]],
    },
    {
      name: "port 22.5",
      object: felix({ failsafeInboundHostPorts: [{ protocol: "TCP", port: 22.5 }] }),
      expect: [["spec.failsafeInboundHostPorts[0].port", "integers"]],
    },
    {
      name: "an unparseable net",
      object: felix({ failsafeInboundHostPorts: [{ protocol: "TCP", port: 22, net: "10.0.0.0/33" }] }),
      expect: [["spec.failsafeInboundHostPorts[0].net", "Calico does not check it"]],
    },
    {
      name: "a net with a stray comma",
      object: felix({
        failsafeOutboundHostPorts: [
          { protocol: "UDP", port: 53 },
          { protocol: "UDP", port: 53, net: "10.0.0.0/8,tcp:22" },
        ],
      }),
      expect: [["spec.failsafeOutboundHostPorts[1].net", "die-on-fail"]],
    },
  ]);
});

describe("FelixConfiguration kubeNodePortRanges", () => {
  runCases([
    { name: "seven ranges", object: felix({ kubeNodePortRanges: [...ranges(6), "15000"] }), expect: [] },
    {
      name: "eight ranges",
      object: felix({ kubeNodePortRanges: ranges(8) }),
      expect: [["spec.kubeNodePortRanges", "at most 7"]],
    },
    {
      name: "a named port",
      object: felix({ kubeNodePortRanges: ["testport"] }),
      expect: [["spec.kubeNodePortRanges[0]", "named port"]],
    },
    { name: "numbers", object: felix({ kubeNodePortRanges: [30000, "30000:32767"] }), expect: [] },
  ]);
});

describe("FelixConfiguration annotations (passed to Felix unvalidated)", () => {
  const inbound = "config.projectcalico.org/FailsafeInboundHostPorts";
  const outbound = "config.projectcalico.org/FailsafeOutboundHostPorts";
  const action = "config.projectcalico.org/DefaultEndpointToHostAction";
  const withAnnotation = (key: string, value: string) =>
    felix({}, "default", { annotations: { [key]: value } });
  runCases([
    { name: "inbound list", object: withAnnotation(inbound, "tcp:22, udp:68,tcp:6443"), expect: [] },
    { name: "bare ports mean tcp", object: withAnnotation(inbound, "22,6443"), expect: [] },
    {
      name: "nets of both families",
      object: withAnnotation(outbound, "udp:10.96.0.10/32:53,tcp:[fd00::/8]:6443"),
      expect: [],
    },
    { name: "none", object: withAnnotation(inbound, "none"), expect: [] },
    { name: "NONE", object: withAnnotation(inbound, "NONE"), expect: [] },
    { name: "empty", object: withAnnotation(inbound, ""), expect: [] },
    {
      name: "upper-case protocol is lower-cased by Felix",
      object: withAnnotation(inbound, "TCP:22"),
      expect: [],
    },
    {
      name: "parameter name in any case",
      object: withAnnotation("config.projectcalico.org/failsafeinboundhostports", "sctp:1"),
      expect: [[A("config.projectcalico.org/failsafeinboundhostports"), "unknown protocol"]],
    },
    {
      name: "sctp",
      object: withAnnotation(inbound, "tcp:22,sctp:2905"),
      expect: [[A(inbound), 'unknown protocol "sctp"']],
    },
    {
      name: "a range is not a port",
      object: withAnnotation(inbound, "tcp:30000-32767"),
      expect: [[A(inbound), "must be an integer"]],
    },
    {
      name: "port out of range",
      object: withAnnotation(outbound, "udp:65536"),
      expect: [[A(outbound), "out of range"]],
    },
    {
      name: "a space after the colon",
      object: withAnnotation(inbound, "tcp: 22"),
      expect: [[A(inbound), "must be an integer"]],
    },
    {
      name: "an IPv6 net without brackets",
      object: withAnnotation(inbound, "tcp:fd00::/8:22"),
      expect: [[A(inbound), "expected <port>"]],
    },
    {
      name: "an unclosed bracket",
      object: withAnnotation(inbound, "tcp:[fd00::/8:22"),
      expect: [[A(inbound), "IPv6 net must be written"]],
    },
    {
      name: "a bracket without ]:",
      object: withAnnotation(inbound, "tcp:[fd00::/8]"),
      expect: [[A(inbound), "IPv6 net must be written"]],
    },
    {
      name: "a bad net",
      object: withAnnotation(inbound, "tcp:10.0.0.0/40:22"),
      expect: [[A(inbound), "invalid net"]],
    },
    {
      name: "the message says why it matters",
      object: withAnnotation(inbound, "ssh"),
      expect: [[A(inbound), "die-on-fail"]],
    },
    { name: "DefaultEndpointToHostAction ACCEPT", object: withAnnotation(action, "ACCEPT"), expect: [] },
    {
      name: "DefaultEndpointToHostAction accept (any case)",
      object: withAnnotation(action, "accept"),
      expect: [],
    },
    {
      name: "DefaultEndpointToHostAction Reject",
      object: withAnnotation(action, "Reject"),
      expect: [[A(action), "DROP, RETURN or ACCEPT"]],
    },
    {
      name: "DefaultEndpointToHostAction none",
      object: withAnnotation(action, "none"),
      expect: [[A(action), "cannot be set to none"]],
    },
    {
      name: "other config annotations are not checked",
      object: withAnnotation("config.projectcalico.org/LogSeverityScreen", "whatever"),
      expect: [],
    },
  ]);

  test("v1: a failsafe annotation inside the metadata annotation JSON", () => {
    const object = {
      apiVersion: "crd.projectcalico.org/v1",
      kind: "FelixConfiguration",
      metadata: {
        name: "default",
        annotations: {
          "projectcalico.org/metadata": JSON.stringify({ annotations: { [inbound]: "sctp:22" } }),
        },
      },
      spec: {},
    };
    assertErrors(validateRules(object), [
      [`${A("projectcalico.org/metadata")}.annotations[${JSON.stringify(inbound)}]`, "unknown protocol"],
    ]);
  });

  test("v1: the metadata annotation's value wins over the CR's", () => {
    const object = {
      apiVersion: "crd.projectcalico.org/v1",
      kind: "FelixConfiguration",
      metadata: {
        name: "node.node-1",
        annotations: {
          [inbound]: "bogus",
          "projectcalico.org/metadata": JSON.stringify({ annotations: { [inbound]: "tcp:22" } }),
        },
      },
      spec: {},
    };
    assertErrors(validateRules(object), []);
  });
});
