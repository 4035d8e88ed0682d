# One image for every Coxswain component: `docker run coxswain <subcommand> ...`.
# Building it needs a registry for the base image (node:20-bookworm-slim); see README "Many machines".
FROM node:20-bookworm-slim AS build
WORKDIR /src
COPY package.json package-lock.json tsconfig.json tsconfig.base.json ./
COPY packages ./packages
COPY e2e ./e2e
COPY schemas ./schemas
RUN npm ci --no-audit --no-fund && npm run build && npm prune --omit=dev

FROM node:20-bookworm-slim
WORKDIR /opt/coxswain
COPY --from=build /src /opt/coxswain
# --no-memory-reducer: SERVER_NODE_FLAGS in packages/process/src/node-flags.ts, as `coxswain up` starts its processes.
ENTRYPOINT ["node", "--no-memory-reducer", "/opt/coxswain/packages/coxswain/dist/main.js"]
CMD ["--help"]
