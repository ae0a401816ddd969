#!/usr/bin/env bash
# A real Apache Kafka cluster on loopback for tests and benchmarks: 1 or 3 combined
# broker/controller nodes in KRaft mode (no ZooKeeper), the broker's jars fetched from
# Maven Central once (scripts/kafka/pom.xml) into a cache outside the clone, started with
# `java`. Broker settings are deploy/compose's: replication 3, min.insync.replicas 2,
# no automatic topics, no unclean leader election (with one node: replication 1).
#
#   scripts/kafka-cluster.sh start [--brokers 3]   # prints the bootstrap servers
#   scripts/kafka-cluster.sh status                # the nodes, and the brokers' view
#   scripts/kafka-cluster.sh stop                  # every process it started, by pid
#   scripts/kafka-cluster.sh kill|stop-node|restart NODE   # a node: kill -9, SIGTERM, start again
#   scripts/kafka-cluster.sh topics ARGS…          # kafka-topics from the same jars
#
# Environment: KAFKA_CLUSTER_CACHE (jars; default ~/.cache/baocao/kafka-<version>),
# KAFKA_CLUSTER_STATE (data, logs, pids; default /tmp/baocao-kafka), KAFKA_CLUSTER_PORT
# (node N listens on PORT+N, its controller on PORT+100+N; default 19090).
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
pom="$here/kafka/pom.xml"
version="$(sed -n 's:.*<kafka.version>\(.*\)</kafka.version>.*:\1:p' "$pom")"
cache="${KAFKA_CLUSTER_CACHE:-$HOME/.cache/baocao/kafka-$version}"
state="${KAFKA_CLUSTER_STATE:-/tmp/baocao-kafka}"
port="${KAFKA_CLUSTER_PORT:-19090}"
cluster_id="4L6g3nShT-eMCtK--X86sw" # as deploy/compose: one id, kept for ever

die() { echo "kafka-cluster: $*" >&2; exit 1; }

fetch_jars() {
  [ -f "$cache/.complete" ] && return
  command -v mvn >/dev/null || die "mvn is not installed (scripts/install-deps.sh installs it)"
  command -v java >/dev/null || die "java is not installed (Java 17: scripts/install-deps.sh)"
  echo "fetching Apache Kafka $version from Maven Central into $cache" >&2
  mkdir -p "$cache"
  mvn -q -B -f "$pom" dependency:copy-dependencies -DincludeScope=runtime \
    -DoutputDirectory="$cache/libs" >&2
  touch "$cache/.complete"
}

java_cp() { echo "$cache/libs/*"; }

# Runs a Kafka tool class (kafka.tools.StorageTool, org.apache.kafka.tools.TopicCommand…).
tool() {
  local class="$1"; shift
  java -Xmx256m -Dlog4j2.configurationFile="$state/log4j2-tools.yaml" -cp "$(java_cp)" "$class" "$@"
}

nodes() { cat "$state/brokers" 2>/dev/null || echo 0; }
bootstrap() {
  local n i out=""
  n="$(nodes)"
  for i in $(seq 1 "$n"); do out="${out:+$out,}127.0.0.1:$((port + i))"; done
  echo "$out"
}

write_config() {
  local n="$1" i="$2" voters="" j replication=$(( n >= 3 ? 3 : 1 )) min_isr=$(( n >= 3 ? 2 : 1 ))
  for j in $(seq 1 "$n"); do voters="${voters:+$voters,}$j@127.0.0.1:$((port + 100 + j))"; done
  mkdir -p "$state/node-$i"
  cat >"$state/node-$i/server.properties" <<PROPS
process.roles=broker,controller
node.id=$i
controller.quorum.voters=$voters
listeners=PLAINTEXT://127.0.0.1:$((port + i)),CONTROLLER://127.0.0.1:$((port + 100 + i))
advertised.listeners=PLAINTEXT://127.0.0.1:$((port + i))
listener.security.protocol.map=CONTROLLER:PLAINTEXT,PLAINTEXT:PLAINTEXT
controller.listener.names=CONTROLLER
inter.broker.listener.name=PLAINTEXT
log.dirs=$state/node-$i/data
default.replication.factor=$replication
min.insync.replicas=$min_isr
offsets.topic.replication.factor=$replication
transaction.state.log.replication.factor=$replication
transaction.state.log.min.isr=$min_isr
share.coordinator.state.topic.replication.factor=$replication
share.coordinator.state.topic.min.isr=$min_isr
auto.create.topics.enable=false
unclean.leader.election.enable=false
group.initial.rebalance.delay.ms=0
num.partitions=1
message.max.bytes=4194304
PROPS
}

write_logging() {
  mkdir -p "$state"
  cat >"$state/log4j2.yaml" <<'YAML'
Configuration:
  Appenders:
    Console:
      name: out
      PatternLayout:
        Pattern: "[%d] %p %m (%c)%n"
  Loggers:
    Root:
      level: INFO
      AppenderRef:
        - ref: out
YAML
  sed 's/level: INFO/level: WARN/' "$state/log4j2.yaml" >"$state/log4j2-tools.yaml"
}

start_node() {
  local i="$1"
  nohup java -Xms256m -Xmx512m -XX:+UseG1GC -XX:MaxGCPauseMillis=20 \
    -Dlog4j2.configurationFile="$state/log4j2.yaml" -cp "$(java_cp)" \
    kafka.Kafka "$state/node-$i/server.properties" >>"$state/node-$i/server.log" 2>&1 &
  echo $! >"$state/node-$i/pid"
}

node_alive() { local pid; pid="$(cat "$state/node-$1/pid" 2>/dev/null)" && kill -0 "$pid" 2>/dev/null; }

wait_ready() {
  local i deadline=$((SECONDS + 120))
  for i in $(seq 1 "$(nodes)"); do
    until grep -q "Kafka Server started" "$state/node-$i/server.log" 2>/dev/null; do
      node_alive "$i" || die "node $i exited; see $state/node-$i/server.log"
      [ "$SECONDS" -lt "$deadline" ] || die "node $i not started after 120 s; see $state/node-$i/server.log"
      sleep 0.5
    done
  done
}

cmd_start() {
  local n=1
  while [ $# -gt 0 ]; do
    case "$1" in
      --brokers) n="${2:-}"; shift 2 ;;
      *) die "unknown flag $1 (start [--brokers 1|3])" ;;
    esac
  done
  [[ "$n" =~ ^[1-9]$ ]] || die "--brokers must be 1 to 9, not '$n'"
  if [ "$(nodes)" != 0 ] && node_alive 1; then die "already running ($(bootstrap)); stop first"; fi
  fetch_jars
  rm -rf "$state"
  write_logging
  echo "$n" >"$state/brokers"
  local i
  for i in $(seq 1 "$n"); do
    write_config "$n" "$i"
    tool kafka.tools.StorageTool format --ignore-formatted -t "$cluster_id" \
      -c "$state/node-$i/server.properties" >"$state/node-$i/format.log" 2>&1 \
      || die "formatting node $i failed: $(cat "$state/node-$i/format.log")"
  done
  for i in $(seq 1 "$n"); do start_node "$i"; done
  wait_ready
  echo "Apache Kafka $version, $n node(s): $(bootstrap)" >&2
  bootstrap
}

cmd_stop() {
  local i pid
  for i in $(seq 1 "$(nodes)"); do
    pid="$(cat "$state/node-$i/pid" 2>/dev/null)" || continue
    kill "$pid" 2>/dev/null || true
  done
  for i in $(seq 1 "$(nodes)"); do
    pid="$(cat "$state/node-$i/pid" 2>/dev/null)" || continue
    for _ in $(seq 1 60); do kill -0 "$pid" 2>/dev/null || break; sleep 0.5; done
    kill -9 "$pid" 2>/dev/null || true
    rm -f "$state/node-$i/pid"
  done
  echo "stopped" >&2
}

cmd_status() {
  local i
  [ "$(nodes)" != 0 ] || { echo "not started"; return 1; }
  for i in $(seq 1 "$(nodes)"); do
    if node_alive "$i"; then echo "node $i: running (pid $(cat "$state/node-$i/pid")), 127.0.0.1:$((port + i))"
    else echo "node $i: stopped"; fi
  done
  echo "bootstrap: $(bootstrap)"
}

case "${1:-}" in
  start) shift; cmd_start "$@" ;;
  stop) cmd_stop ;;
  status) cmd_status ;;
  bootstrap) bootstrap ;;
  kill) [ -n "${2:-}" ] || die "kill NODE"; pid="$(cat "$state/node-$2/pid")"; kill -9 "$pid"; rm -f "$state/node-$2/pid"; echo "node $2 killed (pid $pid)" >&2 ;;
  stop-node)
    [ -n "${2:-}" ] || die "stop-node NODE"; pid="$(cat "$state/node-$2/pid")"; kill "$pid"
    for _ in $(seq 1 120); do kill -0 "$pid" 2>/dev/null || break; sleep 0.5; done
    kill -9 "$pid" 2>/dev/null || true; rm -f "$state/node-$2/pid"; echo "node $2 stopped" >&2 ;;
  restart) [ -n "${2:-}" ] || die "restart NODE"; start_node "$2"; echo "node $2 started again" >&2 ;;
  topics) shift; fetch_jars; tool org.apache.kafka.tools.TopicCommand --bootstrap-server "$(bootstrap)" "$@" ;;
  *) die "usage: kafka-cluster.sh start [--brokers 3] | stop | status | bootstrap | kill NODE | stop-node NODE | restart NODE | topics ARGS…" ;;
esac
