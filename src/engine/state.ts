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
import type { Change } from "./change.js";

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
  /** per-instance memo for derived data; keys are owned by the engine modules */
  readonly cache = new Map<string, unknown>();

  private constructor(
    private readonly objects: ByKind,
    /** the state this one was derived from by `change`: lets derived views update instead of rebuild */
    readonly parent?: ClusterState,
    readonly change?: Change,
  ) {}

  static empty(): ClusterState {
    return new ClusterState(EMPTY);
  }

  static fromResources(resources: Iterable<CalicoResource>): ClusterState {
    let state = ClusterState.empty();
    for (const resource of resources) state = state.apply({ operation: "CREATE", object: resource });
    return state;
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
    return this.memo(`list:${kind}`, () =>
      [...(this.objects[kind] as ReadonlyMap<string, CalicoResource>).values()].sort((a, b) =>
        a.name < b.name ? -1 : a.name > b.name ? 1 : 0,
      ),
    ) as unknown as readonly Extract<CalicoResource, { kind: K }>[];
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
      const kcc = this.objects.KubeControllersConfiguration.get("default");
      const all = this.list("HostEndpoint");
      if (kcc?.autoCreateHostEndpoints !== "Disabled") return all;
      return all.filter((hep) => hep.labels.get(AUTO_HEP_LABEL) !== AUTO_HEP_LABEL_VALUE);
    });
  }

  hostEndpointsOfNode(node: string): readonly HostEndpoint[] {
    return (
      this.memo("heps-by-node", () => {
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

  /** This state without its own parent link, to be the parent of the next one. */
  private detached(): ClusterState {
    if (!this.parent) return this;
    const copy = new ClusterState(this.objects);
    for (const [k, v] of this.cache) copy.cache.set(k, v);
    return copy;
  }

  /** A memo entry of this state if computed, without computing it. */
  peek<T>(key: string): T | undefined {
    return this.cache.get(key) as T | undefined;
  }

  memo<T>(key: string, compute: () => T): T {
    if (this.cache.has(key)) return this.cache.get(key) as T;
    const value = compute();
    this.cache.set(key, value);
    return value;
  }
}
