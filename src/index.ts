/**
 * hostguard's library API (design §8). Every function takes the plain data a caller has (label
 * objects or Maps, objects parsed from YAML or JSON, selector text) and returns a result union:
 * none throws, whatever it is given. The adapters in ./api/inputs.ts convert at this boundary; the
 * core keeps its own types.
 */
import { err, ok, type FieldError, type Result } from "./calico/result.js";
import { normalize as coreNormalize } from "./calico/normalize/index.js";
import {
  parseSelector as coreParseSelector,
  printSelector as corePrintSelector,
  selectorMatches as coreSelectorMatches,
  type Labels,
  type Selector,
  type SelectorError,
} from "./calico/selector/index.js";
import type { CalicoResource } from "./calico/types.js";
import { validateResource as coreValidateResource } from "./calico/validate-resource.js";
import type { GuardConfig } from "./config/types.js";
import { decide as coreDecide, type Decision } from "./decision/decide.js";
import { explainFlow as explainResolvedFlow, type FlowExplanation } from "./engine/explain.js";
import { resolveFlow, type FlowSpec } from "./engine/flow.js";
import type { LoadedState } from "./engine/load.js";
import {
  guarded,
  loadObjects,
  newDefaultConfig,
  parseConfigData,
  parseConfigText,
  toConfig,
  toLabels,
  toRequest,
  toSelector,
  toState,
} from "./api/inputs.js";

export type { ClusterState } from "./engine/state.js";
export type { LoadedState, RejectedObject } from "./engine/load.js";
export type { Decision, DecisionRequest, UserInfo } from "./decision/decide.js";
export type { GuardConfig, Mode, Requirement } from "./config/types.js";
export type { Finding, CheckId } from "./checks/finding.js";
export type { Change, Operation } from "./engine/change.js";
export type { FlowSpec, Flow, FlowEnd } from "./engine/flow.js";
export type { FlowExplanation } from "./engine/explain.js";
export type { Verdict, Stage, SideVerdict, TraceStep } from "./engine/evaluate.js";
export type { Result, FieldError } from "./calico/result.js";
export type { Labels, Selector, SelectorError, SelectorNode } from "./calico/selector/index.js";
export type * from "./calico/types.js";

const selectorError = (reason: string): SelectorError => ({ offset: 0, reason });
const fieldErrors = (reason: string): FieldError[] => [{ path: "", reason }];
const same = (reason: string): string => reason;

/** Selector text to a Selector (Calico's `parser.Parse`; blank text is all()). */
export function parseSelector(text: unknown): Result<Selector, SelectorError> {
  return guarded(() => coreParseSelector(text as string), selectorError);
}

/** Whether a selector (text or parsed) matches labels (an object of strings, or a Map). */
export function selectorMatches(selector: unknown, labels: unknown): Result<boolean, string> {
  return guarded(() => {
    const sel = toSelector(selector);
    if (!sel.ok) return sel;
    const map = toLabels(labels);
    return map.ok ? ok(coreSelectorMatches(sel.value, map.value)) : map;
  }, same);
}

/** Calico's canonical text of a selector (text or parsed). */
export function printSelector(selector: unknown): Result<string, string> {
  return guarded(() => {
    const sel = toSelector(selector);
    return sel.ok ? ok(corePrintSelector(sel.value.root)) : sel;
  }, same);
}

/** `metadata.labels` (an object or a Map) as the Map the core uses. */
export function labelsFromRecord(labels: unknown): Result<Labels, string> {
  return guarded(() => toLabels(labels), same);
}

/** One Kubernetes object (either Calico API group, or a Node) in hostguard's model, unvalidated. */
export function normalize(object: unknown): Result<CalicoResource, FieldError[]> {
  return guarded(() => coreNormalize(object), fieldErrors);
}

/** One object as Calico would accept or reject it, with every field error. */
export function validateResource(object: unknown): Result<CalicoResource, FieldError[]> {
  return guarded(() => coreValidateResource(object), fieldErrors);
}

/**
 * A cluster state from objects (an array, a `kind: List`, or one object). Objects Calico would
 * reject are left out and listed in `rejected`, as Felix leaves them out.
 */
export function loadState(objects: unknown): Result<LoadedState, string> {
  return guarded(() => loadObjects(objects), same);
}

/** The verdict Calico gives one flow, with its trace; an error for an unknown node, bad IP, ... */
export function explainFlow(state: unknown, flow: unknown): Result<FlowExplanation, string> {
  return guarded(() => {
    const s = toState(state);
    if (!s.ok) return s;
    if (typeof flow !== "object" || flow === null) return err("flow must be an object");
    const spec = flow as Record<string, unknown>;
    if (typeof spec.from !== "string" || typeof spec.to !== "string")
      return err("flow.from and flow.to must be strings: NODE, NODE@IP or an IP address");
    const resolved = resolveFlow(s.value, spec as unknown as FlowSpec);
    return resolved.ok ? ok(explainResolvedFlow(s.value, resolved.value)) : resolved;
  }, same);
}

/**
 * Decide one change as the webhook would (design §3). `state`: a loaded state or the objects;
 * `change`: `{ operation, object }` or `{ operation: "DELETE", kind, name }`; `config`: a config
 * from this API, the config file's data or text, or nothing for the default (profile rancher).
 */
export function decide(state: unknown, change: unknown, config?: unknown): Result<Decision, string> {
  return guarded(() => {
    const s = toState(state);
    if (!s.ok) return s;
    const request = toRequest(change);
    if (!request.ok) return request;
    const c = toConfig(config);
    return c.ok ? ok(coreDecide(s.value, request.value, c.value)) : c;
  }, same);
}

/** The default guard config: profile rancher, mode enforce. */
export function defaultConfig(): GuardConfig {
  return newDefaultConfig();
}

/** The guard config from its data (the ConfigMap's YAML, parsed), with every field error. */
export function parseConfig(value: unknown): Result<GuardConfig, FieldError[]> {
  return guarded(() => parseConfigData(value), fieldErrors);
}

/** The guard config from YAML text. */
export function parseConfigYaml(text: unknown): Result<GuardConfig, FieldError[]> {
  return guarded(() => parseConfigText(text), fieldErrors);
}
