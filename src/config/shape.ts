/**
 * Reading untrusted, already-decoded YAML/JSON values: plain-object checks, own-property access and the
 * unknown-key check. A misspelt key (`port` for `ports`, `breakglass`) must be an error, never a silently
 * ignored field, because an ignored field quietly weakens the guard.
 */
import { describeType } from "../calico/ports.js";
import type { FieldError } from "../calico/result.js";
import { keyPath } from "./paths.js";

export type Errors = FieldError[];

export type JsonObject = Readonly<Record<string, unknown>>;

/**
 * Only plain objects count as mappings: a Date, Map or class instance passed to `parseConfig` from code
 * has no keys worth reading, and treating it as `{}` would quietly apply every default.
 */
export function isPlainObject(value: unknown): value is JsonObject {
  if (typeof value !== "object" || value === null || Array.isArray(value)) return false;
  const proto: unknown = Object.getPrototypeOf(value);
  return proto === Object.prototype || proto === null;
}

/** The value of an own key only: `constructor` or `__proto__` must never find Object.prototype. */
export function field(object: JsonObject, key: string): unknown {
  return Object.hasOwn(object, key) ? object[key] : undefined;
}

/** `an object`, `a string`, ... for "expected X, not Y" messages. */
export function typeOf(value: unknown): string {
  return describeType(value);
}

/**
 * Reports every key of `object` that is not in `allowed`, with a suggestion when the key looks like a
 * typo of an allowed one.
 */
export function checkKeys(
  object: JsonObject,
  allowed: readonly string[],
  path: string,
  errors: Errors,
): void {
  for (const key of Object.keys(object)) {
    if (allowed.includes(key)) continue;
    const guess = closest(key, allowed);
    const hint = guess === undefined ? "" : `did you mean "${guess}"? `;
    errors.push({
      path: keyPath(path, key),
      reason: `unknown key ${JSON.stringify(key)}: ${hint}accepted keys here: ${allowed.join(", ")}`,
    });
  }
}

/** The allowed word nearest to `word` (case-insensitive, edit distance ≤ 2), if any. */
export function closest(word: string, candidates: readonly string[]): string | undefined {
  // Long inputs cannot be within distance 2 of our short keywords; skip the quadratic work.
  if (word.length > 64) return undefined;
  const lower = word.toLowerCase();
  let best: string | undefined;
  let bestDistance = 3;
  for (const candidate of candidates) {
    const d = editDistance(lower, candidate.toLowerCase());
    if (d < bestDistance) {
      best = candidate;
      bestDistance = d;
    }
  }
  return best;
}

/** Optimal-string-alignment distance: a swapped pair of letters (`paht`) counts as one edit. */
function editDistance(a: string, b: string): number {
  const rows: number[][] = [];
  for (let i = 0; i <= a.length; i++) {
    const row = [i];
    for (let j = 1; j <= b.length; j++) {
      if (i === 0) {
        row.push(j);
        continue;
      }
      const above = rows[i - 1] ?? [];
      const cost = a[i - 1] === b[j - 1] ? 0 : 1;
      let d = Math.min((above[j] ?? 0) + 1, (row[j - 1] ?? 0) + 1, (above[j - 1] ?? 0) + cost);
      if (i > 1 && j > 1 && a[i - 1] === b[j - 2] && a[i - 2] === b[j - 1]) {
        d = Math.min(d, (rows[i - 2]?.[j - 2] ?? 0) + 1);
      }
      row.push(d);
    }
    rows.push(row);
  }
  return rows[a.length]?.[b.length] ?? 0;
}

/** The message for a key written with no value (`mode:` in YAML gives null). */
export function nullReason(what: string): string {
  return `has no value; write ${what} or remove the key to get the default`;
}

/** Whether every entry was read: lists are all-or-nothing, their errors already reported. */
export function allDefined<T>(values: readonly (T | undefined)[]): values is readonly T[] {
  return values.every((v) => v !== undefined);
}
