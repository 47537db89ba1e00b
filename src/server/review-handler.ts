import { randomUUID } from "node:crypto";
import { performance } from "node:perf_hooks";
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
  /**
   * How long a review that is safe only together with admitted changes the informers have not shown
   * yet waits for them to show up before it is denied; default 2 s (well inside timeoutSeconds: 5)
   */
  readonly confirmWaitMs?: number;
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
): Decision | undefined {
  const mode = config?.mode ?? "enforce";
  if (!GUARDED_GROUPS.has(r.kind.group) || !GUARDED_KINDS.has(r.kind.kind)) {
    deps.log.info(
      { group: r.kind.group, kind: r.kind.kind, name: r.name },
      "allowed a kind hostguard does not guard",
    );
    return plainDecision(r, deps.source, mode, true, []);
  }
  const overLimit = overLimitMessage(r);
  if (overLimit !== undefined) return plainDecision(r, deps.source, mode, false, [], overLimit);
  if (!deps.source.isSynced() || config === undefined) return notReadyDecision(r, deps, config, undefined);
  const problem = deps.source.problem?.();
  if (problem === undefined) return undefined;
  if (r.operation === "DELETE" && problem.objects.some((o) => o.kind === r.kind.kind && o.name === r.name)) {
    return plainDecision(r, deps.source, mode, true, [
      clip(`not checked: deleting ${r.kind.kind} ${r.name}, which is over hostguard's limits`),
    ]);
  }
  return notReadyDecision(r, deps, config, problem.reason);
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
): Promise<Decision> {
  const request = toDecisionRequest(r);
  const waitMs = deps.confirmWaitMs ?? DEFAULT_CONFIRM_WAIT_MS;
  const deadline = performance.now() + waitMs;
  for (;;) {
    const decision = decide(deps.source.current(), request, config);
    if (!decision.allowed || config.mode !== "enforce" || decision.overridden) return decision;
    const pending = deps.source.unconfirmed?.();
    if (pending === undefined) return decision;
    const confirmed = decide(pending.state, request, config);
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
export async function handleReview(deps: ReviewDeps, body: unknown): Promise<ReviewReply> {
  const started = performance.now();
  const parsed = parseAdmissionReview(body);
  if (!parsed.ok) return { status: 400, payload: { error: parsed.error } };
  const r = parsed.value;
  const decisionId = (deps.newId ?? randomUUID)();
  const config = deps.config.current();
  let decision: Decision;
  try {
    const plain = withoutChecks(r, deps, config);
    if (plain !== undefined || config === undefined) {
      decision = plain ?? notReadyDecision(r, deps, config, undefined);
    } else {
      decision = await decideConfirmed(r, deps, config);
      // Dry runs are decided the same way but never change what the next review sees; only admitted
      // writes of the guarded kinds enter the overlay.
      if (decision.allowed && decision.guarded && !r.dryRun && decision.change)
        deps.source.recordAdmitted(decision.change);
    }
  } catch (e) {
    // decide() does not throw; this guards the adapters around it. Fail closed only in enforce mode.
    deps.log.error({ err: e, uid: r.uid }, "review failed");
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
  const durationMs = performance.now() - started;
  const answer = answerOf(decision, decisionId);
  observe(deps.metrics, r, decision, answer, durationMs / 1000);
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

function observe(m: Metrics, r: AdmissionRequest, d: Decision, answer: ReviewAnswer, seconds: number): void {
  m.decisions.inc({ kind: r.kind.kind, operation: r.operation, result: answer.auditAnnotations.decision });
  m.duration.observe({ kind: r.kind.kind }, seconds);
  for (const f of d.violations) m.findings.inc({ check: f.check, category: "violation" });
  for (const f of d.preExisting) m.findings.inc({ check: f.check, category: "pre-existing" });
  for (const f of d.fixed) m.findings.inc({ check: f.check, category: "fixed" });
}
