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

step "unit tests"
npx jest --selectProjects unit --json --outputFile="$results/unit.json" || status=1

step "integration tests (Dovecot, Redis, SMTP, LLM stand-ins)"
npx jest --selectProjects integration --json --outputFile="$results/integration.json" || status=1

step "integration tests in real n8n ${N8N_TEST_VERSION:-2.41.1}"
npx jest --selectProjects n8n --runInBand --json --outputFile="$results/n8n-default.json" || status=1

if [ -z "${N8N_TEST_SKIP_V1:-}" ] && [ -z "${N8N_TEST_VERSION:-}" ]; then
  expected="$expected n8n-1.123.json"
  step "integration tests in real n8n 1.123.x"
  N8N_TEST_VERSION=1.123.x npx jest --selectProjects n8n --runInBand --json --outputFile="$results/n8n-1.123.json" || status=1
fi

node scripts/summarize-tests.js "$results" $expected || status=1
if [ "$lint_failed" = 1 ]; then echo "lint: FAILED (see the lint step above)"; fi
if [ "$typecheck_failed" = 1 ]; then echo "type check: FAILED (see the type check step above)"; fi
exit $status
