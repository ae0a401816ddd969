#!/usr/bin/env bash
# Installs what building baocao needs on a fresh Debian machine, and nothing if it is
# already there: a C toolchain and zlib headers (librdkafka is built from source by
# rdkafka-sys), pkg-config, Python 3 (data scripts). protoc comes from the
# protoc-bin-vendored crate and the Kafka-protocol broker is compiled into baocao, so
# neither is downloaded. Rust itself (cargo, rustc) must already be installed.
set -euo pipefail

packages=(build-essential pkg-config zlib1g-dev python3 python3-pip)
missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if [ ${#missing[@]} -gt 0 ]; then
  echo "installing: ${missing[*]}"
  sudo=""
  [ "$(id -u)" -eq 0 ] || sudo="sudo"
  $sudo apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq "${missing[@]}"
fi
command -v cargo >/dev/null || { echo "cargo not found: install Rust (rustup) first" >&2; exit 1; }
