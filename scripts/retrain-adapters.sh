#!/usr/bin/env bash
# Rebuild a finished model's adapters at another LoRA rank (session 7: rank 4 → 16), keeping its
# frozen backbone and its estimator. The estimator never sees the adapters (it classifies the
# degraded image), so only the adapters change; oracle-mode outputs of the 5-class and 8-class
# models still share the same five adapter files, which keeps the byte-identical check like with like.
#
#   RANK=16 RUNS=/work/runs/r16 nohup nice -n 5 scripts/retrain-adapters.sh \
#       /work/runs/model /work/runs/model-5 >> /work/runs/r16.out 2>&1 &
#
# Arguments: the base model (backbone + estimator + adapters) and its 5-class copy (the zero-shot
# reference: its estimator knows only the five original classes).
# Settings (environment):
#   RANK          LoRA rank of the new adapters (default 16)
#   RANKS         per-adapter exceptions, e.g. "noise=64" or "noise=64,haze=32"; such a run goes
#                 in $RUNS/adapter-<name>-r<rank>, so that it never resumes a run of another rank
#   RUNS          run folders: $RUNS/adapter-<name> per adapter; models $RUNS/model and $RUNS/model-5
#   ADAPTER_STEPS steps per adapter (default 1500, as in train-default-model.sh)
#   STEPS_EACH    per-adapter continuations, e.g. "noise=3000" or "noise=3000:4500": that adapter is
#                 first trained for ADAPTER_STEPS like the others, then resumed with --reschedule to
#                 each given total in turn (how the shipped noise adapter was made, so that a rerun
#                 rebuilds it as shipped: each stage's cosine schedule shapes the next one's start)
#   JOBS          adapter runs at the same time, one worker each (default 2, one per core)
# Each adapter is trained with the recipe's settings (batch 8, 64² patches, lr 2e-3, warm-up 50,
# one worker); a run folder that already holds lora-<name>.safetensors counts as finished (copy a
# finished run there to reuse it) unless STEPS_EACH asks for more steps than its provenance
# records, and one with a checkpoint is resumed. Rerunning skips what is done.
set -euo pipefail
# Everything runs inside main(), which bash parses whole before running it, so the file can be
# edited while a run of it is going.
main() {
cd "$(dirname "$0")/.."
(($# == 2)) || { echo "usage: retrain-adapters.sh <base model> <5-class base model>" >&2; exit 2; }
local base=$1 base5=$2
for m in "$base" "$base5"; do
  [[ -f "$m/backbone.safetensors" && -f "$m/estimator.json" ]] || { echo "not a model folder: $m" >&2; exit 2; }
done
cmp -s "$base/backbone.safetensors" "$base5/backbone.safetensors" \
  || { echo "$base and $base5 do not share one backbone" >&2; exit 2; }
RANK=${RANK:-16}
RUNS=${RUNS:-runs/r$RANK}
ADAPTER_STEPS=${ADAPTER_STEPS:-1500}
JOBS=${JOBS:-2}
RANKS=${RANKS:-}
STEPS_EACH=${STEPS_EACH:-}
local model=$RUNS/model model5=$RUNS/model-5
say() { echo "[$(date -u +%FT%TZ)] $*"; }
mkdir -p "$RUNS"

# The adapter names of a model folder: <name> of every lora-<name>.safetensors.
# (nullglob: a folder without adapters gives no names, not the pattern itself)
shopt -s nullglob
adapters_of() { local f n; for f in "$1"/lora-*.safetensors; do n=${f##*/lora-}; echo "${n%.safetensors}"; done; }
# The adapters to rebuild: all of the base model's.
local names
mapfile -t names < <(adapters_of "$base")
((${#names[@]} > 0)) || { echo "$base has no adapters" >&2; exit 2; }

# The value for adapter $2 in a "<adapter>=<value>,…" list $1 (nothing when it has no entry).
entry_of() {
  local entry
  for entry in ${1//,/ }; do
    [[ "${entry%%=*}" == "$2" ]] && { echo "${entry#*=}"; return; }
  done
  return 0   # no entry: not a failure (set -e)
}
# Refuses (exit 2) an entry of list $2, named $1, whose value is not the pattern $3 (described as
# $4) or whose adapter the base model does not have.
check_entries() {
  local entry
  for entry in ${2//,/ }; do
    [[ "$entry" =~ ^[a-z0-9_-]+=($3)$ ]] || { echo "$1: '$entry' is not <adapter>=$4" >&2; exit 2; }
    [[ " ${names[*]} " == *" ${entry%%=*} "* ]] || { echo "$1: $base has no adapter '${entry%%=*}'" >&2; exit 2; }
  done
}
# The rank of adapter $1: its RANKS entry, else RANK.
rank_of() { local r; r=$(entry_of "$RANKS" "$1"); echo "${r:-$RANK}"; }
# Its run folder: adapter-<name> at RANK, adapter-<name>-r<rank> at an exception.
run_of() {
  local r; r=$(rank_of "$1")
  if [[ "$r" == "$RANK" ]]; then echo "$RUNS/adapter-$1"; else echo "$RUNS/adapter-$1-r$r"; fi
}
# The continuation totals of adapter $1, space-separated (its STEPS_EACH entry; none if it has none).
stages_of() { entry_of "$STEPS_EACH" "$1" | tr ':' ' '; }
check_entries RANKS "$RANKS" '[1-9][0-9]*' '<rank>'
check_entries STEPS_EACH "$STEPS_EACH" '[1-9][0-9]*(:[1-9][0-9]*)*' '<steps>[:<steps>…]'
for entry in ${STEPS_EACH//,/ }; do
  local prev=$ADAPTER_STEPS t
  for t in $(stages_of "${entry%%=*}"); do
    ((t > prev)) || { echo "STEPS_EACH: '$entry' must rise past ADAPTER_STEPS ($ADAPTER_STEPS) at every stage" >&2; exit 2; }
    prev=$t
  done
done
# The steps a finished adapter file was trained for (its provenance), 0 if none is there.
steps_done() {
  [[ -f "$1" ]] || { echo 0; return; }
  node -e 'console.log(JSON.parse(require("fs").readFileSync(process.argv[1], "utf8")).provenance?.steps ?? 0)' "$1"
}

# One training command for adapter $1 into $2 at rank $3 for $4 steps, extra flags after; its
# output goes to $2.log (appended, so a continuation keeps the first stage's lines).
train_cmd() {
  local d=$1 out=$2 rank=$3 steps=$4; shift 4
  # bash's `time` adds the process's own CPU seconds to the log: the runs share two cores, so
  # wall × workers alone is only an upper bound of what each used.
  { TIMEFORMAT="cpu: user %U s, sys %S s, wall %R s"; time node bin/abair.js train adapter --name "$d" --synthetic "$d" \
      --backbone "$base" --rank "$rank" --warmup 50 --workers 1 --steps "$steps" --out "$out" \
      --progress lines "$@"; } >> "$out.log" 2>&1
}
train_one() {
  local d=$1 out rank stages total t
  out=$(run_of "$d"); rank=$(rank_of "$d"); stages=$(stages_of "$d")
  total=${stages##* }; total=${total:-$ADAPTER_STEPS}
  [[ -f "$out/lora-$d.safetensors" ]] && (($(steps_done "$out/lora-$d.json") >= total)) && return 0
  if [[ ! -f "$out/lora-$d.safetensors" ]]; then
    local resume=()
    [[ -f "$out/checkpoint.safetensors" ]] && resume=(--resume)
    say "adapter $d, rank $rank, $ADAPTER_STEPS steps → $out"
    train_cmd "$d" "$out" "$rank" "$ADAPTER_STEPS" "${resume[@]}" || { say "adapter $d failed (see $out.log)"; return 1; }
  fi
  for t in $stages; do
    (($(steps_done "$out/lora-$d.json") < t)) || continue
    # A continuation: the same run resumed with a longer cosine schedule (--reschedule keeps
    # every step before the checkpoint identical).
    say "adapter $d continued to $t steps → $out"
    train_cmd "$d" "$out" "$rank" "$t" --resume --reschedule || { say "adapter $d failed (see $out.log)"; return 1; }
  done
  say "adapter $d done"
}

# A queue of JOBS runs: a new one starts as soon as one finishes, so no core idles between rounds.
local running=0 failed=0
for d in "${names[@]}"; do
  if ((running >= JOBS)); then wait -n || failed=1; running=$((running - 1)); fi
  train_one "$d" & running=$((running + 1))
done
while ((running > 0)); do wait -n || failed=1; running=$((running - 1)); done
((failed == 0)) || { say "an adapter run failed; fix it and rerun (finished runs are kept)"; exit 1; }

# The two models: base backbone and estimator, new adapters. model-5 takes the 5-class estimator
# and only the adapters the 5-class base has.
build() {
  local from=$1 to=$2
  rm -rf "$to.tmp" && mkdir -p "$to.tmp"
  cp "$from"/backbone.* "$from"/estimator.* "$to.tmp/"
  local n run
  for n in $(adapters_of "$from"); do
    run=$(run_of "$n")
    cp "$run/lora-$n.safetensors" "$run/lora-$n.json" "$to.tmp/"
  done
  rm -rf "$to" && mv "$to.tmp" "$to"
  say "model → $to"
}
build "$base" "$model"
build "$base5" "$model5"
}
main "$@"
