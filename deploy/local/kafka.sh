#!/usr/bin/env bash
# A real single-node Apache Kafka broker (KRaft, broker+controller in one JVM), loopback only,
# from Maven Central jars.
#
#   deploy/local/kafka.sh install   fetch the broker's jars (Maven) into .local/cache/kafka; idempotent
#   deploy/local/kafka.sh start     install if needed, format storage once, start, wait until the
#                                   broker answers ApiVersions, record SINMUN_KAFKA_BOOTSTRAP_SERVERS
#   deploy/local/kafka.sh stop      stop the broker this project started, forget the setting
#   deploy/local/kafka.sh status    exit 0 when it runs, 1 when not
#
# Settings (environment): KAFKA_PORT (client listener, default 19092), KAFKA_CONTROLLER_PORT
# (KRaft controller, 19093), KAFKA_HEAP (1g), JAVA_HOME (else java from PATH; Java 11+).
# Notes: deploy/local/KAFKA-NOTES.md.
set -euo pipefail
# shellcheck source=deploy/local/lib.sh
source "$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)/lib.sh"

NAME=kafka
SRC_DIR="$SINMUN_ROOT/deploy/local/kafka"
POM="$SRC_DIR/pom.xml"
LOG4J="$SRC_DIR/log4j.properties"
# Fixed KRaft cluster id: base64url (22 chars) of the 16 bytes "sinmun-local-kfk".
CLUSTER_ID=c2lubXVuLWxvY2FsLWtmaw

K_CACHE="$CACHE_DIR/kafka"
LIBS="$K_CACHE/libs"
MARKER="$K_CACHE/installed"
M2="$CACHE_DIR/m2"

K_RUN="$RUN_DIR/$NAME"
LOG="$K_RUN/$NAME.log"
DATA="$K_RUN/data"
CONF="$K_RUN/server.properties"
CLIENT_CONF="$K_RUN/client.properties"

PORT="${KAFKA_PORT:-19092}"
CONTROLLER_PORT="${KAFKA_CONTROLLER_PORT:-19093}"
HEAP="${KAFKA_HEAP:-1g}"
BOOTSTRAP="127.0.0.1:$PORT"
START_TIMEOUT=90

JAVA="${JAVA_HOME:+$JAVA_HOME/bin/}java"

pom_prop() { sed -n "s:.*<$1>\(.*\)</$1>.*:\1:p" "$POM" | head -n 1; }

# What an install is made of; a change to any of it (a version bump) re-installs.
install_stamp() {
  printf 'kafka_2.13=%s\nslf4j=%s\nreload4j=%s\npom=%s\n' \
    "$(pom_prop kafka.version)" "$(pom_prop slf4j.version)" "$(pom_prop reload4j.version)" \
    "$(sha256sum <"$POM" | cut -c1-16)"
}

cmd_install() {
  if [[ -f "$MARKER" && "$(cat "$MARKER")" == "$(install_stamp)" ]]; then
    log "kafka already installed ($(tr '\n' ' ' <"$MARKER"))"
    return 0
  fi
  command -v "$JAVA" >/dev/null || die "java not found (Java 11+ needed)"
  command -v mvn >/dev/null || die "mvn not found (apt-get install -y maven)"
  local t0=$SECONDS
  log "installing kafka $(pom_prop kafka.version) into $K_CACHE (Maven Central, local repo $M2)"
  rm -rf "$LIBS" "$MARKER"
  mkdir -p "$LIBS"
  if ! mvn -B -q -Dstyle.color=never -f "$POM" -Dmaven.repo.local="$M2" \
      org.apache.maven.plugins:maven-dependency-plugin:3.6.1:copy-dependencies \
      -DincludeScope=runtime -DoutputDirectory="$LIBS" >"$K_CACHE/mvn.log" 2>&1; then
    tail -n 40 "$K_CACHE/mvn.log" >&2
    die "maven could not fetch the kafka jars (full output: $K_CACHE/mvn.log)"
  fi
  ls "$LIBS/kafka_2.13-$(pom_prop kafka.version).jar" "$LIBS"/reload4j-*.jar >/dev/null \
    || die "kafka_2.13 or reload4j missing in $LIBS"
  install_stamp >"$MARKER"
  log "kafka installed in $((SECONDS - t0))s ($(tr '\n' ' ' <"$MARKER"))"
}

kjava() {
  "$JAVA" -Xmx256m -Dlog4j.configuration="file:$LOG4J" -cp "$LIBS/*" "$@"
}

# The broker really answers: an ApiVersions round trip through the Admin client, not a TCP check.
healthy() {
  port_open 127.0.0.1 "$PORT" || return 1
  timeout 20 "$JAVA" -Xmx128m -XX:TieredStopAtLevel=1 -Dlog4j.configuration="file:$LOG4J" \
    -cp "$LIBS/*" kafka.admin.BrokerApiVersionsCommand \
    --bootstrap-server "$BOOTSTRAP" --command-config "$CLIENT_CONF" 2>/dev/null \
    | grep -q "^$BOOTSTRAP (id: 1 rack: null) -> ("
}

write_config() {
  mkdir -p "$K_RUN" "$DATA"
  cat >"$CONF" <<CONF
# written by deploy/local/kafka.sh at every start
process.roles=broker,controller
node.id=1
controller.quorum.voters=1@127.0.0.1:$CONTROLLER_PORT
controller.listener.names=CONTROLLER
listeners=PLAINTEXT://127.0.0.1:$PORT,CONTROLLER://127.0.0.1:$CONTROLLER_PORT
advertised.listeners=PLAINTEXT://127.0.0.1:$PORT
inter.broker.listener.name=PLAINTEXT
listener.security.protocol.map=CONTROLLER:PLAINTEXT,PLAINTEXT:PLAINTEXT
log.dirs=$DATA
num.partitions=3
default.replication.factor=1
auto.create.topics.enable=true
offsets.topic.replication.factor=1
offsets.topic.num.partitions=3
transaction.state.log.replication.factor=1
transaction.state.log.min.isr=1
transaction.state.log.num.partitions=3
min.insync.replicas=1
group.initial.rebalance.delay.ms=0
log.retention.hours=168
log.segment.bytes=104857600
CONF
  cat >"$CLIENT_CONF" <<CONF
# Admin client settings of the health check (deploy/local/kafka.sh)
request.timeout.ms=5000
default.api.timeout.ms=8000
CONF
}

format_storage() {
  if [[ -f "$DATA/meta.properties" ]]; then
    local id; id="$(sed -n 's/^cluster.id=//p' "$DATA/meta.properties")"
    [[ "$id" == "$CLUSTER_ID" ]] || die "$DATA belongs to cluster '$id', not $CLUSTER_ID; remove $DATA to start afresh"
    return 0
  fi
  log "formatting kafka storage in $DATA (cluster id $CLUSTER_ID)"
  kjava kafka.tools.StorageTool format -t "$CLUSTER_ID" -c "$CONF" --ignore-formatted >"$K_RUN/format.log" 2>&1 \
    || { cat "$K_RUN/format.log" >&2; die "could not format kafka storage"; }
}

announce() {
  set_env SINMUN_KAFKA_BOOTSTRAP_SERVERS "$BOOTSTRAP"
  log "kafka $(pom_prop kafka.version) (KRaft, pid $(cat "$K_RUN/pid")) at $BOOTSTRAP"
  log "log: $LOG"
  log "settings recorded in $ENV_FILE"
}

cmd_start() {
  if pid_alive "$NAME"; then
    [[ -f "$CLIENT_CONF" ]] || write_config
    wait_for "$NAME" "$START_TIMEOUT" healthy
    log "kafka already running"
    announce
    return 0
  fi
  cmd_install
  command -v timeout >/dev/null || die "timeout (coreutils) not found"
  local p
  for p in "$PORT" "$CONTROLLER_PORT"; do
    port_open 127.0.0.1 "$p" && die "port $p is taken by another process (set KAFKA_PORT / KAFKA_CONTROLLER_PORT)"
  done
  write_config
  format_storage
  local t0=$SECONDS
  # kafka.Kafka never reads stdin; SIGTERM (stop_pid) runs its controlled shutdown.
  start_bg "$NAME" "$JAVA" "-Xms$HEAP" "-Xmx$HEAP" -XX:+UseG1GC -XX:MaxGCPauseMillis=20 \
    -XX:+ExplicitGCInvokesConcurrent -Djava.awt.headless=true -Dfile.encoding=UTF-8 \
    -Dlog4j.configuration="file:$LOG4J" -Dkafka.logs.dir="$K_RUN" \
    -cp "$LIBS/*" kafka.Kafka "$CONF"
  wait_for "$NAME" "$START_TIMEOUT" healthy
  log "kafka up in $((SECONDS - t0))s"
  announce
}

cmd_stop() {
  stop_pid "$NAME"
  unset_env SINMUN_KAFKA_BOOTSTRAP_SERVERS
}

cmd_status() {
  if pid_alive "$NAME"; then
    if [[ -f "$CLIENT_CONF" ]] && healthy; then
      echo "kafka is running (pid $(cat "$K_RUN/pid")) at $BOOTSTRAP, healthy"
    else
      echo "kafka is running (pid $(cat "$K_RUN/pid")) but not answering at $BOOTSTRAP; log: $LOG"
    fi
    return 0
  fi
  echo "kafka is not running"
  return 1
}

dispatch "$@"
