#!/usr/bin/env bash
# The whole recipe of the shipped default model, as one resumable script: Phase I, the five
# Phase II adapters, the Phase III estimator, a copy of that 5-class model (the zero-shot
# reference), then jpeg, bitdepth and snow added with `abair add-degradation`.
#
# Every stage is skipped when its output exists and resumed (--resume) when its run folder holds a
# checkpoint, so after an interruption (Ctrl-C, end of a session) the same command continues where
# it stopped. Run it in the background on a long-lived machine:
#
#   RUNS=/work/runs nohup nice -n 5 scripts/train-default-model.sh >> /work/runs/campaign.out 2>&1 &
#
# Settings (environment):
#   RUNS        folder for run folders and models (default: runs/, git-ignored)
#   PRETRAIN    Phase I run folder (default: $RUNS/pretrain-tiny-b16, the campaign's run 2)
#   MODEL       the model folder built here (default: $RUNS/model)
#   STEPS       Phase I steps (default 16000: run 2 was rescheduled from 40000); ADAPTER_STEPS (1500),
#               ESTIMATOR_STEPS (2000: the high-pass estimator was still improving at 1000),
#               ADD_ESTIMATOR_STEPS (1000: add-degradation starts from the trained estimator)
# The Phase I settings must equal those of the run being resumed (the runner refuses otherwise).
set -euo pipefail
# Everything runs inside main(), which bash parses whole before running it: the script can be
# edited while a long run of it is going without the running copy reading the new text.
main() {
cd "$(dirname "$0")/.."

RUNS=${RUNS:-runs}
PRETRAIN=${PRETRAIN:-$RUNS/pretrain-tiny-b16}
MODEL=${MODEL:-$RUNS/model}
STEPS=${STEPS:-16000}
ADAPTER_STEPS=${ADAPTER_STEPS:-1500}
ESTIMATOR_STEPS=${ESTIMATOR_STEPS:-2000}
ADD_ESTIMATOR_STEPS=${ADD_ESTIMATOR_STEPS:-1000}
ABAIR=(node bin/abair.js)

say() { echo "[$(date -u +%FT%TZ)] $*"; }
# --resume when the run folder already holds a checkpoint.
resume_flag() { [[ -f "$1/checkpoint.safetensors" ]] && echo --resume || true; }

mkdir -p "$RUNS" "$MODEL"

# Phase I: backbone + segmentation head on CutMix data (writes backbone.safetensors at its last step).
if [[ ! -f "$PRETRAIN/backbone.safetensors" ]]; then
  say "Phase I → $PRETRAIN"
  "${ABAIR[@]}" train pretrain --preset tiny --steps "$STEPS" --batch 16 --patch 64 --lr 1e-3 --warmup 500 \
    --checkpoint-every 100 --val-every 500 --out "$PRETRAIN" --progress lines $(resume_flag "$PRETRAIN")
fi
if [[ ! -f "$MODEL/backbone.safetensors" ]]; then
  cp "$PRETRAIN/backbone.safetensors" "$PRETRAIN/backbone.json" "$MODEL/"
fi

# Phase II: one adapter per original degradation, backbone frozen.
for d in rain haze noise blur lowlight; do
  [[ -f "$MODEL/lora-$d.safetensors" ]] && continue
  say "Phase II: $d"
  "${ABAIR[@]}" train adapter --name "$d" --synthetic "$d" --backbone "$MODEL" --into "$MODEL" \
    --steps "$ADAPTER_STEPS" --out "$RUNS/adapter-$d" --progress lines $(resume_flag "$RUNS/adapter-$d")
done

# Phase III: the estimator over the five classes.
if [[ ! -f "$MODEL/estimator.safetensors" ]]; then
  say "Phase III: estimator"
  "${ABAIR[@]}" train estimator --model "$MODEL" --steps "$ESTIMATOR_STEPS" --out "$RUNS/estimator" \
    --progress lines $(resume_flag "$RUNS/estimator")
fi

# The 5-class model as it is before anything is added: the zero-shot reference for the unseen suite.
if [[ ! -d "$MODEL-5" ]]; then
  cp -r "$MODEL" "$MODEL-5.tmp" && mv "$MODEL-5.tmp" "$MODEL-5"
fi

# Later degradations: one adapter each plus a retrained estimator; nothing else changes.
for d in jpeg bitdepth snow; do
  [[ -f "$MODEL/lora-$d.safetensors" ]] && grep -q "\"$d\"" "$MODEL/estimator.json" && continue
  say "add-degradation: $d"
  "${ABAIR[@]}" add-degradation "$d" --model "$MODEL" --synthetic "$d" --adapter-steps "$ADAPTER_STEPS" \
    --estimator-steps "$ADD_ESTIMATOR_STEPS" --runs "$RUNS/add-$d" $([[ -d "$RUNS/add-$d" ]] && echo --resume || true)
done
say "done: $MODEL (5-class reference: $MODEL-5)"
}

main "$@"
