import { describe, test } from "node:test";
import assert from "node:assert/strict";
import fc from "fast-check";
import { parseProtocol, protocolFromNumber, protocolSupportsPorts } from "../../src/calico/protocol.js";

describe("parseProtocol accepts", () => {
  const cases: [input: unknown, number: number, name: string][] = [
    ["TCP", 6, "TCP"],
    ["UDP", 17, "UDP"],
    ["ICMP", 1, "ICMP"],
    ["ICMPv6", 58, "ICMPv6"],
    ["SCTP", 132, "SCTP"],
    ["UDPLite", 136, "UDPLite"],
    [6, 6, "TCP"],
    [17, 17, "UDP"],
    [4, 4, "4"],
    [1, 1, "ICMP"],
    [255, 255, "255"],
    ["6", 6, "TCP"],
    ["06", 6, "TCP"],
    ["4", 4, "4"],
    ["255", 255, "255"],
  ];
  for (const [input, number, name] of cases) {
    test(JSON.stringify(input), () =>
      assert.deepEqual(parseProtocol(input), { ok: true, value: { number, name } }),
    );
  }
});

describe("parseProtocol rejects", () => {
  const cases: [input: unknown, reason: RegExp][] = [
    ["tcp", /case-sensitive, use "TCP"/],
    ["Tcp", /case-sensitive, use "TCP"/],
    ["icmpv6", /case-sensitive, use "ICMPv6"/],
    ["udplite", /case-sensitive, use "UDPLite"/],
    ["GRE", /unknown protocol "GRE"/],
    ["", /unknown protocol ""/],
    [" TCP", /unknown protocol/],
    [0, /out of range/],
    ["0", /out of range/],
    [256, /out of range/],
    ["256", /out of range/],
    [-6, /out of range/],
    [6.5, /not an integer/],
    [NaN, /not an integer/],
    [null, /not null/],
    [true, /not a boolean/],
    [{}, /not an object/],
    [["TCP"], /not an array/],
  ];
  for (const [input, reason] of cases) {
    test(String(typeof input === "string" ? JSON.stringify(input) : input), () => {
      const r = parseProtocol(input);
      assert.equal(r.ok, false);
      if (!r.ok) assert.match(r.error, reason);
    });
  }
});

test("protocolFromNumber names the numbers Calico knows", () => {
  assert.deepEqual(protocolFromNumber(58), { number: 58, name: "ICMPv6" });
  assert.deepEqual(protocolFromNumber(136), { number: 136, name: "UDPLite" });
  assert.deepEqual(protocolFromNumber(47), { number: 47, name: "47" });
});

test("protocolSupportsPorts: TCP, UDP and SCTP only", () => {
  const table: [number, boolean][] = [
    [6, true],
    [17, true],
    [132, true],
    [136, false],
    [1, false],
    [58, false],
    [4, false],
  ];
  for (const [n, expected] of table)
    assert.equal(protocolSupportsPorts(protocolFromNumber(n)), expected, String(n));
});

test("any value: a Result, and accepted names round-trip", () => {
  fc.assert(
    fc.property(fc.oneof(fc.anything(), fc.string(), fc.integer({ min: -10, max: 300 })), (value) => {
      const r = parseProtocol(value);
      if (r.ok) assert.deepEqual(parseProtocol(r.value.name), r);
    }),
    { numRuns: 1000 },
  );
});
