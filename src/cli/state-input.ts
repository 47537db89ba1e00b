import { readObjects } from "../cluster/file-source.js";
import { loadState, type LoadedState } from "../engine/load.js";
import { UsageError } from "./io.js";

/** Load `--state PATH` (a YAML file or a directory of YAML files). */
export function loadStateFromPath(path: string): LoadedState {
  const objects = readObjects(path);
  if (!objects.ok) throw new UsageError(objects.error);
  return loadState(objects.value);
}

export interface StateFlags {
  readonly state?: string;
  readonly cluster?: boolean;
  readonly kubeconfig?: string;
}

/** `--state PATH` or `--cluster [--kubeconfig F]` (one list of every kind, no watch). */
export async function loadStateFrom(flags: StateFlags): Promise<LoadedState> {
  if (flags.state !== undefined && flags.cluster) throw new UsageError("give --state or --cluster, not both");
  if (flags.state !== undefined) return loadStateFromPath(flags.state);
  if (!flags.cluster) throw new UsageError("--state <path> or --cluster is required");
  // Loaded on demand: the Kubernetes client takes most of a second to import.
  const { readClusterStateOnce } = await import("../cluster/informer-source.js");
  const read = await readClusterStateOnce({ kubeconfigPath: flags.kubeconfig });
  if (!read.ok) throw new UsageError(`cannot read the cluster: ${read.error}`);
  return read.value;
}

export function describeRejected(loaded: LoadedState): string[] {
  return loaded.rejected.map((r) => {
    const what = `${r.kind ?? "object"} ${r.name ?? `#${r.index}`}`;
    const first = r.errors[0];
    const more = r.errors.length > 1 ? ` (+${r.errors.length - 1} more)` : "";
    return `warning: ${what} ignored, Calico would reject it: ${first ? `${first.path}: ${first.reason}` : "invalid"}${more}`;
  });
}
