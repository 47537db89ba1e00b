import type { Finding } from "../checks/finding.js";
import type { ExpectedViolation } from "./spec.js";

/** `30000-32767` contains 31000; `10250` contains 10250. */
function portsContain(ports: string | undefined, port: number): boolean {
  if (!ports) return false;
  const m = /^(\d+)(?:-(\d+))?$/.exec(ports);
  if (!m) return false;
  const min = Number(m[1]);
  const max = m[2] ? Number(m[2]) : min;
  return port >= min && port <= max;
}

/**
 * Design §9: an expected violation matches a reported one when every field it names agrees —
 * `port` lies in the reported ports, `from`/`to`/`node` name a node (or CIDR) among the reported ones.
 */
export function violationMatches(expected: ExpectedViolation, got: Finding): boolean {
  if (expected.check !== undefined && expected.check !== got.check) return false;
  if (expected.protocol !== undefined && expected.protocol.toUpperCase() !== got.protocol?.toUpperCase())
    return false;
  if (expected.port !== undefined && !portsContain(got.ports, expected.port)) return false;
  if (
    expected.from !== undefined &&
    expected.from !== got.from &&
    !(got.fromAll ?? []).includes(expected.from)
  )
    return false;
  if (expected.to !== undefined && !(got.to ?? []).includes(expected.to)) return false;
  if (expected.node !== undefined && expected.node !== got.node && !(got.to ?? []).includes(expected.node))
    return false;
  return true;
}

export function describeExpected(v: ExpectedViolation): string {
  return Object.entries(v)
    .filter(([, value]) => value !== undefined)
    .map(([k, value]) => `${k}: ${String(value)}`)
    .join(", ");
}
