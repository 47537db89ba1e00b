import { readObjects } from "../cluster/file-source.js";
import { loadState, type LoadedState } from "../engine/load.js";
import { UsageError } from "./io.js";

/** Load `--state PATH` (a YAML file or a directory of YAML files). */
export function loadStateFromPath(path: string): LoadedState {
  const objects = readObjects(path);
  if (!objects.ok) throw new UsageError(objects.error);
  return loadState(objects.value);
}

export function describeRejected(loaded: LoadedState): string[] {
  return loaded.rejected.map((r) => {
    const what = `${r.kind ?? "object"} ${r.name ?? `#${r.index}`}`;
    const first = r.errors[0];
    const more = r.errors.length > 1 ? ` (+${r.errors.length - 1} more)` : "";
    return `warning: ${what} ignored, Calico would reject it: ${first ? `${first.path}: ${first.reason}` : "invalid"}${more}`;
  });
}
