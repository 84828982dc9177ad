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

FROM node:20-bookworm-slim AS build
WORKDIR /app
COPY package.json package-lock.json ./
RUN npm ci --no-audit --no-fund
COPY tsconfig.json tsconfig.build.json ./
COPY src ./src
RUN npm run build && npm prune --omit=dev

FROM node:20-bookworm-slim
ENV NODE_ENV=production \
    DFSP_SIDECAR_CONFIG=/etc/dfsp-sidecar/config.yaml
WORKDIR /app
COPY --from=build /app/node_modules ./node_modules
COPY --from=build /app/dist ./dist
COPY package.json config.example.yaml ./
USER node
EXPOSE 4000 4001 4002
HEALTHCHECK --interval=10s --timeout=3s CMD node -e "fetch('http://127.0.0.1:4002/healthz').then(r=>process.exit(r.ok?0:1),()=>process.exit(1))"
# The same start command as the README and the tests: node dist/cli.js run --config FILE
ENTRYPOINT ["node", "dist/cli.js"]
CMD ["run"]
