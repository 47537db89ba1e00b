/**
 * Messages between bench/main.ts and the scale runner child (bench/scale-child.ts). The child does
 * the slow work (building a state, deciding, serving HTTPS) in its own process, so the parent can
 * stop it at the time budget even when a single decision takes longer than the budget.
 */
import type { ClusterSpec } from "./generate.js";

export const CHANGE_TYPES = [
  "gnpUpdate",
  "hepDelete",
  "hepDeleteDenied",
  "gnsUpdate",
  "felixUpdate",
  "lockoutPortDropped",
  "lockoutPolicyDeleted",
] as const;
export type ChangeType = (typeof CHANGE_TYPES)[number];

export const CHANGE_DESCRIPTIONS: Readonly<Record<ChangeType, string>> = {
  gnpUpdate: "GlobalNetworkPolicy UPDATE: order changed or a port added, non-critical policy (allowed)",
  hepDelete: "HostEndpoint DELETE: a `*` HEP, or the eth0 HEP of a node that also has one (allowed)",
  hepDeleteDenied: "HostEndpoint DELETE: the only HEP of a node (denied: node-coverage)",
  gnsUpdate: "GlobalNetworkSet UPDATE: one CIDR added (allowed)",
  felixUpdate: "FelixConfiguration default UPDATE: one inbound failsafe port added (allowed)",
  lockoutPortDropped:
    "GlobalNetworkPolicy UPDATE: the runbook's allow policy loses one required TCP port (denied: required-ports)",
  lockoutPolicyDeleted: "GlobalNetworkPolicy DELETE: the runbook's allow policy (denied: required-ports)",
};

export interface ChildOptions {
  readonly cluster: ClusterSpec;
  /** decide phase: 0 skips it (serve-only child) */
  readonly decideBudgetMs: number;
  /** per change type; the phase stops earlier when the budget runs out */
  readonly requestsPerType: number;
  /** start the HTTPS servers afterwards (with this TLS directory) */
  readonly serve?: { readonly tlsDir: string };
}

export type ChildMessage =
  | {
      readonly t: "rss";
      readonly label: "baseline" | "loaded" | "indexed";
      readonly bytes: number;
      readonly heapUsed: number;
    }
  | {
      readonly t: "loaded";
      readonly generateMs: number;
      readonly loadMs: number;
      readonly counts: Readonly<Record<string, number>>;
      readonly rejected: number;
      readonly rejectedSample: readonly string[];
    }
  | { readonly t: "begin"; readonly phase: "first" | "warmup" | "sample"; readonly type: ChangeType }
  | { readonly t: "first"; readonly ms: number; readonly allowed: boolean }
  | {
      readonly t: "sample";
      readonly type: ChangeType;
      readonly ms: number;
      readonly ok: boolean;
      readonly detail?: string;
    }
  | { readonly t: "decide-done"; readonly warmup: boolean }
  | { readonly t: "serving"; readonly realPort: number; readonly noopPort: number; readonly body: string }
  | { readonly t: "error"; readonly message: string };

export type ParentMessage = { readonly t: "stop" };
