/** AdmissionReview bodies and an app (buildApp) to POST them to, for the webhook tests. */
import { randomUUID } from "node:crypto";
import request from "supertest";
import type { GroupVersionKind } from "../../src/admission/review.js";
import type { StateSource } from "../../src/cluster/state-source.js";
import { defaultConfig } from "../../src/config/index.js";
import { buildApp } from "../../src/server/app.js";
import { ConfigHolder } from "../../src/server/config-holder.js";
import { createMetrics } from "../../src/server/metrics.js";

export const GNP_V1: GroupVersionKind = {
  group: "crd.projectcalico.org",
  version: "v1",
  kind: "GlobalNetworkPolicy",
};

/** An AdmissionReview as the API server sends it (not a dry run). */
export function admissionReview(
  operation: "CREATE" | "UPDATE" | "DELETE",
  kind: GroupVersionKind,
  name: string,
  object: unknown,
  oldObject?: unknown,
): object {
  return {
    apiVersion: "admission.k8s.io/v1",
    kind: "AdmissionReview",
    request: {
      uid: randomUUID(),
      kind,
      resource: { group: kind.group, version: kind.version, resource: `${kind.kind.toLowerCase()}s` },
      name,
      operation,
      userInfo: { username: "alice", groups: ["system:authenticated"] },
      object: object ?? null,
      oldObject: oldObject ?? null,
      dryRun: false,
    },
  };
}

export interface ReviewResponse {
  readonly allowed: boolean;
  readonly warnings?: readonly string[];
  readonly status?: { readonly message: string };
}

/** The webhook app over `source`; `post` sends one review and returns its response (HTTP 200 expected). */
export async function reviewApp(
  source: StateSource,
  opts: { config?: ConfigHolder; confirmWaitMs?: number } = {},
) {
  const app = buildApp({
    source,
    config: opts.config ?? new ConfigHolder(defaultConfig()),
    metrics: createMetrics({
      stateAgeSeconds: () => 0,
      stateSynced: () => true,
      nodesWithoutHostEndpoint: () => 0,
    }),
    record: () => {},
    log: { info() {}, warn() {}, error() {} },
    confirmWaitMs: opts.confirmWaitMs,
  });
  await app.ready();
  const post = async (body: object): Promise<ReviewResponse> =>
    (
      (await request(app.server).post("/validate").send(body).expect(200)).body as {
        response: ReviewResponse;
      }
    ).response;
  return { app, post };
}

/** A crd.projectcalico.org/v1 GlobalNetworkPolicy for the hosts (`has(kubernetes-host)`), with `spec` added. */
export function hostPolicy(name: string, spec: Record<string, unknown>) {
  return {
    apiVersion: "crd.projectcalico.org/v1",
    kind: "GlobalNetworkPolicy",
    metadata: { name } as { name: string; [k: string]: unknown },
    spec: { selector: "has(kubernetes-host)", ...spec },
  };
}
