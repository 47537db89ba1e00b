/** Selectors the config uses as defaults and in the built-in profiles. */
import { parseSelector } from "../calico/selector/index.js";
import type { Selector } from "../calico/types.js";

/**
 * Parses a selector written in this source code. A failure is a bug in a constant, found by the profile
 * tests; throwing at import time makes it impossible to ship rather than silently requiring nothing.
 */
export function builtinSelector(text: string): Selector {
  const parsed = parseSelector(text);
  if (!parsed.ok)
    throw new Error(`built-in selector ${JSON.stringify(text)} is invalid: ${parsed.error.reason}`);
  return parsed.value;
}

export const ALL_NODES: Selector = builtinSelector("all()");
