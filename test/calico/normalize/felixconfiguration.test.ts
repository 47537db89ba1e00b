import { describe, test } from "node:test";
import assert from "node:assert/strict";
import { parseFelixPortList } from "../../../src/calico/normalize/index.js";
import type { ProtoPort } from "../../../src/calico/types.js";
import { annotationsOf, assertError, decoded, failed, V1, V3 } from "./helpers.js";

function felix(name: string, spec: unknown, annotations?: Record<string, string>, apiVersion = V3): unknown {
  return {
    apiVersion,
    kind: "FelixConfiguration",
    metadata: { name, ...(annotations && { annotations }) },
    spec,
  };
}

/** ProtoPorts as compact text for table comparisons: `TCP:22`, `UDP:10.0.0.0/8:53`. */
function texts(list: readonly ProtoPort[] | undefined): string[] | undefined {
  return list?.map((p) => [p.protocol, ...(p.net ? [p.net.text] : []), String(p.port)].join(":"));
}

describe("FelixConfiguration scope", () => {
  test("default is global", () => {
    assert.deepEqual(decoded(felix("default", {}), "FelixConfiguration").scope, { kind: "global" });
  });
  test("node.<name> is per node", () => {
    assert.deepEqual(decoded(felix("node.node-3", {}), "FelixConfiguration").scope, {
      kind: "node",
      node: "node-3",
    });
    assert.deepEqual(decoded(felix("node.a.b.c", {}), "FelixConfiguration").scope, {
      kind: "node",
      node: "a.b.c",
    });
  });
  test("other names are selector-scoped", () => {
    const withSelector = decoded(
      felix("workers", { nodeSelector: "has(kubernetes-worker)" }),
      "FelixConfiguration",
    );
    assert.equal(withSelector.scope.kind, "selector");
    assert.equal(
      withSelector.scope.kind === "selector" && withSelector.scope.nodeSelector?.source,
      "has(kubernetes-worker)",
    );
    assert.deepEqual(decoded(felix("workers", {}), "FelixConfiguration").scope, { kind: "selector" });
    assert.deepEqual(decoded(felix("workers", { nodeSelector: "" }), "FelixConfiguration").scope, {
      kind: "selector",
    });
  });
  test("a bad nodeSelector is an error", () => {
    assertError(failed(felix("workers", { nodeSelector: "has(" })), "spec.nodeSelector", /invalid selector/);
  });
});

describe("FelixConfiguration spec fields", () => {
  test("unset fields stay undefined", () => {
    const f = decoded(felix("default", { logSeverityScreen: "Info" }), "FelixConfiguration");
    assert.deepEqual(f.fields, {});
    assert.deepEqual(decoded(felix("default", undefined), "FelixConfiguration").fields, {});
    assert.deepEqual(
      decoded(felix("default", { failsafeInboundHostPorts: null }), "FelixConfiguration").fields,
      {},
    );
  });

  test("[] is an explicit empty list", () => {
    const f = decoded(felix("node.node-3", { failsafeOutboundHostPorts: [] }), "FelixConfiguration");
    assert.deepEqual(f.fields.failsafeOutboundHostPorts, { value: [], source: "spec" });
    assert.equal(f.fields.failsafeInboundHostPorts, undefined);
  });

  test("lists, any protocol case, nets", () => {
    const f = decoded(
      felix(
        "default",
        {
          failsafeInboundHostPorts: [
            { protocol: "tcp", port: 22 },
            { protocol: "UDP", port: 68 },
            { protocol: "Sctp", port: 9 },
            { protocol: "TCP", port: 6443, net: "10.0.0.1/8" },
            { protocol: "TCP", port: 2379, net: "fd00::/8" },
            { protocol: "TCP", port: 0, net: "" },
          ],
          failsafeOutboundHostPorts: [{ protocol: "udp", port: 53, net: "10.10.0.5" }],
          defaultEndpointToHostAction: "Accept",
        },
        undefined,
        V1,
      ),
      "FelixConfiguration",
    );
    assert.equal(f.fields.failsafeInboundHostPorts?.source, "spec");
    assert.deepEqual(texts(f.fields.failsafeInboundHostPorts?.value), [
      "TCP:22",
      "UDP:68",
      "SCTP:9",
      "TCP:10.0.0.0/8:6443",
      "TCP:fd00::/8:2379",
      "TCP:0",
    ]);
    assert.deepEqual(texts(f.fields.failsafeOutboundHostPorts?.value), ["UDP:10.10.0.5/32:53"]);
    assert.deepEqual(f.fields.defaultEndpointToHostAction, { value: "Accept", source: "spec" });
  });

  const actions: [string, string][] = [
    ["Drop", "Drop"],
    ["ACCEPT", "Accept"],
    ["return", "Return"],
  ];
  for (const [input, canonical] of actions) {
    test(`defaultEndpointToHostAction ${input}`, () => {
      const f = decoded(felix("default", { defaultEndpointToHostAction: input }), "FelixConfiguration");
      assert.equal(f.fields.defaultEndpointToHostAction?.value, canonical);
    });
  }

  test("errors", () => {
    const errors = failed(
      felix("default", {
        failsafeInboundHostPorts: [
          { protocol: "ICMP", port: 1 },
          { protocol: "TCP", port: 65536 },
          { protocol: "TCP", port: "22" },
          { port: 22 },
          { protocol: "TCP" },
          { protocol: "TCP", port: 22, net: "10.0.0.0/33" },
          "tcp:22",
        ],
        failsafeOutboundHostPorts: { protocol: "TCP", port: 22 },
        defaultEndpointToHostAction: "Reject",
      }),
    );
    assertError(errors, "spec.failsafeInboundHostPorts[0].protocol", /TCP, UDP or SCTP/);
    assertError(errors, "spec.failsafeInboundHostPorts[1].port", /out of range/);
    assertError(errors, "spec.failsafeInboundHostPorts[2].port", /must be a number/);
    assertError(errors, "spec.failsafeInboundHostPorts[3].protocol", /is required/);
    assertError(errors, "spec.failsafeInboundHostPorts[4].port", /is required/);
    assertError(errors, "spec.failsafeInboundHostPorts[5].net", /prefix length 33/);
    assertError(errors, "spec.failsafeInboundHostPorts[6]", /must be an object/);
    assertError(errors, "spec.failsafeOutboundHostPorts", /must be a list/);
    assertError(errors, "spec.defaultEndpointToHostAction", /Drop, Accept or Return/);
  });
});

describe("config.projectcalico.org annotations", () => {
  test("override the spec field of the same resource", () => {
    const f = decoded(
      felix(
        "default",
        {
          failsafeInboundHostPorts: [{ protocol: "TCP", port: 22 }],
          failsafeOutboundHostPorts: [{ protocol: "UDP", port: 53 }],
          defaultEndpointToHostAction: "Drop",
        },
        {
          "config.projectcalico.org/FailsafeInboundHostPorts": "tcp:22,udp:68,6443",
          "config.projectcalico.org/defaultendpointtohostaction": "ACCEPT",
          "config.projectcalico.org/LogSeverityScreen": "Debug",
        },
      ),
      "FelixConfiguration",
    );
    assert.deepEqual(f.fields.failsafeInboundHostPorts?.source, "annotation");
    assert.deepEqual(texts(f.fields.failsafeInboundHostPorts?.value), ["TCP:22", "UDP:68", "TCP:6443"]);
    assert.deepEqual(f.fields.failsafeOutboundHostPorts, {
      value: [{ protocol: "UDP", port: 53 }],
      source: "spec",
    });
    assert.deepEqual(f.fields.defaultEndpointToHostAction, { value: "Accept", source: "annotation" });
    assert.equal(
      annotationsOf(f)["config.projectcalico.org/LogSeverityScreen"],
      "Debug",
      "annotations are kept",
    );
  });

  const emptying: string[] = ["none", "NONE", "None", ""];
  for (const value of emptying) {
    test(`${JSON.stringify(value)} is an explicit empty list, even without a spec field`, () => {
      const f = decoded(
        felix("node.node-1", {}, { "config.projectcalico.org/FailsafeOutboundHostPorts": value }),
        "FelixConfiguration",
      );
      assert.deepEqual(f.fields.failsafeOutboundHostPorts, { value: [], source: "annotation" });
    });
  }

  test("work on v1 objects, also when stashed in the metadata annotation", () => {
    const f = decoded(
      felix(
        "default",
        {},
        {
          "projectcalico.org/metadata": JSON.stringify({
            annotations: { "config.projectcalico.org/FailsafeInboundHostPorts": "tcp:22" },
          }),
        },
        V1,
      ),
      "FelixConfiguration",
    );
    assert.deepEqual(texts(f.fields.failsafeInboundHostPorts?.value), ["TCP:22"]);
  });

  test("Felix-breaking values are errors at the annotation", () => {
    const key = "config.projectcalico.org/FailsafeInboundHostPorts";
    assertError(
      failed(felix("default", {}, { [key]: "tcp:22,sctp:9" })),
      `metadata.annotations["${key}"]`,
      /sctp.*only tcp and udp/,
    );
    assertError(
      failed(felix("default", {}, { [key]: "tcp:10.0.0.0/33:22" })),
      `metadata.annotations["${key}"]`,
      /invalid net/,
    );
    const action = "config.projectcalico.org/DefaultEndpointToHostAction";
    assertError(
      failed(felix("default", {}, { [action]: "reject" })),
      `metadata.annotations["${action}"]`,
      /Drop, Accept or Return/,
    );
  });

  test("the same parameter twice (different case) is ambiguous", () => {
    const errors = failed(
      felix(
        "default",
        {},
        {
          "config.projectcalico.org/FailsafeInboundHostPorts": "tcp:22",
          "config.projectcalico.org/failsafeinboundhostports": "none",
        },
      ),
    );
    assert.equal(errors.length, 1);
    assert.match(errors[0]?.reason ?? "", /same Felix parameter/);
  });
});

describe("parseFelixPortList (Felix's string format)", () => {
  const good: [string, string[]][] = [
    ["tcp:22,udp:68,tcp:179", ["TCP:22", "UDP:68", "TCP:179"]],
    ["22", ["TCP:22"]],
    ["TCP:22, UDP:53 ,", ["TCP:22", "UDP:53"]],
    ["tcp:10.0.0.0/8:22", ["TCP:10.0.0.0/8:22"]],
    ["udp:10.10.0.5:53", ["UDP:10.10.0.5/32:53"]],
    ["tcp:[fd00::/8]:22", ["TCP:fd00::/8:22"]],
    ["[fd00::1]:22", ["TCP:fd00::1/128:22"]],
    ["tcp:[fd00::/8]:22,udp:[::/0]:53", ["TCP:fd00::/8:22", "UDP:::/0:53"]],
    ["tcp:0", ["TCP:0"]],
    ["tcp:022", ["TCP:22"]],
    ["none", []],
    ["nOnE", []],
    ["", []],
    [" , ", []],
  ];
  for (const [input, expected] of good) {
    test(`accepts ${JSON.stringify(input)}`, () => {
      const r = parseFelixPortList(input);
      assert.ok(r.ok, r.ok ? "" : r.error);
      assert.deepEqual(texts(r.value), expected);
    });
  }
  const bad: [string, RegExp][] = [
    ["sctp:22", /unknown protocol "sctp".*only tcp and udp/],
    ["icmp:1", /unknown protocol "icmp"/],
    ["tcp:http", /must be an integer/],
    ["tcp:65536", /out of range/],
    ["tcp:-1", /out of range/],
    ["tcp:22.5", /must be an integer/],
    ["tcp:", /must be an integer/],
    ["10.0.0.0/8:22", /unknown protocol "10\.0\.0\.0\/8"/],
    ["tcp:bad-net:22", /invalid net/],
    ["tcp:fd00::/8:22", /expected <port>/],
    ["tcp:[fd00::/8:22", /IPv6 net must be written/],
    ["tcp:fd00::/8]:22", /IPv6 net must be written/],
    ["tcp:[bad]:22", /invalid net/],
    [" none ", /must be an integer/],
    ["tcp:22,udp", /must be an integer/],
  ];
  for (const [input, reason] of bad) {
    test(`rejects ${JSON.stringify(input)}`, () => {
      const r = parseFelixPortList(input);
      assert.equal(r.ok, false);
      if (!r.ok) assert.match(r.error, reason);
    });
  }
});
