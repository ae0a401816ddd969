#!/usr/bin/env bash
# The test command: installs missing build dependencies, checks formatting, lints the
# workspace with warnings as errors, holds functions to 80 lines and files to 800
# (scripts/sizes.py), checks that the fuzz target (its own workspace, fuzz/) still
# builds, then runs every test of the workspace (unit tests and the
# end-to-end tests in tests/, which start their own embedded brokers on 127.0.0.1).
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
cargo test --workspace --locked --no-fail-fast --features baocao/bench "$@"
