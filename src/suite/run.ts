import type { FieldError } from "../calico/result.js";
import type { GuardConfig } from "../config/types.js";
import { decide, type Decision } from "../decision/decide.js";
import { explainFlow } from "../engine/explain.js";
import { resolveFlow } from "../engine/flow.js";
import { loadState } from "../engine/load.js";
import { describeExpected, violationMatches } from "./match.js";
import type { SuiteFlow, SuiteSpec, SuiteStep } from "./spec.js";

/** One checked case of a suite: a step or a flow, and what went wrong when it failed. */
export interface CaseResult {
  readonly suite: string;
  readonly kind: "step" | "flow" | "suite";
  readonly name: string;
  readonly passed: boolean;
  readonly failures: readonly string[];
}

export interface SuiteResult {
  readonly name: string;
  readonly cases: readonly CaseResult[];
}

function checkStep(step: SuiteStep, d: Decision): string[] {
  const e = step.expect;
  const failures: string[] = [];
  if (e.allowed !== undefined && e.allowed !== d.allowed) {
    failures.push(
      `expected allowed: ${e.allowed}, got allowed: ${d.allowed}${d.message ? `\n${d.message}` : ""}`,
    );
  }
  for (const want of e.violations ?? []) {
    if (!d.violations.some((got) => violationMatches(want, got))) {
      const got = d.violations.map(
        (v) =>
          `${v.check} ${v.protocol ?? ""} ${v.ports ?? ""} from ${v.from ?? "-"} to ${(v.to ?? []).join(",") || v.node || "-"}`,
      );
      failures.push(
        `expected a violation {${describeExpected(want)}}, got: ${got.length ? got.join("; ") : "none"}`,
      );
    }
  }
  for (const text of e.messageContains ?? []) {
    if (!(d.message ?? "").includes(text))
      failures.push(`expected the message to contain "${text}", got: ${d.message ?? "(no message)"}`);
  }
  for (const text of e.warningsContain ?? []) {
    if (!d.warnings.some((w) => w.includes(text)))
      failures.push(`expected a warning containing "${text}", got: ${JSON.stringify(d.warnings)}`);
  }
  if (e.warnings !== undefined && e.warnings !== d.warnings.length) {
    failures.push(`expected ${e.warnings} warnings, got ${d.warnings.length}: ${JSON.stringify(d.warnings)}`);
  }
  return failures;
}

function flowName(f: SuiteFlow): string {
  const what =
    f.port !== undefined
      ? ` ${String(f.port)}`
      : f.icmpType !== undefined
        ? ` type ${String(f.icmpType)}`
        : "";
  return `${f.from} → ${f.to} ${String(f.protocol)}${what}${f.path ? ` (${String(f.path)})` : ""}: ${f.expect}`;
}

/**
 * Run a suite: decide each step in order as the webhook would (an admitted step changes the state,
 * a denied one leaves it as it was), then check every flow against the final state.
 */
export function runSuite(
  spec: SuiteSpec,
  stateObjects: readonly unknown[],
  config: GuardConfig,
): SuiteResult {
  const cases: CaseResult[] = [];
  const loaded = loadState(stateObjects);
  if (loaded.rejected.length > 0) {
    cases.push({
      suite: spec.name,
      kind: "suite",
      name: "state loads",
      passed: false,
      failures: loaded.rejected.map(
        (r) =>
          `${r.kind ?? "object"} ${r.name ?? `#${r.index}`}: ${r.errors.map((e) => `${e.path}: ${e.reason}`).join("; ")}`,
      ),
    });
  }
  let state = loaded.state;
  for (const step of spec.steps) {
    const request =
      step.action.kind === "apply"
        ? {
            operation: "UPDATE" as const,
            kind: String((step.action.object as { kind?: unknown })?.kind ?? ""),
            name: String((step.action.object as { metadata?: { name?: unknown } })?.metadata?.name ?? ""),
            object: step.action.object,
            user: step.user,
          }
        : {
            operation: "DELETE" as const,
            kind: step.action.target.kind,
            name: step.action.target.name,
            oldObject: undefined,
            user: step.user,
          };
    const isNew =
      step.action.kind === "apply" && state.get(request.kind as never, request.name) === undefined;
    const d = decide(state, isNew ? { ...request, operation: "CREATE" } : request, config);
    const failures = checkStep(step, d);
    cases.push({ suite: spec.name, kind: "step", name: step.name, passed: failures.length === 0, failures });
    state = d.after;
  }
  for (const f of spec.flows) {
    const flow = resolveFlow(state, f);
    let failures: string[];
    if (!flow.ok) failures = [`bad flow: ${flow.error}`];
    else {
      const r = explainFlow(state, flow.value, false);
      failures =
        r.verdict === f.expect
          ? []
          : [
              `expected ${f.expect}, got ${r.verdict}: ${r.side} side of ${r.node}, stage ${r.stage}: ${r.reason}`,
            ];
    }
    cases.push({
      suite: spec.name,
      kind: "flow",
      name: flowName(f),
      passed: failures.length === 0,
      failures,
    });
  }
  return { name: spec.name, cases };
}

export function configErrorCase(suite: string, errors: readonly FieldError[]): CaseResult {
  return {
    suite,
    kind: "suite",
    name: "config",
    passed: false,
    failures: errors.map((e) => `config ${e.path}: ${e.reason}`),
  };
}
