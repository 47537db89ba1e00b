import { validateResource } from "../calico/validate-resource.js";
import type { FieldError } from "../calico/result.js";
import type { CalicoResource } from "../calico/types.js";
import { ClusterState } from "./state.js";

/** An object left out of a state because Calico would not accept it (Felix treats it as absent). */
export interface RejectedObject {
  readonly index: number;
  readonly kind?: string;
  readonly name?: string;
  readonly errors: readonly FieldError[];
}

export interface LoadedState {
  readonly state: ClusterState;
  readonly rejected: readonly RejectedObject[];
  /** the objects kept, with their index in the input (their name in the state may differ from metadata.name) */
  readonly accepted: readonly { readonly index: number; readonly resource: CalicoResource }[];
}

/** Kubernetes kinds that carry no host-traffic meaning; a cluster dump may hold them. */
const IGNORED_KINDS = new Set(["Namespace", "ConfigMap", "Secret", "Service", "Pod", "Deployment"]);

function describe(object: unknown): { kind?: string; name?: string } {
  if (typeof object !== "object" || object === null) return {};
  const o = object as { kind?: unknown; metadata?: { name?: unknown } };
  return {
    kind: typeof o.kind === "string" ? o.kind : undefined,
    name: typeof o.metadata?.name === "string" ? o.metadata.name : undefined,
  };
}

/**
 * Build a state from raw Kubernetes objects (either API group). Invalid objects are left out, as
 * Felix would leave them out, and reported.
 */
export function loadState(objects: readonly unknown[]): LoadedState {
  const accepted: { index: number; resource: CalicoResource }[] = [];
  const rejected: RejectedObject[] = [];
  objects.forEach((object, index) => {
    const { kind, name } = describe(object);
    if (kind && IGNORED_KINDS.has(kind)) return;
    const result = validateResource(object);
    if (result.ok) accepted.push({ index, resource: result.value });
    else rejected.push({ index, kind, name, errors: result.error });
  });
  return { state: ClusterState.fromResources(accepted.map((a) => a.resource)), rejected, accepted };
}
