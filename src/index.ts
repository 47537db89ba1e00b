/**
 * hostguard's library API (design §8). Every function returns a result union or plain data and
 * never throws on bad input.
 */
import { explainFlow as explainResolvedFlow, type FlowExplanation } from "./engine/explain.js";
import { resolveFlow, type FlowSpec } from "./engine/flow.js";
import type { ClusterState } from "./engine/state.js";
import type { Result } from "./calico/result.js";

export { parseSelector, selectorMatches, printSelector, labelsFromRecord } from "./calico/selector/index.js";
export { normalize } from "./calico/normalize/index.js";
export { validateResource } from "./calico/validate-resource.js";
export { loadState, type LoadedState, type RejectedObject } from "./engine/load.js";
export { ClusterState } from "./engine/state.js";
export { decide, type Decision, type DecisionRequest, type UserInfo } from "./decision/decide.js";
export { defaultConfig, parseConfig, parseConfigYaml } from "./config/index.js";
export type { GuardConfig, Mode, Requirement } from "./config/types.js";
export type { Finding, CheckId } from "./checks/finding.js";
export type { Change, Operation } from "./engine/change.js";
export type { FlowSpec, Flow, FlowEnd } from "./engine/flow.js";
export type { FlowExplanation } from "./engine/explain.js";
export type { Verdict, Stage, SideVerdict, TraceStep } from "./engine/evaluate.js";
export type { Result, FieldError } from "./calico/result.js";
export type * from "./calico/types.js";

/** The verdict Calico gives one flow, with its trace; an error for an unknown node, bad IP, ... */
export function explainFlow(state: ClusterState, spec: FlowSpec): Result<FlowExplanation, string> {
  const flow = resolveFlow(state, spec);
  return flow.ok ? { ok: true, value: explainResolvedFlow(state, flow.value) } : flow;
}
