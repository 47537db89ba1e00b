import { readFileSync, readdirSync, statSync } from "node:fs";
import { join } from "node:path";
import { parseAllDocuments } from "yaml";
import { err, ok, type Result } from "../calico/result.js";

const YAML_FILE = /\.(ya?ml|json)$/i;

/**
 * Kubernetes objects from a YAML/JSON file or a directory of them (not recursive, sorted by name,
 * like `kubectl apply -f DIR`). Multi-document files, top-level arrays and `kind: List` are
 * flattened. Errors name the file and, for YAML syntax, the line.
 */
export function readObjects(path: string): Result<unknown[], string> {
  let files: string[];
  try {
    const st = statSync(path);
    files = st.isDirectory()
      ? readdirSync(path)
          .filter((f) => YAML_FILE.test(f))
          .sort()
          .map((f) => join(path, f))
      : [path];
  } catch (e) {
    return err(`cannot read ${path}: ${(e as NodeJS.ErrnoException).code ?? String(e)}`);
  }
  const objects: unknown[] = [];
  for (const file of files) {
    const parsed = parseObjects(readFileSync(file, "utf8"), file);
    if (!parsed.ok) return parsed;
    objects.push(...parsed.value);
  }
  return ok(objects);
}

export function parseObjects(text: string, origin: string): Result<unknown[], string> {
  const out: unknown[] = [];
  for (const doc of parseAllDocuments(text)) {
    if (doc.errors.length > 0) {
      const e = doc.errors[0]!;
      const line = e.linePos?.[0]?.line;
      return err(`${origin}${line ? `:${line}` : ""}: YAML error: ${e.message.split("\n")[0]}`);
    }
    flatten(doc.toJS({ maxAliasCount: 100 }), out);
  }
  return ok(out);
}

function flatten(value: unknown, out: unknown[]): void {
  if (value === null || value === undefined) return;
  if (Array.isArray(value)) {
    for (const v of value) flatten(v, out);
    return;
  }
  const list = value as { kind?: unknown; items?: unknown };
  if (typeof list.kind === "string" && list.kind.endsWith("List") && Array.isArray(list.items)) {
    for (const v of list.items) flatten(v, out);
    return;
  }
  out.push(value);
}
