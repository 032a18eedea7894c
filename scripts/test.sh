#!/usr/bin/env bash
# One command for a fresh machine: install, then lint, format check, type check and tests.
# Tests run on SQLite, and on PostgreSQL too when TEST_DATABASE_URL is set.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
.venv/bin/ruff check .
.venv/bin/ruff format --check .
.venv/bin/mypy
.venv/bin/pytest "$@"
