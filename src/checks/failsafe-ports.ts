import { cidrContainsCidr } from "../calico/net/ip.js";
import type { ProtoPort } from "../calico/types.js";
import type { GuardConfig } from "../config/types.js";
import { describeOrigin, effectiveFelixConfig } from "../engine/felix-config.js";
import type { ClusterState } from "../engine/state.js";
import type { Finding } from "./finding.js";

/** Does `entry` keep `required` open: same protocol and port, and a `net` at least as wide? */
function keeps(entry: ProtoPort, required: ProtoPort): boolean {
  if (entry.protocol !== required.protocol || entry.port !== required.port) return false;
  if (entry.net === undefined) return true;
  return required.net !== undefined && cidrContainsCidr(entry.net, required.net);
}

function entryText(e: ProtoPort): string {
  return `${e.protocol} ${e.port}${e.net ? ` from ${e.net.text}` : ""}`;
}

/**
 * failsafe-ports (design §5): every node's effective failsafe lists keep each required entry —
 * not removed, and its `net` not narrowed. The effective list is resolved field by field across
 * `node.<name>`, selector-scoped and `default` FelixConfigurations and their
 * `config.projectcalico.org/*` annotations (calico-semantics §7.4), so any of them can strip it.
 */
export function failsafeFindings(state: ClusterState, config: GuardConfig): Finding[] {
  const findings: Finding[] = [];
  for (const node of state.nodes) {
    const felix = effectiveFelixConfig(state, node);
    const lists = [
      ["inbound", "failsafeInboundHostPorts", felix.failsafeInboundHostPorts, config.failsafe.inbound],
      ["outbound", "failsafeOutboundHostPorts", felix.failsafeOutboundHostPorts, config.failsafe.outbound],
    ] as const;
    for (const [direction, field, effective, required] of lists) {
      for (const want of required) {
        if (effective.value.some((e) => keeps(e, want))) continue;
        const narrowed = effective.value.find((e) => e.protocol === want.protocol && e.port === want.port);
        const how = narrowed
          ? `only ${entryText(narrowed)}`
          : effective.value.length === 0
            ? "an empty list"
            : "a list without it";
        findings.push({
          check: "failsafe-ports",
          key: `failsafe-ports:${node.name}:${direction}:${want.protocol}:${want.port}:${want.net?.text ?? ""}`,
          severity: "violation",
          node: node.name,
          direction,
          protocol: want.protocol,
          ports: String(want.port),
          message: `${field} on ${node.name} lacks ${entryText(want)} (${how}, from ${describeOrigin(effective.origin)})`,
        });
      }
    }
  }
  return findings;
}
