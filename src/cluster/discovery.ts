/**
 * Which Calico API group to read, and which of its resources the cluster serves (`/apis` discovery).
 *
 * Preference: `crd.projectcalico.org/v1` whenever it is served. In the classic Kubernetes-datastore mode
 * every writer ends up there — kubectl on v3 goes through the Calico aggregated API server, which
 * writes the v1 CRDs; calicoctl, kube-controllers and the operator write v1 directly (calico-semantics
 * §2.2) — so v1 is what Felix reads. `projectcalico.org/v3` is read only when v1 is not served: the
 * native v3 CRD mode of Calico v3.32, which libcalico-go itself picks by the same rule (§2.1,
 * `libcalico-go/lib/backend/k8s/discovery.go`).
 */
import type { ApiGet } from "./api.js";
import { statusCodeOf } from "./api.js";
import { CALICO_GROUP_VERSIONS, type CalicoGroupVersion } from "./kinds.js";

export interface Discovery {
  /** the group/version the Calico informers use (v1 when neither is served: nothing to read, but 404s are logged against it) */
  readonly groupVersion: CalicoGroupVersion;
  /** false when the API server serves neither Calico group */
  readonly groupServed: boolean;
  /** plural resource names of `groupVersion` that can be listed and watched */
  readonly resources: ReadonlySet<string>;
}

function isRecord(v: unknown): v is Record<string, unknown> {
  return typeof v === "object" && v !== null && !Array.isArray(v);
}

/** The group/versions an APIGroupList (`GET /apis`) says are served. */
export function servedGroupVersions(groupList: unknown): Set<string> {
  const out = new Set<string>();
  const groups = isRecord(groupList) && Array.isArray(groupList.groups) ? groupList.groups : [];
  for (const group of groups) {
    if (!isRecord(group) || !Array.isArray(group.versions)) continue;
    for (const v of group.versions) {
      if (isRecord(v) && typeof v.groupVersion === "string") out.add(v.groupVersion);
    }
  }
  return out;
}

/** The Calico group/version to read from an APIGroupList, or undefined when neither is served. */
export function chooseCalicoGroupVersion(groupList: unknown): CalicoGroupVersion | undefined {
  const served = servedGroupVersions(groupList);
  return CALICO_GROUP_VERSIONS.find((gv) => served.has(gv));
}

/**
 * Resources of an APIResourceList (`GET /apis/<group>/<version>`) that support list and watch.
 * Subresources (`hostendpoints/status`) are skipped.
 */
export function listableResources(resourceList: unknown): Set<string> {
  const out = new Set<string>();
  const resources =
    isRecord(resourceList) && Array.isArray(resourceList.resources) ? resourceList.resources : [];
  for (const r of resources) {
    if (!isRecord(r) || typeof r.name !== "string" || r.name.includes("/")) continue;
    const verbs = Array.isArray(r.verbs) ? r.verbs : [];
    if (verbs.includes("list") && verbs.includes("watch")) out.add(r.name);
  }
  return out;
}

/**
 * Asks the API server. Discovery is readable by every authenticated user (the built-in
 * `system:discovery` ClusterRole), so it needs no RBAC of ours. Throws on a failed request; a group
 * whose resource list is gone by the time we ask (404: the CRDs were just removed) counts as not served.
 */
export async function discover(get: ApiGet): Promise<Discovery> {
  const chosen = chooseCalicoGroupVersion(await get("/apis"));
  if (chosen === undefined) {
    return { groupVersion: CALICO_GROUP_VERSIONS[0]!, groupServed: false, resources: new Set() };
  }
  try {
    return {
      groupVersion: chosen,
      groupServed: true,
      resources: listableResources(await get(`/apis/${chosen}`)),
    };
  } catch (e) {
    if (statusCodeOf(e) === 404) return { groupVersion: chosen, groupServed: false, resources: new Set() };
    throw e;
  }
}
