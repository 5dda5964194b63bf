#!/usr/bin/env bash
# Builds and packs the two packages both Dockerfiles copy in: the node package (with the status relay
# hook) into docker/package/n8n-nodes-support-email.tgz, and the status relay server (the
# status-relay/ workspace) into docker/package/n8n-nodes-support-email-status-relay.tgz. Run it
# before `docker compose build` and after every change to either package.
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
repo="$(cd "$here/.." && pwd)"
out="$here/package"
rm -rf "$out" && mkdir -p "$out"
cd "$repo"
# Built here, packed with --ignore-scripts: prepack's build output would mix into the file name.
# `npm run build` builds both (the root build ends with build:relay).
npm run build >&2
name="$(npm pack --silent --ignore-scripts --pack-destination "$out" | tail -n 1)"
mv "$out/$name" "$out/n8n-nodes-support-email.tgz"
name="$(npm pack --silent --ignore-scripts --workspace status-relay --pack-destination "$out" | tail -n 1)"
mv "$out/$name" "$out/n8n-nodes-support-email-status-relay.tgz"
echo "$out/n8n-nodes-support-email.tgz"
echo "$out/n8n-nodes-support-email-status-relay.tgz"
