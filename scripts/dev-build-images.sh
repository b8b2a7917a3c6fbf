#!/usr/bin/env bash
# Development shortcut until `coral-e2e images` exists: builds base (offline) + reference images.
set -euo pipefail
cd "$(dirname "$0")/.."
if ! docker image inspect coral-e2e/base:bookworm >/dev/null 2>&1; then
  root=$(mktemp -d)
  pkgs=$(grep -v '^#' images/base/packages.txt | paste -sd, -)
  debootstrap --variant=minbase --include="$pkgs" bookworm "$root" http://deb.debian.org/debian >/dev/null
  tar -C "$root" -c . | docker import -c 'WORKDIR /root' -c 'CMD ["bash"]' - coral-e2e/base:bookworm
  rm -rf "$root"
fi
mkdir -p images/reference/build
npm run --silent gen
node images/reference/bundle.mjs
(cd images/reference/wg && CGO_ENABLED=0 go build -trimpath -o ../build/coral-ref-wg .)
cp "$(command -v node)" images/reference/build/node
for role in discovery colony agent; do
  docker build -q --target "$role" -t "coral-e2e/reference-$role:v0.3.0" images/reference
done
