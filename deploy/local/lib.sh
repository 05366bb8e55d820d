#!/usr/bin/env bash
# Shared helpers for the deploy/local server scripts. Sourced, never run.
# Layout (all git-ignored, under the repository root):
#   .local/cache/<server>/   downloads and builds, kept between runs
#   .local/run/<server>/     data, logs, pid file of the running server
#   .local/servers.env       SINMUN_* settings of the servers that are up
set -euo pipefail

SINMUN_ROOT="${SINMUN_ROOT:-$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)}"
LOCAL_DIR="${SINMUN_LOCAL_DIR:-$SINMUN_ROOT/.local}"
CACHE_DIR="$LOCAL_DIR/cache"
RUN_DIR="$LOCAL_DIR/run"
ENV_FILE="$LOCAL_DIR/servers.env"
mkdir -p "$CACHE_DIR" "$RUN_DIR"

log() { printf '[deploy/local] %s\n' "$*" >&2; }
die() { log "error: $*"; exit 1; }

# pid_alive NAME -> 0 when the pid recorded for NAME belongs to a running process
pid_alive() {
  local pidfile="$RUN_DIR/$1/pid"
  [[ -f "$pidfile" ]] && kill -0 "$(cat "$pidfile")" 2>/dev/null
}

# start_bg NAME CMD... -> runs CMD detached, logs to .local/run/NAME/NAME.log, records its pid
start_bg() {
  local name="$1"; shift
  mkdir -p "$RUN_DIR/$name"
  local logfile="$RUN_DIR/$name/$name.log"
  setsid "$@" >"$logfile" 2>&1 < /dev/null &
  echo $! >"$RUN_DIR/$name/pid"
  log "$name started (pid $!), log: $logfile"
}

# stop_pid NAME -> stops only the process this project started (by its recorded pid)
stop_pid() {
  local name="$1" pidfile="$RUN_DIR/$1/pid"
  if ! pid_alive "$name"; then rm -f "$pidfile"; log "$name is not running"; return 0; fi
  local pid; pid="$(cat "$pidfile")"
  kill -TERM -- "-$pid" 2>/dev/null || kill -TERM "$pid"
  for _ in $(seq 1 60); do kill -0 "$pid" 2>/dev/null || break; sleep 0.5; done
  if kill -0 "$pid" 2>/dev/null; then kill -KILL -- "-$pid" 2>/dev/null || kill -KILL "$pid"; fi
  rm -f "$pidfile"
  log "$name stopped"
}

# wait_for NAME SECONDS CMD... -> polls CMD until it succeeds; fails with the log's tail
wait_for() {
  local name="$1" seconds="$2"; shift 2
  local deadline=$((SECONDS + seconds))
  until "$@" >/dev/null 2>&1; do
    if ! pid_alive "$name"; then
      tail -n 40 "$RUN_DIR/$name/$name.log" >&2 || true; die "$name exited during start-up"
    fi
    if (( SECONDS >= deadline )); then
      tail -n 40 "$RUN_DIR/$name/$name.log" >&2 || true; die "$name not healthy after ${seconds}s"
    fi
    sleep 1
  done
  log "$name is healthy"
}

# port_open HOST PORT -> 0 when something accepts TCP connections there
port_open() { (exec 3<>"/dev/tcp/$1/$2") 2>/dev/null; }

# set_env KEY VALUE -> records a setting in .local/servers.env (replacing an older value).
# Servers start in parallel, so every rewrite of the file happens under one lock.
set_env() { _rewrite_env "$1" "export $1=$2"; }
unset_env() { _rewrite_env "$1" ""; }
_rewrite_env() {
  (
    flock 9
    touch "$ENV_FILE"
    grep -v "^export $1=" "$ENV_FILE" >"$ENV_FILE.tmp.$$" || true
    [[ -z "$2" ]] || echo "$2" >>"$ENV_FILE.tmp.$$"
    mv "$ENV_FILE.tmp.$$" "$ENV_FILE"
  ) 9>"$ENV_FILE.lock"
}

# dispatch ARG -> runs the sourcing script's cmd_install / cmd_start / cmd_stop / cmd_status
dispatch() {
  case "${1:-}" in
    install | start | stop | status) "cmd_$1" ;;
    *) echo "usage: $0 {install|start|stop|status}" >&2; exit 2 ;;
  esac
}
