/**
 * The kinds hostguard reads from a cluster, and where the API server serves them.
 *
 * Nodes come from the core group. The Calico kinds are served either as CRDs in `crd.projectcalico.org/v1`
 * (the Kubernetes-datastore storage every writer ends up in, calico-semantics §2.1/§2.2) or in
 * `projectcalico.org/v3` (the Calico aggregated API server, or the native v3 CRDs of Calico v3.32). The
 * plural resource names are the same in both groups.
 */
import type { ResourceKind } from "../calico/types.js";

export type CalicoGroupVersion = "crd.projectcalico.org/v1" | "projectcalico.org/v3";

/** In order of preference: see discovery.ts for why v1 wins when both are served. */
export const CALICO_GROUP_VERSIONS: readonly CalicoGroupVersion[] = [
  "crd.projectcalico.org/v1",
  "projectcalico.org/v3",
];

export interface KindSpec {
  readonly kind: ResourceKind;
  /** the resource name in URLs and RBAC rules */
  readonly plural: string;
  /** Nodes are core/v1; every other kind lives in the Calico group chosen by discovery */
  readonly core: boolean;
}

/** Every kind the engine models, in the order their informers are created and their objects loaded. */
export const KIND_SPECS: readonly KindSpec[] = [
  { kind: "Node", plural: "nodes", core: true },
  { kind: "HostEndpoint", plural: "hostendpoints", core: false },
  { kind: "GlobalNetworkPolicy", plural: "globalnetworkpolicies", core: false },
  { kind: "GlobalNetworkSet", plural: "globalnetworksets", core: false },
  { kind: "FelixConfiguration", plural: "felixconfigurations", core: false },
  { kind: "KubeControllersConfiguration", plural: "kubecontrollersconfigurations", core: false },
  { kind: "Tier", plural: "tiers", core: false },
];

/** The apiVersion objects of this kind carry when served from `groupVersion`. */
export function apiVersionOf(spec: KindSpec, groupVersion: CalicoGroupVersion): string {
  return spec.core ? "v1" : groupVersion;
}

/** The collection URL path (cluster-scoped: no namespace segment). */
export function collectionPath(spec: KindSpec, groupVersion: CalicoGroupVersion): string {
  return spec.core ? `/api/v1/${spec.plural}` : `/apis/${groupVersion}/${spec.plural}`;
}

/** `hostendpoints.crd.projectcalico.org`, as kubectl and RBAC error messages name a resource. */
export function resourceName(spec: KindSpec, groupVersion: CalicoGroupVersion): string {
  return spec.core ? spec.plural : `${spec.plural}.${groupVersion.split("/")[0] ?? ""}`;
}
