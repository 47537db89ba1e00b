/**
 * certificates.source=generate on upgrade: what the chart does with the Secret an earlier install
 * made. Helm's `lookup` reads it from the cluster, so these tests run `helm template
 * --dry-run=server` against a minimal fake API server (node:http) that serves the discovery of
 * core/v1 and one Secret - enough for `lookup`, and nothing else is asked.
 */
import assert from "node:assert/strict";
import { X509Certificate } from "node:crypto";
import { writeFileSync } from "node:fs";
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { join } from "node:path";
import { after, before, describe, test } from "node:test";
import { helmTemplateAsync, objectsOf, renderChart } from "./helm.js";
import { field, findOne, obj, str, type K8sObject } from "./kustomize.js";
import { theWebhook } from "./properties.js";
import { removeDir, tempDir } from "./workspace.js";

const SECRET_PATH = "/api/v1/namespaces/hostguard/secrets/hostguard-tls";
const DAY_MS = 86_400_000;

/** The fake API server's one Secret (undefined: 404). */
let stored: K8sObject | undefined;

function serve(): Promise<Server> {
  const server = createServer((req, res) => {
    const reply = (code: number, body: unknown) => {
      res.writeHead(code, { "content-type": "application/json" });
      res.end(JSON.stringify(body));
    };
    const path = new URL(req.url ?? "/", "http://localhost").pathname;
    if (path === "/api/v1") {
      reply(200, {
        kind: "APIResourceList",
        groupVersion: "v1",
        resources: [
          { name: "secrets", singularName: "secret", namespaced: true, kind: "Secret", verbs: ["get"] },
        ],
      });
    } else if (path === SECRET_PATH && stored) {
      reply(200, stored);
    } else {
      reply(404, { kind: "Status", apiVersion: "v1", status: "Failure", reason: "NotFound", code: 404 });
    }
  });
  return new Promise((resolve) => server.listen(0, "127.0.0.1", () => resolve(server)));
}

function certificates(base64Pem: string): X509Certificate[] {
  const pem = Buffer.from(base64Pem, "base64").toString("utf8");
  return [...pem.matchAll(/-----BEGIN CERTIFICATE-----[\s\S]+?-----END CERTIFICATE-----/g)].map(
    (m) => new X509Certificate(m[0]),
  );
}

/** A Secret as a first install made it, with its not-after annotation moved to `daysLeft` from now. */
function installedSecret(daysLeft: number, dnsName = "hostguard.hostguard.svc"): K8sObject {
  const secret = structuredClone(findOne(renderChart(), "Secret", "hostguard-tls"));
  const annotations = obj(secret.metadata.annotations, "annotations");
  annotations["hostguard.dev/not-after"] = new Date(Date.now() + daysLeft * DAY_MS)
    .toISOString()
    .replace(/\.\d{3}Z$/, "Z");
  annotations["hostguard.dev/dns-name"] = dnsName;
  return secret;
}

describe("certificates.source=generate on upgrade (lookup of the installed Secret)", () => {
  let server: Server | undefined;
  let dir = "";
  let kubeconfig = "";

  before(async () => {
    server = await serve();
    dir = tempDir("helm-lookup");
    kubeconfig = join(dir, "kubeconfig");
    const { port } = server.address() as AddressInfo;
    writeFileSync(
      kubeconfig,
      [
        "apiVersion: v1",
        "kind: Config",
        `clusters: [{name: fake, cluster: {server: "http://127.0.0.1:${port}"}}]`,
        "users: [{name: fake, user: {token: fake}}]",
        "contexts: [{name: fake, context: {cluster: fake, user: fake}}]",
        "current-context: fake",
        "",
      ].join("\n"),
    );
  });
  after(async () => {
    await new Promise<void>((resolve) => (server ? server.close(() => resolve()) : resolve()));
    removeDir(dir);
  });

  async function upgrade(set: string[] = []): Promise<{ secret: K8sObject; caBundle: string }> {
    const out = await helmTemplateAsync({ kubeconfig, set });
    assert.equal(out.status, 0, out.stderr);
    const objects = objectsOf(out.stdout);
    return {
      secret: findOne(objects, "Secret", "hostguard-tls"),
      caBundle: str(field(theWebhook(objects), "clientConfig", "caBundle"), "caBundle"),
    };
  }

  test("no Secret yet (a first install): a new CA, trusted alone", async () => {
    stored = undefined;
    const { secret, caBundle } = await upgrade();
    assert.equal(caBundle, field(secret, "data", "ca.crt"));
    assert.equal(certificates(caBundle).length, 1);
  });

  test("a Secret valid for longer than renewBeforeDays is kept as it is", async () => {
    stored = installedSecret(200);
    const { secret, caBundle } = await upgrade();
    assert.deepEqual(secret.data, stored.data, "same certificate, key and CA");
    assert.deepEqual(secret.metadata.annotations, stored.metadata.annotations);
    assert.equal(caBundle, field(stored, "data", "ca.crt"));
  });

  for (const [name, daysLeft, set, dns] of [
    ["within renewBeforeDays of expiry", 10, [], undefined],
    ["with certificates.generate.rotate=true", 200, ["certificates.generate.rotate=true"], undefined],
    [
      "after renewBeforeDays was raised past the expiry",
      60,
      ["certificates.generate.renewBeforeDays=90"],
      undefined,
    ],
    ["when the Secret was made for another Service name", 200, [], "other.hostguard.svc"],
  ] as const) {
    test(`renewed ${name}; caBundle trusts the new and the previous CA during the switch`, async () => {
      stored = installedSecret(daysLeft, dns);
      const { secret, caBundle } = await upgrade([...set]);
      const oldCa = str(field(stored, "data", "ca.crt"), "old ca.crt");
      const newCa = str(field(secret, "data", "ca.crt"), "new ca.crt");
      assert.notEqual(newCa, oldCa, "a new CA");
      assert.notEqual(field(secret, "data", "tls.key"), field(stored, "data", "tls.key"), "a new key");
      const trusted = certificates(caBundle).map((c) => c.fingerprint256);
      assert.deepEqual(trusted, [
        certificates(newCa)[0]?.fingerprint256,
        certificates(oldCa)[0]?.fingerprint256,
      ]);
      // the old serving certificate (still mounted in the pods) and the new one both verify
      const bundle = certificates(caBundle);
      for (const crt of [field(stored, "data", "tls.crt"), field(secret, "data", "tls.crt")]) {
        const leaf = new X509Certificate(Buffer.from(str(crt, "tls.crt"), "base64"));
        assert.ok(bundle.some((ca) => leaf.checkIssued(ca) && leaf.verify(ca.publicKey)));
      }
      const notAfter = Date.parse(
        str(field(secret, "metadata", "annotations", "hostguard.dev/not-after"), "not-after"),
      );
      assert.ok(notAfter > Date.now() + 300 * DAY_MS, "valid for the configured 365 days again");
    });
  }
});
