#!/usr/bin/env bash
# The main job from a fresh checkout: installs, builds and starts a local cluster
# (planner + workers on the embedded registry) with a demo dataset. Extra arguments
# go to `flight-cluster up` (see docs/operations.md).
source "$(dirname "$0")/lib.sh"
ensure_build
cd "$ROOT"
exec node packages/cli/dist/main.js up "$@"
