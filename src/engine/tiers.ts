import type { Tier, TierDefaultAction } from "../calico/types.js";

/** A tier as the evaluator sees it: resolved order and default action. */
export interface TierInfo {
  readonly name: string;
  /** +Infinity when the Tier sets no order */
  readonly order: number;
  readonly defaultAction: TierDefaultAction;
  /** false when no Tier object exists and the name is not a built-in: Felix sorts those after every valid tier */
  readonly known: boolean;
}

/**
 * Tiers Calico creates itself (api/pkg/apis/projectcalico/v3/tier.go, v3.32): they exist even when
 * the cluster dump does not include their objects.
 */
const BUILT_IN_TIERS: readonly TierInfo[] = [
  { name: "kube-admin", order: 1000, defaultAction: "Pass", known: true },
  { name: "default", order: 1_000_000, defaultAction: "Deny", known: true },
  { name: "kube-baseline", order: 10_000_000, defaultAction: "Pass", known: true },
];

export function resolveTier(name: string, tiers: ReadonlyMap<string, Tier>): TierInfo {
  const tier = tiers.get(name);
  if (tier) {
    return {
      name,
      order: tier.order ?? Number.POSITIVE_INFINITY,
      defaultAction: tier.defaultAction,
      known: true,
    };
  }
  const builtIn = BUILT_IN_TIERS.find((t) => t.name === name);
  if (builtIn) return builtIn;
  return { name, order: Number.POSITIVE_INFINITY, defaultAction: "Deny", known: false };
}

/** Felix's tier order (felix/calc/policy_sorter.go TierLess): valid before missing, then order, then name. */
export function compareTiers(a: TierInfo, b: TierInfo): number {
  if (a.known !== b.known) return a.known ? -1 : 1;
  if (a.order !== b.order) return a.order < b.order ? -1 : 1;
  return a.name < b.name ? -1 : a.name > b.name ? 1 : 0;
}
