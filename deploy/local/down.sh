#!/usr/bin/env bash
# Stops the real servers this project started (by their recorded pids).
# Usage: bash deploy/local/down.sh [kafka] [ferretdb] [opensearch]
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
servers=("$@")
[[ ${#servers[@]} -gt 0 ]] || servers=(opensearch ferretdb kafka)
for server in "${servers[@]}"; do bash "$here/$server.sh" stop; done
