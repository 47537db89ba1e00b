/**
 * HostEndpoint (calico-semantics §9.1, §10): validateHostEndpointSpec and the field tags of
 * HostEndpointSpec / EndpointPort (api/pkg/apis/projectcalico/v3/hostendpoint.go, v3.32 CEL rules), plus
 * what Felix's own re-validation of the v1 model adds (libcalico-go/lib/validator/v1
 * `validateBackendEndpointPort`, calico-semantics §11).
 */
import { parseCidr, parseIp } from "../net/ip.js";
import { portNameProblem } from "../ports.js";
import { parseProtocol } from "../protocol.js";
import {
  effectiveMeta,
  validateLabelsAndAnnotations,
  validateSubdomainName,
  type ApiGroup,
} from "./metadata.js";
import { INTERFACE_REGEX, subdomainNameProblem } from "./names.js";
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

const PORT_PROTOCOLS = ["TCP", "UDP", "SCTP"] as const;

/**
 * EndpointPort: `Name ... validate:"portName"`, validateEndpointPort (protocol SupportsPorts), `Port ... gt=0`;
 * Felix's v1 re-validation (validator/v1 validateBackendEndpointPort) compares the lower-cased protocol name.
 */
function checkPorts(spec: JsonObject, errors: Errors): void {
  getArray(spec, "ports")?.forEach((port, i) => {
    if (!isObject(port)) return;
    const path = item("spec.ports", i);
    const name = get(port, "name");
    if (name === undefined || name === "") {
      report(
        errors,
        child(path, "name"),
        "named port needs a name: HostEndpoint ports exist to be referenced by name in policy rules",
      );
    } else if (typeof name === "string") {
      const problem = portNameProblem(name);
      if (problem !== undefined)
        report(
          errors,
          child(path, "name"),
          `port name ${show(name)} ${problem} (Kubernetes port-name syntax)`,
        );
    }

    const protocol = get(port, "protocol");
    if (protocol === undefined) {
      report(errors, child(path, "protocol"), "named port needs a protocol: TCP, UDP or SCTP");
    } else {
      const parsed = parseProtocol(protocol);
      if (parsed.ok && !(PORT_PROTOCOLS as readonly string[]).includes(String(protocol))) {
        const byNumber =
          parsed.value.number === 6 || parsed.value.number === 17 || parsed.value.number === 132;
        report(
          errors,
          child(path, "protocol"),
          byNumber
            ? `protocol ${show(protocol)} must be written as a name (TCP, UDP or SCTP): Felix re-validates HostEndpoint ports by protocol name and treats the HostEndpoint as missing otherwise`
            : `protocol ${show(protocol)} has no ports: a named port's protocol must be TCP, UDP or SCTP`,
        );
      }
    }

    const number = asInteger(get(port, "port"));
    if (number !== undefined && (number < 1 || number > 65535)) {
      report(errors, child(path, "port"), `port ${number} is out of range: named ports are 1-65535`);
    } else if (get(port, "port") === undefined) {
      report(errors, child(path, "port"), "named port needs a port number (1-65535)");
    }
  });
}

export function validateHostEndpoint(object: JsonObject, group: ApiGroup, errors: Errors): void {
  const meta = effectiveMeta(object, group);
  validateSubdomainName(meta, errors);
  validateLabelsAndAnnotations(meta, errors);

  const spec = getObject(object, "spec");
  if (spec === undefined) {
    report(errors, "spec.node", "node is required: a HostEndpoint belongs to one node");
    return;
  }

  // validateHostEndpointSpec "no node has been specified"; `Node ... validate:"omitempty,name"`.
  const node = get(spec, "node");
  if (node === undefined || node === "") {
    report(errors, "spec.node", "node is required: a HostEndpoint belongs to one node");
  } else if (typeof node === "string") {
    const problem = subdomainNameProblem(node);
    if (problem !== undefined) report(errors, "spec.node", `node name ${show(node)} ${problem}`);
  }

  // validateHostEndpointSpec "no interface or expected IPs have been specified"; validateInterface.
  const rawInterface = get(spec, "interfaceName");
  const rawIPs = get(spec, "expectedIPs");
  const interfaceName = typeof rawInterface === "string" ? rawInterface : "";
  const expectedIPs = getArray(spec, "expectedIPs");
  const interfaceUnset = rawInterface === undefined || rawInterface === "";
  const ipsUnset = rawIPs === undefined || (expectedIPs !== undefined && expectedIPs.length === 0);
  if (interfaceUnset && ipsUnset) {
    report(
      errors,
      "spec.interfaceName",
      'no interfaceName or expectedIPs: a HostEndpoint must name an interface (or "*") and/or list expected IPs',
    );
  }
  if (interfaceName !== "" && interfaceName !== "*" && !INTERFACE_REGEX.test(interfaceName)) {
    report(
      errors,
      "spec.interfaceName",
      `interface name ${show(interfaceName)} is invalid: use "*" or 1-15 characters from letters, digits, '_', '.', '-'`,
    );
  }

  // hostendpoint.go `ExpectedIPs ... validate:"omitempty,dive,ip"`.
  expectedIPs?.forEach((ip, i) => {
    if (typeof ip !== "string" || parseIp(ip).ok) return;
    // A CIDR parses, but expectedIPs takes addresses (`dive,ip`); anything else is a decode error.
    if (ip.includes("/") && parseCidr(ip).ok) {
      report(
        errors,
        item("spec.expectedIPs", i),
        `${show(ip)} is a CIDR: expectedIPs lists the interface's IP addresses, without a prefix length`,
      );
    }
  });

  // hostendpoint.go `Profiles ... validate:"omitempty,dive,name"`.
  getArray(spec, "profiles")?.forEach((profile, i) => {
    if (typeof profile !== "string") return;
    const problem = subdomainNameProblem(profile);
    if (problem !== undefined)
      report(errors, item("spec.profiles", i), `profile name ${show(profile)} ${problem}`);
  });

  checkPorts(spec, errors);
}
