import { randomUUID } from "node:crypto";
import { performance } from "node:perf_hooks";
import { capText, closedLabel } from "../admission/bounded.js";
import {
  admissionResponse,
  GUARDED_GROUPS,
  parseAdmissionReview,
  toDecisionRequest,
  type AdmissionRequest,
  type ReviewAnswer,
} from "../admission/review.js";
import type { AuditInput } from "../audit/from-decision.js";
import { auditOutcome } from "../audit/record.js";
import type { StateSource } from "../cluster/state-source.js";
import type { GuardConfig, Mode } from "../config/types.js";
import { decide, GUARDED_KINDS, type Decision } from "../decision/decide.js";
import { clip } from "../decision/messages.js";
import type { ConfigHolder } from "./config-holder.js";
import { budgetFrom, decisionBudgetMs } from "./deadline.js";
import type { Metrics } from "./metrics.js";

/** Request metadata the audit log needs besides the decision (the audit input minus decision and flags). */
export type ReviewContext = Omit<AuditInput, "decision" | "includeObjects"> & { readonly time: Date };

/** Writes one audit record; wired to the audit sink by the composition root. */
export type DecisionRecorder = (decision: Decision, context: ReviewContext) => void;

export interface Logger {
  info(fields: object, message: string): void;
  warn(fields: object, message: string): void;
  error(fields: object, message: string): void;
}

export interface ReviewDeps {
  readonly source: StateSource;
  readonly config: ConfigHolder;
  readonly metrics: Metrics;
  readonly record: DecisionRecorder;
  readonly log: Logger;
  readonly newId?: () => string;
  /** milliseconds, monotonic; the deadline of a review is measured on it (tests inject one) */
  readonly clock?: () => number;
}

/** What the request says besides its body. */
export interface ReviewRequestInfo {
  /** the `?timeout=` the API server appended (a Go duration), if any */
  readonly timeout?: unknown;
}

export interface ReviewReply {
  readonly status: 200 | 400;
  readonly payload: object;
}

/** A decision made without running the checks (unguarded kind, guard not ready). */
function plainDecision(
  r: AdmissionRequest,
  source: StateSource,
  mode: Mode,
  allowed: boolean,
  warnings: string[],
  message?: string,
): Decision {
  return {
    allowed,
    mode,
    operation: r.operation === "CONNECT" ? "UPDATE" : r.operation,
    kind: r.kind.kind,
    name: r.name,
    violations: [],
    preExisting: [],
    fixed: [],
    warnings,
    message,
    guarded: false,
    after: source.current(),
  };
}

/**
 * When the state has not synced or there is no valid config, the guard cannot judge. In enforce
 * mode it says so and denies (a guess would be worse: the change may be the lock-out); in warn and
 * audit mode it admits with a warning. The deployment's matchConditions keep Calico's own writers
 * out of this path (design §3).
 */
function notReadyDecision(r: AdmissionRequest, deps: ReviewDeps, config: GuardConfig | undefined): Decision {
  const why = !deps.source.isSynced()
    ? "hostguard has not finished loading the cluster state (informers not synced)"
    : `hostguard has no valid config (${deps.config.error() ?? "none loaded"})`;
  const mode = config?.mode ?? "enforce";
  if (mode === "enforce") {
    return plainDecision(
      r,
      deps.source,
      mode,
      false,
      [],
      `${why}; retry in a few seconds. If it persists, see the recovery runbook (docs/operations.md).`,
    );
  }
  return plainDecision(r, deps.source, mode, true, [clip(`not checked: ${why}`)]);
}

function answerOf(d: Decision, decisionId: string): ReviewAnswer {
  return {
    allowed: d.allowed,
    message: d.allowed ? undefined : d.message,
    warnings: d.warnings,
    auditAnnotations: {
      decision: auditOutcome(d.allowed, d.overridden !== undefined, d.violations.length, d.warnings.length),
      violations: String(d.violations.length),
      "decision-id": decisionId,
    },
  };
}

/**
 * One AdmissionReview: parse, decide, record, answer. A well-formed review always gets HTTP 200
 * (the answer is in the body); only a malformed body gets 400 with a one-line reason. Never throws.
 */
export function handleReview(deps: ReviewDeps, body: unknown, info: ReviewRequestInfo = {}): ReviewReply {
  const clock = deps.clock ?? (() => performance.now());
  const started = clock();
  const parsed = parseAdmissionReview(body);
  if (!parsed.ok) return { status: 400, payload: { error: parsed.error } };
  const r = parsed.value;
  const decisionId = (deps.newId ?? randomUUID)();
  const config = deps.config.current();
  let decision: Decision;
  // Not ready and internal errors are answered (deny in enforce mode, admit with a warning
  // otherwise) but counted as result="error": the guard did not judge the change.
  let failed = false;
  try {
    if (!GUARDED_GROUPS.has(r.kind.group) || !GUARDED_KINDS.has(r.kind.kind)) {
      deps.log.info(
        { group: capText(r.kind.group, 256), kind: capText(r.kind.kind, 256), name: capText(r.name, 256) },
        "allowed a kind hostguard does not guard",
      );
      decision = plainDecision(r, deps.source, config?.mode ?? "enforce", true, []);
    } else if (!deps.source.isSynced() || config === undefined) {
      failed = true;
      decision = notReadyDecision(r, deps, config);
    } else {
      const budget = budgetFrom(started, decisionBudgetMs(info.timeout), clock);
      decision = decide(deps.source.current(), toDecisionRequest(r), config, { budget });
      if (decision.deadlineExceeded) {
        deps.metrics.deadlines.inc();
        deps.log.warn(
          { uid: r.uid, kind: r.kind.kind, name: r.name, allowed: decision.allowed },
          "decision stopped at its deadline",
        );
      }
      // Dry runs are decided the same way but never change what the next review sees.
      if (decision.allowed && !r.dryRun && decision.change) deps.source.recordAdmitted(decision.change);
    }
  } catch (e) {
    // decide() does not throw; this guards the adapters around it. Fail closed only in enforce mode.
    deps.log.error({ err: e, uid: capText(r.uid, 256) }, "review failed");
    failed = true;
    const mode = config?.mode ?? "enforce";
    decision = plainDecision(
      r,
      deps.source,
      mode,
      mode !== "enforce",
      [],
      `hostguard failed to evaluate the request: ${e instanceof Error ? e.message : String(e)}`,
    );
  }
  const durationMs = clock() - started;
  const answer = answerOf(decision, decisionId);
  observe(
    deps.metrics,
    r,
    decision,
    failed ? "error" : (answer.auditAnnotations.decision ?? "error"),
    durationMs / 1000,
  );
  deps.record(decision, {
    decisionId,
    uid: r.uid,
    user: r.user.username,
    groups: r.user.groups,
    operation: r.operation,
    apiGroup: r.kind.group,
    apiVersion: r.kind.version,
    kind: r.kind.kind,
    name: r.name,
    dryRun: r.dryRun,
    durationMs,
    time: new Date(),
    object: r.object,
    oldObject: r.oldObject,
  });
  return { status: 200, payload: admissionResponse(r.uid, answer) };
}

/**
 * Metric labels come from closed sets only: a label fed from the request (30,000 forged kinds once
 * grew /metrics to 55 MiB) would let any caller grow the registry without bound.
 */
const OPERATION_LABELS: ReadonlySet<string> = new Set(["CREATE", "UPDATE", "DELETE", "CONNECT"]);

function observe(m: Metrics, r: AdmissionRequest, d: Decision, result: string, seconds: number): void {
  const kind = closedLabel(r.kind.kind, GUARDED_KINDS);
  m.decisions.inc({ kind, operation: closedLabel(r.operation, OPERATION_LABELS), result });
  m.duration.observe({ kind }, seconds);
  for (const f of d.violations) m.findings.inc({ check: f.check, category: "violation" });
  for (const f of d.preExisting) m.findings.inc({ check: f.check, category: "pre-existing" });
  for (const f of d.fixed) m.findings.inc({ check: f.check, category: "fixed" });
}
