#!/usr/bin/env bash
# npm start: compile the tooling (scripts + harness) and run scripts/start.ts.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
echo "Compiling the demo scripts (TypeScript)..."
npx tsc -p tsconfig.scripts.json
exec node build-scripts/scripts/start.js
