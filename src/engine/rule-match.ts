import { cidrContainsIp } from "../calico/net/ip.js";
import type { SelectorNode } from "../calico/selector/ast.js";
import type { Cidr, IpAddress, IpFamily, PortMatch, Rule } from "../calico/types.js";
import { ipSet, namedPortMembersAt } from "./ipsets.js";
import { EPHEMERAL_PORTS, type Packet } from "./packet.js";
import { notSelectorNode, ruleSelectorNode } from "./selector-scope.js";
import type { ClusterState } from "./state.js";

/** A rule with its effective selectors worked out once. */
interface CompiledRule {
  readonly srcSelector?: SelectorNode;
  readonly dstSelector?: SelectorNode;
  readonly srcNotSelector?: SelectorNode;
  readonly dstNotSelector?: SelectorNode;
}

const compiled = new WeakMap<Rule, CompiledRule>();

function compile(rule: Rule): CompiledRule {
  let c = compiled.get(rule);
  if (!c) {
    c = {
      srcSelector: ruleSelectorNode(rule.source),
      dstSelector: ruleSelectorNode(rule.destination),
      srcNotSelector: notSelectorNode(rule.source),
      dstNotSelector: notSelectorNode(rule.destination),
    };
    compiled.set(rule, c);
  }
  return c;
}

/**
 * Felix renders a rule per IP version (felix/rules/policy.go FilterRuleToIPVersion): a rule whose
 * `ipVersion` differs is skipped, and so is a rule in which one of nets/notNets (source or
 * destination) is non-empty but holds no CIDR of this family — the rule has no meaning for it.
 * A negated catch-all CIDR drops the rule as well (filterNets; rejected by the validator since v3.31).
 */
function renderedFor(rule: Rule, family: IpFamily): boolean {
  if (rule.ipVersion !== undefined && rule.ipVersion !== family) return false;
  const lists: readonly (readonly Cidr[])[] = [
    rule.source.nets,
    rule.source.notNets,
    rule.destination.nets,
    rule.destination.notNets,
  ];
  for (const list of lists) {
    if (list.length > 0 && !list.some((c) => c.family === family)) return false;
  }
  for (const list of [rule.source.notNets, rule.destination.notNets]) {
    if (list.some((c) => c.family === family && c.prefix === 0)) return false;
  }
  return true;
}

function inAny(cidrs: readonly Cidr[], ip: IpAddress): boolean {
  return cidrs.some((c) => cidrContainsIp(c, ip));
}

function inSet(state: ClusterState, selector: SelectorNode, ip: IpAddress): boolean {
  return ipSet(state, selector).has(ip);
}

/** Does a numeric port / named port entry match `port` on `ip`? */
function portEntryMatches(
  state: ClusterState,
  entry: PortMatch,
  port: number,
  ip: IpAddress,
  protocol: number,
  selector: SelectorNode | undefined,
): boolean {
  if (entry.kind === "range") return port >= entry.min && port <= entry.max;
  return namedPortMembersAt(state, selector, entry.name, ip).some(
    (m) => m.port.port === port && m.port.protocol.number === protocol,
  );
}

/** `ports` / `notPorts` on the destination side: the packet's destination port. */
function dstPortsMatch(
  state: ClusterState,
  rule: Rule,
  selector: SelectorNode | undefined,
  p: Packet,
): boolean {
  const { ports, notPorts } = rule.destination;
  if (ports.length === 0 && notPorts.length === 0) return true;
  if (p.dstPort === undefined) return false;
  const hit = (e: PortMatch) => portEntryMatches(state, e, p.dstPort!, p.dst, p.protocol, selector);
  if (ports.length > 0 && !ports.some(hit)) return false;
  return !notPorts.some(hit);
}

/**
 * `ports` / `notPorts` on the source side. With an explicit source port, exact. Without one the
 * client port is ephemeral: `ports` must cover the whole ephemeral range and `notPorts` must miss
 * all of it (packet.ts EPHEMERAL_PORTS). Named source ports resolve like destination ones.
 */
function srcPortsMatch(
  state: ClusterState,
  rule: Rule,
  selector: SelectorNode | undefined,
  p: Packet,
): boolean {
  const { ports, notPorts } = rule.source;
  if (ports.length === 0 && notPorts.length === 0) return true;
  if (p.srcPort !== undefined) {
    const hit = (e: PortMatch) => portEntryMatches(state, e, p.srcPort!, p.src, p.protocol, selector);
    if (ports.length > 0 && !ports.some(hit)) return false;
    return !notPorts.some(hit);
  }
  const ranges = (list: readonly PortMatch[]) =>
    list.flatMap((e) => (e.kind === "range" ? [e] : [])).sort((a, b) => a.min - b.min);
  if (ports.length > 0 && !covers(ranges(ports), EPHEMERAL_PORTS.min, EPHEMERAL_PORTS.max)) return false;
  return !ranges(notPorts).some((r) => r.max >= EPHEMERAL_PORTS.min && r.min <= EPHEMERAL_PORTS.max);
}

function covers(sorted: readonly { min: number; max: number }[], min: number, max: number): boolean {
  let next = min;
  for (const r of sorted) {
    if (r.min > next) break;
    if (r.max >= next) next = r.max + 1;
    if (next > max) return true;
  }
  return next > max;
}

function icmpMatches(match: { type: number; code?: number }, p: Packet): boolean {
  if (p.icmpType !== match.type) return false;
  return match.code === undefined || p.icmpCode === match.code;
}

/**
 * Does `rule` match packet `p`? Every field of a rule is ANDed; entries of one list are ORed
 * (calico-semantics §3.4). `selector` and `nets` on one side are ANDed too.
 */
export function ruleMatches(state: ClusterState, rule: Rule, p: Packet): boolean {
  if (!renderedFor(rule, p.src.family)) return false;
  if (rule.protocol && rule.protocol.number !== p.protocol) return false;
  if (rule.notProtocol && rule.notProtocol.number === p.protocol) return false;
  if (rule.icmp && !icmpMatches(rule.icmp, p)) return false;
  if (rule.notICMP && icmpMatches(rule.notICMP, p)) return false;

  const c = compile(rule);
  const { source: s, destination: d } = rule;
  if (s.nets.length > 0 && !inAny(s.nets, p.src)) return false;
  if (inAny(s.notNets, p.src)) return false;
  if (d.nets.length > 0 && !inAny(d.nets, p.dst)) return false;
  if (inAny(d.notNets, p.dst)) return false;
  if (c.srcSelector && !inSet(state, c.srcSelector, p.src)) return false;
  if (c.srcNotSelector && inSet(state, c.srcNotSelector, p.src)) return false;
  if (c.dstSelector && !inSet(state, c.dstSelector, p.dst)) return false;
  if (c.dstNotSelector && inSet(state, c.dstNotSelector, p.dst)) return false;
  // `services` match Kubernetes Service endpoints (pod addresses and ports), which this model does
  // not hold: such a rule side never matches host traffic here (docs/engine.md).
  if (s.services || d.services) return false;
  if (!srcPortsMatch(state, rule, c.srcSelector, p)) return false;
  return dstPortsMatch(state, rule, c.dstSelector, p);
}
