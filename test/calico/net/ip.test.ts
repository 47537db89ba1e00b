import { describe, test } from "node:test";
import assert from "node:assert/strict";
import fc from "fast-check";
import {
  cidrContainsCidr,
  cidrContainsIp,
  cidrFirst,
  cidrFromParts,
  cidrLast,
  cidrOfIp,
  formatCidr,
  ipFromValue,
  isCatchAll,
  parseCidr,
  parseIp,
} from "../../../src/calico/net/ip.js";
import type { Cidr, IpAddress } from "../../../src/calico/types.js";

function ip(text: string): IpAddress {
  const r = parseIp(text);
  assert.ok(r.ok, `parseIp(${text}) failed`);
  return r.value;
}

function cidr(text: string): Cidr {
  const r = parseCidr(text);
  assert.ok(r.ok, `parseCidr(${text}) failed`);
  return r.value;
}

describe("parseIp accepts", () => {
  const cases: [input: string, family: 4 | 6, canonical: string, value: bigint][] = [
    ["0.0.0.0", 4, "0.0.0.0", 0n],
    ["10.0.0.1", 4, "10.0.0.1", 0x0a000001n],
    ["255.255.255.255", 4, "255.255.255.255", 0xffffffffn],
    ["172.18.10.1", 4, "172.18.10.1", 0xac120a01n],
    ["::", 6, "::", 0n],
    ["::1", 6, "::1", 1n],
    ["1::", 6, "1::", 1n << 112n],
    ["2001:db8::1", 6, "2001:db8::1", 0x20010db8000000000000000000000001n],
    ["2001:DB8::A", 6, "2001:db8::a", 0x20010db800000000000000000000000an],
    ["2001:0db8:0000:0000:0000:0000:0000:0001", 6, "2001:db8::1", 0x20010db8000000000000000000000001n],
    // RFC 5952 §4.2.2: a single zero group is not compressed
    ["2001:db8:0:1:1:1:1:1", 6, "2001:db8:0:1:1:1:1:1", 0x20010db8000000010001000100010001n],
    // §4.2.3: the first of two equally long runs is compressed
    ["2001:db8:0:0:1:0:0:1", 6, "2001:db8::1:0:0:1", 0x20010db8000000000001000000000001n],
    // §4.2.3: the longest run wins
    ["1:0:0:2:0:0:0:3", 6, "1:0:0:2::3", 0x00010000000000020000000000000003n],
    ["1:2:3:4:5:6:7::", 6, "1:2:3:4:5:6:7:0", 0x00010002000300040005000600070000n],
    ["::2:3:4:5:6:7:8", 6, "0:2:3:4:5:6:7:8", 0x00000002000300040005000600070008n],
    ["fd00:10:50::", 6, "fd00:10:50::", 0xfd000010005000000000000000000000n],
    // embedded IPv4
    ["::ffff:1.2.3.4", 6, "::ffff:1.2.3.4", 0xffff01020304n],
    ["0:0:0:0:0:ffff:10.0.0.1", 6, "::ffff:10.0.0.1", 0xffff0a000001n],
    ["::1.2.3.4", 6, "::102:304", 0x01020304n],
    ["64:ff9b::192.0.2.33", 6, "64:ff9b::c000:221", 0x0064ff9b0000000000000000c0000221n],
  ];
  for (const [input, family, canonical, value] of cases) {
    test(input, () => {
      const r = parseIp(input);
      assert.deepEqual(r, { ok: true, value: { family, value, text: canonical } });
    });
  }
});

describe("parseIp rejects", () => {
  const cases: [input: string, reason: RegExp][] = [
    ["", /not an IP address/],
    ["10.0.0.256", /^"10\.0\.0\.256" is not an IPv4 address/],
    ["10.0.0", /not an IPv4 address/],
    ["10.0.0.1.2", /not an IPv4 address/],
    ["010.0.0.1", /no leading zeros/],
    ["10.0.0.01", /not an IPv4 address/],
    ["10..0.1", /not an IPv4 address/],
    ["-1.0.0.0", /not an IP address/],
    [" 10.0.0.1", /not an IP address/],
    ["10.0.0.1 ", /not an IP address/],
    ["10.0.0.0/8", /not an IP address/],
    ["example.com", /not an IP address/],
    ["1::2::3", /only once/],
    [":::", /only once/],
    [":1::", /empty group/],
    ["1:2:3:4:5:6:7", /expected 8 groups/],
    ["1:2:3:4:5:6:7:8:9", /expected 8 groups/],
    ["1:2:3:4:5:6:7:8::", /at least one group/],
    ["::1:2:3:4:5:6:7:8", /at least one group/],
    ["12345::", /bad group/],
    ["g::", /bad group/],
    ["fe80::1%eth0", /zones/],
    ["1.2.3.4::", /must come last/],
    ["::1.2.3.4:5", /must come last/],
    ["::ffff:1.2.3.256", /embedded IPv4/],
    ["::ffff:01.2.3.4", /embedded IPv4/],
    ["1:2:3:4:5:6:7:1.2.3.4", /expected 8 groups/],
    ["::/0", /not an IPv6 address/],
  ];
  for (const [input, reason] of cases) {
    test(JSON.stringify(input), () => {
      const r = parseIp(input);
      assert.equal(r.ok, false);
      if (!r.ok) {
        assert.match(r.error, reason);
        assert.ok(!r.error.includes("\n"), "one-line reason");
      }
    });
  }
  test("non-strings", () => {
    for (const v of [null, undefined, 10, {}] as unknown[]) assert.equal(parseIp(v as string).ok, false);
  });
});

describe("parseCidr", () => {
  const good: [input: string, text: string, prefix: number][] = [
    ["10.0.0.0/8", "10.0.0.0/8", 8],
    ["10.1.2.3/8", "10.0.0.0/8", 8],
    ["10.0.0.5", "10.0.0.5/32", 32],
    ["0.0.0.0/0", "0.0.0.0/0", 0],
    ["192.168.100.0/24", "192.168.100.0/24", 24],
    ["169.254.169.254/32", "169.254.169.254/32", 32],
    ["10.0.0.0/08", "10.0.0.0/8", 8],
    ["fd00::1/8", "fd00::/8", 8],
    ["fd00:10:50::/48", "fd00:10:50::/48", 48],
    ["::/0", "::/0", 0],
    ["2001:db8::1", "2001:db8::1/128", 128],
    ["2001:db8::ffff/127", "2001:db8::fffe/127", 127],
    ["::ffff:10.0.0.0/104", "::ffff:10.0.0.0/104", 104],
  ];
  for (const [input, text, prefix] of good) {
    test(`accepts ${input}`, () => {
      const c = cidr(input);
      assert.equal(c.text, text);
      assert.equal(c.prefix, prefix);
      assert.equal(formatCidr(c), text);
    });
  }
  const bad: [input: string, reason: RegExp][] = [
    ["10.0.0.0/33", /prefix length 33 is more than 32/],
    ["fd00::/129", /prefix length 129 is more than 128/],
    ["10.0.0.0/", /decimal number/],
    ["10.0.0.0/-1", /decimal number/],
    ["10.0.0.0/8/9", /decimal number/],
    ["10.0.0.0/ 8", /decimal number/],
    ["10.0.0.0/255.0.0.0", /decimal number/],
    ["10.0.0/8", /not a CIDR/],
    ["/8", /not a CIDR/],
    ["fe80::%eth0/64", /zones/],
    ["", /not an IP address/],
    ["any", /not an IP address/],
  ];
  for (const [input, reason] of bad) {
    test(`rejects ${JSON.stringify(input)}`, () => {
      const r = parseCidr(input);
      assert.equal(r.ok, false);
      if (!r.ok) assert.match(r.error, reason);
    });
  }
});

describe("CIDR queries", () => {
  test("cidrOfIp", () => {
    assert.equal(cidrOfIp(ip("10.0.0.1")).text, "10.0.0.1/32");
    assert.equal(cidrOfIp(ip("::1")).text, "::1/128");
  });
  test("first and last", () => {
    const table: [string, bigint, bigint][] = [
      ["10.0.0.0/8", 0x0a000000n, 0x0affffffn],
      ["10.0.0.5/32", 0x0a000005n, 0x0a000005n],
      ["0.0.0.0/0", 0n, 0xffffffffn],
      ["::/0", 0n, (1n << 128n) - 1n],
      ["fd00::/8", 0xfdn << 120n, (0xfen << 120n) - 1n],
    ];
    for (const [text, first, last] of table) {
      assert.equal(cidrFirst(cidr(text)), first, text);
      assert.equal(cidrLast(cidr(text)), last, text);
    }
  });
  test("cidrContainsIp", () => {
    const table: [string, string, boolean][] = [
      ["10.0.0.0/8", "10.255.255.255", true],
      ["10.0.0.0/8", "11.0.0.0", false],
      ["10.0.0.0/8", "9.255.255.255", false],
      ["0.0.0.0/0", "203.0.113.9", true],
      ["0.0.0.0/0", "::1", false],
      ["::/0", "10.0.0.1", false],
      ["::/0", "::ffff:10.0.0.1", true],
      ["10.0.0.5", "10.0.0.5", true],
      ["10.0.0.5", "10.0.0.6", false],
      ["fd00::/8", "fd12::1", true],
      ["fd00::/8", "fe00::1", false],
    ];
    for (const [c, a, expected] of table)
      assert.equal(cidrContainsIp(cidr(c), ip(a)), expected, `${c} ∋ ${a}`);
  });
  test("cidrContainsCidr", () => {
    const table: [string, string, boolean][] = [
      ["10.0.0.0/8", "10.1.0.0/16", true],
      ["10.0.0.0/8", "10.0.0.0/8", true],
      ["10.1.0.0/16", "10.0.0.0/8", false],
      ["10.0.0.0/8", "11.0.0.0/16", false],
      ["0.0.0.0/0", "10.0.0.1/32", true],
      ["0.0.0.0/0", "::/0", false],
      ["::/0", "0.0.0.0/0", false],
      ["fd00::/8", "fd00:10:50::/48", true],
    ];
    for (const [o, i, expected] of table)
      assert.equal(cidrContainsCidr(cidr(o), cidr(i)), expected, `${o} ⊇ ${i}`);
  });
  test("isCatchAll", () => {
    assert.equal(isCatchAll(cidr("0.0.0.0/0")), true);
    assert.equal(isCatchAll(cidr("::/0")), true);
    assert.equal(isCatchAll(cidr("0.0.0.0/1")), false);
    assert.equal(isCatchAll(cidr("10.0.0.0/8")), false);
  });
  test("ipFromValue and cidrFromParts round-trip", () => {
    assert.deepEqual(ipFromValue(4, 0x0a000001n), ip("10.0.0.1"));
    assert.deepEqual(ipFromValue(6, 1n), ip("::1"));
    assert.deepEqual(cidrFromParts(4, 0x0a0000ffn, 24), cidr("10.0.0.0/24"));
    assert.deepEqual(cidrFromParts(6, 0n, 1), cidr("::/1"));
    assert.deepEqual(cidrFromParts(4, 0x80000000n, 1), cidr("128.0.0.0/1"));
  });
});

describe("properties", () => {
  test("canonical text parses back to the same address", () => {
    fc.assert(
      fc.property(fc.bigInt({ min: 0n, max: (1n << 128n) - 1n }), fc.boolean(), (value, v4) => {
        const family = v4 ? 4 : 6;
        const address = ipFromValue(family, v4 ? value & 0xffffffffn : value);
        assert.deepEqual(parseIp(address.text), { ok: true, value: address });
      }),
      { numRuns: 500 },
    );
  });
  test("a CIDR contains exactly its first..last range", () => {
    fc.assert(
      fc.property(
        fc.bigInt({ min: 0n, max: 0xffffffffn }),
        fc.integer({ min: 0, max: 32 }),
        fc.bigInt({ min: 0n, max: 0xffffffffn }),
        (base, prefix, probe) => {
          const c = cidrFromParts(4, base, prefix);
          assert.deepEqual(parseCidr(c.text), { ok: true, value: c });
          const inside = probe >= cidrFirst(c) && probe <= cidrLast(c);
          assert.equal(cidrContainsIp(c, ipFromValue(4, probe)), inside);
        },
      ),
      { numRuns: 500 },
    );
  });
  test("arbitrary strings never throw", () => {
    fc.assert(
      fc.property(fc.oneof(fc.string(), fc.stringMatching(/^[0-9a-fA-F:.%/]{0,45}$/)), (s) => {
        const ipResult = parseIp(s);
        const cidrResult = parseCidr(s);
        if (ipResult.ok) assert.ok(cidrResult.ok, "every IP is a CIDR");
        if (!cidrResult.ok) assert.ok(!cidrResult.error.includes("\n"));
      }),
      { numRuns: 1000 },
    );
  });
});
