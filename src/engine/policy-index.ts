import { evaluateSelector } from "../calico/selector/index.js";
import type { GlobalNetworkPolicy, HostEndpoint } from "../calico/types.js";
import { policySelectorNode } from "./selector-scope.js";
import { changeKind, changeName } from "./change.js";
import type { ClusterState } from "./state.js";
import { compareTiers, resolveTier, type TierInfo } from "./tiers.js";

export type Direction = "ingress" | "egress";

/** The chains Felix renders for a HEP (felix/calc/event_sequencer.go tierInfoToProtoTierInfo). */
export type PolicyStage = "untracked" | "preDNAT" | "normal" | "forward";

export interface TierPolicies {
  readonly tier: TierInfo;
  readonly policies: readonly GlobalNetworkPolicy[];
  /**
   * When the lists are narrowed to one kind of packet (engine/signatures.ts relevantPolicies): the
   * policies that can decide it. The others cannot match it, so they are passed over; `policies`
   * still names the whole tier for the end-of-tier verdict.
   */
  readonly relevant?: readonly GlobalNetworkPolicy[];
}

export type StagePolicies = Readonly<Record<Direction, readonly TierPolicies[]>>;

export type HepPolicies = Readonly<Record<PolicyStage, StagePolicies>>;

/**
 * Felix's policy order inside a tier (felix/calc/policy_sorter.go): by `order` ascending with a
 * missing order last (+Inf), then by name.
 */
export function comparePolicies(a: GlobalNetworkPolicy, b: GlobalNetworkPolicy): number {
  const oa = a.order ?? Number.POSITIVE_INFINITY;
  const ob = b.order ?? Number.POSITIVE_INFINITY;
  if (oa !== ob) return oa < ob ? -1 : 1;
  return a.name < b.name ? -1 : a.name > b.name ? 1 : 0;
}

export function policySelects(policy: GlobalNetworkPolicy, hep: HostEndpoint): boolean {
  return evaluateSelector(policySelectorNode(policy), hep.labels);
}

function group(
  state: ClusterState,
  policies: readonly GlobalNetworkPolicy[],
  direction: Direction,
): TierPolicies[] {
  const byTier = new Map<string, GlobalNetworkPolicy[]>();
  for (const policy of policies) {
    if (!policy.types[direction]) continue;
    const list = byTier.get(policy.tier);
    if (list) list.push(policy);
    else byTier.set(policy.tier, [policy]);
  }
  return [...byTier.entries()]
    .map(([name, list]) => ({ tier: resolveTier(name, state.tiers), policies: list.sort(comparePolicies) }))
    .sort((a, b) => compareTiers(a.tier, b.tier));
}

/**
 * The policies that select a HEP. When the state was derived from a parent by one change and the
 * HEP itself is unchanged, the parent's list carries over: only a policy change can alter it, and
 * then only that policy's selector is evaluated again. The list object itself is kept when the
 * changed policy neither selected nor selects the HEP, so views built on it carry over too. (The
 * webhook decides every write against `before.apply(change)`: design §4 "only recompute what a
 * change can affect".)
 */
export function selectingPolicies(state: ClusterState, hep: HostEndpoint): readonly GlobalNetworkPolicy[] {
  return state.memo(`hep-selecting:${hep.name}`, () => {
    const { parent, change } = state;
    const inherited = parent?.peek<readonly GlobalNetworkPolicy[]>(`hep-selecting:${hep.name}`);
    if (inherited && change && parent?.get("HostEndpoint", hep.name) === hep) {
      if (changeKind(change) !== "GlobalNetworkPolicy") return inherited;
      const name = changeName(change);
      const now = state.get("GlobalNetworkPolicy", name);
      const selectsNow = now !== undefined && policySelects(now, hep);
      const selectedBefore = inherited.some((p) => p.name === name);
      if (!selectsNow && !selectedBefore) return inherited;
      // HEPs that shared a list before share the edited one too (and so its views below).
      const edits = state.memo(
        "selecting-edits",
        () => new Map<string, Map<readonly GlobalNetworkPolicy[], readonly GlobalNetworkPolicy[]>>(),
      );
      const variant = selectsNow ? "with" : "without";
      let byList = edits.get(variant);
      if (!byList) edits.set(variant, (byList = new Map()));
      let edited = byList.get(inherited);
      if (!edited) {
        const kept = inherited.filter((p) => p.name !== name);
        edited = selectsNow ? [...kept, now] : kept;
        byList.set(inherited, edited);
        listEdits.set(edited, {
          from: inherited,
          before: inherited.find((p) => p.name === name),
          after: selectsNow ? now : undefined,
        });
      }
      return edited;
    }
    return sharedList(
      state,
      state.list("GlobalNetworkPolicy").filter((p) => policySelects(p, hep)),
    );
  });
}

/**
 * One array per distinct list of selecting policies in a state: most HEPs of a cluster are
 * selected by the same policies (per role, per pool), and the views built on a list (tiers,
 * content keys) are then built once for all of them.
 */
function sharedList(state: ClusterState, list: GlobalNetworkPolicy[]): readonly GlobalNetworkPolicy[] {
  const pool = state.memo("selecting-lists", () => new Map<string, readonly GlobalNetworkPolicy[]>());
  const key = list.map((p) => p.name).join("\n");
  const shared = pool.get(key);
  if (shared) return shared;
  pool.set(key, list);
  return list;
}

type ListViews = { star?: HepPolicies; named?: HepPolicies };

/** How a state's list was made from its parent's: the list, and the changed policy before and after. */
interface ListEdit<T> {
  readonly from: T;
  readonly before?: GlobalNetworkPolicy;
  readonly after?: GlobalNetworkPolicy;
}

const listEdits = new WeakMap<readonly GlobalNetworkPolicy[], ListEdit<readonly GlobalNetworkPolicy[]>>();
const viewEdits = new WeakMap<HepPolicies, ListEdit<HepPolicies>>();

/**
 * The parent's policy lists this HEP's were made from by one policy change, if they were: views
 * derived from lists (content keys) can often be carried over instead of rebuilt.
 */
export function hepPoliciesEdit(p: HepPolicies): ListEdit<HepPolicies> | undefined {
  return viewEdits.get(p);
}

/** HEP policy lists per (tiers, selecting list): the same lists give the same views. */
const views = new WeakMap<ReadonlyMap<string, unknown>, WeakMap<readonly GlobalNetworkPolicy[], ListViews>>();

/**
 * The ordered policies per stage and direction for one HEP. A policy joins a direction only when
 * its `types` include it (addPolicyToTierInfo). doNotTrack policies are ignored on `*` HEPs: Felix
 * logs a warning and skips them (endpoint_mgr.go updateHostEndpoints; calico-semantics §5.6).
 * preDNAT policies only ever run on ingress. HEPs with the same selecting list (and kind of
 * interface) share one object, across states too while no Tier changes.
 */
export function hepPolicies(state: ClusterState, hep: HostEndpoint): HepPolicies {
  return state.memo(`hep-policies:${hep.name}`, () => {
    const selecting = selectingPolicies(state, hep);
    let byList = views.get(state.tiers);
    if (!byList) views.set(state.tiers, (byList = new WeakMap()));
    let entry = byList.get(selecting);
    if (!entry) byList.set(selecting, (entry = {}));
    const star = hep.interfaceName === "*";
    const existing = star ? entry.star : entry.named;
    if (existing) return existing;
    const untracked = star ? [] : selecting.filter((p) => p.doNotTrack);
    const preDNAT = selecting.filter((p) => p.preDNAT);
    const normal = selecting.filter((p) => !p.doNotTrack && !p.preDNAT);
    const forward = normal.filter((p) => p.applyOnForward);
    const built: HepPolicies = {
      untracked: { ingress: group(state, untracked, "ingress"), egress: group(state, untracked, "egress") },
      preDNAT: { ingress: group(state, preDNAT, "ingress"), egress: [] },
      normal: { ingress: group(state, normal, "ingress"), egress: group(state, normal, "egress") },
      forward: { ingress: group(state, forward, "ingress"), egress: group(state, forward, "egress") },
    };
    if (star) entry.star = built;
    else entry.named = built;
    const edit = listEdits.get(selecting);
    const origin = edit ? byList.get(edit.from)?.[star ? "star" : "named"] : undefined;
    if (edit && origin) viewEdits.set(built, { from: origin, before: edit.before, after: edit.after });
    return built;
  });
}
