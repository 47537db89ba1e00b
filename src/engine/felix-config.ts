import { selectorMatches } from "../calico/selector/index.js";
import type {
  EndpointToHostAction,
  FelixConfiguration,
  FelixFields,
  FelixValueSource,
  NodeResource,
  ProtoPort,
} from "../calico/types.js";
import { changeKind } from "./change.js";
import type { ClusterState } from "./state.js";

/**
 * Felix's built-in failsafe lists (felix/config/config_params.go; unchanged v3.22 → v3.32,
 * calico-semantics §7.1).
 */
export const DEFAULT_FAILSAFE_INBOUND: readonly ProtoPort[] = [
  { protocol: "TCP", port: 22 },
  { protocol: "UDP", port: 68 },
  { protocol: "TCP", port: 179 },
  { protocol: "TCP", port: 2379 },
  { protocol: "TCP", port: 2380 },
  { protocol: "TCP", port: 5473 },
  { protocol: "TCP", port: 6443 },
  { protocol: "TCP", port: 6666 },
  { protocol: "TCP", port: 6667 },
];

export const DEFAULT_FAILSAFE_OUTBOUND: readonly ProtoPort[] = [
  { protocol: "UDP", port: 53 },
  { protocol: "UDP", port: 67 },
  { protocol: "TCP", port: 179 },
  { protocol: "TCP", port: 2379 },
  { protocol: "TCP", port: 2380 },
  { protocol: "TCP", port: 5473 },
  { protocol: "TCP", port: 6443 },
  { protocol: "TCP", port: 6666 },
  { protocol: "TCP", port: 6667 },
];

/** Where an effective value came from, for messages: `built-in default` or a resource and field source. */
export type FelixOrigin =
  | { readonly kind: "built-in" }
  | { readonly kind: "resource"; readonly resource: string; readonly source: FelixValueSource };

export interface Effective<T> {
  readonly value: T;
  readonly origin: FelixOrigin;
}

export interface EffectiveFelixConfig {
  readonly failsafeInboundHostPorts: Effective<readonly ProtoPort[]>;
  readonly failsafeOutboundHostPorts: Effective<readonly ProtoPort[]>;
  readonly defaultEndpointToHostAction: Effective<EndpointToHostAction>;
}

const BUILT_IN: FelixOrigin = { kind: "built-in" };

/**
 * The FelixConfiguration resources that apply to a node, highest precedence first. Felix resolves
 * every parameter separately, taking the highest source that sets it: per-node `node.<name>` >
 * selector-scoped (v3.32; the oldest matching one) > `default` > built-in
 * (felix/config/config_params.go SourcesInDescendingOrder; calico-semantics §7.4). Environment
 * variables and the config file on calico-node rank higher still; they are not visible to the
 * API, so hostguard cannot model them (docs/engine.md).
 */
export function felixSourcesFor(state: ClusterState, node: NodeResource): readonly FelixConfiguration[] {
  const all = state.list("FelixConfiguration");
  const perNode = all.filter((fc) => fc.scope.kind === "node" && fc.scope.node === node.name);
  const scoped = all
    .filter((fc) => {
      const scope = fc.scope;
      return (
        scope.kind === "selector" &&
        scope.nodeSelector !== undefined &&
        selectorMatches(scope.nodeSelector, node.labels)
      );
    })
    .sort(olderFirst)
    .slice(0, 1);
  const global = all.filter((fc) => fc.scope.kind === "global");
  return [...perNode, ...scoped, ...global];
}

function olderFirst(a: FelixConfiguration, b: FelixConfiguration): number {
  const ta = a.creationTimestamp ?? "";
  const tb = b.creationTimestamp ?? "";
  if (ta !== tb) return ta < tb ? -1 : 1;
  return a.name < b.name ? -1 : a.name > b.name ? 1 : 0;
}

function pick<K extends keyof FelixFields, T>(
  sources: readonly FelixConfiguration[],
  field: K,
  fallback: T,
): Effective<T> {
  for (const fc of sources) {
    const value = fc.fields[field];
    if (value !== undefined) {
      return {
        value: value.value as T,
        origin: { kind: "resource", resource: fc.name, source: value.source },
      };
    }
  }
  return { value: fallback, origin: BUILT_IN };
}

export function effectiveFelixConfig(state: ClusterState, node: NodeResource): EffectiveFelixConfig {
  return state.memo(`felix:${node.name}`, () => {
    // Only FelixConfiguration and Node changes (labels, for selector-scoped configs) can alter it.
    const inherited = state.inherited<EffectiveFelixConfig>(`felix:${node.name}`, (c) => {
      const kind = changeKind(c);
      return kind !== "FelixConfiguration" && kind !== "Node";
    });
    if (inherited) return inherited;
    const sources = felixSourcesFor(state, node);
    // Nodes with the same sources (most: only `default`) share one object, and so what is derived
    // from it (content keys, engine/signatures.ts).
    const shared = state.memo("felix-by-sources", () => new Map<string, EffectiveFelixConfig>());
    const key = sources.map((fc) => fc.name).join("\n");
    let effective = shared.get(key);
    if (!effective) {
      effective = {
        failsafeInboundHostPorts: pick(sources, "failsafeInboundHostPorts", DEFAULT_FAILSAFE_INBOUND),
        failsafeOutboundHostPorts: pick(sources, "failsafeOutboundHostPorts", DEFAULT_FAILSAFE_OUTBOUND),
        defaultEndpointToHostAction: pick(
          sources,
          "defaultEndpointToHostAction",
          "Drop" as EndpointToHostAction,
        ),
      };
      shared.set(key, effective);
    }
    return effective;
  });
}

export function describeOrigin(origin: FelixOrigin): string {
  if (origin.kind === "built-in") return "Felix built-in default";
  const where = origin.source === "annotation" ? "annotation config.projectcalico.org/*" : "spec";
  return `FelixConfiguration ${origin.resource} (${where})`;
}
