#!/usr/bin/env bash
# The README's before/after figures: `abair restore --explain` sheets (input | restored |
# per-pixel degradation map, with the estimator's probabilities) of bench images, made with the
# shipped model (or WEIGHTS=<model dir>). Writes docs/figures/<name>.jpg (the sheet as JPEG q85:
# a few hundred kB instead of a 1–1.4 MB PNG).
#
#   scripts/readme-figures.sh            # after `npm run build`
#
# The images: Rain100H input 1 (real rain pair) and Kodak24 kodim05 with our low-light and
# noise+blur degradations (synthetic, seeded). The restored images themselves are not kept.
set -euo pipefail
cd "$(dirname "$0")/.."
DATA=${ABAIR_DATA:-../shared/data}/bench
OUT=docs/figures
WEIGHTS_ARGS=()
[[ -n "${WEIGHTS:-}" ]] && WEIGHTS_ARGS=(--weights "$WEIGHTS")
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
mkdir -p "$OUT"

abair() { node bin/abair.js "$@"; }
explain() { # <input> <name>
  abair restore "$1" -o "$tmp/$2.png" --explain --no-progress "${WEIGHTS_ARGS[@]}"
  node -e "require('sharp')(process.argv[1]).jpeg({ quality: 85, mozjpeg: true }).toFile(process.argv[2])" \
    "$tmp/$2.explain.png" "$OUT/$2.jpg" >/dev/null
}

cp "$DATA/Rain100H/input/1.png" "$tmp/rain100h-1-input.png"
explain "$tmp/rain100h-1-input.png" rain100h-1
abair degrade "$DATA/Kodak24/target/kodim05.png" -o "$tmp/kodim05-lowlight-input.png" --type lowlight --severity 0.6 --seed 1
explain "$tmp/kodim05-lowlight-input.png" kodim05-lowlight
abair degrade "$DATA/Kodak24/target/kodim05.png" -o "$tmp/kodim05-noise-blur-input.png" --type blur+noise --severity 0.5 --seed 1
explain "$tmp/kodim05-noise-blur-input.png" kodim05-noise-blur
ls -l "$OUT"
