// Rule and EntityRule rules (calico-semantics §3, §10). Cases follow libcalico-go's validator_test.go
// "(API) Rule", "(API) ICMPFields", "(API) IP version" and the EntityRule global()/services entries.
import { describe } from "node:test";
import { type Case, gnpRule, runCases } from "./harness.js";

const R = "spec.ingress[0]";
const E = "spec.egress[0]";

describe("rule action", () => {
  runCases([
    { name: "Allow", object: gnpRule({ action: "Allow" }), expect: [] },
    { name: "Deny", object: gnpRule({ action: "Deny" }), expect: [] },
    { name: "Log", object: gnpRule({ action: "Log" }), expect: [] },
    { name: "Pass", object: gnpRule({ action: "Pass" }), expect: [] },
    {
      name: "unknown action",
      object: gnpRule({ action: "unknown" }),
      expect: [[`${R}.action`, "unknown action"]],
    },
    {
      name: "allowfoo",
      object: gnpRule({ action: "allowfoo" }),
      expect: [[`${R}.action`, "Allow, Deny, Log or Pass"]],
    },
    {
      name: "lower-case allow",
      object: gnpRule({ action: "allow" }),
      expect: [[`${R}.action`, 'use "Allow"']],
    },
    { name: "missing action", object: gnpRule({}), expect: [[`${R}.action`, "action is required"]] },
    {
      name: "empty action",
      object: gnpRule({ action: "" }),
      expect: [[`${R}.action`, "action is required"]],
    },
  ]);
});

describe("rule ipVersion", () => {
  runCases([
    { name: "ipVersion 4", object: gnpRule({ action: "Allow", ipVersion: 4 }), expect: [] },
    { name: "ipVersion 6", object: gnpRule({ action: "Allow", ipVersion: 6 }), expect: [] },
    {
      name: "ipVersion 0",
      object: gnpRule({ action: "Allow", ipVersion: 0 }),
      expect: [[`${R}.ipVersion`, "4 or 6"]],
    },
  ]);
});

describe("rule ports and protocol (v3.32)", () => {
  const cases: Case[] = [
    { name: "SCTP, no ports", object: gnpRule({ action: "Allow", protocol: "SCTP" }), expect: [] },
    {
      name: "source ports with protocol 6",
      object: gnpRule({ action: "Allow", protocol: 6, source: { ports: [1] } }),
      expect: [],
    },
    {
      name: "source named port with protocol 6",
      object: gnpRule({ action: "Allow", protocol: 6, source: { ports: ["foo"] } }),
      expect: [],
    },
    {
      name: "named port with TCP",
      object: gnpRule({ action: "Allow", protocol: "TCP", source: { ports: ["foo"] } }),
      expect: [],
    },
    {
      name: "named port with UDP",
      object: gnpRule({ action: "Allow", protocol: "UDP", source: { ports: ["foo"] } }),
      expect: [],
    },
    {
      name: "empty ports with protocol 7",
      object: gnpRule({ action: "Allow", protocol: 7, source: { ports: [] } }),
      expect: [],
    },
    {
      name: "notPorts with protocol 17",
      object: gnpRule({ action: "Allow", protocol: 17, source: { notPorts: [1] } }),
      expect: [],
    },
    {
      name: 'protocol as numeric string "132" carries ports',
      object: gnpRule({ action: "Allow", protocol: "132", destination: { ports: [2905] } }),
      expect: [],
    },
    {
      name: "destination ports with TCP",
      object: gnpRule({ action: "Allow", protocol: "TCP", destination: { ports: [1, "30000:32767"] } }),
      expect: [],
    },
    {
      name: "destination port and no protocol",
      object: gnpRule({ action: "Allow", destination: { ports: [22] } }),
      expect: [[`${R}.destination.ports[0]`, "protocol TCP, UDP or SCTP"]],
    },
    {
      name: "each numeric port without protocol is reported, named ones are fine",
      object: gnpRule({ action: "Allow", destination: { ports: [80, "http", "8000:8080"] } }),
      expect: [
        [`${R}.destination.ports[0]`, "port 80"],
        [`${R}.destination.ports[2]`, "port 8000:8080"],
      ],
    },
    {
      name: "source notPorts range without protocol",
      object: gnpRule({ action: "Allow", source: { notPorts: ["1:1024"] } }),
      expect: [[`${R}.source.notPorts[0]`, "numeric ports and port ranges"]],
    },
    {
      name: "named ports alone need no protocol (v3.32)",
      object: gnpRule({
        action: "Allow",
        destination: { ports: ["http", "metrics"] },
        source: { notPorts: ["ssh"] },
      }),
      expect: [],
    },
    {
      name: "ports with protocol 7",
      object: gnpRule({ action: "Allow", protocol: 7, source: { ports: [1] } }),
      expect: [[`${R}.source.ports`, "protocol 7 has no ports"]],
    },
    {
      name: "notPorts with protocol 100",
      object: gnpRule({ action: "Allow", protocol: 100, source: { notPorts: [1] } }),
      expect: [[`${R}.source.notPorts`, "has no ports"]],
    },
    {
      name: "named port with ICMP is invalid too",
      object: gnpRule({ action: "Allow", protocol: "ICMP", destination: { ports: ["http"] } }),
      expect: [[`${R}.destination.ports`, 'protocol "ICMP" has no ports']],
    },
    {
      name: "UDPLite does not carry ports",
      object: gnpRule({ action: "Allow", protocol: "UDPLite", destination: { ports: [53] } }),
      expect: [[`${R}.destination.ports`, "has no ports"]],
    },
    {
      name: "an undecodable protocol skips the port rules (normalize reports it)",
      object: gnpRule({ action: "Allow", protocol: "tcp", destination: { ports: [22] } }),
      expect: [],
    },
    {
      name: "an undecodable port is not re-reported",
      object: gnpRule({ action: "Allow", destination: { ports: ["80-90", 0] } }),
      expect: [],
    },
  ];
  runCases(cases);
});

describe("rule ICMP fields", () => {
  runCases([
    {
      name: "ICMP type 0",
      object: gnpRule({ action: "Allow", protocol: "ICMP", icmp: { type: 0 } }),
      expect: [],
    },
    {
      name: "ICMP type 254",
      object: gnpRule({ action: "Allow", protocol: "ICMP", icmp: { type: 254 } }),
      expect: [],
    },
    {
      name: "ICMP type 128 code 0 and 255",
      object: gnpRule({
        action: "Allow",
        protocol: "ICMPv6",
        icmp: { type: 128, code: 255 },
        notICMP: { type: 128, code: 0 },
      }),
      expect: [],
    },
    {
      name: "ICMP type 255 is out of range",
      object: gnpRule({ action: "Allow", protocol: "ICMP", icmp: { type: 255 } }),
      expect: [[`${R}.icmp.type`, "0-254"]],
    },
    {
      name: "ICMP code 256 is out of range",
      object: gnpRule({ action: "Allow", protocol: "ICMP", icmp: { type: 128, code: 256 } }),
      expect: [[`${R}.icmp.code`, "0-255"]],
    },
    {
      name: "notICMP code without type",
      object: gnpRule({ action: "Allow", protocol: "ICMP", notICMP: { code: 0 } }),
      expect: [[`${R}.notICMP.code`, "without an ICMP type"]],
    },
    {
      name: "icmp with no protocol",
      object: gnpRule({ action: "Allow", ipVersion: 4, icmp: { type: 0 } }),
      expect: [[`${R}.icmp`, "must set protocol ICMP or ICMPv6"]],
    },
    {
      name: "icmp with protocol TCP",
      object: gnpRule({ action: "Allow", protocol: "TCP", icmp: { type: 8 } }),
      expect: [[`${R}.icmp`, 'protocol "TCP"']],
    },
    {
      name: "icmp with protocol written as the number 1 (Go compares the protocol as written)",
      object: gnpRule({ action: "Allow", protocol: 1, icmp: { type: 8 } }),
      expect: [[`${R}.icmp`, 'use the name "ICMP"']],
    },
    {
      name: 'icmp with protocol "58"',
      object: gnpRule({ action: "Allow", protocol: "58", icmp: { type: 128 } }),
      expect: [[`${R}.icmp`, 'use the name "ICMPv6"']],
    },
    {
      name: "icmp, no ipVersion",
      object: gnpRule({ action: "Allow", protocol: "ICMP", icmp: { type: 0 } }),
      expect: [],
    },
    {
      name: "icmpv6, no ipVersion",
      object: gnpRule({ action: "Allow", protocol: "ICMPv6", icmp: { type: 0 } }),
      expect: [],
    },
    {
      name: "ICMP with ipVersion 6",
      object: gnpRule({ action: "Allow", protocol: "ICMP", ipVersion: 6 }),
      expect: [[`${R}.ipVersion`, "IPv4-only"]],
    },
    {
      name: "ICMPv6 with ipVersion 4",
      object: gnpRule({ action: "Allow", protocol: "ICMPv6", ipVersion: 4 }),
      expect: [[`${R}.ipVersion`, "IPv6-only"]],
    },
    {
      name: "protocol 1 with ipVersion 6 (v3.32 CEL counts numbers)",
      object: gnpRule({ action: "Allow", protocol: 1, ipVersion: 6 }),
      expect: [[`${R}.ipVersion`, "IPv4-only"]],
    },
    {
      name: "notProtocol ICMPv6 with ipVersion 4",
      object: gnpRule({ action: "Allow", notProtocol: "ICMPv6", ipVersion: 4 }),
      expect: [[`${R}.ipVersion`, "notProtocol"]],
    },
    {
      name: "ICMP with ipVersion 4 and a type",
      object: gnpRule({ action: "Allow", ipVersion: 4, protocol: "ICMP", icmp: { type: 0 } }),
      expect: [],
    },
    {
      name: "ICMPv6 with ipVersion 6 and a type",
      object: gnpRule({ action: "Allow", ipVersion: 6, protocol: "ICMPv6", icmp: { type: 0 } }),
      expect: [],
    },
    {
      name: "notICMP with protocol ICMP",
      object: gnpRule({ action: "Deny", protocol: "ICMP", notICMP: { type: 8 } }),
      expect: [],
    },
    {
      name: "notICMP with protocol 58 is fine for Felix",
      object: gnpRule({ action: "Deny", protocol: 58, notICMP: { type: 128 } }),
      expect: [],
    },
    {
      name: "notICMP without a protocol (beyond Calico: Felix's ICMP match needs one)",
      object: gnpRule({ action: "Deny", notICMP: { type: 8 } }),
      expect: [[`${R}.notICMP`, "Felix's negated ICMP type match"]],
    },
    {
      name: "notICMP with notProtocol ICMP only",
      object: gnpRule({ action: "Deny", notProtocol: "ICMP", notICMP: { type: 8 } }),
      expect: [[`${R}.notICMP`, "protocol (none)"]],
    },
  ]);
});

describe("rule nets", () => {
  runCases([
    {
      name: "same-family nets",
      object: gnpRule({
        action: "Allow",
        source: { nets: ["1.2.3.0/26", "10.0.0.0/8"] },
        destination: { notNets: ["1.2.0.0/32"] },
      }),
      expect: [],
    },
    {
      name: "IPv6 nets with ipVersion 6",
      object: gnpRule({ action: "Allow", ipVersion: 6, source: { nets: ["aabb:aabb::/122"] } }),
      expect: [],
    },
    {
      name: "mixed IPv4 (src) and IPv6 (dst)",
      object: gnpRule({
        action: "Allow",
        protocol: "TCP",
        source: { nets: ["1.2.3.0/26"] },
        destination: { nets: ["aabb:aabb::/122"] },
      }),
      expect: [[`${R}.destination.nets`, "mixes IPv4 and IPv6"]],
    },
    {
      name: "mixed IPv6 (src) and IPv4 (dst)",
      object: gnpRule({
        action: "Allow",
        source: { nets: ["aabb::abcd/128"] },
        destination: { nets: ["1.2.0.0/32"] },
      }),
      expect: [[`${R}.destination.nets`, "mixes IPv4 and IPv6"]],
    },
    {
      name: "both families in one list",
      object: gnpRule({ action: "Allow", source: { nets: ["10.0.0.0/8", "fd00::/8"] } }),
      expect: [[`${R}.source.nets`, "mixes IPv4 and IPv6"]],
    },
    {
      name: "ipVersion 6 with IPv4 nets in two fields",
      object: gnpRule({
        action: "Allow",
        protocol: "TCP",
        ipVersion: 6,
        source: { nets: ["1.0.0.0/10"] },
        destination: { notNets: ["1.2.0.0/32"] },
      }),
      expect: [
        [`${R}.source.nets`, "ipVersion 6"],
        [`${R}.destination.notNets`, "ipVersion 6"],
      ],
    },
    {
      name: "ipVersion 4 with an IPv6 destination net",
      object: gnpRule({ action: "Allow", ipVersion: 4, destination: { nets: ["aabb:aabb::ffff/128"] } }),
      expect: [[`${R}.destination.nets`, "contains IPv6 CIDRs but the rule has ipVersion 4"]],
    },
    {
      name: "catch-all 0.0.0.0/0 in notNets (v3.31+)",
      object: gnpRule({ action: "Deny", source: { notNets: ["0.0.0.0/0"] } }),
      expect: [[`${R}.source.notNets[0]`, "catch-all CIDR in notNets"]],
    },
    {
      name: "catch-all ::/0 in notNets",
      object: gnpRule({ action: "Deny", destination: { notNets: ["::/0"] } }),
      expect: [[`${R}.destination.notNets[0]`, "every IPv6 address"]],
    },
    {
      name: "catch-all in nets is fine",
      object: gnpRule({ action: "Allow", source: { nets: ["0.0.0.0/0"] } }),
      expect: [],
    },
    {
      name: "a bare IP in rule nets is rejected by Calico's scanNets",
      object: gnpRule({ action: "Allow", source: { nets: ["10.0.0.5"] } }),
      expect: [[`${R}.source.nets[0]`, "write 10.0.0.5/32"]],
    },
    {
      name: "host bits set (calico#4714: '1.2.3.4/24' fails the net tag)",
      object: gnpRule({ action: "Allow", source: { nets: ["1.2.3.4/24"] } }),
      expect: [[`${R}.source.nets[0]`, "write 1.2.3.0/24"]],
    },
    {
      name: "IPv6 host bits set in notNets",
      object: gnpRule({ action: "Allow", destination: { notNets: ["fd00::1/64"] } }),
      expect: [[`${R}.destination.notNets[0]`, "strictly masked"]],
    },
    {
      name: "an unparseable net is a decode error, not re-reported",
      object: gnpRule({ action: "Allow", source: { nets: ["garbage", "10.0.0.0/33"] } }),
      expect: [],
    },
  ]);
});

describe("rule http", () => {
  const http = { methods: ["GET"] };
  runCases([
    { name: "Allow with http", object: gnpRule({ action: "Allow", http }), expect: [] },
    { name: "Allow, TCP, http", object: gnpRule({ action: "Allow", protocol: "TCP", http }), expect: [] },
    {
      name: "Deny with http",
      object: gnpRule({ action: "Deny", http }),
      expect: [[`${R}.http`, "only valid on Allow rules"]],
    },
    {
      name: "UDP with http",
      object: gnpRule({ action: "Allow", protocol: "UDP", http }),
      expect: [[`${R}.protocol`, "must have protocol TCP"]],
    },
    {
      name: "protocol 6 with http (Go compares as written)",
      object: gnpRule({ action: "Allow", protocol: 6, http }),
      expect: [[`${R}.protocol`, 'written "TCP"']],
    },
    {
      name: "http in an egress rule",
      object: gnpRule({ action: "Allow", http }, "egress"),
      expect: [[`${E}.http`, "not allowed in egress rules"]],
    },
  ]);
});

describe("rule selectors and global()", () => {
  const long = `a == "${"x".repeat(1020)}"`;
  runCases([
    {
      name: "global() in an EntityRule selector",
      object: gnpRule({ action: "Allow", source: { selector: "global()" } }),
      expect: [[`${R}.source.selector`, "global() can only be used in an EntityRule namespaceSelector"]],
    },
    {
      name: "global() inside a quoted value is still rejected (substring test)",
      object: gnpRule({ action: "Allow", destination: { selector: 'a == "global()"' } }),
      expect: [[`${R}.destination.selector`, "quoted value"]],
    },
    {
      name: "global() and projectcalico.org/name in namespaceSelectors",
      object: gnpRule({
        action: "Allow",
        source: { namespaceSelector: "global()" },
        destination: { namespaceSelector: "projectcalico.org/name == 'test'" },
      }),
      expect: [],
    },
    {
      name: "global() with spaces around is alone",
      object: gnpRule({ action: "Allow", source: { namespaceSelector: "  global(  )  " } }),
      expect: [],
    },
    {
      name: "global() AND'd in namespaceSelector",
      object: gnpRule({ action: "Allow", source: { namespaceSelector: " global() && all()" } }),
      expect: [[`${R}.source.namespaceSelector`, "cannot be combined"]],
    },
    {
      name: "global() OR'd in namespaceSelector",
      object: gnpRule({ action: "Allow", source: { namespaceSelector: "global()||all()" } }),
      expect: [[`${R}.source.namespaceSelector`, "cannot be combined"]],
    },
    {
      name: "global() in parentheses is more than one token",
      object: gnpRule({ action: "Allow", source: { namespaceSelector: "(global())" } }),
      expect: [[`${R}.source.namespaceSelector`, "on its own"]],
    },
    {
      name: "global() in notSelector is accepted by Calico (it evaluates like all())",
      object: gnpRule({ action: "Allow", source: { notSelector: "global()" } }),
      expect: [],
    },
    {
      name: "a rule selector of 1025 characters (v3.32 MaxLength 1024)",
      object: gnpRule({ action: "Allow", source: { selector: long } }),
      expect: [[`${R}.source.selector`, "at most 1024"]],
    },
    {
      name: "an unparseable selector is left to normalize",
      object: gnpRule({ action: "Allow", source: { selector: "has(kubernetes-host" } }),
      expect: [],
    },
  ]);
});

describe("rule services", () => {
  const svc = { name: "service1", namespace: "default" };
  runCases([
    {
      name: "a Service in an egress rule destination",
      object: gnpRule({ action: "Allow", destination: { services: svc } }, "egress"),
      expect: [],
    },
    {
      name: "a Service in an egress rule source",
      object: gnpRule({ action: "Allow", source: { services: svc } }, "egress"),
      expect: [[`${E}.source.services`, "not allowed in an egress rule's source"]],
    },
    {
      name: "a Service in an ingress rule source",
      object: gnpRule({ action: "Allow", source: { services: svc } }),
      expect: [],
    },
    {
      name: "a Service in an ingress rule destination",
      object: gnpRule({ action: "Allow", destination: { services: svc } }),
      expect: [[`${R}.destination.services`, "not allowed in an ingress rule's destination"]],
    },
    {
      name: "a Service without a namespace in a GNP egress rule",
      object: gnpRule({ action: "Allow", destination: { services: { name: "service1" } } }, "egress"),
      expect: [[`${E}.destination.services.namespace`, "must specify a namespace"]],
    },
    {
      name: "a Service without a namespace in a GNP ingress source",
      object: gnpRule({ action: "Allow", source: { services: { name: "service1", namespace: "" } } }),
      expect: [[`${R}.source.services.namespace`, "must specify a namespace"]],
    },
    {
      name: "a Service without a name",
      object: gnpRule({ action: "Allow", source: { services: { namespace: "default" } } }),
      expect: [[`${R}.source.services.name`, "service name"]],
    },
    {
      name: "a Service and ServiceAccounts",
      object: gnpRule({ action: "Allow", source: { services: svc, serviceAccounts: { names: ["sa"] } } }),
      expect: [[`${R}.source.services`, "serviceAccounts"]],
    },
    {
      name: "a Service and ports on an egress destination",
      object: gnpRule(
        { action: "Allow", protocol: "TCP", destination: { services: svc, ports: [80] } },
        "egress",
      ),
      expect: [[`${E}.destination.ports`, "cannot specify ports with destination.services"]],
    },
    {
      name: "a Service and notPorts on an egress destination",
      object: gnpRule(
        { action: "Allow", protocol: "TCP", destination: { services: svc, notPorts: [80] } },
        "egress",
      ),
      expect: [[`${E}.destination.notPorts`, "cannot specify notPorts"]],
    },
    {
      name: "a Service and ports on an ingress source",
      object: gnpRule({
        action: "Allow",
        protocol: "TCP",
        source: { services: svc, ports: [80], notPorts: [81] },
      }),
      expect: [],
    },
    {
      name: "a Service and nets",
      object: gnpRule({ action: "Allow", source: { services: svc, nets: ["10.0.0.0/8"] } }),
      expect: [[`${R}.source.services`, "nets/notNets"]],
    },
    {
      name: "a Service and notNets",
      object: gnpRule({ action: "Allow", source: { services: svc, notNets: ["10.0.0.0/8"] } }),
      expect: [[`${R}.source.services`, "nets/notNets"]],
    },
    {
      name: "a Service and a selector",
      object: gnpRule({ action: "Allow", source: { services: svc, selector: "x == 'y'" } }),
      expect: [[`${R}.source.services`, "selector/notSelector"]],
    },
    {
      name: "a Service and a notSelector",
      object: gnpRule({ action: "Allow", source: { services: svc, notSelector: "x == 'y'" } }),
      expect: [[`${R}.source.services`, "selector/notSelector"]],
    },
    {
      name: "a Service and a namespaceSelector",
      object: gnpRule({ action: "Allow", source: { services: svc, namespaceSelector: "x == 'y'" } }),
      expect: [[`${R}.source.services`, "namespaceSelector"]],
    },
  ]);
});

describe("rule metadata annotations", () => {
  runCases([
    {
      name: "valid rule annotations",
      object: gnpRule({ action: "Allow", metadata: { annotations: { foo: "bar" } } }),
      expect: [],
    },
    {
      name: "invalid rule annotation key",
      object: gnpRule({ action: "Allow", metadata: { annotations: { "...": "bar" } } }),
      expect: [[`${R}.metadata.annotations["..."]`, "annotation key"]],
    },
  ]);
});
