/**
 * Dockerfile and .dockerignore (no Docker engine here: checked as text, against package.json,
 * tsconfig.build.json and the Deployment that runs the image).
 */
import assert from "node:assert/strict";
import { existsSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, test } from "node:test";
import { buildKustomization, field, findOne } from "./kustomize.js";
import { REPO } from "./workspace.js";

interface Stage {
  readonly from: string;
  readonly name?: string;
  readonly lines: string[];
}

/** Stages of the Dockerfile, with ARG defaults substituted into FROM. */
function stages(): Stage[] {
  const text = readFileSync(join(REPO, "Dockerfile"), "utf8").replace(/\\\n/g, " ");
  const args = new Map<string, string>();
  const result: { from: string; name?: string; lines: string[] }[] = [];
  for (const raw of text.split("\n")) {
    const line = raw.trim();
    if (line === "" || line.startsWith("#")) continue;
    const arg = /^ARG (\w+)=(\S+)$/.exec(line);
    if (arg && result.length === 0) {
      args.set(arg[1] ?? "", arg[2] ?? "");
      continue;
    }
    const from = /^FROM (\S+)(?: AS (\S+))?$/i.exec(line);
    if (from) {
      const image = (from[1] ?? "").replace(/^\$\{(\w+)\}$/, (_m, name: string) => args.get(name) ?? "");
      result.push(from[2] ? { from: image, name: from[2], lines: [] } : { from: image, lines: [] });
      continue;
    }
    result.at(-1)?.lines.push(line);
  }
  return result;
}

describe("Dockerfile", () => {
  test("multi-stage: build with dev dependencies, production dependencies apart, distroless runtime", () => {
    const all = stages();
    const build = all.find((s) => s.name === "build");
    const deps = all.find((s) => s.name === "prod-deps");
    const runtime = all.at(-1);
    assert.ok(build && deps && runtime);
    assert.equal(build.from, "node:24-bookworm-slim");
    // --ignore-scripts: package.json's prepare builds, and src/ is copied only after npm ci
    assert.ok(build.lines.some((l) => /^RUN npm ci .*--ignore-scripts/.test(l) && !l.includes("--omit=dev")));
    assert.ok(build.lines.includes("RUN npm run build"));
    assert.equal(deps.from, "node:24-bookworm-slim");
    assert.ok(deps.lines.some((l) => /^RUN npm ci .*--omit=dev/.test(l)));
    assert.equal(runtime.from, "gcr.io/distroless/nodejs24-debian12:nonroot");
  });

  test("the runtime image holds package.json, production node_modules and dist/ only, as user 65532", () => {
    const runtime = stages().at(-1);
    assert.ok(runtime);
    const copies = runtime.lines.filter((l) => l.startsWith("COPY"));
    assert.deepEqual(copies, [
      "COPY --from=build /src/package.json ./package.json",
      "COPY --from=prod-deps /src/node_modules ./node_modules",
      "COPY --from=build /src/dist ./dist",
    ]);
    assert.ok(runtime.lines.some((l) => /^USER 65532(:65532)?$/.test(l)));
    assert.ok(!runtime.lines.some((l) => l.startsWith("RUN")), "distroless has no shell");
    const entrypoint = runtime.lines.find((l) => l.startsWith("ENTRYPOINT"));
    assert.ok(entrypoint);
    const argv = JSON.parse(entrypoint.slice("ENTRYPOINT".length)) as string[];
    assert.equal(argv[0], "/nodejs/bin/node");
    assert.equal(argv.at(-1), "dist/cli/main.js");
    assert.ok(runtime.lines.includes("WORKDIR /app"));
  });

  test("npm run build produces dist/cli/main.js: tsconfig.build.json compiles src/ into dist/", () => {
    const pkg = JSON.parse(readFileSync(join(REPO, "package.json"), "utf8")) as {
      scripts: Record<string, string>;
      type: string;
    };
    assert.equal(pkg.type, "module", "dist/**/*.js are ES modules: package.json must be in the image");
    assert.match(pkg.scripts.build ?? "", /tsc -p tsconfig\.build\.json/);
    const tsconfig = JSON.parse(readFileSync(join(REPO, "tsconfig.build.json"), "utf8")) as {
      compilerOptions: { rootDir: string; outDir: string };
    };
    assert.equal(tsconfig.compilerOptions.rootDir, "src");
    assert.equal(tsconfig.compilerOptions.outDir, "dist");
    assert.ok(existsSync(join(REPO, "src", "cli", "main.ts")));
  });

  test("the Deployment keeps the ENTRYPOINT and passes only the subcommand and flags", () => {
    const deploy = findOne(buildKustomization(join(REPO, "deploy", "base")), "Deployment", "hostguard");
    const c = field(deploy, "spec", "template", "spec", "containers", 0);
    assert.equal(field(c, "command"), undefined);
    assert.equal(field(c, "args", 0), "serve");
  });
});

describe(".dockerignore", () => {
  const lines = readFileSync(join(REPO, ".dockerignore"), "utf8")
    .split("\n")
    .map((l) => l.trim())
    .filter((l) => l !== "" && !l.startsWith("#"));

  test("ignores everything, then allows back exactly what the build stages copy", () => {
    assert.equal(lines[0], "*");
    const allowed = lines.filter((l) => l.startsWith("!")).map((l) => l.slice(1));
    assert.deepEqual(
      [...allowed].sort(),
      ["package-lock.json", "package.json", "src/", "src/**", "tsconfig.build.json", "tsconfig.json"].sort(),
    );
    const dockerfile = readFileSync(join(REPO, "Dockerfile"), "utf8");
    for (const m of dockerfile.matchAll(/^COPY (?!--from)(.+) \S+$/gm)) {
      for (const source of (m[1] ?? "").split(/\s+/)) {
        assert.ok(
          allowed.some((a) => a === source || a === `${source}/`),
          `${source} is in the build context`,
        );
      }
    }
  });

  test("never sends key material, node_modules or git history to the builder", () => {
    for (const path of ["certs/out/tls.key", "node_modules/x", ".git/config", "dist/x.js", "secret.yaml"]) {
      const top = path.split("/")[0] ?? "";
      assert.ok(
        !lines.some((l) => l.startsWith("!") && (l.slice(1) === top || l.slice(1).startsWith(`${top}/`))),
        `${path} stays out`,
      );
    }
  });
});
