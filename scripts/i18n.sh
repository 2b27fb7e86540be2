#!/usr/bin/env bash
# Re-extract message ids, merge them into the catalogs, and compile the .mo files.
#   scripts/i18n.sh          extract + update + compile
#   scripts/i18n.sh compile  compile only
set -euo pipefail
cd "$(dirname "$0")/.."
locales=ui/locales
if [ "${1:-}" != "compile" ]; then
  uv run pybabel extract -F babel.cfg -k _ -k __ -k N_ -k tr -k lazy_gettext --no-location \
    --sort-output -o "$locales/messages.pot" config ui outbox bot handlers tickets scheduler storage console sandbox >/dev/null
  for lang in zh_CN en; do
    if [ -f "$locales/$lang/LC_MESSAGES/messages.po" ]; then
      uv run pybabel update -i "$locales/messages.pot" -d "$locales" -l "$lang" --no-fuzzy-matching >/dev/null
    else
      uv run pybabel init -i "$locales/messages.pot" -d "$locales" -l "$lang" >/dev/null
    fi
  done
fi
uv run pybabel compile -d "$locales" >/dev/null
echo "catalogs compiled in $locales"
