/**
 * Default hyper-parameters per phase, chosen for a 2-core CPU (reasons and measurements in
 * docs/training.md). The CLI prints the values it uses.
 * recipes/default.json (how weights/default was trained) gives only the flags that differ from
 * these; recipe.test.ts checks that the recipe with these defaults is what the shipped weight
 * files record, so a change here that would no longer rebuild them fails there.
 */
import type { OptionalStatistic, VetoLevel } from '../model/clean-gate.js';
export interface PhaseDefaults {
  steps: number;
  batch: number;
  patch: number;
  lr: number;
  warmup: number;
  checkpointEvery: number;
  valEvery: number;
  valCount: number;
}

export const PRETRAIN_DEFAULTS: PhaseDefaults & { preset: string; segWeight: number } = {
  preset: 'tiny', // best validation PSNR per CPU-hour in the preset comparison (docs/model.md)
  // the shipped backbone's 12,000 steps (validation PSNR 20.43 dB at 9,000, 20.60 at 12,000: still rising)
  steps: 12000,
  // the shipped backbone's batch (chosen for the earlier tfjs engine's two workers, docs/training.md)
  batch: 16,
  patch: 64,
  lr: 1e-3,
  warmup: 500,
  checkpointEvery: 100,
  valEvery: 500,
  valCount: 16,
  segWeight: 0.1,
};

export const ADAPTER_DEFAULTS: PhaseDefaults & { rank: number } = {
  steps: 1500,
  batch: 8,
  patch: 64,
  lr: 2e-3,
  warmup: 50,
  checkpointEvery: 50,
  valEvery: 100,
  valCount: 16,
  rank: 4,
};

export const ESTIMATOR_DEFAULTS: PhaseDefaults & { mixedFraction: number } = {
  steps: 1000,
  batch: 16,
  patch: 128,
  lr: 1e-3,
  warmup: 50,
  checkpointEvery: 100,
  valEvery: 100,
  valCount: 32,
  mixedFraction: 0.3,
};

/** Intra-op threads of the ONNX Runtime training engine: both cores of the 2-core machines this targets. */
export const DEFAULT_THREADS = 2;

/** The clean gate's fit (src/train/phases/clean-gate.ts; the choices in docs/decisions.md, "A clean gate"). */
export const CLEAN_GATE_DEFAULTS = {
  // the restored and scored part of each sample: the held-out crops' size
  crop: 256,
  // the most pixels per side of the region whose estimate the gate reads (0: the crop itself): the
  // estimator's crops spread over a photo-sized region as over users' photos (docs/decisions.md)
  context: 768,
  // clean samples per image beside the 8 singles and 5 pairs: clean photos are most of what users bring
  cleanRepeats: 3,
  hidden: 16,
  steps: 3000,
  lr: 0.01,
  // of 40, 45 and 50 dB, 50 kept the most singles on held-out crops (docs/decisions.md, "A clean gate")
  capDb: 50,
  // clean samples count twice, and the fit sees the veto (vetoInFit below): of the fit settings
  // cross-validated on the gate's samples, the one with fewer clean crops under 36 dB and no case
  // 0.1 dB worse; on held-out photos no clean one under 36 dB (docs/decisions.md, "The gate's fit
  // sees the veto")
  cleanWeight: 2,
  // a decibel lost against plain SW counts as much as one gained (docs/decisions.md, "Harm")
  harmWeight: 1,
  // the dark channel's 1st percentile beside its 10th, and a haze veto from 0.12 to 0.2: of the
  // variants tried on held-out photos on two draws, the one with the smallest worst loss and the
  // best worst clean photo (docs/decisions.md, "The gate reads a photo-sized region")
  statistics: ['dark01'] as OptionalStatistic[],
  hazeVeto: { from: 0.12, to: 0.2 } as { from: number; to: number } | null,
  // the dark-channel level the veto reads: the 10th percentile
  vetoLevel: 'dark' as VetoLevel,
  // fit the share as shipped, the MLP's times what the veto leaves: the veto gives hazy photos to
  // SW, so the MLP need not hold back on clean ones whose estimate looks like theirs
  vetoInFit: true,
  // a second head that names photos clean apart from the share kept: on held-out photos it named
  // 2–3 points more single degradations right (docs/decisions.md, "The clean namer")
  namer: true,
  // a sure namer keeps the photo: the keep share is raised to ramp(p(clean); 0.95, 0.999); on
  // held-out photos it lifted the clean mean and left every degraded case as it was
  // (docs/decisions.md, "A sure namer keeps the photo")
  namerKeep: { from: 0.95, to: 0.999 } as { from: number; to: number } | null,
  seed: 1,
};
