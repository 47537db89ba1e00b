/**
 * Which cluster to talk to, as a client-node KubeConfig.
 *
 * Order: an explicit kubeconfig file; else the in-cluster service account when KUBERNETES_SERVICE_HOST is
 * set; else `$KUBECONFIG` / `~/.kube/config`. Unlike client-node's `loadFromDefault`, nothing falls back
 * silently to `http://localhost:8080`: no configuration is an error the caller can show.
 */
import { existsSync } from "node:fs";
import { isIPv6 } from "node:net";
import { KubeConfig } from "@kubernetes/client-node";
import { err, ok, type Result } from "../calico/result.js";
import { homeKubeconfig, inCluster, kubeconfigEnvFiles, type Env } from "./cluster-config.js";
import { errorText } from "./log.js";

/** Where the kubelet mounts the projected service-account token and the cluster CA. */
export const SERVICE_ACCOUNT_DIR = "/var/run/secrets/kubernetes.io/serviceaccount";

export interface KubeConfigOptions {
  readonly kubeconfigPath?: string;
  /** default: process.env */
  readonly env?: Env;
  /** default: SERVICE_ACCOUNT_DIR (tests point it elsewhere) */
  readonly serviceAccountDir?: string;
}

function fromFiles(files: readonly string[]): Result<KubeConfig, string> {
  const kc = new KubeConfig();
  const [first, ...rest] = files;
  if (first === undefined) return err("no kubeconfig file");
  try {
    kc.loadFromFile(first);
  } catch (e) {
    return err(`cannot load kubeconfig ${first}: ${errorText(e)}`);
  }
  for (const file of rest) {
    try {
      const more = new KubeConfig();
      more.loadFromFile(file);
      // kubectl: the first file that sets current-context wins.
      kc.mergeConfig(more, kc.currentContext !== undefined && kc.currentContext !== "");
    } catch (e) {
      return err(`cannot load kubeconfig ${file}: ${errorText(e)}`);
    }
  }
  return ok(kc);
}

function fromServiceAccount(env: Env, dir: string): Result<KubeConfig, string> {
  const host = env.KUBERNETES_SERVICE_HOST ?? "";
  const port = env.KUBERNETES_SERVICE_PORT ?? "443";
  const tokenFile = `${dir}/token`;
  if (!existsSync(tokenFile)) {
    return err(
      `in-cluster config: no service account token at ${tokenFile} (automountServiceAccountToken off?)`,
    );
  }
  const kc = new KubeConfig();
  // The same shape client-node's loadFromCluster builds, from our env: the `tokenFile` auth provider
  // re-reads the token every minute, which keeps working when the kubelet rotates the projected token.
  kc.loadFromClusterAndUser(
    {
      name: "in-cluster",
      server: `https://${isIPv6(host) ? `[${host}]` : host}:${port}`,
      caFile: `${dir}/ca.crt`,
      skipTLSVerify: false,
    },
    { name: "in-cluster", authProvider: { name: "tokenFile", config: { tokenFile } } },
  );
  return ok(kc);
}

export function loadKubeConfig(opts: KubeConfigOptions = {}): Result<KubeConfig, string> {
  const env = opts.env ?? process.env;
  let loaded: Result<KubeConfig, string>;
  let origin: string;
  if (opts.kubeconfigPath !== undefined && opts.kubeconfigPath !== "") {
    origin = opts.kubeconfigPath;
    loaded = fromFiles([opts.kubeconfigPath]);
  } else if (inCluster(env)) {
    origin = "in-cluster config";
    loaded = fromServiceAccount(env, opts.serviceAccountDir ?? SERVICE_ACCOUNT_DIR);
  } else {
    const fromEnv = kubeconfigEnvFiles(env);
    const home = homeKubeconfig(env);
    // kubectl skips KUBECONFIG entries that do not exist, and never falls back to ~/.kube/config.
    const files =
      fromEnv.length > 0 ? fromEnv.filter((f) => existsSync(f)) : home && existsSync(home) ? [home] : [];
    if (files.length === 0) {
      return err(
        fromEnv.length > 0
          ? `no cluster configured: none of the KUBECONFIG files exist (${fromEnv.join(", ")})`
          : "no cluster configured: pass --kubeconfig, set KUBECONFIG, or run in a pod",
      );
    }
    origin = files.join(", ");
    loaded = fromFiles(files);
  }
  if (!loaded.ok) return loaded;
  const cluster = loaded.value.getCurrentCluster();
  if (cluster === null) return err(`${origin}: no current context, or its cluster is not defined`);
  if (!/^https?:\/\//.test(cluster.server)) {
    return err(
      `${origin}: cluster ${cluster.name} has no usable server URL (${JSON.stringify(cluster.server)})`,
    );
  }
  return ok(loaded.value);
}
