import { describe, test } from "node:test";
import assert from "node:assert/strict";
import { assertError, decoded, failed, labelsOf } from "./helpers.js";

function node(addresses: unknown, extra: Record<string, unknown> = {}): unknown {
  return {
    apiVersion: "v1",
    kind: "Node",
    metadata: {
      name: "cp-1",
      labels: { "kubernetes-host": "", "node-role.kubernetes.io/control-plane": "" },
    },
    spec: { podCIDR: "10.244.0.0/24", taints: [] },
    status: { addresses, nodeInfo: { kubeletVersion: "v1.30.0" } },
    ...extra,
  };
}

describe("Node", () => {
  test("keeps name, labels and addresses by type, in order", () => {
    const n = decoded(
      node([
        { type: "InternalIP", address: "10.0.0.10" },
        { type: "ExternalIP", address: "198.51.100.10" },
        { type: "Hostname", address: "cp-1" },
        { type: "InternalIP", address: "fd00::10" },
        { type: "InternalDNS", address: "cp-1.example.internal" },
      ]),
      "Node",
    );
    assert.equal(n.name, "cp-1");
    assert.equal(n.apiVersion, "v1");
    assert.deepEqual(labelsOf(n), { "kubernetes-host": "", "node-role.kubernetes.io/control-plane": "" });
    assert.deepEqual(
      n.internalIPs.map((ip) => ip.text),
      ["10.0.0.10", "fd00::10"],
    );
    assert.deepEqual(
      n.externalIPs.map((ip) => ip.text),
      ["198.51.100.10"],
    );
    assert.equal(Object.hasOwn(n, "spec"), false, "spec is dropped");
    assert.equal(Object.hasOwn(n, "status"), false, "status is dropped");
  });

  const empty: [string, unknown][] = [
    ["no status", undefined],
    ["no addresses", null],
    ["empty addresses", []],
  ];
  for (const [name, addresses] of empty) {
    test(`${name}: no IPs`, () => {
      const n = decoded(
        addresses === undefined ? { ...(node([]) as object), status: undefined } : node(addresses),
        "Node",
      );
      assert.deepEqual(n.internalIPs, []);
      assert.deepEqual(n.externalIPs, []);
    });
  }

  test("IPv6 addresses are canonicalised", () => {
    const n = decoded(node([{ type: "InternalIP", address: "FD00:0:0:0:0:0:0:10" }]), "Node");
    assert.equal(n.internalIPs[0]?.text, "fd00::10");
  });

  test("an unparseable InternalIP or ExternalIP is an error with its path", () => {
    const errors = failed(
      node([
        { type: "InternalIP", address: "10.0.0.300" },
        { type: "Hostname", address: "not-an-ip" },
        { type: "ExternalIP", address: "10.0.0.0/24" },
      ]),
    );
    assertError(errors, "status.addresses[0].address", /not an IPv4 address/);
    assertError(errors, "status.addresses[2].address", /not an IP address/);
    assert.equal(errors.length, 2, "the Hostname entry is ignored");
  });

  test("wrong JSON types are reported", () => {
    assertError(failed(node("10.0.0.1")), "status.addresses", /must be a list/);
    assertError(
      failed(node([{ type: "InternalIP", address: 10 }])),
      "status.addresses[0].address",
      /must be a string/,
    );
  });

  test("a Node must be apiVersion v1", () => {
    const errors = failed({ ...(node([]) as object), apiVersion: "projectcalico.org/v3" });
    assertError(errors, "apiVersion", /Node must have apiVersion v1/);
  });
});
