/**
 * Small, total helpers for reading the raw (undecoded) admission object.
 *
 * Validation runs on the object exactly as submitted, next to `normalize()`. Anything of the wrong JSON
 * type is normalize's to report; here such a value is simply treated as "not something this rule can
 * judge" and skipped. Nothing in this module throws, whatever the input.
 */
import type { FieldError } from "../result.js";

export type JsonObject = { readonly [key: string]: unknown };

/** Where one object's rule violations are collected. */
export type Errors = FieldError[];

export function isObject(value: unknown): value is JsonObject {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

/** An own property only, so a key like `constructor` never finds Object.prototype. `null` reads as absent. */
export function get(object: unknown, key: string): unknown {
  if (!isObject(object) || !Object.hasOwn(object, key)) return undefined;
  const value = object[key];
  return value === null ? undefined : value;
}

/** The property when it is an object, else undefined. */
export function getObject(object: unknown, key: string): JsonObject | undefined {
  const value = get(object, key);
  return isObject(value) ? value : undefined;
}

/** The property when it is a string, else undefined. */
export function getString(object: unknown, key: string): string | undefined {
  const value = get(object, key);
  return typeof value === "string" ? value : undefined;
}

/** The property when it is an array, else undefined. */
export function getArray(object: unknown, key: string): readonly unknown[] | undefined {
  const value = get(object, key);
  return Array.isArray(value) ? value : undefined;
}

/** A boolean property; anything but `true` is false (Go's zero value for an absent bool). */
export function getFlag(object: unknown, key: string): boolean {
  return get(object, key) === true;
}

/** Whether the property is present (and not null). */
export function has(object: unknown, key: string): boolean {
  return get(object, key) !== undefined;
}

/** A non-empty string property (Go cannot tell `""` from absent). */
export function nonEmptyString(object: unknown, key: string): string | undefined {
  const s = getString(object, key);
  return s === undefined || s === "" ? undefined : s;
}

/** Whether the property is a non-empty array (Go: `len(x) > 0`). */
export function nonEmptyArray(object: unknown, key: string): boolean {
  const a = getArray(object, key);
  return a !== undefined && a.length > 0;
}

/** String entries of a string-valued map object, in insertion order; other values are skipped. */
export function stringEntries(object: unknown): [string, string][] {
  if (!isObject(object)) return [];
  const out: [string, string][] = [];
  for (const key of Object.keys(object)) {
    const value = object[key];
    if (typeof value === "string") out.push([key, value]);
  }
  return out;
}

import { child, item } from "../field-path.js";

export { child, item };

export function report(errors: Errors, path: string, reason: string): void {
  errors.push({ path, reason });
}

/** A value for messages: strings quoted, the rest as JSON, shortened. */
export function show(value: unknown): string {
  let text: string;
  try {
    text = typeof value === "string" ? JSON.stringify(value) : (JSON.stringify(value) ?? String(value));
  } catch {
    text = String(value);
  }
  return text.length > 80 ? `${text.slice(0, 77)}...` : text;
}

/** A finite integer JSON number, else undefined. */
export function asInteger(value: unknown): number | undefined {
  return typeof value === "number" && Number.isSafeInteger(value) ? value : undefined;
}
