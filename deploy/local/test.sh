#!/usr/bin/env bash
# The whole test run (`make test`, and what CI runs): installs everything, starts the real
# servers, checks lint and types, runs every test, and stops the servers it started.
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
cd "$root"
local_dir="$root/deploy/local"
servers=(kafka ferretdb opensearch)

bash "$local_dir/python-env.sh" --dev
bash "$local_dir/system-packages.sh"
# kustomize, kubeconform (+ offline schemas), hadolint, compose-check, caddy: tests/deploy
bash "$local_dir/deploy-tools.sh"

started=()
stop_started() {
  for server in "${started[@]}"; do bash "$local_dir/$server.sh" stop || true; done
}
trap stop_started EXIT
for server in "${servers[@]}"; do
  bash "$local_dir/$server.sh" status >/dev/null 2>&1 || started+=("$server")
done
SECONDS=0
bash "$local_dir/up.sh" "${servers[@]}"
echo "[test] real servers healthy after ${SECONDS}s"
# shellcheck disable=SC1091
source "$root/.local/servers.env"
export SINMUN_REQUIRE_REAL_SERVERS=1

.venv/bin/ruff check .
.venv/bin/ruff format --check .
.venv/bin/mypy shared services tests bench
set +e
.venv/bin/python -m pytest "$@"
status=$?
set -e
if [[ $status -eq 5 ]]; then echo "[test] no test ran: failing" >&2; exit 1; fi
exit $status
