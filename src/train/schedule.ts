/**
 * Learning-rate schedule: linear warm-up from 0 to `lr` over `warmup` steps, then a half-cosine
 * decay to `lr · minFactor` at `steps`. Warm-up protects AdamW's first updates (its second-moment
 * estimate is still noisy); the floor keeps late steps useful instead of wasting them at lr ≈ 0.
 * Steps are 0-based: lr(0) is the rate used for the first update.
 */
export interface LrSchedule {
  /** Peak learning rate. */
  lr: number;
  /** Number of warm-up steps (0 = start at the peak). */
  warmup: number;
  /** Total steps of the run (the decay ends here). */
  steps: number;
  /** Final rate as a fraction of the peak (default 0.05). */
  minFactor?: number;
}

const DEFAULT_MIN_FACTOR = 0.05;

export function validateSchedule(s: LrSchedule): void {
  if (!(Number.isFinite(s.lr) && s.lr > 0)) throw new Error(`learning rate must be > 0, got ${s.lr}`);
  if (!(Number.isInteger(s.steps) && s.steps > 0)) throw new Error(`steps must be a positive integer, got ${s.steps}`);
  if (!(Number.isInteger(s.warmup) && s.warmup >= 0)) throw new Error(`warm-up must be an integer >= 0, got ${s.warmup}`);
  const f = s.minFactor ?? DEFAULT_MIN_FACTOR;
  if (!(f >= 0 && f <= 1)) throw new Error(`minFactor must be in [0, 1], got ${f}`);
}

/** The rate for 0-based step `step`. */
export function learningRate(s: LrSchedule, step: number): number {
  const floor = s.lr * (s.minFactor ?? DEFAULT_MIN_FACTOR);
  // (step + 1) so the first warm-up update is not a wasted lr = 0 step
  if (step < s.warmup) return (s.lr * (step + 1)) / (s.warmup + 1);
  const span = Math.max(1, s.steps - s.warmup);
  const progress = Math.min(1, (step - s.warmup) / span);
  return floor + (s.lr - floor) * 0.5 * (1 + Math.cos(Math.PI * progress));
}
