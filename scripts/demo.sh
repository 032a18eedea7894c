#!/usr/bin/env bash
# One command for a fresh machine: install, migrate the SQLite database, seed the demo
# territory (tokens printed and written to demo-tokens.env), then serve on :8000.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
.venv/bin/cpts-snp migrate
.venv/bin/cpts-snp seed-demo --tokens-file demo-tokens.env
exec .venv/bin/cpts-snp serve "$@"
