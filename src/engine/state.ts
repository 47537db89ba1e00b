import type {
  CalicoResource,
  FelixConfiguration,
  GlobalNetworkPolicy,
  GlobalNetworkSet,
  HostEndpoint,
  KubeControllersConfiguration,
  NodeResource,
  ResourceKind,
  Tier,
} from "../calico/types.js";
import { changeKind, changeName, type Change } from "./change.js";

type ByKind = {
  readonly Node: ReadonlyMap<string, NodeResource>;
  readonly HostEndpoint: ReadonlyMap<string, HostEndpoint>;
  readonly GlobalNetworkSet: ReadonlyMap<string, GlobalNetworkSet>;
  readonly GlobalNetworkPolicy: ReadonlyMap<string, GlobalNetworkPolicy>;
  readonly FelixConfiguration: ReadonlyMap<string, FelixConfiguration>;
  readonly KubeControllersConfiguration: ReadonlyMap<string, KubeControllersConfiguration>;
  readonly Tier: ReadonlyMap<string, Tier>;
};

const EMPTY: ByKind = {
  Node: new Map(),
  HostEndpoint: new Map(),
  GlobalNetworkSet: new Map(),
  GlobalNetworkPolicy: new Map(),
  FelixConfiguration: new Map(),
  KubeControllersConfiguration: new Map(),
  Tier: new Map(),
};

/** Changes of these kinds can change which HostEndpoints Felix has. */
const AFFECTS_HEPS: ReadonlySet<ResourceKind> = new Set(["HostEndpoint", "KubeControllersConfiguration"]);

function byName(a: CalicoResource, b: CalicoResource): number {
  return a.name < b.name ? -1 : a.name > b.name ? 1 : 0;
}

/** A list sorted by name with one change applied: binary search, then one copy. */
function withChange(list: readonly CalicoResource[], change: Change): readonly CalicoResource[] {
  const name = changeName(change);
  let lo = 0;
  let hi = list.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (list[mid]!.name < name) lo = mid + 1;
    else hi = mid;
  }
  const present = lo < list.length && list[lo]!.name === name;
  const next = list.slice();
  if (change.operation === "DELETE") {
    if (present) next.splice(lo, 1);
  } else if (present) next[lo] = change.object;
  else next.splice(lo, 0, change.object);
  return next;
}

/** The label kube-controllers puts on the host endpoints it creates (kube-controllers/pkg/controllers/node/hostendpoints.go). */
export const AUTO_HEP_LABEL = "projectcalico.org/created-by";
export const AUTO_HEP_LABEL_VALUE = "calico-kube-controllers";

/**
 * An immutable snapshot of the objects that decide host traffic. It holds only objects that are
 * valid to Calico: Felix treats an invalid object as deleted (felix/calc/validation_filter.go), so
 * callers validate before they build or apply.
 *
 * Derived views (policy lists per HEP, IP sets, ...) are computed lazily by the engine modules and
 * cached per instance in `cache`; `apply` returns a new instance with an empty cache.
 */
export class ClusterState {
  private constructor(
    private readonly objects: ByKind,
    /** the state this one was derived from by `change`: lets derived views update instead of rebuild */
    readonly parent?: ClusterState,
    readonly change?: Change,
    /** per-instance memo for derived data; keys are owned by the engine modules */
    readonly cache = new Map<string, unknown>(),
  ) {}

  static empty(): ClusterState {
    return new ClusterState(EMPTY);
  }

  /** A state holding these objects; a later object of the same kind and name replaces an earlier one. */
  static fromResources(resources: Iterable<CalicoResource>): ClusterState {
    const maps = new Map<ResourceKind, Map<string, CalicoResource>>();
    for (const resource of resources) {
      let map = maps.get(resource.kind);
      if (!map) maps.set(resource.kind, (map = new Map()));
      map.set(resource.name, resource);
    }
    return new ClusterState({ ...EMPTY, ...(Object.fromEntries(maps) as Partial<ByKind>) });
  }

  /** A new state with the change applied; this one is unchanged. CREATE of an existing name replaces it. */
  apply(change: Change): ClusterState {
    const kind = change.operation === "DELETE" ? change.kind : change.object.kind;
    const current = this.objects[kind] as ReadonlyMap<string, CalicoResource>;
    const next = new Map(current);
    if (change.operation === "DELETE") {
      if (!next.delete(change.name)) return this;
    } else {
      next.set(change.object.name, change.object);
    }
    // Keep only one generation of history: a chain of parents would keep every old state alive.
    return new ClusterState({ ...this.objects, [kind]: next }, this.detached(), change);
  }

  get<K extends ResourceKind>(kind: K, name: string): Extract<CalicoResource, { kind: K }> | undefined {
    return (this.objects[kind] as ReadonlyMap<string, CalicoResource>).get(name) as
      Extract<CalicoResource, { kind: K }> | undefined;
  }

  list<K extends ResourceKind>(kind: K): readonly Extract<CalicoResource, { kind: K }>[] {
    return this.memo(`list:${kind}`, () => {
      const inherited = this.parent?.peek<readonly CalicoResource[]>(`list:${kind}`);
      if (inherited && this.change) {
        // One object changed: edit the parent's sorted list instead of sorting thousands again.
        if (changeKind(this.change) !== kind) return inherited;
        return withChange(inherited, this.change);
      }
      return [...(this.objects[kind] as ReadonlyMap<string, CalicoResource>).values()].sort(byName);
    }) as unknown as readonly Extract<CalicoResource, { kind: K }>[];
  }

  get nodes(): readonly NodeResource[] {
    return this.list("Node");
  }

  get tiers(): ReadonlyMap<string, Tier> {
    return this.objects.Tier;
  }

  /** Every object, in a stable order (kind, then name). */
  all(): readonly CalicoResource[] {
    return Object.keys(this.objects).flatMap((kind) => this.list(kind as ResourceKind));
  }

  /**
   * The host endpoints Felix will actually have. With KubeControllersConfiguration `default`
   * `autoCreate: Disabled`, kube-controllers deletes every HEP it created (the ones labelled
   * `projectcalico.org/created-by: calico-kube-controllers`), so they are gone for Felix too.
   * (kube-controllers/pkg/controllers/node/hostendpoints.go; calico-semantics §9.2.) We only act on an
   * explicit `Disabled`: without a KubeControllersConfiguration we cannot know the controller's mode.
   */
  get hostEndpoints(): readonly HostEndpoint[] {
    return this.memo("effective-heps", () => {
      const inherited = this.inherited<readonly HostEndpoint[]>(
        "effective-heps",
        (c) => !AFFECTS_HEPS.has(changeKind(c)),
      );
      if (inherited) return inherited;
      const kcc = this.objects.KubeControllersConfiguration.get("default");
      const all = this.list("HostEndpoint");
      if (kcc?.autoCreateHostEndpoints !== "Disabled") return all;
      return all.filter((hep) => hep.labels.get(AUTO_HEP_LABEL) !== AUTO_HEP_LABEL_VALUE);
    });
  }

  hostEndpointsOfNode(node: string): readonly HostEndpoint[] {
    return (
      this.memo("heps-by-node", () => {
        const inherited = this.inherited<ReadonlyMap<string, readonly HostEndpoint[]>>(
          "heps-by-node",
          (c) => !AFFECTS_HEPS.has(changeKind(c)),
        );
        if (inherited) return inherited;
        const byNode = new Map<string, HostEndpoint[]>();
        for (const hep of this.hostEndpoints) {
          const list = byNode.get(hep.node);
          if (list) list.push(hep);
          else byNode.set(hep.node, [hep]);
        }
        return byNode;
      }).get(node) ?? []
    );
  }

  /**
   * This state without its own parent link, to be the parent of the next one. It shares this
   * state's memo, so what is computed on this state later (the webhook decides many writes against
   * one base state) is visible to every state derived from it.
   */
  private detached(): ClusterState {
    if (!this.parent) return this;
    return new ClusterState(this.objects, undefined, undefined, this.cache);
  }

  /** Was this state derived from `other` by its one `change` (`other.apply(change)`)? */
  derivedFrom(other: ClusterState): boolean {
    return this.parent !== undefined && this.parent.objects === other.objects;
  }

  /** A memo entry of this state if computed, without computing it. */
  peek<T>(key: string): T | undefined {
    return this.cache.get(key) as T | undefined;
  }

  /**
   * The parent's memo entry `key`, when this state was derived from it by a change that
   * `unaffected` says cannot alter that entry; else undefined (compute it afresh).
   */
  inherited<T>(key: string, unaffected: (change: Change, parent: ClusterState) => boolean): T | undefined {
    const { parent, change } = this;
    if (!parent || !change) return undefined;
    const value = parent.peek<T>(key);
    return value !== undefined && unaffected(change, parent) ? value : undefined;
  }

  memo<T>(key: string, compute: () => T): T {
    if (this.cache.has(key)) return this.cache.get(key) as T;
    const value = compute();
    this.cache.set(key, value);
    return value;
  }
}
