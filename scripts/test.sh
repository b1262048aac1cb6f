#!/usr/bin/env bash
# The whole test suite from a fresh checkout: installs what the tests need, builds,
# checks lint and types, runs every test, and prints one closing summary line.
source "$(dirname "$0")/lib.sh"
ensure_build
ensure_pyarrow
ensure_redis
cd "$ROOT"
export FLIGHT_CLUSTER_PYTHON="$VENV/bin/python"
# Every check runs even when an earlier one fails, so one run reports every problem.
status=0
pnpm exec biome ci . || { status=1; echo "lint: failed (pnpm format fixes formatting)" >&2; }
pnpm exec tsc -p tsconfig.test.json || { status=1; echo "type check of tests: failed" >&2; }
mkdir -p .cache
pnpm exec vitest run --reporter=default --reporter=json --outputFile=.cache/vitest.json "$@" || status=1
node scripts/test-summary.mjs .cache/vitest.json || status=1
exit $status
