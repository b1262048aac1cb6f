# Shared helpers for the project's scripts. Sourced, not run.
# Every step is idempotent: it checks before it installs.
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
PNPM_VERSION="10.34.8"
PYARROW_VERSION="26.0.1"
VENV="$ROOT/.venv"

log() { printf '[setup] %s\n' "$*" >&2; }

# pnpm, pinned (Corepack's signature checks fail on these machines, so npm installs it).
ensure_pnpm() {
  if command -v pnpm >/dev/null 2>&1 && [ "$(pnpm --version 2>/dev/null)" = "$PNPM_VERSION" ]; then return; fi
  log "installing pnpm@$PNPM_VERSION with npm"
  npm install --global --no-fund --no-audit "pnpm@$PNPM_VERSION" >/dev/null 2>&1 \
    || npm install --global --no-fund --no-audit --prefix "$HOME/.local" "pnpm@$PNPM_VERSION" >/dev/null
  export PATH="$HOME/.local/bin:$PATH"
  command -v pnpm >/dev/null || { echo "could not install pnpm; install pnpm@$PNPM_VERSION and retry" >&2; exit 1; }
}

# Node dependencies and the TypeScript build.
ensure_build() {
  ensure_pnpm
  (cd "$ROOT" && pnpm install --frozen-lockfile --reporter=silent)
  (cd "$ROOT" && pnpm exec tsc --build)
}

# A project virtualenv with pyarrow (pinned) for the interop tests and benchmarks.
ensure_pyarrow() {
  if [ -x "$VENV/bin/python" ] && "$VENV/bin/python" -c "import pyarrow, pyarrow.flight, sys; sys.exit(pyarrow.__version__ != '$PYARROW_VERSION')" 2>/dev/null; then return; fi
  log "creating $VENV with pyarrow==$PYARROW_VERSION"
  python3 -m venv "$VENV"
  "$VENV/bin/pip" install --quiet --disable-pip-version-check "pyarrow==$PYARROW_VERSION" "pandas>=2,<3"
}

# redis-server from Debian's packages, for the cluster tests (REDIS_URL overrides).
ensure_redis() {
  if [ -n "${REDIS_URL:-}" ] || command -v redis-server >/dev/null 2>&1; then return; fi
  if [ "$(id -u)" = "0" ] && command -v apt-get >/dev/null 2>&1; then
    log "installing redis-server from Debian's packages"
    DEBIAN_FRONTEND=noninteractive apt-get update -qq >/dev/null
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq redis-server >/dev/null
    # The package starts a system service on 6379; tests start their own servers on free ports.
    (service redis-server stop || true) >/dev/null 2>&1
  else
    log "redis-server is missing: install it (apt-get install redis-server) or set REDIS_URL"
  fi
}
