// parseConfig / parseConfigYaml are total: whatever a ConfigMap holds, they return a result, and every
// error carries a path and a one-line reason.
import { describe, test } from "node:test";
import assert from "node:assert/strict";
import fc from "fast-check";
import type { FieldError, Result } from "../../src/calico/result.js";
import { parseConfig, parseConfigYaml, type GuardConfig } from "../../src/config/index.js";

function wellFormed(result: Result<GuardConfig, FieldError[]>): void {
  if (result.ok) return;
  assert.ok(result.error.length > 0, "a refusal has at least one error");
  for (const e of result.error) {
    assert.equal(typeof e.path, "string");
    assert.equal(typeof e.reason, "string");
    assert.ok(
      e.reason.length > 0 && !e.reason.includes("\n"),
      `one-line reason: ${JSON.stringify(e.reason)}`,
    );
    assert.ok(!e.reason.startsWith("internal error"), e.reason);
  }
}

/** Values that are sometimes valid, so the fuzzing reaches deep into the schema. */
const selector = fc.constantFrom(
  "all()",
  "has(a)",
  "role == 'x'",
  "has(",
  "",
  "a ==",
  "!has(b) && c in {'d'}",
);
const portText = fc.oneof(
  fc.constantFrom("tcp:80", "udp:30000-32767", "icmp:8/0", "ipip", "proto:47", "tcp:0", "icmp", "sctp:1:2"),
  fc.string(),
);
const source = fc.oneof(
  fc.constantFrom("anywhere", "loopback"),
  fc.record({ nodes: selector }),
  fc.record({ globalNetworkSets: selector }),
  fc.record({ nets: fc.array(fc.constantFrom("10.0.0.0/8", "::/0", "1.2.3.4", "x", "10.0.0.0/99")) }),
  fc.record({ anywhere: fc.jsonValue() }),
  fc.jsonValue(),
);
const requirementValue = fc.oneof(
  fc.record(
    {
      name: fc.oneof(fc.constantFrom("a", "b", "rancher", "kubeadm/nodes", "Bad"), fc.jsonValue()),
      to: fc.oneof(fc.record({ nodes: selector }), fc.jsonValue()),
      from: fc.oneof(fc.array(source, { maxLength: 3 }), fc.jsonValue()),
      ports: fc.array(
        fc.oneof(
          portText,
          fc.record({ port: portText, path: fc.constantFrom("host", "forward", "x") }, { requiredKeys: [] }),
        ),
        { maxLength: 3 },
      ),
    },
    { requiredKeys: [] },
  ),
  fc.jsonValue(),
);
const failsafeEntry = fc.oneof(
  fc.constantFrom(
    "tcp:22",
    "udp:68",
    "sctp:1",
    "tcp:10.0.0.0/8:22",
    "tcp:[fd00::/8]:22",
    "22",
    "tcp:0",
    "none",
    "a,b",
  ),
  fc.record(
    { protocol: fc.constantFrom("TCP", "udp", "SCTP", "x"), port: fc.jsonValue(), net: fc.jsonValue() },
    { requiredKeys: [] },
  ),
  fc.string(),
);
const configValue = fc.record(
  {
    mode: fc.oneof(fc.constantFrom("enforce", "warn", "audit", "Enforce"), fc.jsonValue()),
    profiles: fc.oneof(
      fc.array(fc.constantFrom("rancher", "kubeadm", "calico", "x"), { maxLength: 4 }),
      fc.jsonValue(),
    ),
    requirements: fc.oneof(fc.array(requirementValue, { maxLength: 3 }), fc.jsonValue()),
    failsafe: fc.oneof(
      fc.record(
        {
          inbound: fc.oneof(fc.constantFrom("default", "none"), fc.array(failsafeEntry, { maxLength: 3 })),
          outbound: fc.oneof(fc.constantFrom("default", "none"), fc.array(failsafeEntry, { maxLength: 3 })),
        },
        { requiredKeys: [] },
      ),
      fc.jsonValue(),
    ),
    coverage: fc.oneof(fc.record({ nodes: selector }), fc.jsonValue()),
    breakGlass: fc.oneof(
      fc.record(
        { annotation: fc.string(), users: fc.array(fc.string()), groups: fc.jsonValue() },
        { requiredKeys: [] },
      ),
      fc.jsonValue(),
    ),
    maxWarnings: fc.oneof(fc.integer({ min: -5, max: 120 }), fc.jsonValue()),
  },
  { requiredKeys: [] },
);

describe("fuzz", () => {
  test("random JSON values never make parseConfig throw", () => {
    fc.assert(
      fc.property(fc.jsonValue(), (value) => wellFormed(parseConfig(value))),
      { numRuns: 500 },
    );
  });

  test("arbitrary JS values (odd prototypes, symbols, sparse arrays) never make parseConfig throw", () => {
    fc.assert(
      fc.property(
        fc.anything({
          withBoxedValues: true,
          withMap: true,
          withSet: true,
          withNullPrototype: true,
          withSparseArray: true,
        }),
        (value) => wellFormed(parseConfig(value)),
      ),
      { numRuns: 300 },
    );
  });

  test("near-valid documents: total, and every error points into the document", () => {
    fc.assert(
      fc.property(configValue, (value) => {
        const result = parseConfig(value);
        wellFormed(result);
        if (!result.ok) {
          for (const e of result.error) {
            const root = /^[A-Za-z_][A-Za-z0-9_-]*/.exec(e.path)?.[0] ?? "";
            assert.ok(Object.hasOwn(value, root), `error path ${e.path} names a key of the document`);
          }
        }
      }),
      { numRuns: 500 },
    );
  });

  test("random text never makes parseConfigYaml throw", () => {
    fc.assert(
      fc.property(fc.string({ unit: "binary", maxLength: 200 }), (text) => wellFormed(parseConfigYaml(text))),
      { numRuns: 300 },
    );
  });

  test("YAML-ish text built from config words never makes parseConfigYaml throw", () => {
    const token = fc.constantFrom(
      "mode:",
      "profiles:",
      "requirements:",
      "- ",
      "name: a",
      "from:",
      "ports:",
      "[",
      "]",
      "{",
      "}",
      ",",
      ":",
      "tcp:80",
      "anywhere",
      "&a",
      "*a",
      "---",
      "\n",
      "  ",
      "'",
      '"',
      "#",
      "!!str",
      "? ",
      "|",
      ">",
    );
    fc.assert(
      fc.property(fc.array(token, { maxLength: 40 }), (tokens) =>
        wellFormed(parseConfigYaml(tokens.join(""))),
      ),
      { numRuns: 300 },
    );
  });
});
