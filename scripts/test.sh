#!/usr/bin/env bash
# The test command: installs missing build dependencies, checks formatting, lints the
# workspace with warnings as errors, holds functions to 80 lines and files to 800
# (scripts/sizes.py), checks that the fuzz target (its own workspace, fuzz/) still
# builds, then runs every test of the workspace (unit tests and the
# end-to-end tests in tests/, which start their own embedded brokers on 127.0.0.1), then
# the end-to-end tests of the Kafka paths again on a three-node Apache Kafka cluster.
set -euo pipefail
cd "$(dirname "$0")/.."
# A one-shot build: incremental compilation's caches would only fill the disk (≈ 20 GB).
export CARGO_INCREMENTAL="${CARGO_INCREMENTAL:-0}"
scripts/install-deps.sh
cargo fmt --all --check
cargo clippy --workspace --all-targets --locked --features baocao/bench -- -D warnings
python3 scripts/sizes.py
# fuzz/ builds with the main build directory (its lock file follows the workspace's
# versions, so most of its dependencies are already built).
CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-$(pwd)/target}" cargo check --manifest-path fuzz/Cargo.toml --locked
# --no-fail-fast: one failing test binary does not hide the results of the others.
status=0
cargo test --workspace --locked --no-fail-fast --features baocao/bench "$@" || status=$?
# The end-to-end tests of the gateway, portal, landing and rollup, review, reminders,
# submission ids and faults again, on a real three-node Apache Kafka cluster (KRaft, jars
# from Maven Central: scripts/kafka-cluster.sh), its own state and ports (its variables
# are not BAOCAO_*: every baocao process reads those as configuration).
export KAFKA_CLUSTER_STATE="${KAFKA_CLUSTER_STATE:-$(mktemp -d /tmp/baocao-test-kafka.XXXXXX)}"
export KAFKA_CLUSTER_PORT="${KAFKA_CLUSTER_PORT:-19290}"
bootstrap="$(scripts/kafka-cluster.sh start --brokers 3)"
trap 'scripts/kafka-cluster.sh stop' EXIT
TEST_KAFKA=apache TEST_KAFKA_BROKERS="$bootstrap" cargo test -p baocao --locked --no-fail-fast \
  --features baocao/bench --test gateway_e2e --test portal_e2e --test pipeline_e2e \
  --test review_e2e --test remind_e2e --test submission_ids_e2e --test fault_e2e "$@" || status=$?
# The ingest and freshness benchmarks on a cluster of their own (`--kafka apache`).
TEST_KAFKA=apache TEST_KAFKA_BROKERS="$bootstrap" cargo test -p baocao --locked --no-fail-fast \
  --features baocao/bench --test cli_e2e "$@" -- on_apache_kafka || status=$?
exit "$status"
