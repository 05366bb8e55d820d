#!/bin/sh
# The images' entry point: `sinmun ARGS...`, after turning secret files into settings.
# Secrets arrive as files (Compose secrets, Kubernetes secret volumes) named after the setting
# they hold, e.g. /run/secrets/SINMUN_BOARDS_SESSION_PRIVATE_KEY, so they never sit in the image,
# in `docker inspect` or in the compose file; each becomes that variable for this process only.
set -eu
secrets_dir="${SINMUN_SECRETS_DIR:-/run/secrets}"
if [ -d "$secrets_dir" ]; then
  for file in "$secrets_dir"/SINMUN_*; do
    [ -f "$file" ] || continue
    name="$(basename "$file")"
    case "$name" in *[!A-Z0-9_]*) continue ;; esac
    export "$name=$(cat "$file")"
  done
fi
exec sinmun "$@"
