/**
 * Rule ports (`ports` / `notPorts` entries) as Calico decodes them.
 *
 * Calico's `numorstring.Port` (api/pkg/lib/numorstring/port.go) reads a JSON number as one uint16 port,
 * a string of digits as one port, `"<digits>:<digits>"` as an inclusive range (colon only; min > max is a
 * decode error), and any other string as a named port. The v3 validator then requires ports ≥ 1
 * (calico-semantics §3.4) and Kubernetes' IANA_SVC_NAME rules for names (`validatePortName`).
 * We apply both here because the model has no place for a port 0 or an unusable name.
 */
import { err, ok, type Result } from "./result.js";
import type { PortMatch } from "./types.js";

const MAX_PORT = 65535;

/** Go's regexps: `^\d+$` and `^(\d+):(\d+)$`, where `\d` is ASCII only. */
const ALL_DIGITS = /^[0-9]+$/;
const DIGIT_RANGE = /^([0-9]+):([0-9]+)$/;
/** A dash between digits is the usual mistake for a range (`30000-32767`). */
const DASH_RANGE = /^([0-9]+)-([0-9]+)$/;

/**
 * Why `name` is not a Kubernetes port name (IANA_SVC_NAME, k8s.io/apimachinery validation.IsValidPortName),
 * or undefined when it is one.
 */
export function portNameProblem(name: string): string | undefined {
  if (name.length === 0 || name.length > 15) return "must be 1-15 characters";
  if (!/^[a-z0-9-]+$/.test(name)) return "may contain only lower-case letters, digits and '-'";
  if (!/[a-z]/.test(name)) return "must contain at least one letter";
  if (name.startsWith("-") || name.endsWith("-")) return "must not begin or end with '-'";
  if (name.includes("--")) return "must not contain '--'";
  return undefined;
}

function portNumber(text: string, what: string): Result<number, string> {
  const n = Number(text);
  if (n > MAX_PORT) return err(`${what} ${text} is out of range (1-${MAX_PORT})`);
  if (n < 1) return err(`${what} 0 is not allowed (ports are 1-${MAX_PORT})`);
  return ok(n);
}

function parsePortString(s: string): Result<PortMatch, string> {
  if (ALL_DIGITS.test(s)) {
    const n = portNumber(s, "port");
    return n.ok ? ok({ kind: "range", min: n.value, max: n.value }) : n;
  }
  const range = DIGIT_RANGE.exec(s);
  if (range) {
    const min = portNumber(range[1] ?? "", "range start");
    if (!min.ok) return err(`port range "${s}": ${min.error}`);
    const max = portNumber(range[2] ?? "", "range end");
    if (!max.ok) return err(`port range "${s}": ${max.error}`);
    if (min.value > max.value) {
      return err(`port range "${s}": the minimum ${min.value} is greater than the maximum ${max.value}`);
    }
    return ok({ kind: "range", min: min.value, max: max.value });
  }
  const dash = DASH_RANGE.exec(s);
  if (dash) {
    return err(
      `"${s}" is not a port range: Calico ranges use a colon ("${dash[1]}:${dash[2]}"); with a dash it is read as a named port`,
    );
  }
  const problem = portNameProblem(s);
  if (problem !== undefined) return err(`${JSON.stringify(s)} is not a valid named port: ${problem}`);
  return ok({ kind: "named", name: s });
}

/** Decodes one `ports` / `notPorts` entry: an integer 1..65535, `"80"`, `"min:max"`, or a port name. */
export function parsePortMatch(value: unknown): Result<PortMatch, string> {
  if (typeof value === "number") {
    if (!Number.isInteger(value)) return err(`port ${String(value)} is not an integer`);
    if (value < 1 || value > MAX_PORT) return err(`port ${value} is out of range (1-${MAX_PORT})`);
    return ok({ kind: "range", min: value, max: value });
  }
  if (typeof value === "string") return parsePortString(value);
  return err(`a port must be a number or a string, not ${describeType(value)}`);
}

/** Calico's text for the entry: `"80"`, `"30000:32767"`, `"http"`. */
export function portMatchText(m: PortMatch): string {
  if (m.kind === "named") return m.name;
  return m.min === m.max ? String(m.min) : `${m.min}:${m.max}`;
}

/** Whether a numeric port falls in the entry. Named ports never match here: they resolve per endpoint. */
export function portInMatch(port: number, m: PortMatch): boolean {
  return m.kind === "range" && port >= m.min && port <= m.max;
}

/** Short JSON type name for messages. */
export function describeType(value: unknown): string {
  if (value === null) return "null";
  if (Array.isArray(value)) return "an array";
  if (typeof value === "object") return "an object";
  return `a ${typeof value}`;
}
