#!/usr/bin/env bash
# Builds this package and packs it into docker/package/n8n-nodes-support-email.tgz, the file both
# Dockerfiles copy in. Run it before `docker compose build` and after every change to the package.
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
repo="$(cd "$here/.." && pwd)"
out="$here/package"
rm -rf "$out" && mkdir -p "$out"
cd "$repo"
# The repository's .npmrc sets ignore-scripts, so `npm pack` would skip prepack: build first.
npm run build >&2
name="$(npm pack --silent --ignore-scripts --pack-destination "$out" | tail -n 1)"
mv "$out/$name" "$out/n8n-nodes-support-email.tgz"
echo "$out/n8n-nodes-support-email.tgz"
