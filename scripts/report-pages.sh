#!/usr/bin/env bash
# Renders the pages of a Chairman's report PDF to PNG images, so a person can look at
# them without a PDF viewer (and the README can show one): pdftoppm from poppler-utils.
#
# Usage: scripts/report-pages.sh REPORT.pdf [OUT_DIR] [DPI]
#   e.g. scripts/report-pages.sh demo-output/summaries/thanh-hoa-2023/levels-approved/bao-cao.pdf
# writes OUT_DIR/trang-1.png, trang-2.png, … (default OUT_DIR: beside the PDF, in
# `<name>-trang/`; default DPI 100).
set -euo pipefail
pdf=${1:?usage: scripts/report-pages.sh REPORT.pdf [OUT_DIR] [DPI]}
[ -f "$pdf" ] || { echo "no such PDF: $pdf" >&2; exit 2; }
out=${2:-"${pdf%.pdf}-trang"}
dpi=${3:-100}
command -v pdftoppm >/dev/null || { echo "pdftoppm not found: apt-get install poppler-utils (scripts/install-deps.sh does)" >&2; exit 2; }
mkdir -p "$out"
pdftoppm -r "$dpi" -png "$pdf" "$out/trang"
# pdftoppm pads page numbers to the page count's width (trang-01.png): drop the padding.
for f in "$out"/trang-*.png; do
  n=${f##*/trang-}; n=${n%.png}
  [ "$f" = "$out/trang-$((10#$n)).png" ] || mv "$f" "$out/trang-$((10#$n)).png"
done
echo "$(ls "$out"/trang-*.png | wc -l) pages in $out"
