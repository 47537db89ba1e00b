import { describe, test } from "node:test";
import assert from "node:assert/strict";
import { assertError, decoded, failed, labelsOf, V1, V3 } from "./helpers.js";

function hep(spec: unknown, apiVersion = V3): unknown {
  return {
    apiVersion,
    kind: "HostEndpoint",
    metadata: { name: "node-3-eth1", labels: { "kubernetes-host": "" } },
    spec,
  };
}

describe("HostEndpoint", () => {
  for (const apiVersion of [V3, V1]) {
    test(`all fields (${apiVersion})`, () => {
      const h = decoded(
        hep(
          {
            node: "node-3",
            interfaceName: "eth1",
            expectedIPs: ["10.20.0.3", "10.20.1.3", "FD00::3"],
            profiles: ["projectcalico-default-allow"],
            ports: [
              { name: "iscsi", port: 3260, protocol: "TCP" },
              { name: "dns", port: 53, protocol: "UDP" },
              { name: "x", port: 9, protocol: 132 },
            ],
          },
          apiVersion,
        ),
        "HostEndpoint",
      );
      assert.equal(h.apiVersion, apiVersion);
      assert.deepEqual(labelsOf(h), { "kubernetes-host": "" });
      assert.equal(h.node, "node-3");
      assert.equal(h.interfaceName, "eth1");
      assert.deepEqual(
        h.expectedIPs.map((ip) => `${ip.family}:${ip.text}`),
        ["4:10.20.0.3", "4:10.20.1.3", "6:fd00::3"],
      );
      assert.deepEqual(h.profiles, ["projectcalico-default-allow"]);
      assert.deepEqual(h.ports, [
        { name: "iscsi", port: 3260, protocol: { number: 6, name: "TCP" } },
        { name: "dns", port: 53, protocol: { number: 17, name: "UDP" } },
        { name: "x", port: 9, protocol: { number: 132, name: "SCTP" } },
      ]);
    });
  }

  const defaults: [string, unknown][] = [
    ["empty spec", {}],
    ["no spec", undefined],
    ["null fields", { node: null, interfaceName: null, expectedIPs: null, profiles: null, ports: null }],
  ];
  for (const [name, spec] of defaults) {
    test(`${name}: empty values, validation decides`, () => {
      const h = decoded(hep(spec), "HostEndpoint");
      assert.equal(h.node, "");
      assert.equal(h.interfaceName, "");
      assert.deepEqual(h.expectedIPs, []);
      assert.deepEqual(h.profiles, []);
      assert.deepEqual(h.ports, []);
    });
  }

  test("wildcard interface", () => {
    assert.equal(decoded(hep({ node: "n", interfaceName: "*" }), "HostEndpoint").interfaceName, "*");
  });

  test("errors", () => {
    const errors = failed(
      hep({
        node: 3,
        interfaceName: ["eth0"],
        expectedIPs: ["10.0.0.0/24", "10.0.0.1", "::1%lo", 7],
        profiles: ["a", 1],
        ports: [
          { name: "a", port: 80, protocol: "tcp" },
          { name: "b", port: 70000, protocol: "TCP" },
          { name: "c", protocol: "TCP" },
          { name: "d", port: 1 },
          "x",
          { name: "e", port: "80", protocol: "UDP" },
        ],
      }),
    );
    assertError(errors, "spec.node", /must be a string/);
    assertError(errors, "spec.interfaceName", /must be a string/);
    assertError(errors, "spec.expectedIPs[0]", /not an IP address/);
    assertError(errors, "spec.expectedIPs[2]", /zones/);
    assertError(errors, "spec.expectedIPs[3]", /IP address string/);
    assertError(errors, "spec.profiles[1]", /must be a string/);
    assertError(errors, "spec.ports[0].protocol", /case-sensitive/);
    assertError(errors, "spec.ports[1].port", /out of range/);
    assertError(errors, "spec.ports[2].port", /is required/);
    assertError(errors, "spec.ports[3].protocol", /is required/);
    assertError(errors, "spec.ports[4]", /must be an object/);
    assertError(errors, "spec.ports[5].port", /must be a number/);
    assert.equal(
      errors.some((e) => e.path === "spec.expectedIPs[1]"),
      false,
    );
  });
});
