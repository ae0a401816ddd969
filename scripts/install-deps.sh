#!/usr/bin/env bash
# Installs what building and testing baocao needs on a fresh Debian machine, and nothing
# that is already there:
# - a C toolchain, pkg-config, zlib and OpenSSL headers: rdkafka-sys builds librdkafka
#   from source, with TLS (and SASL over TLS) for real Kafka clusters;
# - protobuf-compiler: datafusion-substrait (used by the Flight SQL server) runs protoc
#   from the PATH (baocao's own protos use the vendored protoc of protoc-bin-vendored);
# - Python ADBC for Flight SQL and pyarrow (PyPI), used by one end-to-end test, grpcio
#   (a C-core gRPC client) for another, and grpcio-reflection for the README walkthrough's
#   `scripts/grpc_services.py`.
# - chromium and chromium-driver (Debian's): the portal's browser tests drive a real
#   browser over WebDriver; npm (Debian's) installs axe-core (tests/browser/), the
#   accessibility checker those tests run in each page. The report tests print the
#   Chairman's HTML report with the same chromium and read the PDF with poppler-utils;
#   LibreOffice Writer (headless) opens the report's DOCX as an officer would, and
#   LibreOffice Calc re-saves a filled spreadsheet form as a clerk's office suite would
#   (the import must read it unchanged); openpyxl (PyPI) fills forms in the import tests;
#   the openssl command checks signed receipts as any third party would (`openssl cms`).
# The Kafka-protocol broker is compiled into baocao; Java and Maven run a real Apache Kafka
# cluster for the second pass of the end-to-end tests. Rust (cargo, rustc) must be installed.
set -euo pipefail

packages=(build-essential pkg-config zlib1g-dev libssl-dev protobuf-compiler chromium chromium-driver poppler-utils libreoffice-writer-nogui libreoffice-calc-nogui openssl)
command -v npm >/dev/null || packages+=(npm)
command -v python3 >/dev/null || packages+=(python3 python3-pip)
# Java (17 or newer) and Maven run the Apache Kafka cluster of the tests
# (scripts/kafka-cluster.sh fetches the broker's jars from Maven Central).
command -v java >/dev/null || packages+=(default-jre-headless)
command -v mvn >/dev/null || packages+=(maven)
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

# Python ADBC, for the test that connects to the Flight SQL endpoint as analysts' Python does,
# and grpcio, a C-core gRPC client (the stock client of Python, C++, C#, Ruby and PHP), for
# the test that every error answer fits its 8 KiB metadata limit, with grpcio-reflection for
# the README walkthrough (scripts/grpc_services.py), openpyxl to fill spreadsheets, and
# aiosmtpd, the real SMTP server the reminder tests deliver to, and pyHanko (its signer and
# validator), an independent PAdES implementation the signed-report test checks against.
if ! python3 -c "import adbc_driver_flightsql.dbapi, pyarrow, grpc, grpc_reflection, openpyxl, aiosmtpd, pyhanko.cli, pyhanko_certvalidator" 2>/dev/null; then
  echo "installing Python packages: adbc-driver-flightsql pyarrow grpcio grpcio-reflection openpyxl aiosmtpd pyhanko"
  pip=(python3 -m pip install -q --disable-pip-version-check adbc-driver-flightsql adbc-driver-manager pyarrow grpcio grpcio-reflection openpyxl aiosmtpd==1.4.6 pyhanko==0.38.0 pyhanko-certvalidator==0.33.0 pyhanko-cli==0.6.0)
  # Debian's own python3 refuses system-wide installs (PEP 668) unless told otherwise.
  "${pip[@]}" 2>/dev/null || "${pip[@]}" --break-system-packages
fi

# axe-core for the browser tests' accessibility check (npm registry), pinned in
# tests/browser/package.json.
here="$(cd "$(dirname "$0")/.." && pwd)"
if [ ! -f "$here/tests/browser/node_modules/axe-core/axe.min.js" ]; then
  echo "installing axe-core into tests/browser"
  npm install --prefix "$here/tests/browser" --no-audit --no-fund --silent
fi
