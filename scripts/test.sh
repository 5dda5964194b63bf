#!/usr/bin/env bash
# npm test: lint, type check, build, unit tests, integration tests (real mail servers, Redis, LLM stand-ins),
# then the tests inside real n8n 2.41.1 and 1.123.x.
#   N8N_TEST_SKIP_V1=1   skip the n8n 1.123.x pass (quicker local loop)
# Ends with one line "tests: N passed, N failed, N skipped" summed over every jest run.
set -uo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
results=test-results
rm -rf "$results" && mkdir -p "$results"
status=0
lint_failed=0
typecheck_failed=0

step() { echo; echo "== $*"; }

step "lint"
npm run --silent lint || { status=1; lint_failed=1; }

# jest compiles each test file on its own (isolatedModules, tsconfig.jest.json); the types of the whole
# tree, tests included, are checked once here.
step "type check"
npm run --silent typecheck || { status=1; typecheck_failed=1; }

step "build"
npm run --silent build || exit 1

expected="unit.json integration.json n8n-default.json"

# The tests in real n8n take most of the time and mostly wait on n8n, so the n8n 1.123.x pass runs
# beside everything else, on the same tarball (packed once here: a pass that packed its own would
# rebuild dist/ under the other's feet) and the same compiled demo scripts (npm start compiles them
# again, incrementally: a no-op that writes nothing). Its output is printed when it ends.
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

v1_pid=""
# An interrupted run does not leave that pass behind (background jobs of a script ignore Ctrl-C).
trap '[ -n "$v1_pid" ] && kill "$v1_pid" 2>/dev/null' EXIT
if [ -z "${N8N_TEST_SKIP_V1:-}" ] && [ -z "${N8N_TEST_VERSION:-}" ]; then
  expected="$expected n8n-1.123.json"
  echo "(the tests in real n8n 1.123.x start now, beside the steps below; their output follows them)"
  N8N_TEST_VERSION=1.123.x npx jest --selectProjects n8n --runInBand --json \
    --outputFile="$results/n8n-1.123.json" >"$results/n8n-1.123.log" 2>&1 &
  v1_pid=$!
fi

# Unit tests are CPU only: one jest worker per core (82 s against 139 s with jest's default of one
# worker on this 2-core machine, quiet).
step "unit tests"
npx jest --selectProjects unit --maxWorkers=100% --json --outputFile="$results/unit.json" || status=1

step "integration tests (Dovecot, Redis, SMTP, LLM stand-ins)"
npx jest --selectProjects integration --json --outputFile="$results/integration.json" || status=1

step "integration tests in real n8n ${N8N_TEST_VERSION:-2.41.1}"
npx jest --selectProjects n8n --runInBand --json --outputFile="$results/n8n-default.json" || status=1

if [ -n "$v1_pid" ]; then
  step "integration tests in real n8n 1.123.x (ran beside the steps above)"
  wait "$v1_pid" || status=1
  cat "$results/n8n-1.123.log"
fi

node scripts/summarize-tests.js "$results" $expected || status=1
if [ "$lint_failed" = 1 ]; then echo "lint: FAILED (see the lint step above)"; fi
if [ "$typecheck_failed" = 1 ]; then echo "type check: FAILED (see the type check step above)"; fi
exit $status
