#!/usr/bin/env bash
# Installs what snapreport needs on a fresh Debian machine, then the Python environment.
#   scripts/bootstrap.sh demo   -> uv and the locked Python packages
#   scripts/bootstrap.sh test   -> the same, plus PostgreSQL, Redis and Chromium for the tests
#                                  (the web console's browser tests drive Debian's Chromium
#                                  through Playwright; Playwright's own browser downloads are
#                                  never used)
# The charts' and posters' CJK font is a Python dependency (pylopdf-fonts-zh-cn), not a
# system package.
set -euo pipefail
cd "$(dirname "$0")/.."
purpose="${1:-demo}"

have_pg() { command -v pg_ctl >/dev/null 2>&1 || compgen -G "/usr/lib/postgresql/*/bin/pg_ctl" >/dev/null; }
have_redis() { command -v redis-server >/dev/null 2>&1; }
have_chromium() { [ -x /usr/bin/chromium ]; }

apt_install() {
  local sudo=""
  [ "$(id -u)" = 0 ] || sudo="sudo"
  echo "==> installing Debian packages: $*"
  $sudo apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends "$@" >/dev/null
}

if [ "$purpose" = "test" ]; then
  missing=()
  have_pg || missing+=(postgresql)
  have_redis || missing+=(redis-server)
  have_chromium || missing+=(chromium)
  if [ "${#missing[@]}" -gt 0 ]; then apt_install "${missing[@]}"; fi
fi

export PATH="$HOME/.local/bin:$PATH"
if ! command -v uv >/dev/null 2>&1; then
  echo "==> installing uv"
  python3 -m pip install --quiet uv 2>/dev/null \
    || python3 -m pip install --quiet --user uv 2>/dev/null \
    || python3 -m pip install --quiet --break-system-packages uv
fi
uv sync --frozen --quiet
