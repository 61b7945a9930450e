#!/usr/bin/env bash
# Prints the Chromium that the reference page's browser check drives (infra/web/reference_check.mjs):
# $CHROMIUM if set, else Debian's chromium, which it installs with apt when it runs as root and
# the package is missing. Otherwise it says what to install and fails: the check is never skipped.
set -euo pipefail
if [ -n "${CHROMIUM:-}" ]; then
  [ -x "$CHROMIUM" ] || { echo "CHROMIUM=$CHROMIUM is not an executable" >&2; exit 1; }
  echo "$CHROMIUM"; exit 0
fi
if ! command -v chromium >/dev/null; then
  if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null; then
    echo "installing Debian's chromium for the browser check (apt-get install chromium)" >&2
    apt-get update -qq >&2
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends chromium >&2
  else
    echo "The API reference page's browser check needs Chromium. On Debian or Ubuntu:" >&2
    echo "  sudo apt-get install chromium" >&2
    echo "or set CHROMIUM to a Chromium or Chrome binary, then run make test again." >&2
    exit 1
  fi
fi
command -v chromium
