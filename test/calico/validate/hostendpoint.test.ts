// HostEndpoint rules (calico-semantics §9.1, §10). Cases follow validator_test.go "(API) HostEndpointSpec"
// and "(API) Interface".
import { describe } from "node:test";
import { hep, runCases } from "./harness.js";

const port = (p: { [key: string]: string | number }) => ({
  name: "a-valid-port",
  protocol: "TCP",
  port: 1234,
  ...p,
});

describe("HostEndpoint node, interface and expected IPs", () => {
  runCases([
    { name: "interface and node", object: hep({ interfaceName: "eth0", node: "node01" }), expect: [] },
    {
      name: "expected IPs",
      object: hep({ expectedIPs: ["1.2.3.4", "aabb:aabb::ffff"], node: "node01" }),
      expect: [],
    },
    {
      name: "interface and expected IPs",
      object: hep({ interfaceName: "eth0", expectedIPs: ["1.2.3.4"], node: "node01" }),
      expect: [],
    },
    { name: "interfaceName *", object: hep({ interfaceName: "*", node: "node01" }), expect: [] },
    {
      name: "no config",
      object: hep({}),
      expect: [
        ["spec.node", "node is required"],
        ["spec.interfaceName", "no interfaceName or expectedIPs"],
      ],
    },
    {
      name: "missing spec",
      object: { apiVersion: "projectcalico.org/v3", kind: "HostEndpoint", metadata: { name: "x" } },
      expect: [["spec.node", "node is required"]],
    },
    {
      name: "blank interface and no IPs",
      object: hep({ interfaceName: "", expectedIPs: [], node: "node01" }),
      expect: [["spec.interfaceName", "no interfaceName or expectedIPs"]],
    },
    {
      name: "missing node",
      object: hep({ interfaceName: "eth0", ports: [port({})] }),
      expect: [["spec.node", "node is required"]],
    },
    {
      name: "empty node",
      object: hep({ interfaceName: "eth0", node: "" }),
      expect: [["spec.node", "node is required"]],
    },
    {
      name: "invalid node name",
      object: hep({ interfaceName: "eth0", node: "Node_01" }),
      expect: [["spec.node", "node name"]],
    },
    {
      name: "valid interface name",
      object: hep({ interfaceName: "Valid_Iface.0-9", node: "n" }),
      expect: [],
    },
    {
      name: "interface name too long",
      object: hep({ interfaceName: "interfaceTooLong", node: "n" }),
      expect: [["spec.interfaceName", "1-15 characters"]],
    },
    {
      name: "& in an interface",
      object: hep({ interfaceName: "Invalid&Intface", node: "n" }),
      expect: [["spec.interfaceName", "interface name"]],
    },
    {
      name: "# in an interface",
      object: hep({ interfaceName: "Invalid#Intface", node: "n" }),
      expect: [["spec.interfaceName", "interface name"]],
    },
    {
      name: ": in an interface",
      object: hep({ interfaceName: "Invalid:Intface", node: "n" }),
      expect: [["spec.interfaceName", "interface name"]],
    },
    {
      name: "wildcard suffix is not an interface",
      object: hep({ interfaceName: "eth*", node: "n" }),
      expect: [["spec.interfaceName", '"*"']],
    },
    {
      name: "a CIDR in expectedIPs",
      object: hep({ expectedIPs: ["10.0.0.0/24"], node: "n" }),
      expect: [["spec.expectedIPs[0]", "is a CIDR"]],
    },
    {
      name: "garbage in expectedIPs is a decode error",
      object: hep({ expectedIPs: ["garbage"], node: "n" }),
      expect: [],
    },
  ]);
});

describe("HostEndpoint profiles", () => {
  runCases([
    {
      name: "prefixed profile names",
      object: hep({
        interfaceName: "eth0",
        profiles: ["knp.default.fun", "knp.default.funner.11234-a"],
        node: "node01",
      }),
      expect: [],
    },
    {
      name: "plain profile name",
      object: hep({ interfaceName: "eth0", profiles: ["fun-funner1234"], node: "node01" }),
      expect: [],
    },
    {
      name: "allow-all profile",
      object: hep({ interfaceName: "*", profiles: ["projectcalico-default-allow"], node: "n" }),
      expect: [],
    },
    {
      name: "dot at the start of a profile name",
      object: hep({ interfaceName: "eth0", profiles: [".fun"], node: "node01" }),
      expect: [["spec.profiles[0]", "profile name"]],
    },
    {
      name: "empty profile name",
      object: hep({ interfaceName: "eth0", profiles: ["ok", ""], node: "node01" }),
      expect: [["spec.profiles[1]", "profile name"]],
    },
  ]);
});

describe("HostEndpoint named ports", () => {
  runCases([
    {
      name: "a named TCP port",
      object: hep({ interfaceName: "eth0", ports: [port({})], node: "node01" }),
      expect: [],
    },
    {
      name: "name-clashing ports across protocols",
      object: hep({
        interfaceName: "eth0",
        ports: [port({}), port({ protocol: "UDP", port: 5456 })],
        node: "node01",
      }),
      expect: [],
    },
    {
      name: "SCTP",
      object: hep({ interfaceName: "eth0", ports: [port({ protocol: "SCTP" })], node: "n" }),
      expect: [],
    },
    {
      name: "unnamed port",
      object: hep({ interfaceName: "eth0", ports: [{ protocol: "TCP", port: 1234 }], node: "node01" }),
      expect: [["spec.ports[0].name", "needs a name"]],
    },
    {
      name: "invalid port name",
      object: hep({ interfaceName: "eth0", ports: [port({ name: "Not_A_Name" })], node: "n" }),
      expect: [["spec.ports[0].name", "port name"]],
    },
    {
      name: "port name without a letter",
      object: hep({ interfaceName: "eth0", ports: [port({ name: "8080" })], node: "n" }),
      expect: [["spec.ports[0].name", "at least one letter"]],
    },
    {
      name: "no protocol",
      object: hep({ interfaceName: "eth0", ports: [{ name: "a-valid-port", port: 1234 }], node: "n" }),
      expect: [["spec.ports[0].protocol", "needs a protocol"]],
    },
    {
      name: "numeric protocol 123",
      object: hep({ interfaceName: "eth0", ports: [port({ protocol: 123 })], node: "n" }),
      expect: [["spec.ports[0].protocol", "TCP, UDP or SCTP"]],
    },
    {
      name: "ICMP has no ports",
      object: hep({ interfaceName: "eth0", ports: [port({ protocol: "ICMP" })], node: "n" }),
      expect: [["spec.ports[0].protocol", "has no ports"]],
    },
    {
      name: "protocol 6 written as a number (Felix's v1 check wants the name)",
      object: hep({ interfaceName: "eth0", ports: [port({ protocol: 6 })], node: "n" }),
      expect: [["spec.ports[0].protocol", "written as a name"]],
    },
    {
      name: "no port number",
      object: hep({ interfaceName: "eth0", ports: [{ name: "a-valid-port", protocol: "TCP" }], node: "n" }),
      expect: [["spec.ports[0].port", "needs a port number"]],
    },
    {
      name: "port 0",
      object: hep({ interfaceName: "eth0", ports: [port({ port: 0 })], node: "n" }),
      expect: [["spec.ports[0].port", "1-65535"]],
    },
    {
      name: "port 65536",
      object: hep({ interfaceName: "eth0", ports: [port({ port: 65536 })], node: "n" }),
      expect: [["spec.ports[0].port", "out of range"]],
    },
    {
      name: "lower-case protocol is a decode error",
      object: hep({ interfaceName: "eth0", ports: [port({ protocol: "tcp" })], node: "n" }),
      expect: [],
    },
  ]);
});

describe("HostEndpoint metadata", () => {
  runCases([
    {
      name: "auto HEP labels",
      object: hep(
        {
          interfaceName: "*",
          node: "cp-1",
          expectedIPs: ["10.0.0.10"],
          profiles: ["projectcalico-default-allow"],
        },
        "cp-1-auto-hep",
        {
          labels: {
            "kubernetes-host": "",
            "node-role.kubernetes.io/control-plane": "",
            "projectcalico.org/created-by": "calico-kube-controllers",
          },
        },
      ),
      expect: [],
    },
    {
      name: "a label value with a space",
      object: hep({ interfaceName: "eth0", node: "n" }, "n-eth0", { labels: { role: "web server" } }),
      expect: [["metadata.labels.role", "label value"]],
    },
    {
      name: "a label key with two slashes",
      object: hep({ interfaceName: "eth0", node: "n" }, "n-eth0", { labels: { "a/b/c": "x" } }),
      expect: [['metadata.labels["a/b/c"]', "at most one '/'"]],
    },
    {
      name: "invalid resource name",
      object: hep({ interfaceName: "eth0", node: "n" }, "Node-1"),
      expect: [["metadata.name", "lower-case"]],
    },
  ]);
});
