import { describe, test } from "node:test";
import assert from "node:assert/strict";
import fc from "fast-check";
import { parsePortMatch, portInMatch, portMatchText, portNameProblem } from "../../src/calico/ports.js";
import type { PortMatch } from "../../src/calico/types.js";

describe("parsePortMatch accepts", () => {
  const cases: [input: unknown, expected: PortMatch, text: string][] = [
    [80, { kind: "range", min: 80, max: 80 }, "80"],
    [1, { kind: "range", min: 1, max: 1 }, "1"],
    [65535, { kind: "range", min: 65535, max: 65535 }, "65535"],
    ["80", { kind: "range", min: 80, max: 80 }, "80"],
    // Go's strconv.ParseUint accepts leading zeros
    ["080", { kind: "range", min: 80, max: 80 }, "80"],
    ["30000:32767", { kind: "range", min: 30000, max: 32767 }, "30000:32767"],
    ["1:65535", { kind: "range", min: 1, max: 65535 }, "1:65535"],
    ["80:80", { kind: "range", min: 80, max: 80 }, "80"],
    ["http", { kind: "named", name: "http" }, "http"],
    ["metrics-9", { kind: "named", name: "metrics-9" }, "metrics-9"],
    ["a", { kind: "named", name: "a" }, "a"],
    ["abcdefghijklmno", { kind: "named", name: "abcdefghijklmno" }, "abcdefghijklmno"],
    ["1a", { kind: "named", name: "1a" }, "1a"],
  ];
  for (const [input, expected, text] of cases) {
    test(JSON.stringify(input), () => {
      const r = parsePortMatch(input);
      assert.deepEqual(r, { ok: true, value: expected });
      assert.equal(portMatchText(expected), text);
    });
  }
});

describe("parsePortMatch rejects", () => {
  const cases: [input: unknown, reason: RegExp][] = [
    [0, /out of range/],
    [65536, /out of range/],
    [-1, /out of range/],
    [80.5, /not an integer/],
    [NaN, /not an integer/],
    [Infinity, /not an integer/],
    ["0", /0 is not allowed/],
    ["65536", /out of range/],
    ["200:100", /minimum 200 is greater than the maximum 100/],
    ["0:100", /0 is not allowed/],
    ["1:65536", /out of range/],
    ["80-90", /colon \("80:90"\)/],
    ["30000-32767", /"30000:32767"/],
    ["", /1-15 characters/],
    ["abcdefghijklmnop", /1-15 characters/],
    ["HTTP", /lower-case/],
    ["my_port", /lower-case/],
    ["80:", /lower-case/],
    ["1:2:3", /lower-case/],
    [" 80", /lower-case/],
    ["-http", /begin or end/],
    ["http-", /begin or end/],
    ["ht--tp", /'--'/],
    ["123-456-7", /at least one letter/],
    [null, /not null/],
    [undefined, /not a undefined/],
    [true, /not a boolean/],
    [{ port: 80 }, /not an object/],
    [[80], /not an array/],
    [80n, /not a bigint/],
  ];
  for (const [input, reason] of cases) {
    test(String(typeof input === "string" ? JSON.stringify(input) : input), () => {
      const r = parsePortMatch(input);
      assert.equal(r.ok, false);
      if (!r.ok) assert.match(r.error, reason);
    });
  }
});

describe("portInMatch", () => {
  const range: PortMatch = { kind: "range", min: 30000, max: 32767 };
  const single: PortMatch = { kind: "range", min: 80, max: 80 };
  const named: PortMatch = { kind: "named", name: "http" };
  const cases: [number, PortMatch, boolean][] = [
    [30000, range, true],
    [32767, range, true],
    [29999, range, false],
    [32768, range, false],
    [80, single, true],
    [81, single, false],
    [80, named, false],
  ];
  for (const [port, m, expected] of cases) {
    test(`${port} in ${portMatchText(m)}`, () => assert.equal(portInMatch(port, m), expected));
  }
});

test("portNameProblem accepts valid IANA service names", () => {
  for (const name of ["http", "https-alt", "x1", "iscsi", "a-b-c"])
    assert.equal(portNameProblem(name), undefined);
});

test("any value: a Result, and accepted text round-trips", () => {
  fc.assert(
    fc.property(fc.oneof(fc.anything(), fc.stringMatching(/^[0-9a-z:-]{0,12}$/), fc.integer()), (value) => {
      const r = parsePortMatch(value);
      if (r.ok) assert.deepEqual(parsePortMatch(portMatchText(r.value)), r);
      else assert.ok(!r.error.includes("\n"));
    }),
    { numRuns: 1000 },
  );
});
