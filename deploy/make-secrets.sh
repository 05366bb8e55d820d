#!/usr/bin/env bash
# Makes the secrets deploy/compose.yaml mounts, in deploy/secrets/ (git-ignored, a 0700 folder),
# and deploy/.env from .env.example; keeps whatever already exists (rotating a key: delete its
# file and run again, then restart every service: sessions signed by the old key end).
#   SINMUN_SESSION_PUBLIC_KEY            boards' Ed25519 public key: every service verifies sessions
#   SINMUN_BOARDS_SESSION_PRIVATE_KEY    the private half: boards alone signs sessions
#   SINMUN_INGEST_PARTNER_SECRETS        JSON {source: HMAC key} of syndication partners ({} at first)
# The key pair comes from `sinmun keys session`: the project's .venv, or else the ingest image.
# Usage: bash deploy/make-secrets.sh [DIR]   (DIR: e.g. deploy/k8s/overlays/dev/secrets for
# that overlay's secretGenerator; default deploy/secrets, and then deploy/.env too)
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
secrets="${1:-$here/secrets}"
mkdir -p "$secrets"
chmod 700 "$secrets"
umask 077

if [[ $# -eq 0 && ! -f "$here/.env" ]]; then
  cp "$here/.env.example" "$here/.env"
  echo "wrote deploy/.env"
fi

keys() {
  if [[ -x "$here/../.venv/bin/sinmun" ]]; then
    "$here/../.venv/bin/sinmun" keys session
  else
    docker compose -f "$here/compose.yaml" run --rm --no-deps kafka-topics keys session
  fi
}

private="$secrets/SINMUN_BOARDS_SESSION_PRIVATE_KEY"
public="$secrets/SINMUN_SESSION_PUBLIC_KEY"
if [[ ! -s "$private" || ! -s "$public" ]]; then
  pair="$(keys)"
  awk '/PRIVATE KEY-----$/,/END PRIVATE KEY-----/' <<<"$pair" >"$private"
  awk '/BEGIN PUBLIC KEY-----/,/END PUBLIC KEY-----/' <<<"$pair" >"$public"
  grep -q "BEGIN PRIVATE KEY" "$private" && grep -q "BEGIN PUBLIC KEY" "$public" \
    || { echo "make-secrets: no key pair in the output of 'sinmun keys session'" >&2; exit 1; }
  echo "wrote a new session key pair"
fi
partners="$secrets/SINMUN_INGEST_PARTNER_SECRETS"
[[ -s "$partners" ]] || { echo '{}' >"$partners"; echo "wrote an empty partner list"; }
# The services run as uid 10001 and Compose (outside swarm) mounts these files with their
# modes from here, so they are readable; the 0700 folder keeps other users of this host out.
chmod 644 "$public" "$partners" "$private"
