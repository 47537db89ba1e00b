/**
 * AdmissionReview admission.k8s.io/v1 in and out (Kubernetes "Dynamic Admission Control"). Pure:
 * the server adapter does HTTP, this module does the shapes. Field names and semantics follow the
 * captured requests in ../shared/fixtures/admission (DELETE: object null and oldObject set;
 * cluster-scoped objects: no namespace; every PATCH arrives as UPDATE).
 */
import { err, ok, type Result } from "../calico/result.js";
import type { Operation } from "../engine/change.js";
import type { DecisionRequest, UserInfo } from "../decision/decide.js";
import { capStrings, capText } from "./bounded.js";

export const ADMISSION_API_VERSION = "admission.k8s.io/v1";

export interface GroupVersionKind {
  readonly group: string;
  readonly version: string;
  readonly kind: string;
}

/** The parts of an AdmissionReview request hostguard uses. */
export interface AdmissionRequest {
  readonly uid: string;
  readonly kind: GroupVersionKind;
  readonly name: string;
  readonly operation: Operation | "CONNECT";
  readonly user: UserInfo;
  readonly object: unknown;
  readonly oldObject: unknown;
  readonly dryRun: boolean;
}

type Obj = Record<string, unknown>;
const isObj = (v: unknown): v is Obj => typeof v === "object" && v !== null && !Array.isArray(v);

const OPERATIONS = new Set(["CREATE", "UPDATE", "DELETE", "CONNECT"]);

/** Checks the envelope; every problem is one line for the HTTP 400 answer. */
export function parseAdmissionReview(body: unknown): Result<AdmissionRequest, string> {
  if (!isObj(body)) return err("the body is not a JSON object");
  if (body.apiVersion !== ADMISSION_API_VERSION) {
    return err(`apiVersion must be ${ADMISSION_API_VERSION}, got ${JSON.stringify(body.apiVersion ?? null)}`);
  }
  if (body.kind !== "AdmissionReview")
    return err(`kind must be AdmissionReview, got ${JSON.stringify(body.kind ?? null)}`);
  const request = body.request;
  if (!isObj(request)) return err("request is missing");
  if (typeof request.uid !== "string" || request.uid === "") return err("request.uid is missing");
  const kind = request.kind;
  if (
    !isObj(kind) ||
    typeof kind.kind !== "string" ||
    typeof kind.group !== "string" ||
    typeof kind.version !== "string"
  ) {
    return err("request.kind must be {group, version, kind}");
  }
  if (typeof request.operation !== "string" || !OPERATIONS.has(request.operation)) {
    return err(
      `request.operation must be CREATE, UPDATE, DELETE or CONNECT, got ${JSON.stringify(request.operation ?? null)}`,
    );
  }
  const userInfo = isObj(request.userInfo) ? request.userInfo : {};
  const groups = Array.isArray(userInfo.groups)
    ? userInfo.groups.filter((g): g is string => typeof g === "string")
    : [];
  const name =
    typeof request.name === "string" && request.name !== ""
      ? request.name
      : (nameOf(request.object) ?? nameOf(request.oldObject) ?? "");
  return ok({
    uid: request.uid,
    kind: { group: kind.group, version: kind.version, kind: kind.kind },
    name,
    operation: request.operation as AdmissionRequest["operation"],
    user: { username: typeof userInfo.username === "string" ? userInfo.username : "", groups },
    object: request.object ?? undefined,
    oldObject: request.oldObject ?? undefined,
    dryRun: request.dryRun === true,
  });
}

function nameOf(object: unknown): string | undefined {
  const name = isObj(object) && isObj(object.metadata) ? object.metadata.name : undefined;
  return typeof name === "string" ? name : undefined;
}

/** The API groups hostguard guards: both Calico groups (calico-semantics §2.2). */
export const GUARDED_GROUPS: ReadonlySet<string> = new Set(["crd.projectcalico.org", "projectcalico.org"]);

export function toDecisionRequest(r: AdmissionRequest): DecisionRequest {
  return {
    operation: r.operation === "CONNECT" ? "UPDATE" : r.operation,
    kind: r.kind.kind,
    name: r.name,
    object: r.object,
    oldObject: r.oldObject,
    user: r.user,
    dryRun: r.dryRun,
  };
}

export interface ReviewAnswer {
  readonly allowed: boolean;
  readonly message?: string;
  readonly warnings: readonly string[];
  readonly auditAnnotations: Readonly<Record<string, string>>;
}

/**
 * Caps of the answer (a final safety net: the denial message is built to be short, but an object
 * with 60,000 invalid entries once made a 9 MB answer). The message keeps its beginning, so the
 * first findings stay intact, and ends with "… and N more characters".
 */
export const MAX_MESSAGE_CHARS = 32 * 1024;
export const MAX_WARNINGS = 50;
export const MAX_WARNING_CHARS = 1024;

/**
 * The response envelope. A denial carries `status {code: 403, reason: Forbidden, message}`: the API
 * server turns a denial without a code into a 400 (fixtures/apiserver/status), and kubectl prints
 * the message after "denied the request:". `auditAnnotations` land in the API server's own audit
 * log as `<webhook name>/<key>`.
 */
export function admissionResponse(uid: string, answer: ReviewAnswer): object {
  return {
    apiVersion: ADMISSION_API_VERSION,
    kind: "AdmissionReview",
    response: {
      uid,
      allowed: answer.allowed,
      ...(!answer.allowed && {
        status: {
          code: 403,
          reason: "Forbidden",
          message: capText(answer.message ?? "denied by hostguard", MAX_MESSAGE_CHARS),
        },
      }),
      ...(answer.warnings.length > 0 && {
        warnings: capStrings(answer.warnings, MAX_WARNINGS, MAX_WARNING_CHARS),
      }),
      auditAnnotations: answer.auditAnnotations,
    },
  };
}
