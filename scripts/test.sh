#!/usr/bin/env bash
# The test command: installs missing build dependencies, then runs every test of the
# workspace (unit tests and the end-to-end tests in tests/, which start their own
# embedded brokers on 127.0.0.1).
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/install-deps.sh
cargo test --workspace --locked --features baocao/bench "$@"
