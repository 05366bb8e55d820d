#!/usr/bin/env bash
# Starts the real servers on loopback (default: all of them) and waits until they are healthy.
# Usage: bash deploy/local/up.sh [kafka] [ferretdb] [opensearch]
# Their settings land in .local/servers.env: `source .local/servers.env`.
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
servers=("$@")
[[ ${#servers[@]} -gt 0 ]] || servers=(kafka ferretdb opensearch)
pids=()
for server in "${servers[@]}"; do
  [[ -f "$here/$server.sh" ]] || { echo "unknown server: $server" >&2; exit 2; }
  # In parallel: the Go build of FerretDB and the Maven downloads do not wait for each other.
  bash "$here/$server.sh" start &
  pids+=($!)
done
failed=0
for pid in "${pids[@]}"; do wait "$pid" || failed=1; done
exit $failed
