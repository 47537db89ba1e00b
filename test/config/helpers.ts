// Shared builders for the config tests: expected values written out by hand (not through src helpers),
// so that a mistake in the code under test cannot also shape the expectation.
import assert from "node:assert/strict";
import type { FieldError, Result } from "../../src/calico/result.js";
import type { FlowPath } from "../../src/engine/evaluate.js";
import type { GuardConfig, RequiredPort, RequiredSource, Requirement } from "../../src/config/index.js";

const NAMES: Readonly<Record<number, string>> = {
  1: "ICMP",
  6: "TCP",
  17: "UDP",
  58: "ICMPv6",
  132: "SCTP",
  136: "UDPLite",
};

function protocol(number: number): { number: number; name: string } {
  return { number, name: NAMES[number] ?? String(number) };
}

export function portsOf(number: number, min: number, max: number, path: FlowPath = "host"): RequiredPort {
  const name = NAMES[number] ?? String(number);
  return {
    protocol: protocol(number),
    ports: { min, max },
    path,
    label: `${name} ${min === max ? min : `${min}-${max}`}`,
  };
}

export const tcp = (min: number, max = min, path: FlowPath = "host"): RequiredPort =>
  portsOf(6, min, max, path);
export const udp = (min: number, max = min, path: FlowPath = "host"): RequiredPort =>
  portsOf(17, min, max, path);

export function icmp(type: number, code?: number, v6 = false): RequiredPort {
  const number = v6 ? 58 : 1;
  const label = `${v6 ? "ICMPv6" : "ICMP"} type ${type}${code === undefined ? "" : ` code ${code}`}`;
  return code === undefined
    ? { protocol: protocol(number), icmpType: type, path: "host", label }
    : { protocol: protocol(number), icmpType: type, icmpCode: code, path: "host", label };
}

export function bare(number: number, label: string): RequiredPort {
  return { protocol: protocol(number), path: "host", label };
}

/** A source as short text: `nodes all()`, `gns role == "internal-net"`, `nets 10.0.0.0/8`, `anywhere`. */
export function sourceText(s: RequiredSource): string {
  switch (s.kind) {
    case "nodes":
      return `nodes ${s.selector.canonical}`;
    case "globalNetworkSets":
      return `gns ${s.selector.canonical}`;
    case "nets":
      return `nets ${s.nets.map((n) => n.text).join(",")}`;
    case "anywhere":
      return "anywhere";
    case "loopback":
      return "loopback";
  }
}

/** A requirement with selectors reduced to their canonical text; ports stay whole. */
export function summary(r: Requirement): { name: string; to: string; from: string[]; ports: RequiredPort[] } {
  return { name: r.name, to: r.to.nodes.canonical, from: r.from.map(sourceText), ports: [...r.ports] };
}

export function expectOk(result: Result<GuardConfig, FieldError[]>): GuardConfig {
  if (!result.ok)
    assert.fail(
      `expected a valid config, got:\n${result.error.map((e) => `${e.path}: ${e.reason}`).join("\n")}`,
    );
  return result.value;
}

export function expectErrors(result: Result<GuardConfig, FieldError[]>): FieldError[] {
  if (result.ok) assert.fail("expected errors, the config was accepted");
  return result.error;
}

/** A minimal valid custom requirement, to be overridden field by field. */
export function requirement(overrides: Record<string, unknown> = {}): Record<string, unknown> {
  return { name: "custom", from: ["anywhere"], ports: ["tcp:80"], ...overrides };
}
