/**
 * Is a cluster configured at all? Kept apart from kubeconfig.ts so that the CLI can ask without
 * importing @kubernetes/client-node (about 0.7 s to load), which it only needs for `--cluster`.
 */
import { existsSync } from "node:fs";
import { delimiter, join } from "node:path";

export type Env = Readonly<Record<string, string | undefined>>;

/** In a pod: the kubelet sets these for every container (Kubernetes "Accessing the API from a Pod"). */
export function inCluster(env: Env): boolean {
  return (env.KUBERNETES_SERVICE_HOST ?? "") !== "";
}

/** The files `$KUBECONFIG` names, in order, the way kubectl splits it (path-list separator, empty entries skipped). */
export function kubeconfigEnvFiles(env: Env): string[] {
  return (env.KUBECONFIG ?? "").split(delimiter).filter((f) => f !== "");
}

/** `~/.kube/config`, from HOME (USERPROFILE on Windows), when a home is known. */
export function homeKubeconfig(env: Env): string | undefined {
  const home = env.HOME ?? env.USERPROFILE;
  return home ? join(home, ".kube", "config") : undefined;
}

/**
 * True when hostguard can talk to a cluster: an explicit `--kubeconfig`, the in-cluster environment,
 * or a kubeconfig found the way kubectl finds one (`$KUBECONFIG` files, else `~/.kube/config`).
 * Whether that kubeconfig actually works is for the first request to say.
 */
export function hasClusterConfig(env: Env, kubeconfigPath?: string): boolean {
  if (kubeconfigPath !== undefined && kubeconfigPath !== "") return true;
  if (inCluster(env)) return true;
  const fromEnv = kubeconfigEnvFiles(env);
  // kubectl never falls back to ~/.kube/config when KUBECONFIG is set.
  if (fromEnv.length > 0) return fromEnv.some((f) => existsSync(f));
  const home = homeKubeconfig(env);
  return home !== undefined && existsSync(home);
}
