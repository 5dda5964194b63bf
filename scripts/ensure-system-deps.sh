#!/usr/bin/env bash
# Installs Debian packages the tests need, only when they are missing:
#   bash scripts/ensure-system-deps.sh dovecot-imapd [more packages...]
# Quick (one dpkg query) when everything is installed. Needs root or sudo to install; without either it
# says which packages are missing and exits 1. The package's service is not started (tests run their own).
set -euo pipefail
[ "$#" -gt 0 ] || { echo "usage: $0 <debian package>..." >&2; exit 2; }

find_missing() {
  missing=()
  local pkg status
  for pkg in "$@"; do
    status=$(dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null || true)
    [ "$status" = "install ok installed" ] || missing+=("$pkg")
  done
}
find_missing "$@"
[ "${#missing[@]}" -eq 0 ] && exit 0
# One install at a time: test runs side by side may ask together, and apt holds one lock. Once the
# lock is ours, look again: the run before may have installed them.
exec 9>"${TMPDIR:-/tmp}/n8n-nodes-support-email-apt.lock"
flock 9
find_missing "$@"
[ "${#missing[@]}" -eq 0 ] && exit 0

if [ "$(id -u)" -eq 0 ]; then
  run=()
elif command -v sudo >/dev/null && sudo -n true 2>/dev/null; then
  run=(sudo -n)
else
  echo "missing Debian packages: ${missing[*]} (install them as root: apt-get install -y ${missing[*]})" >&2
  exit 1
fi

echo "installing Debian packages: ${missing[*]}" >&2
export DEBIAN_FRONTEND=noninteractive
# Do not start the packages' own services: the tests start what they need on their own ports.
policy=/usr/sbin/policy-rc.d
created_policy=
if [ ! -e "$policy" ]; then
  printf '#!/bin/sh\nexit 101\n' | "${run[@]}" tee "$policy" >/dev/null
  "${run[@]}" chmod +x "$policy"
  created_policy=1
fi
cleanup() { [ -n "$created_policy" ] && "${run[@]}" rm -f "$policy"; return 0; }
trap cleanup EXIT
"${run[@]}" apt-get update -qq >&2
"${run[@]}" apt-get install -y -qq --no-install-recommends "${missing[@]}" >&2
