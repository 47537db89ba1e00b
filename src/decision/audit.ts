import type { Finding } from "../checks/finding.js";
import type { GuardConfig } from "../config/types.js";
import type { ClusterState } from "../engine/state.js";
import { runChecks } from "./decide.js";

/** Every finding of the current state, as a background audit sees it (nothing is "introduced"). */
export function auditFindings(state: ClusterState, config: GuardConfig): Finding[] {
  return runChecks(state, state, config).flatMap((r) => r.preExisting);
}
