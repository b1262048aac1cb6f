#!/usr/bin/env bash
# Nearest-replica demo: a planner and 6 workers in zones a, b, c (replicas 2), each worker
# behind a delay proxy adding 2, 15 or 40 ms each way by zone; loads a dataset with the
# client's parallel put, fetches it with a fresh client and prints, per endpoint, the
# locations offered, the client's round-trip estimates and the replica that served it.
# Exits 1 if any endpoint was not served by its lowest-latency replica. See README.md.
#
#   bash deploy/demo/nearest-replica.sh [--delays 2,15,40] [--workers-per-zone 2] [--shards 12] [--concurrency 4]
set -euo pipefail
cd "$(dirname "$0")/../.."
command -v redis-server >/dev/null || { echo "nearest-replica: redis-server is not on PATH (apt-get install redis-server)" >&2; exit 2; }
pnpm exec tsc --build
pnpm exec tsc --build benchmarks/client
exec node benchmarks/dist/client/nearest-replica-demo.js "$@"
