# dfsp-sidecar container image.
#
#   docker build -t dfsp-sidecar .
#   docker run --rm \
#     -v /path/to/config.yaml:/etc/dfsp-sidecar/config.yaml:ro \
#     -v /path/to/secrets:/secrets:ro \
#     -p 4000:4000 -p 127.0.0.1:4002:4002 \
#     dfsp-sidecar
#
# Ports: 4000 inbound (mTLS, the hub calls it), 4001 outbound (plain HTTP for the core: publish it
# only to the core, e.g. share the pod network), 4002 admin (/metrics, /healthz, /readyz).
# Mounts: the config at /etc/dfsp-sidecar/config.yaml (or DFSP_SIDECAR_CONFIG), certificates and
# keys wherever the config points (e.g. /secrets, read-only). Reload: send SIGHUP, or just replace
# the mounted files (content hashes are polled). Stop: SIGTERM drains in-flight requests.
# Health: the HEALTHCHECK asks /healthz on the admin port the config names (scripts/healthcheck.mjs
# reads it with the sidecar's own loader), so a changed admin.port needs no change here. Kubernetes
# ignores HEALTHCHECK: deploy/kubernetes/ uses the kubelet's probes instead.
#
# Node: 22 (maintenance LTS, supported to April 2027) on an exact tag, so a rebuild gets the same
# runtime; bump it deliberately. Not 24 yet: Node 24.21's own TLS server keeps native memory per
# connection (a bare https server grows ~15 MB per 1,000 new mTLS connections with a
# leaf+intermediate+root client chain, against ~0.1 MB on 22.23; docs/soak.md,
# `npx -y node@24 bench/mtls-churn.mjs`), which a hub opening a connection per callback would turn
# into an out-of-memory kill. The suite passes on both.

FROM node:22.23.3-bookworm-slim AS build
WORKDIR /app
COPY package.json package-lock.json ./
RUN npm ci --no-audit --no-fund
COPY tsconfig.json tsconfig.build.json ./
COPY src ./src
RUN npm run build && npm prune --omit=dev

FROM node:22.23.3-bookworm-slim
ENV NODE_ENV=production \
    DFSP_SIDECAR_CONFIG=/etc/dfsp-sidecar/config.yaml
WORKDIR /app
COPY --from=build /app/node_modules ./node_modules
COPY --from=build /app/dist ./dist
COPY package.json config.example.yaml ./
COPY scripts/healthcheck.mjs ./scripts/
USER node
EXPOSE 4000 4001 4002
HEALTHCHECK --interval=10s --timeout=5s --start-period=10s CMD ["node", "scripts/healthcheck.mjs"]
# The same start command as the README and the tests: node dist/cli.js run --config FILE
ENTRYPOINT ["node", "dist/cli.js"]
CMD ["run"]
