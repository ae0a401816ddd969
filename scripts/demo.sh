#!/usr/bin/env bash
# The demo: installs missing build dependencies, builds baocao and runs `baocao demo`,
# which needs no setup (embedded broker, gateways for the three tiers, Thanh Hóa's units).
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/install-deps.sh
cargo run --locked -p baocao -- demo "$@"
