/**
 * Selector-valued fields. Calico validates every selector field (calico-semantics §1.4), and Felix treats an
 * object with an unparseable selector as missing (§11), so a parse failure is a decode error here, with the
 * parser's offset in the reason.
 */
import { parseSelector } from "../selector/index.js";
import type { Selector } from "../types.js";
import { type Errors, readString, report } from "./decode.js";

function parseAt(text: string, path: string, errors: Errors): Selector | undefined {
  const parsed = parseSelector(text);
  if (parsed.ok) return parsed.value;
  const { reason, offset } = parsed.error;
  // The parser's reasons usually end with "at offset N" already; add it only when missing.
  const where = /\boffset\b/.test(reason) ? "" : ` (at offset ${offset})`;
  return report(errors, path, `invalid selector ${JSON.stringify(text)}: ${reason}${where}`);
}

/**
 * A field whose empty value means "no selector": Go cannot tell `""` from absent, and Calico skips the
 * constraint for both (rule selectors, §6; GNP namespaceSelector/serviceAccountSelector; FelixConfiguration
 * nodeSelector). Only the exact empty string counts: `"  "` parses to all() like any selector.
 */
export function readOptionalSelector(value: unknown, path: string, errors: Errors): Selector | undefined {
  const text = readString(value, path, errors);
  if (text === undefined || text === "") return undefined;
  return parseAt(text, path, errors);
}

/**
 * A policy's `selector`: absent or empty selects every endpoint (calico-semantics §4), so it is all().
 * Returns undefined only when the field is present and invalid.
 */
export function readPolicySelector(value: unknown, path: string, errors: Errors): Selector | undefined {
  const text = readString(value, path, errors);
  if (text === undefined && value !== undefined && value !== null) return undefined;
  return parseAt(text ?? "", path, errors);
}
