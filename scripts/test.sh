#!/usr/bin/env bash
# npm test: lint, type check, build, unit tests, integration tests (real mail servers, Redis, LLM stand-ins),
# and the tests inside real n8n 2.41.1 and 1.123.x (side by side).
#   N8N_TEST_SKIP_V1=1   skip the n8n 1.123.x pass (quicker local loop)
#   N8N_TEST_SHARDS=N    jest processes per n8n version (default 2)
# Ends with one line "tests: N passed, N failed, N skipped" summed over every jest run.
set -uo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
results=test-results
rm -rf "$results" && mkdir -p "$results"
status=0
lint_failed=0
typecheck_failed=0

step() { echo; echo "== $*"; }

# The Debian packages the tests start (quick when installed): installed once here, before the runs
# side by side below could each reach for apt at once on a fresh machine.
step "system packages"
bash scripts/ensure-system-deps.sh dovecot-imapd redis-server postgresql chromium ||
  echo "(the tests that need them will fail)"

step "build"
npm run --silent build || exit 1

expected="unit.json integration.json"

# The tests in real n8n take most of the time and mostly wait on n8n, so they run beside everything
# else (below), all on the same tarball (packed once here: a run that packed its own would rebuild
# dist/ under the others' feet) and the same compiled demo scripts (npm start compiles them again,
# incrementally: a no-op that writes nothing).
# Packs into the results folder and prints the tarball's absolute path (extra npm pack arguments pass on).
pack() {
  local name
  name="$(npm pack --json --ignore-scripts --pack-destination "$results" "$@" | node -e \
    'let s="";process.stdin.on("data",(c)=>(s+=c)).on("end",()=>console.log(JSON.parse(s)[0].filename))')"
  echo "$PWD/$results/$name"
}
N8N_TEST_TARBALL="$(pack)"
# The same for the status relay package (relay.test installs it): packing it in a test would rebuild
# status-relay/dist/ while other tests read it.
RELAY_TEST_TARBALL="$(pack --workspace status-relay)"
export N8N_TEST_TARBALL RELAY_TEST_TARBALL
npx tsc -p tsconfig.scripts.json || exit 1

# The tests in real n8n run as several jest processes side by side: each n8n version's files split
# into N8N_TEST_SHARDS shards of about equal length (test/harness/sequencer.js), all started now, in the
# background, while the unit and integration tests run. Each shard has its own shared n8n and writes
# its own report; their output is printed when they end.
shards="${N8N_TEST_SHARDS:-2}"
pids=()
names=()
labels=()
# An interrupted run does not leave the shards behind: each runs in a process group of its own
# (background jobs of a script ignore Ctrl-C), stopped here with everything it started.
trap 'for p in "${pids[@]}"; do kill -TERM -- "-$p" 2>/dev/null; done' EXIT
start_n8n_pass() { # <report name> <label> [n8n version] [NAME=value ... for that pass]
  local name="$1" label="$2" version="${3:-}" i out
  local settings=("${@:4}")
  for ((i = 1; i <= shards; i++)); do
    out="$name-$i-of-$shards"
    (
      if [ -n "$version" ]; then export N8N_TEST_VERSION="$version"; fi
      for setting in "${settings[@]}"; do export "${setting?}"; done
      exec setsid npx jest --selectProjects n8n --runInBand --shard="$i/$shards" --json \
        --outputFile="$results/$out.json"
    ) >"$results/$out.log" 2>&1 &
    pids+=("$!")
    names+=("$out")
    labels+=("$label, shard $i of $shards")
    expected="$expected $out.json"
  done
}
start_n8n_pass n8n-default "${N8N_TEST_VERSION:-2.41.1}"
if [ -z "${N8N_TEST_SKIP_V1:-}" ] && [ -z "${N8N_TEST_VERSION:-}" ]; then
  # The README's install commands on Node 20/22/24 (install-paths.test) do not depend on n8n's
  # version: the 2.41.1 pass runs them, this one does not (about 2 min of a 2-core machine).
  start_n8n_pass n8n-1.123 1.123.x 1.123.x N8N_TEST_README_MATRIX=0
fi
echo "(the tests in real n8n start now in ${#pids[@]} jest processes, beside the steps below; their output follows them)"

# Lint and the type check run beside the tests in real n8n too.
step "lint"
npm run --silent lint || { status=1; lint_failed=1; }

# jest compiles each test file on its own (isolatedModules, tsconfig.jest.json); the types of the whole
# tree, tests included, are checked once here.
step "type check"
npm run --silent typecheck || { status=1; typecheck_failed=1; }

# Unit tests are CPU only: one jest worker per core (82 s against 139 s with jest's default of one
# worker on this 2-core machine, quiet).
step "unit tests"
npx jest --selectProjects unit --maxWorkers=100% --json --outputFile="$results/unit.json" || status=1

step "integration tests (Dovecot, Redis, SMTP, LLM stand-ins)"
npx jest --selectProjects integration --json --outputFile="$results/integration.json" || status=1

for k in "${!pids[@]}"; do
  wait "${pids[$k]}" || status=1
  step "integration tests in real n8n ${labels[$k]} (ran beside the steps above)"
  cat "$results/${names[$k]}.log"
done
pids=()

node scripts/summarize-tests.js "$results" $expected || status=1
if [ "$lint_failed" = 1 ]; then echo "lint: FAILED (see the lint step above)"; fi
if [ "$typecheck_failed" = 1 ]; then echo "type check: FAILED (see the type check step above)"; fi
exit $status
