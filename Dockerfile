# The runner's own image (online path: needs a registry for node:20-bookworm-slim). It drives the
# host's Docker daemon through the mounted socket; build the Coral images on the host first
# (`coral-e2e images`), or pass real Coral images.
#
#   docker build -t coral-e2e .
#   docker run --rm -v /var/run/docker.sock:/var/run/docker.sock -v "$PWD/out:/out" coral-e2e \
#     run --phase connectivity --images reference --junit /out/report.xml --artifacts /out/artifacts
FROM node:20-bookworm-slim AS build
WORKDIR /src
COPY package.json package-lock.json ./
RUN npm ci --no-audit --no-fund
COPY . .
RUN npm run build && npm prune --omit=dev

FROM node:20-bookworm-slim
WORKDIR /opt/coral-e2e
COPY --from=build /src/package.json ./
COPY --from=build /src/node_modules ./node_modules
COPY --from=build /src/dist ./dist
COPY --from=build /src/bin ./bin
# Coral's wire schema, read at run time by the wire/… checks.
COPY --from=build /src/proto/wire ./proto/wire
ENTRYPOINT ["node", "/opt/coral-e2e/bin/coral-e2e.js"]
CMD ["--help"]
