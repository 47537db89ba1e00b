/**
 * Readers for the field types the config repeats: selectors, lists, enumerations, string lists. Each
 * reports its own errors and returns undefined on failure so the caller can keep collecting.
 */
import { parseSelector } from "../calico/selector/index.js";
import type { Selector } from "../calico/types.js";
import { indexPath } from "./paths.js";
import { closest, typeOf, type Errors } from "./shape.js";

/** A Calico selector over labels; the parse error keeps its character offset. */
export function readSelector(value: unknown, path: string, errors: Errors): Selector | undefined {
  if (typeof value !== "string") {
    errors.push({
      path,
      reason: `expected a Calico selector string such as "all()" or "has(kubernetes-host)", not ${typeOf(value)}`,
    });
    return undefined;
  }
  const parsed = parseSelector(value);
  if (!parsed.ok) {
    errors.push({ path, reason: `invalid selector ${JSON.stringify(value)}: ${parsed.error.reason}` });
    return undefined;
  }
  return parsed.value;
}

/** A list; `what` names its entries for the message. */
export function readList(
  value: unknown,
  path: string,
  what: string,
  errors: Errors,
): readonly unknown[] | undefined {
  if (Array.isArray(value)) return value as readonly unknown[];
  errors.push({ path, reason: `expected a list of ${what}, not ${typeOf(value)}` });
  return undefined;
}

/** One of a fixed set of words, exact case (a suggestion covers `Enforce`). */
export function readEnum<T extends string>(
  value: unknown,
  allowed: readonly T[],
  path: string,
  errors: Errors,
): T | undefined {
  if (typeof value === "string" && (allowed as readonly string[]).includes(value)) return value as T;
  const guess = typeof value === "string" ? closest(value, allowed) : undefined;
  const hint = guess === undefined ? "" : ` (did you mean "${guess}"?)`;
  const shown = typeof value === "string" ? JSON.stringify(value) : typeOf(value);
  errors.push({ path, reason: `${shown} is not accepted${hint}: use one of ${allowed.join(", ")}` });
  return undefined;
}

/** A list of non-empty strings (user names, group names). */
export function readStringList(
  value: unknown,
  path: string,
  what: string,
  errors: Errors,
): string[] | undefined {
  const list = readList(value, path, what, errors);
  if (list === undefined) return undefined;
  const out: string[] = [];
  let failed = false;
  list.forEach((entry, i) => {
    if (typeof entry === "string" && entry !== "") {
      out.push(entry);
    } else {
      failed = true;
      errors.push({
        path: indexPath(path, i),
        reason: `expected a non-empty string (one of the ${what}), not ${entry === "" ? "an empty string" : typeOf(entry)}`,
      });
    }
  });
  return failed ? undefined : out;
}
