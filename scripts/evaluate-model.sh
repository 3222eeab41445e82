#!/usr/bin/env bash
# Every measurement behind docs/results.md and the README's Results section, for one model, as
# one command (each step is an `abair eval` / bench command that can also be run alone):
#
#   scripts/evaluate-model.sh <5-class model dir>          # after `npm run build`
#
# The model evaluated is the shipped default (weights/default, or $ABAIR_WEIGHTS), so the reports
# label it as such; the argument is its 5-class reference (the recipe's model-5: the five first
# adapters and their estimator): the zero-shot reference on the unseen suite and the "before" of
# the oracle check.
#
# Writes into $OUT (default docs/eval), with file names starting with $PREFIX (default "model"):
#   <PREFIX>-sw-all.json            blind SW on every suite
#   <PREFIX>-oh-mixed.json          OH on the mixed suite (the issue asks SW ≥ OH there)
#   <PREFIX>-5class-unseen-sw.json  the 5-class model, blind, on the unseen suite (zero-shot)
#   <PREFIX>-oracle.json, <PREFIX>-5class-oracle.json
#                                   oracle mode on the five original tasks' suites, after and
#                                   before adding; their outputs must be byte-identical (run
#                                   both on one machine: floating point differs between VMs;
#                                   oracle5 needs no estimator, so the 5-class copy can be the
#                                   backbone and the five original adapters alone)
#   speed.json                      bench:restore, 1 and 12 MP, both engines (SPEED=0 skips it;
#                                   stop training first: it measures wall time)
#   maxim-rain100h-5.json           only with MAXIM=1: the peer comparison (~30 s per 256² crop here);
#                                   MAXIM=reuse re-measures abair only and keeps MAXIM's rows from
#                                   the existing file (same crops; the peer model does not change)
# and, with RESULTS=<file> (e.g. docs/results.md), the results document from all of them plus
# the identity baseline docs/eval/identity-all.json, and the README's results table.
# QUICK=1 runs every eval on the --quick subset (a smoke test of this script, minutes not hours).
# PARTS=<comma list> runs only those parts (default: all of them, in this order):
#   sw, oh, unseen, oracle, oracle5, compare, speed, maxim, results
# e.g. PARTS=unseen,oracle5 while add-degradation is still training (they need only the 5-class
# model), then PARTS=sw,oh,oracle,compare,speed,maxim,results once the model is final.
set -euo pipefail
main() {
cd "$(dirname "$0")/.."
if [[ $# -ne 1 || ! -d "$1" ]]; then
  echo "usage: scripts/evaluate-model.sh <5-class model dir>   (see the header of this script)" >&2
  exit 2
fi
MODEL5=$1
OUT=${OUT:-docs/eval}
PREFIX=${PREFIX:-model}
QUICK_ARGS=()
[[ "${QUICK:-0}" == 1 ]] && QUICK_ARGS=(--quick)
mkdir -p "$OUT"
say() { echo "[$(date -u +%FT%TZ)] $*"; }
PARTS=",${PARTS:-sw,oh,unseen,oracle,oracle5,compare,speed,maxim,results},"
part() { [[ "$PARTS" == *",$1,"* ]]; }
for p in ${PARTS//,/ }; do
  [[ " sw oh unseen oracle oracle5 compare speed maxim results " == *" $p "* ]] || { echo "unknown part '$p' in PARTS" >&2; exit 2; }
done
ev() { node bin/abair.js eval --no-progress "${QUICK_ARGS[@]}" "$@" >/dev/null; }

oracle_suites=denoise,derain,dehaze,synthetic
part sw      && { say "SW, every suite";        ev --suite all --mode sw --json "$OUT/$PREFIX-sw-all.json"; }
part oh      && { say "OH, mixed suite";        ev --suite mixed --mode oh --json "$OUT/$PREFIX-oh-mixed.json"; }
part unseen  && { say "zero-shot, unseen";      ev --suite unseen --mode sw --weights "$MODEL5" --json "$OUT/$PREFIX-5class-unseen-sw.json"; }
part oracle  && { say "oracle, after adding";   ev --suite "$oracle_suites" --mode oracle --json "$OUT/$PREFIX-oracle.json"; }
part oracle5 && { say "oracle, before adding";  ev --suite "$oracle_suites" --mode oracle --weights "$MODEL5" --json "$OUT/$PREFIX-5class-oracle.json"; }
if part compare; then
  say "oracle outputs before vs after adding"
  node bin/abair.js eval compare --outputs "$OUT/$PREFIX-5class-oracle.json" "$OUT/$PREFIX-oracle.json" \
    || { say "the oracle outputs changed when degradations were added (above): stop and find out why"; exit 1; }
fi

inputs=(docs/eval/identity-all.json "$OUT/$PREFIX-sw-all.json")
inputs+=("$OUT/$PREFIX-oh-mixed.json" "$OUT/$PREFIX-5class-unseen-sw.json" "$OUT/$PREFIX-oracle.json" "$OUT/$PREFIX-5class-oracle.json")
if [[ "${SPEED:-1}" == 1 ]] && part speed; then
  say "speed (bench:restore)"
  npm run --silent bench:restore -- --sizes 1,12 --runs 3 --run-budget 150 --json "$OUT/speed.json" >/dev/null
fi
[[ -f "$OUT/speed.json" ]] && inputs+=("$OUT/speed.json")
if ! part maxim; then
  :
elif [[ "${MAXIM:-0}" == 1 ]]; then
  say "peer comparison: MAXIM"
  node bench/peers/maxim.mjs --images 5 --crop 256 --json "$OUT/maxim-rain100h-5.json" >/dev/null
elif [[ "${MAXIM:-0}" == reuse ]]; then
  say "peer comparison: abair on MAXIM's crops (MAXIM's rows reused)"
  node bench/peers/maxim.mjs --images 5 --crop 256 --peer-from "$OUT/maxim-rain100h-5.json" --json "$OUT/maxim-rain100h-5.json" >/dev/null
fi
[[ -f "$OUT/maxim-rain100h-5.json" ]] && inputs+=("$OUT/maxim-rain100h-5.json")
if [[ -n "${RESULTS:-}" ]] && part results; then
  say "results document → $RESULTS"
  node bin/abair.js eval --results-md "$RESULTS" --json-in "${inputs[@]}"
  node bin/abair.js eval readme-table --sw "$OUT/$PREFIX-sw-all.json" --zero-shot "$OUT/$PREFIX-5class-unseen-sw.json"
fi
say "done: $OUT"
}

main "$@"
exit
