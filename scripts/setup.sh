#!/usr/bin/env bash
# Everything coral-e2e needs on a fresh Debian/Ubuntu machine, idempotent: the Docker engine
# (started if not running), debootstrap for the offline base image, Debian's chromium for the HTML
# report's browser test, Go for the reference WireGuard helper is expected on PATH, npm
# dependencies, the build, and the images.
set -euo pipefail
cd "$(dirname "$0")/.."

as_root() { if [ "$(id -u)" = 0 ]; then "$@"; else sudo "$@"; fi; }

missing=()
command -v dockerd >/dev/null 2>&1 || missing+=(docker.io)
command -v debootstrap >/dev/null 2>&1 || missing+=(debootstrap)
command -v iptables >/dev/null 2>&1 || missing+=(iptables)
if [ ${#missing[@]} -gt 0 ] || [ ! -x /usr/bin/chromium ]; then
  as_root env DEBIAN_FRONTEND=noninteractive apt-get update -q >/dev/null
fi
if [ ${#missing[@]} -gt 0 ]; then
  echo "setup: installing ${missing[*]}" >&2
  as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -q "${missing[@]}" >/dev/null
fi
# The HTML report's browser test drives /usr/bin/chromium (no browser download). Where the
# distribution has no such package (Ubuntu ships a snap) the test is skipped with the reason, so a
# failed install is not fatal here.
if [ ! -x /usr/bin/chromium ]; then
  echo "setup: installing chromium" >&2
  as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -q chromium >/dev/null ||
    echo "setup: chromium could not be installed; the HTML report's browser test will be skipped" >&2
fi

if ! docker info >/dev/null 2>&1; then
  echo "setup: starting dockerd" >&2
  as_root bash -c 'nohup dockerd >/var/log/coral-e2e-dockerd.log 2>&1 &'
  for _ in $(seq 1 120); do docker info >/dev/null 2>&1 && break; sleep 0.5; done
  docker info >/dev/null 2>&1 || { echo "setup: dockerd did not come up; see /var/log/coral-e2e-dockerd.log" >&2; exit 3; }
fi

command -v go >/dev/null 2>&1 || { echo "setup: Go is needed to build the reference WireGuard helper (https://go.dev/dl)" >&2; exit 3; }

if [ ! -d node_modules ] || [ package-lock.json -nt node_modules ]; then npm ci --no-audit --no-fund >/dev/null; fi
npm run --silent build
node bin/coral-e2e.js images
