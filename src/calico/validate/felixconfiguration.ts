/**
 * FelixConfiguration (calico-semantics §7): validateFelixConfigSpec and validateProtoPort
 * (libcalico-go/lib/validator/v3/validator.go) and the `dropAcceptReturn` field validator; plus, beyond
 * Calico's validator, what Felix itself refuses to load: SCTP or an unparseable `net` in a failsafe list,
 * and `config.projectcalico.org/<Param>` annotations, which Calico passes to Felix unvalidated
 * (updateprocessors/configurationprocessor.go) and which Felix parses with die-on-fail parameters.
 */
import { parseCidr } from "../net/ip.js";
import {
  effectiveMeta,
  validateLabelsAndAnnotations,
  validateSubdomainName,
  type ApiGroup,
} from "./metadata.js";
import { parseFelixPortList } from "../normalize/felix-portlist.js";
import { parseFelixEndpointToHostAction } from "./felix-endpoint-action.js";
import {
  asInteger,
  child,
  type Errors,
  get,
  getArray,
  getObject,
  isObject,
  item,
  type JsonObject,
  report,
  show,
} from "./util.js";

/** validator.go `dropAcceptReturnRegex`: case-sensitive in v3.32.1 (the CRD pattern is case-insensitive). */
const ENDPOINT_TO_HOST_ACTIONS = ["Drop", "Accept", "Return"] as const;
/** validateProtoPort. */
const PROTO_PORT_PROTOCOLS = ["TCP", "UDP", "SCTP"] as const;
/** validateFelixConfigSpec: the iptables multiport match takes 15 ports, each range uses 2. */
const MAX_NODE_PORT_RANGES = 7;

export const CONFIG_ANNOTATION_PREFIX = "config.projectcalico.org/";

const FELIX_REFUSES =
  "Felix's failsafe parser accepts only tcp and udp and the parameter is die-on-fail, so calico-node would refuse to load this configuration";

/** validateProtoPort (protocol), ProtoPort `Port uint16`, and Felix's PortListParam (SCTP, `net`). */
function checkFailsafeList(spec: JsonObject, key: string, errors: Errors): void {
  const listPath = child("spec", key);
  getArray(spec, key)?.forEach((entry, i) => {
    if (!isObject(entry)) return;
    const path = item(listPath, i);
    const protocol = get(entry, "protocol");
    if (protocol === undefined || protocol === "") {
      report(errors, child(path, "protocol"), "protocol is required: TCP or UDP");
    } else if (typeof protocol === "string") {
      if (!(PROTO_PORT_PROTOCOLS as readonly string[]).includes(protocol)) {
        const upper = protocol.toUpperCase();
        report(
          errors,
          child(path, "protocol"),
          (PROTO_PORT_PROTOCOLS as readonly string[]).includes(upper)
            ? `protocol ${show(protocol)} must be upper case: Calico's validator accepts exactly "TCP", "UDP" or "SCTP"`
            : `protocol ${show(protocol)} is invalid: Calico accepts "TCP", "UDP" or "SCTP", and Felix only TCP and UDP`,
        );
      } else if (protocol === "SCTP") {
        report(
          errors,
          child(path, "protocol"),
          `protocol SCTP is accepted by Calico's API, but ${FELIX_REFUSES}`,
        );
      }
    }

    const port = get(entry, "port");
    if (typeof port === "number") {
      const n = asInteger(port);
      if (n === undefined || n < 0 || n > 65535) {
        report(
          errors,
          child(path, "port"),
          `port ${show(port)} is invalid: failsafe ports are integers 0-65535`,
        );
      }
    }

    const net = get(entry, "net");
    if (typeof net === "string" && net !== "" && !parseCidr(net).ok) {
      report(
        errors,
        child(path, "net"),
        `net ${show(net)} is not a CIDR or IP: Calico does not check it, but Felix's failsafe parser does and the parameter is die-on-fail, so calico-node would refuse to load this configuration`,
      );
    }
  });
}

/** validateFelixConfigSpec: at most 7 KubeNodePortRanges, no named ports. */
function checkNodePortRanges(spec: JsonObject, errors: Errors): void {
  const ranges = getArray(spec, "kubeNodePortRanges");
  if (ranges === undefined) return;
  if (ranges.length > MAX_NODE_PORT_RANGES) {
    report(
      errors,
      "spec.kubeNodePortRanges",
      `has ${ranges.length} entries; Calico allows at most ${MAX_NODE_PORT_RANGES} (iptables multiport takes 15 ports, a range counts as 2)`,
    );
  }
  ranges.forEach((r, i) => {
    if (typeof r === "string" && !/^[0-9]+$/.test(r) && !/^[0-9]+:[0-9]+$/.test(r)) {
      report(
        errors,
        item("spec.kubeNodePortRanges", i),
        `${show(r)} is a named port: node port ranges must be numbers or "min:max" ranges`,
      );
    }
  });
}

/** configurationprocessor.go annotation overrides, parsed by Felix (config_params.go, param_types.go). */
function checkConfigAnnotations(object: JsonObject, group: ApiGroup, errors: Errors): void {
  for (const { key, value, path } of effectiveMeta(object, group).annotations) {
    if (!key.startsWith(CONFIG_ANNOTATION_PREFIX)) continue;
    // Felix matches parameter names case-insensitively (config_params.go).
    const param = key.slice(CONFIG_ANNOTATION_PREFIX.length);
    switch (param.toLowerCase()) {
      case "failsafeinboundhostports":
      case "failsafeoutboundhostports": {
        const parsed = parseFelixPortList(value);
        if (!parsed.ok) {
          report(
            errors,
            path,
            `Felix cannot parse ${param} ${parsed.error}; expected a comma list of <port>, <proto>:<port> or <proto>:<net>:<port> (tcp or udp, IPv6 nets in [...], "none" for empty): Calico passes the annotation through unvalidated and the parameter is die-on-fail, so calico-node would refuse to load it`,
          );
        }
        break;
      }
      case "defaultendpointtohostaction": {
        const parsed = parseFelixEndpointToHostAction(value);
        if (!parsed.ok) {
          report(
            errors,
            path,
            `Felix cannot use DefaultEndpointToHostAction ${show(value)}: ${parsed.error}; Calico passes the annotation through unvalidated and the parameter is die-on-fail, so calico-node would refuse to load it`,
          );
        }
        break;
      }
      default:
        break;
    }
  }
}

export function validateFelixConfiguration(object: JsonObject, group: ApiGroup, errors: Errors): void {
  const meta = effectiveMeta(object, group);
  validateSubdomainName(meta, errors);
  validateLabelsAndAnnotations(meta, errors);
  checkConfigAnnotations(object, group, errors);

  const spec = getObject(object, "spec");
  if (spec === undefined) return;
  // `DefaultEndpointToHostAction ... validate:"omitempty,dropAcceptReturn"` (validateFelixEtoHAction).
  const action = get(spec, "defaultEndpointToHostAction");
  if (
    typeof action === "string" &&
    action !== "" &&
    !(ENDPOINT_TO_HOST_ACTIONS as readonly string[]).includes(action)
  ) {
    const folded = ENDPOINT_TO_HOST_ACTIONS.find((a) => a.toLowerCase() === action.toLowerCase());
    report(
      errors,
      "spec.defaultEndpointToHostAction",
      `${show(action)} is invalid: Calico (v3.32.1) accepts exactly Drop, Accept or Return${folded !== undefined ? ` (case-sensitive: use "${folded}")` : ""}`,
    );
  }
  checkFailsafeList(spec, "failsafeInboundHostPorts", errors);
  checkFailsafeList(spec, "failsafeOutboundHostPorts", errors);
  checkNodePortRanges(spec, errors);
}
