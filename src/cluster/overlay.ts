/**
 * Changes the webhook admitted that the informers have not shown yet.
 *
 * Between the webhook's "allowed" and the watch event of the stored object there are a few
 * milliseconds to seconds (the API server still has to write etcd, then the watch cache has to fan the
 * event out). `kubectl apply -f dir/` sends the next object in that window: without the overlay it would
 * be judged against a state that lacks the previous one, and a pair like "add the new allow rule, then
 * remove the old one" would be denied (or, worse, the reverse order allowed).
 *
 * An entry ends when the informer state shows it — an object with the same content under that
 * kind/name, or for a DELETE no object at all — or when the informer reports any other news of that
 * object (a new version with other content, or its deletion; `heard`): from then on the informer
 * knows better. It also ends when its TTL passes: an admitted request can still fail after admission
 * (another webhook denies it, an update conflicts, etcd is down), and then the informer never shows
 * it. The TTL counts from the first admitted change to an object that is still pending: a later change
 * to the same object replaces the entry but does not extend it, so repeated (possibly forged) reviews
 * cannot keep an entry alive. Only the guarded kinds enter (never a Node), and dry-run requests must
 * never be recorded (the caller does not).
 */
import { isDeepStrictEqual } from "node:util";
import type { CalicoResource } from "../calico/types.js";
import { changeKind, changeName, type Change } from "../engine/change.js";
import type { ClusterState } from "../engine/state.js";
import { GUARDED_KINDS } from "../decision/decide.js";

/**
 * Fields that differ between the admitted object and the stored one without changing what Felix does:
 * the server-assigned metadata (uid, resourceVersion, creationTimestamp), the annotations (kubectl's
 * last-applied copy, dropped from the informer copies; Felix-relevant annotation values are already in
 * `fields`), and for a write through projectcalico.org/v3 that is stored as crd.projectcalico.org/v1
 * the apiVersion, the stored policy name and whether `types` was written or defaulted (§2.3).
 */
const IGNORED = new Set([
  "apiVersion",
  "uid",
  "resourceVersion",
  "creationTimestamp",
  "annotations",
  "storedName",
  "typesDefaulted",
]);

function content(resource: CalicoResource): Record<string, unknown> {
  return Object.fromEntries(Object.entries(resource).filter(([key]) => !IGNORED.has(key)));
}

/** Same meaning to the engine: see IGNORED. */
export function sameContent(a: CalicoResource, b: CalicoResource): boolean {
  return isDeepStrictEqual(content(a), content(b));
}

/** True when `state` already shows what `change` does. */
export function reflects(state: ClusterState, change: Change): boolean {
  const current = state.get(changeKind(change), changeName(change));
  if (change.operation === "DELETE") return current === undefined;
  return current !== undefined && sameContent(current, change.object);
}

interface Pending {
  readonly change: Change;
  readonly expiresAt: number;
}

/** `CREATE GlobalNetworkPolicy allow-all`, for messages. */
export function describeChange(change: Change): string {
  return `${change.operation} ${changeKind(change)} ${changeName(change)}`;
}

export class PendingOverlay {
  /** by kind/name: a later admitted change to the same object replaces the earlier one */
  private readonly entries = new Map<string, Pending>();
  private checkedAgainst: ClusterState | undefined;

  constructor(private readonly ttlMs: number) {}

  get size(): number {
    return this.entries.size;
  }

  /** The pending changes, oldest first, as `CREATE GlobalNetworkPolicy allow-all`. */
  describe(): string[] {
    return [...this.entries.values()].map((e) => describeChange(e.change));
  }

  /**
   * Overlay `change` (of a guarded kind; anything else is ignored) until the informer state shows
   * news of the object or the TTL passes. When `base` (the current informer state) already shows it,
   * nothing is kept — and any earlier pending change to the same object is dropped either way, since
   * this one supersedes it. A change that replaces a pending one keeps that one's expiry.
   */
  record(change: Change, now: number, base: ClusterState): void {
    if (!GUARDED_KINDS.has(changeKind(change))) return;
    const key = `${changeKind(change)}/${changeName(change)}`;
    const earlier = this.entries.get(key);
    this.entries.delete(key);
    this.checkedAgainst = undefined;
    if (reflects(base, change)) return;
    this.entries.set(key, { change, expiresAt: Math.min(earlier?.expiresAt ?? Infinity, now + this.ttlMs) });
  }

  /**
   * The informer reported a change of `kind/name` (its metadata.name: for a GlobalNetworkPolicy in the
   * default tier also the name without `default.`, as the state names it): its entry ends. True when
   * there was one.
   */
  heard(kind: string, name: string): boolean {
    const a = this.entries.delete(`${kind}/${name}`);
    const b =
      kind === "GlobalNetworkPolicy" && name.startsWith("default.")
        ? this.entries.delete(`${kind}/${name.slice("default.".length)}`)
        : false;
    return a || b;
  }

  /**
   * Drop the entries `base` now shows (checked once per base state) and the expired
   * ones. True when something was dropped, i.e. the overlaid state must be recomputed.
   */
  settle(base: ClusterState, now: number): boolean {
    const checkConfirmed = base !== this.checkedAgainst;
    this.checkedAgainst = base;
    let dropped = false;
    for (const [key, entry] of this.entries) {
      if (now >= entry.expiresAt || (checkConfirmed && reflects(base, entry.change))) {
        this.entries.delete(key);
        dropped = true;
      }
    }
    return dropped;
  }

  /** `base` with every pending change applied, oldest first. */
  apply(base: ClusterState): ClusterState {
    let state = base;
    for (const entry of this.entries.values()) state = state.apply(entry.change);
    return state;
  }
}
