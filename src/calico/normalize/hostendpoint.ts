/**
 * HostEndpoint (api/pkg/apis/projectcalico/v3/hostendpoint.go; calico-semantics §9.1).
 * Required-field and format rules (node set, interface regex, interfaceName or expectedIPs) are validation's.
 */
import { parseIp } from "../net/ip.js";
import { parseProtocol } from "../protocol.js";
import { err, ok, type FieldError, type Result } from "../result.js";
import type { ApiVersion, HostEndpoint, NamedPort } from "../types.js";
import {
  child,
  type Errors,
  fromResult,
  get,
  type JsonObject,
  readInteger,
  readList,
  readObject,
  readString,
  readStringList,
  report,
} from "./decode.js";
import { objectMeta, readMetadata } from "./metadata.js";

/** `{name, protocol, port}`; port is a Go uint16, so 0..65535 decodes and validation requires ≥ 1. */
function readNamedPort(value: unknown, path: string, errors: Errors): NamedPort | undefined {
  const before = errors.length;
  const object = readObject(value, path, errors);
  if (object === undefined)
    return errors.length === before ? report(errors, path, "must be an object") : undefined;
  const name = readString(get(object, "name"), child(path, "name"), errors) ?? "";
  const protocolValue = get(object, "protocol");
  const protocol =
    protocolValue === undefined || protocolValue === null
      ? report(errors, child(path, "protocol"), "is required")
      : fromResult(parseProtocol(protocolValue), child(path, "protocol"), errors);
  const port = readInteger(get(object, "port"), child(path, "port"), errors);
  if (port === undefined) {
    if (errors.length === before) report(errors, child(path, "port"), "is required");
  } else if (port < 0 || port > 65535) {
    report(errors, child(path, "port"), `port ${port} is out of range (1-65535)`);
  }
  if (errors.length > before || protocol === undefined || port === undefined) return undefined;
  return { name, protocol, port };
}

export function normalizeHostEndpoint(
  object: JsonObject,
  apiVersion: ApiVersion,
): Result<HostEndpoint, FieldError[]> {
  const errors: Errors = [];
  const meta = readMetadata(object, apiVersion, errors);
  const spec = readObject(get(object, "spec"), "spec", errors) ?? {};
  const node = readString(get(spec, "node"), "spec.node", errors) ?? "";
  const interfaceName = readString(get(spec, "interfaceName"), "spec.interfaceName", errors) ?? "";
  // `dive,ip` in the v3 type: addresses only, a CIDR is an error (calico-semantics §9.1).
  const expectedIPs =
    readList(get(spec, "expectedIPs"), "spec.expectedIPs", errors, (v, p) =>
      typeof v === "string"
        ? fromResult(parseIp(v), p, errors)
        : report(errors, p, "must be an IP address string"),
    ) ?? [];
  const profiles = readStringList(get(spec, "profiles"), "spec.profiles", errors) ?? [];
  const ports =
    readList(get(spec, "ports"), "spec.ports", errors, (v, p) => readNamedPort(v, p, errors)) ?? [];
  if (meta === undefined || errors.length > 0) return err(errors);
  return ok({ kind: "HostEndpoint", ...objectMeta(meta), node, interfaceName, expectedIPs, profiles, ports });
}
