#!/usr/bin/env bash
# Creates .venv and installs Sinmun with its pinned dependencies; a no-op when nothing changed.
# Usage: bash deploy/local/python-env.sh [--dev]
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
cd "$root"
extras=""
[[ "${1:-}" == "--dev" ]] && extras="[dev]"
python="${PYTHON:-python3}"
"$python" -c 'import sys; sys.exit(sys.version_info < (3, 11))' \
  || { echo "Sinmun needs Python 3.11 or newer ($python is older)" >&2; exit 1; }
stamp=".venv/.sinmun-installed$extras"
want="$(cat pyproject.toml constraints.txt | sha256sum | cut -d' ' -f1)"
if [[ -f "$stamp" && "$(cat "$stamp")" == "$want" ]]; then exit 0; fi
[[ -x .venv/bin/python ]] || "$python" -m venv .venv
.venv/bin/python -m pip install -q --disable-pip-version-check --upgrade "pip>=24"
.venv/bin/python -m pip install -q --disable-pip-version-check -c constraints.txt -e ".$extras"
echo "$want" >"$stamp"
echo "[python-env] installed Sinmun$extras into .venv" >&2
