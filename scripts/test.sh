#!/usr/bin/env bash
# One command for a fresh machine: install, then lint, format check, type check and tests.
# Tests run on SQLite, and on PostgreSQL too when TEST_DATABASE_URL is set, in two pytest-xdist
# workers (pass -n 0 to run them in one process). The browser tests need Debian's Chromium:
# installed here when missing (as root, or through sudo).
set -euo pipefail
cd "$(dirname "$0")/.."
if [ ! -x "${CHROMIUM:-/usr/bin/chromium}" ]; then
  as_root=$([ "$(id -u)" = 0 ] && echo "" || echo "sudo")
  $as_root apt-get update -q
  $as_root apt-get install -y -q chromium
fi
bash scripts/setup.sh
.venv/bin/ruff check .
.venv/bin/ruff format --check .
.venv/bin/mypy
.venv/bin/pytest -n 2 "$@"
