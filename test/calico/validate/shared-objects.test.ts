// Every Calico object in ../shared/scenarios and ../shared/fixtures/admission must pass validateRules,
// in each API group, except the FelixConfigurations written with lower-case failsafe protocols (Calico's
// validateProtoPort rejects those). The GNP `broken` (selector `has(kubernetes-host`) is a decode error,
// which is normalize's to report, so it must yield [] here too.
import assert from "node:assert/strict";
import { existsSync, readdirSync, readFileSync } from "node:fs";
import { describe, test } from "node:test";
import { fileURLToPath } from "node:url";
import { parseAllDocuments } from "yaml";
import { validateRules } from "../../../src/calico/validate/index.js";
import { forms, type JsonObj } from "./harness.js";

const SHARED = fileURLToPath(new URL("../../../../shared/", import.meta.url));

function isObject(v: unknown): v is JsonObj {
  return typeof v === "object" && v !== null && !Array.isArray(v);
}

/** Every nested value that looks like a Kubernetes object. */
function collect(value: unknown, out: JsonObj[]): void {
  if (Array.isArray(value)) {
    for (const v of value) collect(v, out);
    return;
  }
  if (!isObject(value)) return;
  if (typeof value["apiVersion"] === "string" && typeof value["kind"] === "string") out.push(value);
  for (const v of Object.values(value)) collect(v, out);
}

function scenarioObjects(): [string, JsonObj][] {
  const dir = `${SHARED}scenarios`;
  const out: [string, JsonObj][] = [];
  for (const file of readdirSync(dir).sort()) {
    if (!/\.ya?ml$/.test(file)) continue;
    const found: JsonObj[] = [];
    for (const doc of parseAllDocuments(readFileSync(`${dir}/${file}`, "utf8"))) collect(doc.toJS(), found);
    found.forEach((o, i) => out.push([`${file}#${i}`, o]));
  }
  return out;
}

function fixtureObjects(): [string, JsonObj][] {
  const dir = `${SHARED}fixtures/admission`;
  const out: [string, JsonObj][] = [];
  for (const file of readdirSync(dir).sort()) {
    if (!file.endsWith(".json")) continue;
    const review: unknown = JSON.parse(readFileSync(`${dir}/${file}`, "utf8"));
    const request = isObject(review) ? review["request"] : undefined;
    if (!isObject(request)) continue;
    for (const key of ["object", "oldObject"]) {
      const o = request[key];
      if (isObject(o)) out.push([`${file} ${key}`, o]);
    }
  }
  return out;
}

/** The fixtures' FelixConfigurations spell failsafe protocols "tcp"/"udp", which Calico rejects. */
function hasLowerCaseFailsafeProtocol(o: JsonObj): boolean {
  const spec = o["spec"];
  if (o["kind"] !== "FelixConfiguration" || !isObject(spec)) return false;
  return ["failsafeInboundHostPorts", "failsafeOutboundHostPorts"].some((key) => {
    const list = spec[key];
    return (
      Array.isArray(list) &&
      list.some((e) => isObject(e) && typeof e["protocol"] === "string" && /^(tcp|udp)$/.test(e["protocol"]))
    );
  });
}

describe("shared scenario and fixture objects", () => {
  test("../shared is present", () =>
    assert.ok(existsSync(SHARED), `expected the shared directory at ${SHARED}`));

  const all = [...scenarioObjects(), ...fixtureObjects()];
  test("found the objects", () => assert.ok(all.length >= 60, `only ${all.length} objects found`));

  for (const [where, object] of all) {
    const kind = String(object["kind"]);
    const name = isObject(object["metadata"]) ? String(object["metadata"]["name"]) : "?";
    // Scenario objects are written in one group; check them in every representation too.
    for (const form of forms(object)) {
      test(`${where} ${kind}/${name} [${form.name}]`, () => {
        const errors = validateRules(form.object);
        if (hasLowerCaseFailsafeProtocol(object)) {
          assert.ok(errors.length > 0, "lower-case failsafe protocols must be rejected");
          for (const e of errors) {
            assert.match(e.path, /^spec\.failsafe(In|Out)boundHostPorts\[\d+\]\.protocol$/);
            assert.match(e.reason, /must be upper case/);
          }
        } else {
          assert.deepEqual(errors, []);
        }
      });
    }
  }
});
