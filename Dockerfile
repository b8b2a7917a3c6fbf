# The runner image: the project's base image, node 20, and the runner's files in /opt/coral-e2e
# (package.json, bin/, dist/, proto/, production node_modules). Online (needs a registry for
# node:20-bookworm-slim and npm's), the `build` stage makes them from `npm ci`; `coral-e2e images
# --mode online` builds it after the base image, or by hand:
#
#   docker build --build-arg IMAGE_REPO=coral-e2e -t coral-e2e/runner:latest .
#   docker run --rm -v /var/run/docker.sock:/var/run/docker.sock -v "$PWD/out:/out" coral-e2e/runner:latest \
#     run --phase connectivity --images reference --junit /out/report.xml
#
# Offline, `coral-e2e images` uses the last stage alone, with `build` replaced by the files it copied
# from this machine (src/images/runner.ts): the same layout either way.
ARG BASE=coral-e2e/base:bookworm
FROM node:20-bookworm-slim AS build
WORKDIR /src
COPY package.json package-lock.json ./
RUN npm ci --no-audit --no-fund
COPY . .
# The runner only (the reference images are built by `coral-e2e images`), then its run-time files.
RUN npm run gen && npx tsc -p tsconfig.json && npm prune --omit=dev \
 && mkdir -p /stage/app/dist && cp /usr/local/bin/node /stage/node \
 && cp -r package.json bin proto node_modules /stage/app/ && rm -rf /stage/app/proto/gen \
 && cp -r dist/src dist/checks dist/proto /stage/app/dist/ \
 && find /stage/app -name '*.map' -delete -o -name '*.d.ts' -delete

# The runner (offline builds start here).
FROM ${BASE}
COPY --from=build /stage/node /usr/local/bin/node
COPY --from=build /stage/app /opt/coral-e2e
# The reference and fixture images a run uses by default: the repository this image was built under.
ARG IMAGE_REPO=coral-e2e
ENV CORAL_E2E_IMAGE_REPO=${IMAGE_REPO}
# Relative report and artifact paths land in the folder mounted here.
WORKDIR /out
# `coral-e2e` on PATH too, for CI jobs that run a shell in the image (GitLab's docker executor).
RUN ln -s /opt/coral-e2e/bin/coral-e2e.js /usr/local/bin/coral-e2e
ENTRYPOINT ["/usr/local/bin/node", "/opt/coral-e2e/bin/coral-e2e.js"]
CMD ["--help"]
