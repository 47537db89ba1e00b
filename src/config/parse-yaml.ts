/** `parseConfigYaml`: the config as mounted from the ConfigMap, YAML text to GuardConfig. */
import { parseAllDocuments } from "yaml";
import { err, type FieldError, type Result } from "../calico/result.js";
import { parseConfig } from "./parse.js";
import type { GuardConfig } from "./types.js";

/** Caps alias expansion (`&a` / `*a` bombs) in a file anyone with ConfigMap access can write. */
const MAX_ALIAS_COUNT = 100;

/** The yaml package's messages end with a code frame; the first line has the message and position. */
function firstLine(message: string): string {
  return (message.split("\n")[0] ?? message).replace(/:\s*$/, "");
}

/** Parses YAML text and validates it; a syntax error is a FieldError at path "" with the line in the reason. */
export function parseConfigYaml(text: string): Result<GuardConfig, FieldError[]> {
  if (typeof text !== "string") return err([{ path: "", reason: "the config must be YAML text" }]);
  try {
    // prettyErrors puts "at line L, column C" into each message; logLevel "error" stops the yaml
    // package from writing process warnings (e.g. about collection keys) into the webhook's log.
    const docs = parseAllDocuments(text, { prettyErrors: true, uniqueKeys: true, logLevel: "error" });
    const errors: FieldError[] = [];
    for (const doc of docs) {
      for (const e of doc.errors)
        errors.push({ path: "", reason: `YAML syntax error: ${firstLine(e.message)}` });
    }
    if (errors.length > 0) return err(errors);
    if (docs.length > 1) {
      return err([
        { path: "", reason: `expected one YAML document, found ${docs.length}; remove the extra "---"` },
      ]);
    }
    const doc = docs[0];
    // No document at all (empty text or comments only): the defaults, like an empty mapping.
    return parseConfig(doc === undefined ? null : doc.toJS({ maxAliasCount: MAX_ALIAS_COUNT }));
  } catch (e) {
    // toJS throws on unresolved or excessive aliases; those are problems in the text too.
    const detail = e instanceof Error ? firstLine(e.message) : String(e);
    return err([{ path: "", reason: `YAML error: ${detail}` }]);
  }
}
