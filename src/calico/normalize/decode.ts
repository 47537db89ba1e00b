/**
 * Small readers for untrusted JSON: each checks one value's type, records a FieldError at its path
 * when the type is wrong, and returns undefined instead of throwing.
 *
 * Go's encoding/json (which Calico uses) and the Kubernetes API server both treat a JSON `null` like an
 * absent field, so every reader here does too. Unknown fields are ignored, as Go ignores them and the
 * API server prunes them from CRD objects.
 */
import { describeType } from "../ports.js";
import type { FieldError, Result } from "../result.js";

export type JsonObject = { readonly [key: string]: unknown };

/** Where errors are collected while one object is decoded. */
export type Errors = FieldError[];

export function isObject(value: unknown): value is JsonObject {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

/** An own property only: a key like `constructor` must never find Object.prototype. */
export function get(object: JsonObject, key: string): unknown {
  return Object.hasOwn(object, key) ? object[key] : undefined;
}

import { child, item } from "../field-path.js";

export { child, item };

export function report(errors: Errors, path: string, reason: string): undefined {
  errors.push({ path, reason });
  return undefined;
}

function wrongType(errors: Errors, path: string, expected: string, value: unknown): undefined {
  return report(errors, path, `must be ${expected}, not ${describeType(value)}`);
}

function absent(value: unknown): value is null | undefined {
  return value === undefined || value === null;
}

export function readString(value: unknown, path: string, errors: Errors): string | undefined {
  if (absent(value)) return undefined;
  return typeof value === "string" ? value : wrongType(errors, path, "a string", value);
}

export function readBoolean(value: unknown, path: string, errors: Errors): boolean | undefined {
  if (absent(value)) return undefined;
  return typeof value === "boolean" ? value : wrongType(errors, path, "a boolean", value);
}

/** A finite JSON number (Go float64). */
export function readNumber(value: unknown, path: string, errors: Errors): number | undefined {
  if (absent(value)) return undefined;
  if (typeof value !== "number") return wrongType(errors, path, "a number", value);
  return Number.isFinite(value) ? value : report(errors, path, `must be a finite number, not ${value}`);
}

/** A JSON integer (Go int / uint16): `8.5` is a decode error in Go. */
export function readInteger(value: unknown, path: string, errors: Errors): number | undefined {
  const n = readNumber(value, path, errors);
  if (n === undefined) return undefined;
  return Number.isSafeInteger(n) ? n : report(errors, path, `must be an integer, not ${n}`);
}

export function readObject(value: unknown, path: string, errors: Errors): JsonObject | undefined {
  if (absent(value)) return undefined;
  return isObject(value) ? value : wrongType(errors, path, "an object", value);
}

/**
 * Decodes each element of a list; elements that fail are left out (their errors are recorded).
 * Returns undefined when the field is absent, so callers can tell `[]` from "not set".
 */
export function readList<T>(
  value: unknown,
  path: string,
  errors: Errors,
  decodeItem: (element: unknown, path: string) => T | undefined,
): T[] | undefined {
  if (absent(value)) return undefined;
  if (!Array.isArray(value)) return wrongType(errors, path, "a list", value);
  const out: T[] = [];
  value.forEach((element: unknown, i) => {
    const decoded = decodeItem(element, item(path, i));
    if (decoded !== undefined) out.push(decoded);
  });
  return out;
}

/** A list of strings (`profiles`, `serviceAccounts.names`). */
export function readStringList(value: unknown, path: string, errors: Errors): string[] | undefined {
  return readList(value, path, errors, (element, p) => {
    if (typeof element === "string") return element;
    return absent(element)
      ? report(errors, p, "must be a string, not null")
      : wrongType(errors, p, "a string", element);
  });
}

/** A map of string to string (`labels`, `annotations`); a Map, so that keys never reach Object.prototype. */
export function readStringMap(value: unknown, path: string, errors: Errors): Map<string, string> | undefined {
  const object = readObject(value, path, errors);
  if (object === undefined) return undefined;
  const out = new Map<string, string>();
  for (const [key, v] of Object.entries(object)) {
    if (typeof v === "string") out.set(key, v);
    else wrongType(errors, child(path, key), "a string", v);
  }
  return out;
}

/** Records a primitive parser's failure at `path`. */
export function fromResult<T>(result: Result<T, string>, path: string, errors: Errors): T | undefined {
  return result.ok ? result.value : report(errors, path, result.error);
}
