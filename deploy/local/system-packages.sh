#!/usr/bin/env bash
# Debian packages the tests use (kcat: a partner's Kafka client; chromium: the browser the
# e2e tests drive through Playwright, with fonts-nanum so its screenshots show Korean text;
# wrk: the render benchmark's load generator).
# Installs only what is missing.
set -euo pipefail
missing=()
command -v kcat >/dev/null || missing+=(kcat)
command -v chromium >/dev/null || missing+=(chromium)
command -v wrk >/dev/null || missing+=(wrk)
fc-list :lang=ko 2>/dev/null | grep -q . || missing+=(fonts-nanum)
[[ ${#missing[@]} -eq 0 ]] && exit 0
if [[ $(id -u) -ne 0 ]] && ! command -v sudo >/dev/null; then
  echo "[system-packages] please install: ${missing[*]} (apt-get install -y ${missing[*]})" >&2
  exit 1
fi
sudo_cmd=()
[[ $(id -u) -ne 0 ]] && sudo_cmd=(sudo)
export DEBIAN_FRONTEND=noninteractive
"${sudo_cmd[@]}" apt-get install -y -q "${missing[@]}" >/dev/null 2>&1 || {
  "${sudo_cmd[@]}" apt-get update -q >/dev/null
  "${sudo_cmd[@]}" apt-get install -y -q "${missing[@]}" >/dev/null
}
echo "[system-packages] installed ${missing[*]}" >&2
