# The operator image: `kubeskippy operator` (controller + Temporal worker) as deploy/operator runs it.
#
#   docker build -t REGISTRY/kubeskippy:TAG . && docker push REGISTRY/kubeskippy:TAG
#
# The sources are TypeScript run through tsx (bin/kubeskippy.js), and the worker bundles
# workflows/ from source at start-up, so the image holds the sources and the production
# dependencies; tsx is a runtime dependency in package.json, so `npm ci --omit=dev` keeps it.
# Nothing is compiled ahead of time and no Temporal CLI is included: the operator connects to an
# existing Temporal server (TEMPORAL_ADDRESS).
FROM node:20-slim

ENV NODE_ENV=production
WORKDIR /app

# Dependencies first, so a source change does not reinstall them. Install scripts stay enabled:
# @swc/core (the workflow bundler), esbuild (tsx) and protobufjs need theirs.
COPY package.json package-lock.json ./
RUN npm ci --omit=dev --no-audit --no-fund && npm cache clean --force

# Runtime sources only (.dockerignore leaves out tests, docs, benchmarks and local state).
COPY bin ./bin
COPY activities ./activities
# cluster/ too: the CLI loads every command's modules at start-up, and sim/controllers/metrics.ts
# imports cluster/workload.ts; without it `kubeskippy operator` exits with ERR_MODULE_NOT_FOUND.
COPY cluster ./cluster
COPY crds ./crds
COPY demo ./demo
COPY domain ./domain
COPY sim ./sim
COPY operator ./operator
COPY tools ./tools
COPY lib ./lib
COPY workflows ./workflows
COPY tsconfig.json ./

# The node image's unprivileged user (uid 1000, as deployment.yaml's runAsUser). The root
# filesystem can stay read-only: tsx caches in the temp dir, which the Deployment mounts.
USER node

# Health, readiness and metrics (KUBESKIPPY_METRICS_PORT).
EXPOSE 9464

# `operator` by default; `worker` or `controller` run one half each (args in the Deployment).
ENTRYPOINT ["node", "bin/kubeskippy.js"]
CMD ["operator"]
