/**
 * What the informers keep of each object: only the fields the engine reads.
 *
 * Nodes carry large, constantly rewritten status blocks (conditions, images, heartbeats: the kubelet
 * updates a Node every few seconds to minutes); hostguard needs only the name, the labels (rule
 * selectors, auto-HEP labels) and `status.addresses` (flow ends, auto-HEP expectedIPs, calico-semantics
 * §9.2). Calico objects keep labels, annotations (FelixConfiguration `config.projectcalico.org/*`, the
 * v1 `projectcalico.org/metadata` overlay) and spec; `managedFields`, kubectl's last-applied copy and
 * `status` are dropped. `metadata.resourceVersion` stays because client-node's ListWatch resumes
 * watches from it, but it is not part of the content fingerprint.
 */
import type { KindSpec } from "./kinds.js";

export interface SlimMeta {
  readonly name: string;
  readonly resourceVersion?: string;
  readonly uid?: string;
  readonly creationTimestamp?: string;
  readonly labels?: unknown;
  readonly annotations?: unknown;
}

export interface SlimObject {
  readonly apiVersion: string;
  readonly kind: string;
  readonly metadata: SlimMeta;
  readonly spec?: unknown;
  readonly status?: { readonly addresses?: unknown };
}

/** kubectl's client-side-apply copy of the whole object: large, and never read by Calico. */
const LAST_APPLIED = "kubectl.kubernetes.io/last-applied-configuration";

/** A JSON object (not null, not an array), or undefined. */
export function record(v: unknown): Record<string, unknown> | undefined {
  return typeof v === "object" && v !== null && !Array.isArray(v)
    ? (v as Record<string, unknown>)
    : undefined;
}

/** A non-empty string, or undefined. */
export function str(v: unknown): string | undefined {
  return typeof v === "string" && v !== "" ? v : undefined;
}

/**
 * The slim copy of one object from a list or a watch event, or undefined when it has no name (nothing
 * could refer to it). List items of built-in kinds come without `apiVersion`/`kind` (the API server
 * puts them on the list only), so `defaults` fills them in.
 */
export function slimObject(
  spec: KindSpec,
  raw: unknown,
  defaults: { readonly apiVersion: string; readonly kind: string },
): SlimObject | undefined {
  const object = record(raw);
  const metadata = record(object?.metadata);
  const name = str(metadata?.name);
  if (object === undefined || metadata === undefined || name === undefined) return undefined;
  const apiVersion = str(object.apiVersion) ?? defaults.apiVersion;
  const kind = str(object.kind) ?? defaults.kind;
  const resourceVersion = str(metadata.resourceVersion);
  const labels = metadata.labels ?? undefined;
  if (spec.core) {
    const status = record(object.status);
    return {
      apiVersion,
      kind,
      metadata: {
        name,
        ...(resourceVersion && { resourceVersion }),
        ...(labels !== undefined && { labels }),
      },
      ...(status?.addresses !== undefined && { status: { addresses: status.addresses } }),
    };
  }
  const uid = str(metadata.uid);
  const creationTimestamp = str(metadata.creationTimestamp);
  const rawAnnotations = record(metadata.annotations);
  // Not a map: kept as it is, so that normalize reports the object as the invalid one it is.
  let annotations: unknown = metadata.annotations ?? undefined;
  if (rawAnnotations !== undefined) {
    const { [LAST_APPLIED]: _dropped, ...rest } = rawAnnotations;
    annotations = Object.keys(rest).length > 0 ? rest : undefined;
  }
  return {
    apiVersion,
    kind,
    metadata: {
      name,
      ...(resourceVersion && { resourceVersion }),
      ...(uid && { uid }),
      ...(creationTimestamp && { creationTimestamp }),
      ...(labels !== undefined && { labels }),
      ...(annotations !== undefined && { annotations }),
    },
    ...(object.spec !== undefined && { spec: object.spec }),
  };
}

function sortedKeys(_key: string, value: unknown): unknown {
  const r = record(value);
  if (r === undefined) return value;
  return Object.fromEntries(
    Object.keys(r)
      .sort()
      .map((k) => [k, r[k]]),
  );
}

/**
 * The content of a slim object without its resourceVersion: two versions with the same fingerprint
 * mean the same to the engine (a Node status heartbeat, a relist that returns what we had).
 */
export function fingerprint(object: SlimObject): string {
  const { resourceVersion: _rv, ...metadata } = object.metadata;
  return JSON.stringify({ ...object, metadata }, sortedKeys);
}
