#!/usr/bin/env bash
# The demo: installs missing build dependencies, builds baocao and runs `baocao demo`,
# which needs no setup (embedded broker, a gateway per tier of today's register, Thanh
# Hóa's units; today's campaign by default, `--campaign thanh-hoa-2023` for the 2023 one).
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/install-deps.sh
cargo run --locked -p baocao -- demo "$@"
