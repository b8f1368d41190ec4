#!/usr/bin/env bash
# Renders every preset at 80x24, 120x40 and 200x60 as SVG with `srvmon snapshot --format svg` and converts
# each to PNG with librsvg (rsvg-convert, Debian librsvg2-bin): the pictures behind docs/screens/*.png.
# The provider presets come from the saved snapshots the provider tests build (tests/tui/presets/); the
# demo board is polled at a frozen time. Usage: bash docs/screens/make.sh [OUT_DIR]  (default: a temp dir)
set -euo pipefail
here="$(cd "$(dirname "$0")/../.." && pwd)"
srvmon="${SRVMON:-$here/.venv/bin/srvmon}"
out="${1:-$(mktemp -d -t srvmon-screens.XXXXXX)}"
mkdir -p "$out"
command -v rsvg-convert >/dev/null || { echo "make.sh: rsvg-convert not found (apt-get install librsvg2-bin)" >&2; exit 2; }
sizes=(80x24 120x40 200x60)
for size in "${sizes[@]}"; do
  "$srvmon" snapshot --demo --now 2026-11-20T14:07:30Z --format svg --size "$size" -o "$out/serverless-$size.svg"
done
for saved in "$here"/tests/tui/presets/*.json.gz; do
  name="$(basename "$saved" .json.gz)"
  gunzip -c "$saved" >"$out/$name.json"
  for size in "${sizes[@]}"; do
    # exit 3 only says a saved panel is in error (aws-serverless: moto answers GetAccountSettings with a 404)
    "$srvmon" snapshot --from "$out/$name.json" --format svg --size "$size" -o "$out/$name-$size.svg" || [ $? -eq 3 ]
  done
done
for svg in "$out"/*.svg; do
  rsvg-convert "$svg" -o "${svg%.svg}.png"
done
echo "$(ls "$out"/*.png | wc -l) PNGs in $out"
