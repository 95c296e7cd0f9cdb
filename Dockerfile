# syntax=docker/dockerfile:1
# mailferry worker/daemon image.
#
#   docker build -t mailferry:0.1.0 .
#   docker run --rm mailferry:0.1.0 --help
#   docker run --rm --read-only --tmpfs /tmp --tmpfs /var/lib/mailferry \
#     -v "$PWD/mailferry.yaml:/etc/mailferry/mailferry.yaml:ro" -e ALICE_OLD_PASSWORD=... \
#     -p 9090:9090 mailferry:0.1.0 worker --config /etc/mailferry/mailferry.yaml \
#     --redis redis://redis.internal:6379/0 --http-port 9090 --http-host 0.0.0.0
#
# There is no redis-server in the image: in a container mailferry uses a shared Redis
# (--redis or REDIS_URL; deploy/k8s runs one as a StatefulSet). The embedded Redis is for
# laptops and single machines. Kubernetes manifests: deploy/k8s.

ARG NODE_IMAGE=node:24-bookworm-slim

# --- build: compile TypeScript (needs the dev dependencies) -----------------------------
FROM ${NODE_IMAGE} AS build
WORKDIR /app
COPY package.json package-lock.json ./
RUN npm ci --no-audit --no-fund
COPY tsconfig.json tsconfig.build.json ./
COPY src ./src
RUN npm run build

# --- deps: production dependencies only, from the same lock file ------------------------
FROM ${NODE_IMAGE} AS deps
WORKDIR /app
COPY package.json package-lock.json ./
RUN npm ci --omit=dev --no-audit --no-fund && npm cache clean --force

# --- runtime ----------------------------------------------------------------------------
FROM ${NODE_IMAGE}
# A fixed, non-root UID/GID (the Kubernetes manifests use runAsUser: 10001). The files of
# the application belong to root and are read-only for it; the process writes only to
# /tmp and /var/lib/mailferry, so the image runs with a read-only root filesystem
# (mount emptyDir or tmpfs volumes on both).
RUN groupadd --system --gid 10001 mailferry \
 && useradd --system --uid 10001 --gid 10001 --home-dir /var/lib/mailferry --no-create-home \
      --shell /usr/sbin/nologin mailferry \
 && mkdir -p /var/lib/mailferry/state \
 && chown -R 10001:10001 /var/lib/mailferry

# - HOME and XDG_STATE_HOME point into /var/lib/mailferry: the embedded Redis (if ever
#   used without --redis) and anything else that wants a home write there, not to /.
# - bin/mailferry.js tunes memory in its #! line, which `node bin/mailferry.js` skips:
#   the same settings come from the environment here (a small V8 young generation, an
#   earlier glibc heap trim; see README "Usage").
ENV NODE_ENV=production \
    HOME=/var/lib/mailferry \
    XDG_STATE_HOME=/var/lib/mailferry/state \
    MALLOC_TRIM_THRESHOLD_=65536 \
    NODE_OPTIONS=--max-semi-space-size=2

WORKDIR /app
COPY --from=deps /app/node_modules ./node_modules
COPY --from=build /app/dist ./dist
COPY package.json ./
COPY bin ./bin
COPY config ./config

USER 10001:10001
# --http-port 9090: /healthz, /readyz, /metrics, /dashboard (see deploy/k8s).
EXPOSE 9090
# Node handles SIGTERM itself (mailferry stops at a page boundary and exits 143); it does
# not reap zombies, but mailferry starts no child processes when given --redis.
STOPSIGNAL SIGTERM
ENTRYPOINT ["node", "/app/bin/mailferry.js"]
CMD ["--help"]
