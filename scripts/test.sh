#!/usr/bin/env bash
# The whole test suite from a fresh checkout: installs what the tests need, builds,
# checks lint and types, runs every test, and prints one closing summary line.
source "$(dirname "$0")/lib.sh"
ensure_build
ensure_pyarrow
ensure_redis
cd "$ROOT"
export FLIGHT_CLUSTER_PYTHON="$VENV/bin/python"
pnpm exec biome ci .
pnpm exec tsc -p tsconfig.test.json
mkdir -p .cache
status=0
pnpm exec vitest run --reporter=default --reporter=json --outputFile=.cache/vitest.json "$@" || status=$?
node scripts/test-summary.mjs .cache/vitest.json || status=1
exit $status
