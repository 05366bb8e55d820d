#!/usr/bin/env bash
# FerretDB v1 (MongoDB wire protocol over a SQLite backend), built from source with Go, on loopback only.
#
#   deploy/local/ferretdb.sh install   build the ferretdb binary into .local/cache/ferretdb/bin; idempotent
#   deploy/local/ferretdb.sh start     install if needed, start, wait for a real Mongo ping, record SINMUN_MONGO_URL
#   deploy/local/ferretdb.sh stop      stop the server this project started, forget SINMUN_MONGO_URL
#   deploy/local/ferretdb.sh status    exit 0 when it runs, 1 when not
#
# Settings (environment): SINMUN_FERRETDB_PORT or FERRETDB_PORT (default 37017);
# SINMUN_PYTHON, a python with pymongo for the health check (else .venv/bin/python when it has
# pymongo, else a hand-made OP_MSG ping from bash). Needs `go` (1.24+, or GOTOOLCHAIN=auto).
# Notes and compatibility findings: deploy/local/FERRETDB-NOTES.md.
set -euo pipefail
# shellcheck source=deploy/local/lib.sh
source "$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)/lib.sh"

NAME=ferretdb
MODULE=github.com/FerretDB/FerretDB
# The newest v1 release. v2 needs PostgreSQL with the DocumentDB extension; v1 has a SQLite backend.
VERSION=v1.24.2
# Our build of it: VERSION plus the one-line fix below (the stamp makes `install` rebuild when
# the fix changes).
BUILD="$VERSION+sinmun-sqlite-id-index-1"

FDB_CACHE="$CACHE_DIR/ferretdb"
BIN="$FDB_CACHE/bin/ferretdb"
FDB_RUN="$RUN_DIR/$NAME"
DATA_DIR="$FDB_RUN/data"
LOG="$FDB_RUN/$NAME.log"

PORT="${SINMUN_FERRETDB_PORT:-${FERRETDB_PORT:-37017}}"
URL="mongodb://127.0.0.1:$PORT/?directConnection=true"
START_TIMEOUT=60

# Go's module and build caches live in the git-ignored cache, shared with any other Go build here.
go_env() {
  export GOPATH="$CACHE_DIR/go" GOMODCACHE="$CACHE_DIR/go/mod" GOCACHE="$CACHE_DIR/go/build"
}

installed_version() {
  [[ -x "$BIN" ]] && "$BIN" --version 2>/dev/null | sed -n 's/^version: *//p'
}

installed_build() {
  [[ "$(installed_version || true)" == "$VERSION" && -f "$BIN.build" ]] && cat "$BIN.build"
}

# v1.24.2's SQLite backend creates the `_id` index on `_ferretdb_sjson->"_id"` but looks `_id`
# up as `_ferretdb_sjson->'$._id'`: SQLite matches index expressions literally, so every get,
# update and delete by `_id` scanned the whole collection (update 30 ms at 3,000 stories).
# Make the lookups use the indexed expression (same value; see FERRETDB-NOTES.md).
patch_id_lookups() {
  local file="$1/internal/backends/sqlite/metadata/metadata.go"
  python3 - "$file" <<'PY' || die "could not apply the _id index fix to $file"
import sys
path = sys.argv[1]
text = open(path, encoding="utf-8").read()
old = "IDColumn = DefaultColumn + \"->'$._id'\""
new = "IDColumn = DefaultColumn + `->\"_id\"`"
if old not in text:
    sys.exit(f"{path}: the IDColumn line changed upstream")
open(path, "w", encoding="utf-8").write(text.replace(old, new))
PY
}

cmd_install() {
  if [[ "$(installed_build || true)" == "$BUILD" ]]; then
    log "ferretdb $BUILD already installed ($BIN)"
    return 0
  fi
  command -v go >/dev/null || die "go not found (Go 1.24+ is needed to build FerretDB)"
  go_env
  local t0=$SECONDS src="$FDB_CACHE/src" dir
  log "building ferretdb $VERSION into $BIN (Go caches under $CACHE_DIR/go; cold: about a minute)"
  local versions; versions="$(go list -m -versions "$MODULE" 2>/dev/null || true)"
  if [[ -n "$versions" && " $versions " != *" $VERSION "* ]]; then
    die "$MODULE $VERSION not offered by the module proxy (it has: ${versions#"$MODULE"})"
  fi
  dir="$(go mod download -json "$MODULE@$VERSION" | sed -n 's/^[[:space:]]*"Dir": "\(.*\)",*$/\1/p')"
  [[ -n "$dir" && -f "$dir/go.mod" ]] || die "go mod download $MODULE@$VERSION failed"
  # A plain `go install .../cmd/ferretdb@VERSION` builds, but the binary panics at start-up:
  # build/version embeds version.txt, which only their release tooling writes (`task gen-version`).
  # So build from a copy of the module source with that file added.
  rm -rf "$src"; mkdir -p "$FDB_CACHE"
  cp -R "$dir" "$src"
  chmod -R u+w "$src"
  echo "$VERSION" >"$src/build/version/version.txt"
  patch_id_lookups "$src"
  mkdir -p "$(dirname "$BIN")"
  # -buildvcs=false: the copy sits inside Sinmun's git work tree, whose commit must not be stamped in.
  if ! (cd "$src" && go build -trimpath -buildvcs=false -o "$BIN.tmp" ./cmd/ferretdb) \
      >"$FDB_CACHE/build.log" 2>&1; then
    tail -n 40 "$FDB_CACHE/build.log" >&2
    die "go build of ferretdb failed (full output: $FDB_CACHE/build.log)"
  fi
  mv -f "$BIN.tmp" "$BIN"
  rm -rf "$src"
  [[ "$(installed_version || true)" == "$VERSION" ]] \
    || die "the built $BIN does not report version $VERSION"
  echo "$BUILD" >"$BIN.build"
  log "ferretdb $BUILD installed in $((SECONDS - t0))s"
}

# A python that can import pymongo, for the health check; empty when there is none.
pick_python() {
  local py
  for py in "${SINMUN_PYTHON:-}" "$SINMUN_ROOT/.venv/bin/python"; do
    [[ -n "$py" ]] || continue
    if "$py" -c 'import pymongo' >/dev/null 2>&1; then echo "$py"; return 0; fi
  done
  if [[ -n "${SINMUN_PYTHON:-}" ]]; then
    log "warning: SINMUN_PYTHON=$SINMUN_PYTHON cannot import pymongo; pinging with bash instead"
  fi
}

# A real {ping: 1} round trip with pymongo.
pymongo_ping() {
  "$1" - "$URL" <<'EOF'
import sys
from pymongo import MongoClient
client = MongoClient(sys.argv[1], serverSelectionTimeoutMS=2000, connectTimeoutMS=2000)
try:
    assert client.admin.command("ping").get("ok") == 1
finally:
    client.close()
EOF
}

# The same round trip without any client library: one OP_MSG {ping: 1, $db: "admin"} over
# /dev/tcp, and a reply that is an OP_MSG (2013) whose document has ok: 1.0 (or int32 1).
wire_ping() (
  exec 3<>"/dev/tcp/127.0.0.1/$PORT" || exit 1
  # header (length 51, requestID 1, responseTo 0, opCode 2013), flagBits 0, section kind 0, BSON
  local header='\x33\x00\x00\x00\x01\x00\x00\x00\x00\x00\x00\x00\xdd\x07\x00\x00\x00\x00\x00\x00\x00'
  local doc='\x1e\x00\x00\x00\x10ping\x00\x01\x00\x00\x00\x02\x24db\x00\x06\x00\x00\x00admin\x00\x00'
  # shellcheck disable=SC2059 # the format is the message itself: constant escapes, no % in it
  printf "$header$doc" >&3
  local len reply
  len="$(timeout 3 dd bs=1 count=4 <&3 2>/dev/null | od -An -tu4 | tr -d ' \n')"
  [[ "$len" =~ ^[0-9]+$ ]] && ((len > 20 && len < 65536)) || exit 1
  reply="$(timeout 3 dd bs=1 count=$((len - 4)) <&3 2>/dev/null | od -An -v -tx1 | tr -d ' \n')"
  [[ "${reply:16:8}" == "dd070000" ]] || exit 1
  [[ "$reply" == *016f6b00000000000000f03f* || "$reply" == *106f6b0001000000* ]]
)

PYTHON_FOR_PING=""
healthy() {
  port_open 127.0.0.1 "$PORT" || return 1
  if [[ -n "$PYTHON_FOR_PING" ]]; then pymongo_ping "$PYTHON_FOR_PING"; else wire_ping; fi
}

announce() {
  set_env SINMUN_MONGO_URL "$URL"
  log "ferretdb $VERSION (pid $(cat "$FDB_RUN/pid")) at $URL, data in $DATA_DIR"
  log "log: $LOG"
  log "settings recorded in $ENV_FILE"
}

cmd_start() {
  PYTHON_FOR_PING="$(pick_python || true)"
  if pid_alive "$NAME"; then
    wait_for "$NAME" "$START_TIMEOUT" healthy
    log "ferretdb already running"
    announce
    return 0
  fi
  cmd_install
  if port_open 127.0.0.1 "$PORT"; then
    die "port $PORT is taken by another process (set SINMUN_FERRETDB_PORT to use another one)"
  fi
  # The SQLite URL is a file: URI of a directory (trailing slash; one .sqlite file per database).
  [[ "$DATA_DIR" != *[[:space:]?#%]* ]] || die "data dir must not contain spaces, ?, # or %: $DATA_DIR"
  mkdir -p "$DATA_DIR"
  local t0=$SECONDS
  start_bg "$NAME" "$BIN" --handler=sqlite --sqlite-url="file:$DATA_DIR/" \
    --listen-addr="127.0.0.1:$PORT" --state-dir=- --debug-addr=- --telemetry=disable \
    --log-level=warn
  wait_for "$NAME" "$START_TIMEOUT" healthy
  log "ferretdb up in $((SECONDS - t0))s (health check: ${PYTHON_FOR_PING:+pymongo via }${PYTHON_FOR_PING:-OP_MSG ping from bash})"
  announce
}

cmd_stop() {
  stop_pid "$NAME"
  unset_env SINMUN_MONGO_URL
}

cmd_status() {
  if pid_alive "$NAME"; then
    if port_open 127.0.0.1 "$PORT" && wire_ping; then
      echo "ferretdb is running (pid $(cat "$FDB_RUN/pid")) at $URL, answering pings"
    else
      echo "ferretdb is running (pid $(cat "$FDB_RUN/pid")) but not answering on port $PORT yet; log: $LOG"
    fi
    return 0
  fi
  echo "ferretdb is not running"
  return 1
}

dispatch "$@"
