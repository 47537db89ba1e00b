import { normalize } from "../calico/normalize/index.js";
import { validateResource } from "../calico/validate-resource.js";
import { RESOURCE_KINDS, type CalicoResource, type ResourceKind } from "../calico/types.js";
import { calicoValidFindings } from "../checks/calico-valid.js";
import { diffByKey, perConfig, type CheckResult } from "../checks/check.js";
import { nodeCoverageFindings } from "../checks/coverage.js";
import { failsafeFindings } from "../checks/failsafe-ports.js";
import type { Finding } from "../checks/finding.js";
import { requiredPorts } from "../checks/required-ports.js";
import { UNLIMITED, type Budget } from "../checks/budget.js";
import type { GuardConfig, Mode } from "../config/types.js";
import type { Change, Operation } from "../engine/change.js";
import type { ClusterState } from "../engine/state.js";
import { clip, denialMessage, warningLine } from "./messages.js";

export interface UserInfo {
  readonly username: string;
  readonly groups: readonly string[];
}

/** A write as the webhook or the CLI sees it: raw objects, straight from the request or file. */
export interface DecisionRequest {
  readonly operation: Operation;
  /** the kind as requested (`HostEndpoint`): it decides; an object of another kind is denied */
  readonly kind: string;
  readonly name: string;
  readonly object?: unknown;
  readonly oldObject?: unknown;
  readonly user?: UserInfo;
  readonly dryRun?: boolean;
}

export interface Override {
  readonly reason: string;
  readonly user: string;
}

export interface Decision {
  readonly allowed: boolean;
  readonly mode: Mode;
  readonly operation: Operation;
  readonly kind: string;
  readonly name: string;
  /** findings this change introduces (they deny it in enforce mode unless overridden) */
  readonly violations: readonly Finding[];
  readonly preExisting: readonly Finding[];
  readonly fixed: readonly Finding[];
  /** what kubectl shows as `Warning:` lines, each at most 120 characters */
  readonly warnings: readonly string[];
  /** the denial message, or in warn/audit mode the message it would have been */
  readonly message?: string;
  readonly overridden?: Override;
  /** false for kinds hostguard does not guard (allowed without checks) */
  readonly guarded: boolean;
  /** the state with the change applied when it is admitted; the CLI chains decisions on it */
  readonly after: ClusterState;
  /** the change as applied to the state, when the request was admitted (the webhook overlays it) */
  readonly change?: Change;
  /** the checks ran out of their budget: the answer is the deadline answer of the mode (ADR 0009) */
  readonly deadlineExceeded?: boolean;
}

export interface DecideOptions {
  /** when to stop judging (the webhook's share of the API server's timeout); default: never */
  readonly budget?: Budget;
}

/** The kinds whose writes decide host traffic (design §3). Nodes are read, not guarded. */
export const GUARDED_KINDS: ReadonlySet<string> = new Set<ResourceKind>([
  "HostEndpoint",
  "GlobalNetworkPolicy",
  "GlobalNetworkSet",
  "FelixConfiguration",
  "KubeControllersConfiguration",
  "Tier",
]);

function objectKind(object: unknown): string | undefined {
  const kind = (object as { kind?: unknown } | null | undefined)?.kind;
  return typeof kind === "string" ? kind : undefined;
}

/** Why the request's objects do not fit its kind (a forged or broken review), if they do not. */
function kindMismatch(request: DecisionRequest): string | undefined {
  for (const [field, object] of [
    ["object", request.object],
    ["oldObject", request.oldObject],
  ] as const) {
    const kind = objectKind(object);
    if (kind !== undefined && kind !== request.kind) {
      return `hostguard denied ${request.operation} ${request.kind} ${request.name}: the request is for a ${request.kind} but its ${field} says ${kind}. The API server never sends such a review; it is not evaluated.`;
    }
  }
  return undefined;
}

/** The name the state stores an object under: for GNPs Calico's name without `default.`. */
function deletedName(request: DecisionRequest, kind: ResourceKind): string {
  const old = request.oldObject !== undefined ? normalize(request.oldObject) : undefined;
  if (old?.ok) return old.value.name;
  if (kind === "GlobalNetworkPolicy" && request.name.startsWith("default."))
    return request.name.slice("default.".length);
  return request.name;
}

function annotationsOf(resource: CalicoResource | undefined): ReadonlyMap<string, string> {
  return resource?.annotations ?? new Map();
}

function breakGlassFor(
  request: DecisionRequest,
  config: GuardConfig,
  object: CalicoResource | undefined,
): { override?: Override; note?: string } {
  // On DELETE the annotation is read from the stored object: annotate first, then delete.
  const source =
    object ?? (request.oldObject !== undefined ? normalizeOrUndefined(request.oldObject) : undefined);
  const reason = annotationsOf(source).get(config.breakGlass.annotation);
  if (reason === undefined) return {};
  const user = request.user;
  const permitted =
    user !== undefined &&
    (config.breakGlass.users.includes(user.username) ||
      user.groups.some((g) => config.breakGlass.groups.includes(g)));
  if (permitted && reason.trim() !== "") return { override: { reason, user: user.username } };
  const who = user ? `user ${user.username}` : "this caller";
  return {
    note:
      reason.trim() === ""
        ? `Break-glass annotation ${config.breakGlass.annotation} ignored: it needs a reason as its value.`
        : `Break-glass annotation ${config.breakGlass.annotation} ignored: ${who} is not in breakGlass.users/groups.`,
  };
}

function normalizeOrUndefined(object: unknown): CalicoResource | undefined {
  const r = normalize(object);
  return r.ok ? r.value : undefined;
}

const coverage = (state: ClusterState, config: GuardConfig) =>
  perConfig(state, config, "node-coverage", () => nodeCoverageFindings(state, config));
const failsafe = (state: ClusterState, config: GuardConfig) =>
  perConfig(state, config, "failsafe-ports", () => failsafeFindings(state, config));

export function runChecks(
  before: ClusterState,
  after: ClusterState,
  config: GuardConfig,
  budget: Budget = UNLIMITED,
): CheckResult[] {
  return [
    requiredPorts(before, after, config, budget),
    diffByKey(coverage(before, config), coverage(after, config)),
    diffByKey(failsafe(before, config), failsafe(after, config)),
  ];
}

function breakGlassHint(config: GuardConfig): string | undefined {
  const who = [...config.breakGlass.users, ...config.breakGlass.groups];
  if (who.length === 0) return undefined;
  return `Emergency override: annotate the object ${config.breakGlass.annotation}="<reason>" (allowed for ${who.join(", ")}; it is audited).`;
}

function warningsFor(
  mode: Mode,
  violations: readonly Finding[],
  advisories: readonly Finding[],
  preExisting: readonly Finding[],
  notes: readonly string[],
  config: GuardConfig,
): string[] {
  if (mode === "audit") return [];
  const out: string[] = [];
  if (mode === "warn") out.push(...violations.map((f) => warningLine(f, "would deny: ")));
  out.push(...notes.map((n) => clip(n)), ...advisories.map((f) => warningLine(f)));
  const existing = preExisting.map((f) => warningLine(f, "already: "));
  const room = Math.max(0, config.maxWarnings - out.length);
  out.push(...existing.slice(0, room));
  if (existing.length > room) {
    out.push(
      clip(
        `… and ${existing.length - room} more findings that predate this change (hostguard audit lists them)`,
      ),
    );
  }
  return out;
}

/**
 * Decide one write (design §3): apply it to the state, run every check on before and after, and
 * deny when the change introduces a violation (enforce mode), unless an authorised break-glass
 * annotation overrides it. Findings present before are warnings, never a denial, so an unrelated
 * or partly-fixing change is never blocked. Never throws.
 */
export function decide(
  state: ClusterState,
  request: DecisionRequest,
  config: GuardConfig,
  options: DecideOptions = {},
): Decision {
  const base = {
    mode: config.mode,
    operation: request.operation,
    name: request.name,
    preExisting: [] as Finding[],
    fixed: [] as Finding[],
  };
  try {
    const kind = request.kind;
    const mismatch = kindMismatch(request);
    if (mismatch !== undefined) {
      return {
        ...base,
        kind,
        allowed: false,
        violations: [],
        warnings: [],
        message: mismatch,
        guarded: true,
        after: state,
      };
    }
    if (!RESOURCE_KINDS.includes(kind as ResourceKind)) {
      return { ...base, kind, allowed: true, violations: [], warnings: [], guarded: false, after: state };
    }
    const resourceKind = kind as ResourceKind;
    const guarded = GUARDED_KINDS.has(kind);

    let change: Change;
    let written: CalicoResource | undefined;
    if (request.operation === "DELETE") {
      change = { operation: "DELETE", kind: resourceKind, name: deletedName(request, resourceKind) };
    } else {
      const valid = validateResource(request.object);
      if (!valid.ok) {
        const violations = calicoValidFindings(kind, request.name, valid.error);
        // Felix treats an invalid object as deleted: that is what admitting it (warn/audit mode) means.
        const gone: Change = {
          operation: "DELETE",
          kind: resourceKind,
          name: deletedName(request, resourceKind),
        };
        const after = state.apply(gone);
        return finish({
          ...base,
          change: gone,
          kind,
          guarded,
          state,
          violations,
          advisories: [],
          notes: [],
          after,
          request,
          config,
        });
      }
      written = valid.value;
      change = { operation: request.operation, object: valid.value };
    }

    const after = state.apply(change);
    if (!guarded)
      return { ...base, kind, allowed: true, violations: [], warnings: [], guarded, after, change };
    const results = runChecks(state, after, config, options.budget);
    if (results.some((r) => r.incomplete))
      return deadlineDecision({ ...base, kind, state, after, change, request, config, written });
    const introduced = results.flatMap((r) => r.introduced);
    return finish({
      ...base,
      kind,
      guarded,
      state,
      violations: introduced.filter((f) => f.severity === "violation"),
      advisories: introduced.filter((f) => f.severity === "advisory"),
      preExisting: results.flatMap((r) => r.preExisting),
      fixed: results.flatMap((r) => r.fixed),
      notes: results.flatMap((r) => r.notes),
      after,
      request,
      config,
      written,
      change,
    });
  } catch (e) {
    // A webhook that throws blocks the cluster's writes with an opaque error; say what happened instead.
    const message = `hostguard could not evaluate ${request.operation} ${request.kind} ${request.name}: internal error: ${e instanceof Error ? e.message : String(e)}`;
    const allowed = config.mode !== "enforce";
    return {
      ...base,
      kind: request.kind,
      allowed,
      violations: [],
      warnings: allowed ? [clip(message)] : [],
      message,
      guarded: true,
      after: state,
    };
  }
}

/**
 * The answer when the checks ran out of time (ADR 0009): the API server would otherwise time out
 * and, with failurePolicy Fail, deny with an opaque "context deadline exceeded". hostguard answers
 * first, in its own words: enforce mode denies (it could not show the change is safe) unless an
 * authorised break-glass annotation overrides; warn mode admits with a warning; audit mode admits.
 */
function deadlineDecision(
  o: Pick<
    Outcome,
    "mode" | "operation" | "kind" | "name" | "state" | "after" | "change" | "request" | "config" | "written"
  > & {
    readonly preExisting: Finding[];
    readonly fixed: Finding[];
  },
): Decision {
  const what = `${o.operation} ${o.kind} ${o.name}`;
  const why = `hostguard could not finish judging ${what} before its deadline (the API server's timeout): the replica is busy or the change touches much of the cluster.`;
  const glass = breakGlassFor(o.request, o.config, o.written);
  const allowed = o.mode !== "enforce" || glass.override !== undefined;
  const message = `${why} Retry in a moment; if it keeps happening, split the change or see "Deadlines" in docs/operations.md.`;
  const warnings =
    o.mode === "audit"
      ? []
      : glass.override
        ? [
            clip(`break-glass by ${glass.override.user}: ${glass.override.reason}`),
            clip(`not fully checked: ${why}`),
          ]
        : allowed
          ? [clip(`not fully checked: ${why}`)]
          : [];
  return {
    allowed,
    mode: o.mode,
    operation: o.operation,
    kind: o.kind,
    name: o.name,
    violations: [],
    preExisting: [],
    fixed: [],
    warnings,
    message,
    overridden: glass.override,
    guarded: true,
    after: allowed ? o.after : o.state,
    change: allowed ? o.change : undefined,
    deadlineExceeded: true,
  };
}

interface Outcome {
  readonly mode: Mode;
  readonly operation: Operation;
  readonly kind: string;
  readonly name: string;
  readonly guarded: boolean;
  readonly state: ClusterState;
  readonly violations: readonly Finding[];
  readonly advisories: readonly Finding[];
  readonly preExisting: readonly Finding[];
  readonly fixed: readonly Finding[];
  readonly notes: readonly string[];
  readonly after: ClusterState;
  readonly request: DecisionRequest;
  readonly config: GuardConfig;
  readonly written?: CalicoResource;
  readonly change: Change;
}

function finish(o: Outcome): Decision {
  const { config, violations } = o;
  const glass = violations.length > 0 ? breakGlassFor(o.request, config, o.written) : {};
  const message =
    violations.length > 0
      ? denialMessage(
          {
            operation: o.operation,
            kind: o.kind,
            name: o.name,
            totalNodes: o.state.nodes.length,
            breakGlass: glass.note ?? breakGlassHint(config),
          },
          violations,
        )
      : undefined;
  const allowed = violations.length === 0 || config.mode !== "enforce" || glass.override !== undefined;
  const warnings = warningsFor(o.mode, violations, o.advisories, o.preExisting, o.notes, config);
  if (glass.override)
    warnings.unshift(clip(`break-glass by ${glass.override.user}: ${glass.override.reason}`));
  return {
    allowed,
    mode: o.mode,
    operation: o.operation,
    kind: o.kind,
    name: o.name,
    violations,
    preExisting: o.preExisting,
    fixed: o.fixed,
    warnings,
    message,
    overridden: glass.override,
    guarded: o.guarded,
    after: allowed ? o.after : o.state,
    change: allowed ? o.change : undefined,
  };
}
