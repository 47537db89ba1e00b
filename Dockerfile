# syntax=docker/dockerfile:1
# hostguard container image.
#
#   docker build -t hostguard:0.1.0 .
#
# Three stages: `build` compiles TypeScript with every dependency, `prod-deps` installs only the
# runtime dependencies, and the final image holds those plus dist/ on a distroless Node.js 24 LTS
# base (no shell, no package manager) as user 65532. For reproducible builds pin the base images by
# digest (FROM image@sha256:...).

ARG NODE_IMAGE=node:24-bookworm-slim
ARG RUNTIME_IMAGE=gcr.io/distroless/nodejs24-debian12:nonroot

# --- build: npm ci (with dev dependencies) and tsc -> dist/ ------------------------------------------
FROM ${NODE_IMAGE} AS build
WORKDIR /src
COPY package.json package-lock.json ./
# --ignore-scripts: the package's prepare script builds, and src/ is not here yet (next steps).
RUN npm ci --ignore-scripts --no-audit --no-fund
COPY tsconfig.json tsconfig.build.json ./
COPY src ./src
RUN npm run build

# --- prod-deps: runtime dependencies only ----------------------------------------------------------
FROM ${NODE_IMAGE} AS prod-deps
WORKDIR /src
COPY package.json package-lock.json ./
RUN npm ci --omit=dev --ignore-scripts --no-audit --no-fund

# --- runtime -----------------------------------------------------------------------------------------
FROM ${RUNTIME_IMAGE}
WORKDIR /app
ENV NODE_ENV=production
# package.json is needed at run time: its "type": "module" makes dist/**/*.js ES modules.
COPY --from=build /src/package.json ./package.json
COPY --from=prod-deps /src/node_modules ./node_modules
COPY --from=build /src/dist ./dist
# distroless "nonroot" is 65532 already; stated here so that it holds with any base image.
USER 65532:65532
EXPOSE 8443 8080
# `docker run IMAGE serve --config ...` (Kubernetes: `args:`) supplies the subcommand and its flags.
ENTRYPOINT ["/nodejs/bin/node", "--enable-source-maps", "dist/cli/main.js"]
