import type { CalicoResource, ResourceKind } from "../calico/types.js";

export type Operation = "CREATE" | "UPDATE" | "DELETE";

/**
 * One write to the cluster, already normalised. CREATE and UPDATE carry the new object; DELETE names
 * what goes away. (The admission layer turns AdmissionReviews and CLI files into these.)
 */
export type Change =
  | { readonly operation: "CREATE" | "UPDATE"; readonly object: CalicoResource }
  | { readonly operation: "DELETE"; readonly kind: ResourceKind; readonly name: string };

export function changeKind(change: Change): ResourceKind {
  return change.operation === "DELETE" ? change.kind : change.object.kind;
}

export function changeName(change: Change): string {
  return change.operation === "DELETE" ? change.name : change.object.name;
}
