// Felix's DefaultEndpointToHostAction parameter parsing (felix/config/config_params.go oneof(DROP,RETURN,ACCEPT)).
import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { parseFelixEndpointToHostAction } from "../../../src/calico/validate/index.js";

describe("parseFelixEndpointToHostAction", () => {
  for (const [input, expected] of [
    ["DROP", "DROP"],
    ["drop", "DROP"],
    ["Return", "RETURN"],
    ["accept", "ACCEPT"],
  ] as const) {
    test(`accepts ${input}`, () =>
      assert.deepEqual(parseFelixEndpointToHostAction(input), { ok: true, value: expected }));
  }
  for (const input of ["", "none", "Reject", "ACCEPT "]) {
    test(`rejects ${JSON.stringify(input)}`, () =>
      assert.equal(parseFelixEndpointToHostAction(input).ok, false));
  }
});
