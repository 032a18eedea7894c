#!/usr/bin/env bash
# Creates .venv and installs the project with its pinned dependencies; reinstalls only
# when pyproject.toml changed. Needs only Python 3.11+ on the PATH (PYTHON to choose one).
set -euo pipefail
cd "$(dirname "$0")/.."

python=${PYTHON:-python3}
if ! "$python" -c 'import sys; sys.exit(sys.version_info < (3, 11))' 2>/dev/null; then
  echo "cpts-snp needs Python 3.11 or newer (set PYTHON=/path/to/python3.11)" >&2
  exit 1
fi

[ -x .venv/bin/python ] || "$python" -m venv .venv
stamp=.venv/.setup-stamp
wanted=$(sha256sum pyproject.toml | cut -d' ' -f1)
if [ "$(cat "$stamp" 2>/dev/null)" != "$wanted" ]; then
  .venv/bin/python -m pip install --quiet --disable-pip-version-check --upgrade pip
  .venv/bin/python -m pip install --quiet --disable-pip-version-check -e '.[dev]'
  echo "$wanted" > "$stamp"
fi
