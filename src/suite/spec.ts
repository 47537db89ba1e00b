/**
 * The declarative suite format (design §9), shared by our own tests and users' suites. Parsing is
 * pure; a `state` given as a path is left for the caller (the CLI) to read.
 */
import { err, ok, type FieldError, type Result } from "../calico/result.js";
import type { UserInfo } from "../decision/decide.js";
import type { FlowSpec } from "../engine/flow.js";

export interface ExpectedViolation {
  readonly check?: string;
  readonly protocol?: string;
  readonly port?: number;
  readonly from?: string;
  readonly to?: string;
  readonly node?: string;
}

export interface StepExpectation {
  readonly allowed?: boolean;
  readonly violations?: readonly ExpectedViolation[];
  readonly messageContains?: readonly string[];
  readonly warningsContain?: readonly string[];
  readonly warnings?: number;
}

export type StepAction =
  | { readonly kind: "apply"; readonly object: unknown }
  | { readonly kind: "delete"; readonly target: { readonly kind: string; readonly name: string } };

export interface SuiteStep {
  readonly name: string;
  readonly action: StepAction;
  readonly user?: UserInfo;
  readonly expect: StepExpectation;
}

/** A flow of a suite: a flow as people write it, and the verdict expected for it. */
export interface SuiteFlow extends FlowSpec {
  readonly expect: "allow" | "deny";
}

export interface SuiteSpec {
  readonly name: string;
  /** inline guard config (design §6), parsed by the runner */
  readonly config?: unknown;
  /** inline objects, or a path relative to the suite file */
  readonly state: readonly unknown[] | string;
  readonly steps: readonly SuiteStep[];
  readonly flows: readonly SuiteFlow[];
}

type Obj = Record<string, unknown>;
const isObj = (v: unknown): v is Obj => typeof v === "object" && v !== null && !Array.isArray(v);
const strings = (v: unknown): v is string[] => Array.isArray(v) && v.every((s) => typeof s === "string");

function parseUser(v: unknown, path: string, errors: FieldError[]): UserInfo | undefined {
  if (v === undefined) return undefined;
  if (!isObj(v) || typeof v.username !== "string") {
    errors.push({ path, reason: "user must be {username: string, groups?: [string]}" });
    return undefined;
  }
  const groups = v.groups ?? [];
  if (!strings(groups)) errors.push({ path: `${path}.groups`, reason: "groups must be a list of strings" });
  return { username: v.username, groups: strings(groups) ? groups : [] };
}

function parseExpect(v: unknown, path: string, errors: FieldError[]): StepExpectation {
  if (v === undefined) return {};
  if (!isObj(v)) {
    errors.push({ path, reason: "expect must be a map" });
    return {};
  }
  const known = ["allowed", "violations", "messageContains", "warningsContain", "warnings"];
  for (const key of Object.keys(v))
    if (!known.includes(key))
      errors.push({ path: `${path}.${key}`, reason: `unknown key; expected one of ${known.join(", ")}` });
  if (v.allowed !== undefined && typeof v.allowed !== "boolean")
    errors.push({ path: `${path}.allowed`, reason: "must be true or false" });
  for (const key of ["messageContains", "warningsContain"] as const) {
    if (v[key] !== undefined && !Array.isArray(v[key]))
      errors.push({ path: `${path}.${key}`, reason: "must be a list of strings" });
  }
  if (
    v.warnings !== undefined &&
    (typeof v.warnings !== "number" || !Number.isInteger(v.warnings) || v.warnings < 0)
  ) {
    errors.push({ path: `${path}.warnings`, reason: "must be a whole number" });
  }
  let violations: ExpectedViolation[] | undefined;
  if (v.violations !== undefined) {
    if (!Array.isArray(v.violations)) errors.push({ path: `${path}.violations`, reason: "must be a list" });
    else {
      violations = [];
      v.violations.forEach((item, i) => {
        if (!isObj(item)) {
          errors.push({ path: `${path}.violations[${i}]`, reason: "must be a map" });
          return;
        }
        const text = (k: string) => (item[k] === undefined ? undefined : String(item[k]));
        const port = item.port === undefined ? undefined : Number(item.port);
        if (port !== undefined && !Number.isInteger(port))
          errors.push({ path: `${path}.violations[${i}].port`, reason: "must be a port number" });
        violations!.push({
          check: text("check"),
          protocol: text("protocol"),
          port,
          from: text("from"),
          to: text("to"),
          node: text("node"),
        });
      });
    }
  }
  const list = (k: "messageContains" | "warningsContain") =>
    Array.isArray(v[k]) ? (v[k] as unknown[]).map(String) : undefined;
  return {
    allowed: typeof v.allowed === "boolean" ? v.allowed : undefined,
    violations,
    messageContains: list("messageContains"),
    warningsContain: list("warningsContain"),
    warnings: typeof v.warnings === "number" ? v.warnings : undefined,
  };
}

export function parseSuite(doc: unknown): Result<SuiteSpec, FieldError[]> {
  const errors: FieldError[] = [];
  if (!isObj(doc)) return err([{ path: "", reason: "a suite is a map with name, state, steps and flows" }]);
  const known = ["name", "config", "state", "steps", "flows"];
  for (const key of Object.keys(doc))
    if (!known.includes(key))
      errors.push({ path: key, reason: `unknown key; expected one of ${known.join(", ")}` });
  const name = typeof doc.name === "string" ? doc.name : "(unnamed suite)";
  const state = doc.state ?? [];
  if (typeof state !== "string" && !Array.isArray(state))
    errors.push({ path: "state", reason: "must be a list of objects or a path" });

  const steps: SuiteStep[] = [];
  const rawSteps = doc.steps ?? [];
  if (!Array.isArray(rawSteps)) errors.push({ path: "steps", reason: "must be a list" });
  else
    rawSteps.forEach((s, i) => {
      const path = `steps[${i}]`;
      if (!isObj(s)) return void errors.push({ path, reason: "must be a map" });
      let action: StepAction | undefined;
      if (s.apply !== undefined && s.delete === undefined) action = { kind: "apply", object: s.apply };
      else if (s.delete !== undefined && s.apply === undefined) {
        const d = s.delete;
        if (isObj(d) && typeof d.kind === "string" && typeof d.name === "string")
          action = { kind: "delete", target: { kind: d.kind, name: d.name } };
        else errors.push({ path: `${path}.delete`, reason: "must be {kind, name}" });
      } else errors.push({ path, reason: "a step has exactly one of apply or delete" });
      const user = parseUser(s.user, `${path}.user`, errors);
      const expect = parseExpect(s.expect, `${path}.expect`, errors);
      if (action)
        steps.push({ name: typeof s.name === "string" ? s.name : `step ${i + 1}`, action, user, expect });
    });

  const flows: SuiteFlow[] = [];
  const rawFlows = doc.flows ?? [];
  if (!Array.isArray(rawFlows)) errors.push({ path: "flows", reason: "must be a list" });
  else
    rawFlows.forEach((f, i) => {
      const path = `flows[${i}]`;
      if (!isObj(f) || typeof f.from !== "string" || typeof f.to !== "string")
        return void errors.push({ path, reason: "a flow needs from and to" });
      if (f.expect !== "allow" && f.expect !== "deny")
        return void errors.push({ path: `${path}.expect`, reason: "must be allow or deny" });
      flows.push({
        from: f.from,
        to: f.to,
        protocol: f.protocol,
        port: f.port,
        icmpType: f.icmpType,
        icmpCode: f.icmpCode,
        path: f.path,
        expect: f.expect,
      });
    });

  if (errors.length > 0) return err(errors);
  return ok({ name, config: doc.config, state: state as SuiteSpec["state"], steps, flows });
}
