/**
 * Per-object limits: sizes no real cluster reaches, but past which one object would cost a replica
 * seconds and hundreds of MB (docs/operations.md, "Limits"). Counted on the raw object, before any
 * decoding, so an oversized object is refused before it costs anything. Pure and total: never throws.
 */
import { getArray, getObject, getString, isObject } from "./validate/util.js";

export interface ObjectLimits {
  /** the object as JSON, in bytes */
  readonly maxObjectBytes: number;
  /** ingress plus egress rules of one policy */
  readonly maxRulesPerPolicy: number;
  /** entries of one `ports`/`notPorts` list (a rule's source or destination, a HostEndpoint, a failsafe list) */
  readonly maxPortsPerList: number;
  /** entries of one list of nets, IPs, names or domains */
  readonly maxEntriesPerList: number;
  /** characters of one selector expression */
  readonly maxSelectorChars: number;
}

export const DEFAULT_LIMITS: ObjectLimits = {
  maxObjectBytes: 1024 * 1024,
  maxRulesPerPolicy: 2000,
  maxPortsPerList: 1000,
  maxEntriesPerList: 10_000,
  maxSelectorChars: 65_536,
};

/** One limit an object exceeds. */
export interface LimitExceeded {
  /** where, as a field path (`spec.ingress[3].destination.ports`); `""` for the whole object */
  readonly path: string;
  /** what is counted, for the message: "rules", "ports", "entries", "characters", "bytes" */
  readonly unit: string;
  readonly count: number;
  readonly max: number;
  /** how to bring the object under the limit */
  readonly split: string;
}

const SELECTOR_FIELDS = ["selector", "notSelector", "namespaceSelector", "serviceAccountSelector"];
const ENTITY_LISTS = ["nets", "notNets"];

/** The JSON size of `object` in bytes (what etcd and the webhook receive, near enough). */
export function jsonBytes(object: unknown): number {
  try {
    return Buffer.byteLength(JSON.stringify(object) ?? "", "utf8");
  } catch {
    return 0;
  }
}

class Counter {
  readonly over: LimitExceeded[] = [];
  constructor(readonly limits: ObjectLimits) {}

  list(parent: unknown, key: string, path: string, max: number, unit: string, split: string): void {
    const list = getArray(parent, key);
    if (list !== undefined && list.length > max) {
      this.over.push({ path: path ? `${path}.${key}` : key, unit, count: list.length, max, split });
    }
  }

  selectors(parent: unknown, path: string): void {
    for (const key of SELECTOR_FIELDS) {
      const text = getString(parent, key);
      if (text !== undefined && text.length > this.limits.maxSelectorChars) {
        this.over.push({
          path: `${path}.${key}`,
          unit: "characters",
          count: text.length,
          max: this.limits.maxSelectorChars,
          split: "label the selected objects and match the label instead of listing values",
        });
      }
    }
  }

  entity(rule: unknown, path: string): void {
    const { maxPortsPerList, maxEntriesPerList } = this.limits;
    for (const side of ["source", "destination"]) {
      const entity = getObject(rule, side);
      if (entity === undefined) continue;
      const at = `${path}.${side}`;
      for (const key of ["ports", "notPorts"]) {
        this.list(
          entity,
          key,
          at,
          maxPortsPerList,
          "ports",
          "split the rule into several rules with the same match, each listing some of the ports (port ranges count once)",
        );
      }
      for (const key of ENTITY_LISTS) {
        this.list(
          entity,
          key,
          at,
          maxEntriesPerList,
          "nets",
          "put the nets into GlobalNetworkSets with a common label and match them with the rule's selector",
        );
      }
      this.list(
        getObject(entity, "serviceAccounts"),
        "names",
        `${at}.serviceAccounts`,
        maxEntriesPerList,
        "names",
        "match the service accounts by label (serviceAccounts.selector) instead of by name",
      );
      this.selectors(entity, at);
    }
  }
}

/**
 * The limits `object` exceeds, `[]` when none. `bytes` is its JSON size when the caller already has
 * it (else it is measured).
 */
export function exceededLimits(
  object: unknown,
  limits: ObjectLimits = DEFAULT_LIMITS,
  bytes: number = jsonBytes(object),
): LimitExceeded[] {
  const c = new Counter(limits);
  if (bytes > limits.maxObjectBytes) {
    c.over.push({
      path: "",
      unit: "bytes",
      count: bytes,
      max: limits.maxObjectBytes,
      split: "split it into several smaller objects of the same kind",
    });
  }
  if (!isObject(object)) return c.over;
  const spec = getObject(object, "spec");
  const kind = getString(object, "kind");
  if (spec === undefined) return c.over;
  const entries = limits.maxEntriesPerList;
  switch (kind) {
    case "GlobalNetworkPolicy":
    case "NetworkPolicy": {
      const ingress = getArray(spec, "ingress") ?? [];
      const egress = getArray(spec, "egress") ?? [];
      if (ingress.length + egress.length > limits.maxRulesPerPolicy) {
        c.over.push({
          path: "spec.ingress+spec.egress",
          unit: "rules",
          count: ingress.length + egress.length,
          max: limits.maxRulesPerPolicy,
          split:
            "split the rules over several policies with the same selector and tier and consecutive order values (Log and Pass rules included)",
        });
      }
      ingress.forEach((rule, i) => c.entity(rule, `spec.ingress[${i}]`));
      egress.forEach((rule, i) => c.entity(rule, `spec.egress[${i}]`));
      c.selectors(spec, "spec");
      break;
    }
    case "GlobalNetworkSet":
      c.list(
        spec,
        "nets",
        "spec",
        entries,
        "nets",
        "split the nets over several GlobalNetworkSets with the same labels",
      );
      c.list(
        spec,
        "allowedEgressDomains",
        "spec",
        entries,
        "domains",
        "split the domains over several GlobalNetworkSets with the same labels",
      );
      break;
    case "HostEndpoint":
      c.list(spec, "expectedIPs", "spec", entries, "IPs", "split the interfaces over several HostEndpoints");
      c.list(spec, "profiles", "spec", entries, "profiles", "use fewer profiles");
      c.list(
        spec,
        "ports",
        "spec",
        limits.maxPortsPerList,
        "named ports",
        "split the interfaces over several HostEndpoints",
      );
      break;
    case "FelixConfiguration":
      for (const key of ["failsafeInboundHostPorts", "failsafeOutboundHostPorts"]) {
        c.list(
          spec,
          key,
          "spec",
          limits.maxPortsPerList,
          "ports",
          "allow the extra ports with a GlobalNetworkPolicy instead",
        );
      }
      break;
    default:
      break;
  }
  return c.over;
}

/** One line per exceeded limit: where, the object's count, the limit, and how to split the object. */
export function limitLines(over: readonly LimitExceeded[]): string[] {
  return over.map(
    (o) =>
      `${o.path === "" ? "the object" : o.path} has ${o.count} ${o.unit}, over hostguard's limit of ${o.max}: ${o.split}`,
  );
}
