/**
 * A Kubernetes Node, slimmed to labels and addresses. Only `InternalIP` and `ExternalIP` entries of
 * `status.addresses` matter (auto HEPs take InternalIPs, calico-semantics §9.2; flows use the first
 * InternalIP); `Hostname` and other types are ignored.
 */
import { parseIp } from "../net/ip.js";
import { err, ok, type FieldError, type Result } from "../result.js";
import type { IpAddress, NodeResource } from "../types.js";
import {
  child,
  type Errors,
  fromResult,
  get,
  type JsonObject,
  readList,
  readObject,
  readString,
} from "./decode.js";
import { objectMeta, readMetadata } from "./metadata.js";

interface Address {
  readonly type: string;
  readonly ip: IpAddress;
}

function readAddress(value: unknown, path: string, errors: Errors): Address | undefined {
  const object = readObject(value, path, errors);
  if (object === undefined) return undefined;
  const type = readString(get(object, "type"), child(path, "type"), errors);
  if (type !== "InternalIP" && type !== "ExternalIP") return undefined;
  const address = readString(get(object, "address"), child(path, "address"), errors) ?? "";
  const ip = fromResult(parseIp(address), child(path, "address"), errors);
  return ip === undefined ? undefined : { type, ip };
}

export function normalizeNode(object: JsonObject): Result<NodeResource, FieldError[]> {
  const errors: Errors = [];
  const meta = readMetadata(object, "v1", errors);
  const status = readObject(get(object, "status"), "status", errors) ?? {};
  const addresses =
    readList(get(status, "addresses"), "status.addresses", errors, (v, p) => readAddress(v, p, errors)) ?? [];
  if (meta === undefined || errors.length > 0) return err(errors);
  return ok({
    kind: "Node",
    ...objectMeta(meta),
    internalIPs: addresses.filter((a) => a.type === "InternalIP").map((a) => a.ip),
    externalIPs: addresses.filter((a) => a.type === "ExternalIP").map((a) => a.ip),
  });
}
