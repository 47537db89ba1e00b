/**
 * FelixConfiguration, reduced to the parameters hostguard models (calico-semantics §5.9, §7).
 *
 * - Scope from the name (§7.4): `default` is global, `node.<name>` is per node, any other name is
 *   selector-scoped by `spec.nodeSelector` (v3.32; without one it applies to no node).
 * - Spec fields: `failsafeInboundHostPorts` / `failsafeOutboundHostPorts` are `*[]ProtoPort` in Go, so an
 *   absent list (use the lower-precedence value) differs from `[]` (Felix's `none`). Protocols are accepted
 *   in any case here and canonicalised; Calico's validator wants upper case and src/calico/validate/ says so.
 * - Annotations `config.projectcalico.org/<Param>` override the spec field of the same resource and are not
 *   validated by Calico (`extractAnnotations`, libcalico-go/lib/backend/syncersv1/updateprocessors/
 *   configurationprocessor.go). Felix matches parameter names case-insensitively.
 */
import { parseCidr } from "../net/ip.js";
import { err, ok, type FieldError, type Result } from "../result.js";
import type {
  ApiVersion,
  Cidr,
  EndpointToHostAction,
  FelixConfiguration,
  FelixFields,
  FelixScope,
  FelixValue,
  ProtoPort,
  ProtoPortProtocol,
} from "../types.js";
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
  report,
} from "./decode.js";
import { parseFelixPortList } from "./felix-portlist.js";
import { objectMeta, readMetadata } from "./metadata.js";
import { readOptionalSelector } from "./selector-field.js";

const ANNOTATION_PREFIX = "config.projectcalico.org/";

const PROTO_PORT_PROTOCOLS: readonly ProtoPortProtocol[] = ["TCP", "UDP", "SCTP"];
const ENDPOINT_TO_HOST_ACTIONS: readonly EndpointToHostAction[] = ["Drop", "Accept", "Return"];

function readProtoPort(value: unknown, path: string, errors: Errors): ProtoPort | undefined {
  const before = errors.length;
  const object = readObject(value, path, errors);
  if (object === undefined)
    return errors.length === before ? report(errors, path, "must be an object") : undefined;
  const protocolText = readString(get(object, "protocol"), child(path, "protocol"), errors);
  let protocol: ProtoPortProtocol | undefined;
  if (protocolText !== undefined) {
    protocol = PROTO_PORT_PROTOCOLS.find((p) => p === protocolText.toUpperCase());
    if (protocol === undefined) {
      report(
        errors,
        child(path, "protocol"),
        `must be TCP, UDP or SCTP, not ${JSON.stringify(protocolText)}`,
      );
    }
  } else if (errors.length === before) {
    report(errors, child(path, "protocol"), "is required");
  }
  const port = readInteger(get(object, "port"), child(path, "port"), errors);
  if (port === undefined) {
    if (errors.length === before) report(errors, child(path, "port"), "is required");
  } else if (port < 0 || port > 65535) {
    // A Go uint16: 0 decodes (and Calico accepts it), 65536 does not.
    report(errors, child(path, "port"), `port ${port} is out of range 0-65535`);
  }
  const netText = readString(get(object, "net"), child(path, "net"), errors);
  // Calico does not validate `net`, but Felix fails to load a bad one (calico-semantics §7.2).
  const net: Cidr | undefined =
    netText === undefined || netText === ""
      ? undefined
      : fromResult(parseCidr(netText), child(path, "net"), errors);
  if (errors.length > before || protocol === undefined || port === undefined) return undefined;
  return { protocol, port, ...(net !== undefined && { net }) };
}

function readProtoPorts(value: unknown, path: string, errors: Errors): ProtoPort[] | undefined {
  return readList(value, path, errors, (element, p) => readProtoPort(element, p, errors));
}

function endpointToHostAction(text: string): EndpointToHostAction | undefined {
  return ENDPOINT_TO_HOST_ACTIONS.find((a) => a.toLowerCase() === text.toLowerCase());
}

function readEndpointToHostAction(
  value: unknown,
  path: string,
  errors: Errors,
): EndpointToHostAction | undefined {
  const text = readString(value, path, errors);
  if (text === undefined || text === "") return undefined;
  return (
    endpointToHostAction(text) ??
    report(errors, path, `must be Drop, Accept or Return, not ${JSON.stringify(text)}`)
  );
}

function scopeOf(name: string, spec: JsonObject, errors: Errors): FelixScope {
  if (name === "default") return { kind: "global" };
  if (name.startsWith("node.")) return { kind: "node", node: name.slice("node.".length) };
  const nodeSelector = readOptionalSelector(get(spec, "nodeSelector"), "spec.nodeSelector", errors);
  return nodeSelector === undefined ? { kind: "selector" } : { kind: "selector", nodeSelector };
}

type Field = keyof FelixFields;

const PARAM_BY_LOWER_NAME: ReadonlyMap<string, Field> = new Map([
  ["failsafeinboundhostports", "failsafeInboundHostPorts"],
  ["failsafeoutboundhostports", "failsafeOutboundHostPorts"],
  ["defaultendpointtohostaction", "defaultEndpointToHostAction"],
]);

interface Overrides {
  failsafeInboundHostPorts?: FelixValue<readonly ProtoPort[]>;
  failsafeOutboundHostPorts?: FelixValue<readonly ProtoPort[]>;
  defaultEndpointToHostAction?: FelixValue<EndpointToHostAction>;
}

/** The `config.projectcalico.org/*` annotations for the modelled parameters, in Felix's string format. */
function readAnnotationOverrides(annotations: ReadonlyMap<string, string>, errors: Errors): Overrides {
  const out: Overrides = {};
  const seen = new Map<Field, string>();
  for (const [key, raw] of annotations) {
    if (!key.startsWith(ANNOTATION_PREFIX)) continue;
    const field = PARAM_BY_LOWER_NAME.get(key.slice(ANNOTATION_PREFIX.length).toLowerCase());
    if (field === undefined) continue;
    const path = child("metadata.annotations", key);
    const earlier = seen.get(field);
    if (earlier !== undefined) {
      // Felix would take one of them, depending on map order: nobody can tell which.
      report(errors, path, `sets the same Felix parameter as ${JSON.stringify(earlier)}`);
      continue;
    }
    seen.set(field, key);
    if (field === "defaultEndpointToHostAction") {
      // Felix's parameter is `oneof(DROP,RETURN,ACCEPT)`, matched case-insensitively.
      const action = endpointToHostAction(raw);
      if (action === undefined)
        report(errors, path, `must be Drop, Accept or Return, not ${JSON.stringify(raw)}`);
      else out[field] = { value: action, source: "annotation" };
    } else {
      const list = parseFelixPortList(raw);
      if (list.ok) out[field] = { value: list.value, source: "annotation" };
      else report(errors, path, `Felix cannot parse this failsafe list: ${list.error}`);
    }
  }
  return out;
}

function fromSpec<T>(value: T | undefined): FelixValue<T> | undefined {
  return value === undefined ? undefined : { value, source: "spec" };
}

export function normalizeFelixConfiguration(
  object: JsonObject,
  apiVersion: ApiVersion,
): Result<FelixConfiguration, FieldError[]> {
  const errors: Errors = [];
  const meta = readMetadata(object, apiVersion, errors);
  const spec = readObject(get(object, "spec"), "spec", errors) ?? {};
  const inbound = readProtoPorts(
    get(spec, "failsafeInboundHostPorts"),
    "spec.failsafeInboundHostPorts",
    errors,
  );
  const outbound = readProtoPorts(
    get(spec, "failsafeOutboundHostPorts"),
    "spec.failsafeOutboundHostPorts",
    errors,
  );
  const action = readEndpointToHostAction(
    get(spec, "defaultEndpointToHostAction"),
    "spec.defaultEndpointToHostAction",
    errors,
  );
  if (meta === undefined) return err(errors);
  const scope = scopeOf(meta.name, spec, errors);
  const overrides = readAnnotationOverrides(meta.annotations, errors);
  if (errors.length > 0) return err(errors);
  const failsafeInboundHostPorts = overrides.failsafeInboundHostPorts ?? fromSpec(inbound);
  const failsafeOutboundHostPorts = overrides.failsafeOutboundHostPorts ?? fromSpec(outbound);
  const defaultEndpointToHostAction = overrides.defaultEndpointToHostAction ?? fromSpec(action);
  const fields: FelixFields = {
    ...(failsafeInboundHostPorts !== undefined && { failsafeInboundHostPorts }),
    ...(failsafeOutboundHostPorts !== undefined && { failsafeOutboundHostPorts }),
    ...(defaultEndpointToHostAction !== undefined && { defaultEndpointToHostAction }),
  };
  return ok({ kind: "FelixConfiguration", ...objectMeta(meta), scope, fields });
}
