import { describe, test } from "node:test";
import assert from "node:assert/strict";
import { assertError, decoded, failed, labelsOf, V1, V3 } from "./helpers.js";

function gns(nets: unknown, apiVersion = V3): unknown {
  return {
    apiVersion,
    kind: "GlobalNetworkSet",
    metadata: { name: "allow-ips", labels: { role: "internal-net" } },
    spec: { nets },
  };
}

describe("GlobalNetworkSet", () => {
  const cases: [string, unknown, string[]][] = [
    ["CIDRs and plain IPs", ["192.168.100.0/24", "10.10.0.5"], ["192.168.100.0/24", "10.10.0.5/32"]],
    [
      "IPv6 mixed in",
      ["10.50.0.0/16", "fd00:10:50::/48", "2001:DB8::1"],
      ["10.50.0.0/16", "fd00:10:50::/48", "2001:db8::1/128"],
    ],
    ["host bits are masked", ["10.1.2.3/8"], ["10.0.0.0/8"]],
    ["catch-all", ["0.0.0.0/0", "::/0"], ["0.0.0.0/0", "::/0"]],
    ["empty", [], []],
    ["absent", undefined, []],
  ];
  for (const [name, nets, texts] of cases) {
    for (const apiVersion of [V3, V1]) {
      test(`${name} (${apiVersion})`, () => {
        const s = decoded(gns(nets, apiVersion), "GlobalNetworkSet");
        assert.deepEqual(
          s.nets.map((n) => n.text),
          texts,
        );
        assert.deepEqual(labelsOf(s), { role: "internal-net" });
      });
    }
  }

  test("bad entries are errors with their index", () => {
    const errors = failed(gns(["10.0.0.0/8", "10.0.0.0/40", "bad", null, "010.0.0.1"]));
    assertError(errors, "spec.nets[1]", /prefix length 40/);
    assertError(errors, "spec.nets[2]", /not an IP address/);
    assertError(errors, "spec.nets[3]", /CIDR or IP string/);
    assertError(errors, "spec.nets[4]", /leading zeros/);
    assert.equal(errors.length, 4);
    assertError(failed(gns("10.0.0.0/8")), "spec.nets", /must be a list/);
  });
});
