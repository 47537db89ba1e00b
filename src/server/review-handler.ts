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
import { exceededLimits, limitLines } from "../calico/limits.js";
import { auditOutcome } from "../audit/record.js";
import type { StateSource } from "../cluster/state-source.js";
import type { GuardConfig, Mode } from "../config/types.js";
import { decide, GUARDED_KINDS, type Decision } from "../decision/decide.js";
import { clip } from "../decision/messages.js";
import type { ConfigHolder } from "./config-holder.js";
import type { Budget } from "../checks/budget.js";
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
  /**
   * How long a review that is safe only together with admitted changes the informers have not shown
   * yet waits for them to show up before it is denied; default 2 s (well inside timeoutSeconds: 5)
   */
  readonly confirmWaitMs?: number;
}

/** What the request says besides its body. */
export interface ReviewRequestInfo {
  /** the `?timeout=` the API server appended (a Go duration), if any */
  readonly timeout?: unknown;
}

const DEFAULT_CONFIRM_WAIT_MS = 2000;
const CONFIRM_POLL_MS = 20;

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
function notReadyDecision(
  r: AdmissionRequest,
  deps: ReviewDeps,
  config: GuardConfig | undefined,
  problem: string | undefined,
): Decision {
  const why = !deps.source.isSynced()
    ? "hostguard has not finished loading the cluster state (informers not synced)"
    : config === undefined
      ? `hostguard has no valid config (${deps.config.error() ?? "none loaded"})`
      : (problem ?? "hostguard cannot judge the cluster state");
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

/** A write over the per-object limits: denied in every mode, before any work (docs/operations.md, "Limits"). */
function overLimitMessage(r: AdmissionRequest): string | undefined {
  if (r.operation === "DELETE" || r.operation === "CONNECT") return undefined;
  const over = exceededLimits(r.object);
  if (over.length === 0) return undefined;
  return `hostguard denied ${r.operation} ${r.kind.kind} ${r.name}: it is over hostguard's per-object limits, which no real cluster needs and past which one object would stall or crash the guard. ${limitLines(over).join("; ")}.`;
}

/**
 * The answer when the checks are not run: a kind hostguard does not guard (admitted), a write over the
 * limits (denied), the guard not ready (see notReadyDecision) — except the DELETE of an object that
 * keeps it from judging the state (over the limits), which is the way out and is admitted.
 */
function withoutChecks(
  r: AdmissionRequest,
  deps: ReviewDeps,
  config: GuardConfig | undefined,
): { readonly decision: Decision; readonly failed: boolean } | undefined {
  const mode = config?.mode ?? "enforce";
  if (!GUARDED_GROUPS.has(r.kind.group) || !GUARDED_KINDS.has(r.kind.kind)) {
    deps.log.info(
      { group: capText(r.kind.group, 256), kind: capText(r.kind.kind, 256), name: capText(r.name, 256) },
      "allowed a kind hostguard does not guard",
    );
    return { decision: plainDecision(r, deps.source, mode, true, []), failed: false };
  }
  const overLimit = overLimitMessage(r);
  if (overLimit !== undefined)
    return { decision: plainDecision(r, deps.source, mode, false, [], overLimit), failed: false };
  // Not ready is answered (deny in enforce mode, admit with a warning otherwise) but counted as
  // result="error": the guard did not judge the change.
  if (!deps.source.isSynced() || config === undefined)
    return { decision: notReadyDecision(r, deps, config, undefined), failed: true };
  const problem = deps.source.problem?.();
  if (problem === undefined) return undefined;
  if (r.operation === "DELETE" && problem.objects.some((o) => o.kind === r.kind.kind && o.name === r.name)) {
    return {
      decision: plainDecision(r, deps.source, mode, true, [
        clip(`not checked: deleting ${r.kind.kind} ${r.name}, which is over hostguard's limits`),
      ]),
      failed: false,
    };
  }
  return { decision: notReadyDecision(r, deps, config, problem.reason), failed: true };
}

/**
 * Decide `r`, and when it is admitted only thanks to admitted changes the informers have not shown
 * yet (a pending-change overlay entry that a forged review could have put there), wait for them to
 * show up; if they do not within `confirmWaitMs`, deny with the decision against the confirmed state.
 * Admitted changes can thus make a decision stricter at once, but looser only once they are real.
 */
async function decideConfirmed(
  r: AdmissionRequest,
  deps: ReviewDeps,
  config: GuardConfig,
  budget: Budget,
): Promise<Decision> {
  const request = toDecisionRequest(r);
  const waitMs = deps.confirmWaitMs ?? DEFAULT_CONFIRM_WAIT_MS;
  const deadline = performance.now() + waitMs;
  for (;;) {
    const decision = decide(deps.source.current(), request, config, { budget });
    if (!decision.allowed || config.mode !== "enforce" || decision.overridden || decision.deadlineExceeded)
      return decision;
    const pending = deps.source.unconfirmed?.();
    if (pending === undefined) return decision;
    const confirmed = decide(pending.state, request, config, { budget });
    if (confirmed.allowed) return decision;
    if (performance.now() >= deadline) {
      return {
        ...confirmed,
        message: `${confirmed.message ?? "denied"}\nThis change is safe only together with ${pending.changes.join(", ")}, which hostguard admitted but the API server has not shown within ${waitMs / 1000} s. Retry once they are stored.`,
      };
    }
    // Wait until the pending changes are confirmed or dropped, then decide again.
    const before = pending.changes.join("\n");
    while (performance.now() < deadline && deps.source.unconfirmed?.()?.changes.join("\n") === before) {
      await new Promise((resolve) => setTimeout(resolve, CONFIRM_POLL_MS));
    }
  }
}

/**
 * One AdmissionReview: parse, decide, record, answer. A well-formed review always gets HTTP 200
 * (the answer is in the body); only a malformed body gets 400 with a one-line reason. Never rejects.
 */
export async function handleReview(
  deps: ReviewDeps,
  body: unknown,
  info: ReviewRequestInfo = {},
): Promise<ReviewReply> {
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
    const plain = withoutChecks(r, deps, config);
    if (plain !== undefined || config === undefined) {
      decision = plain?.decision ?? notReadyDecision(r, deps, config, undefined);
      failed = plain?.failed ?? true;
    } else {
      const budget = budgetFrom(started, decisionBudgetMs(info.timeout), clock);
      decision = await decideConfirmed(r, deps, config, budget);
      if (decision.deadlineExceeded) {
        deps.metrics.deadlines.inc();
        deps.log.warn(
          { uid: r.uid, kind: r.kind.kind, name: r.name, allowed: decision.allowed },
          "decision stopped at its deadline",
        );
      }
      // Dry runs are decided the same way but never change what the next review sees; only admitted
      // writes of the guarded kinds enter the overlay.
      if (decision.allowed && decision.guarded && !r.dryRun && decision.change)
        deps.source.recordAdmitted(decision.change);
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
