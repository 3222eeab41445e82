/**
 * SW blend weights from the estimator's probabilities. Its own module without tfjs, because the
 * browser restorer needs it too (src/restore/modes.ts) and must not pull in the Node engine.
 */

/** Probabilities are clamped this far from 0 and 1 so that float32 sigmoids that saturated to exactly 1 keep a finite logit. */
const ODDS_CLAMP = 1e-6;

/**
 * SW blend weights: the softmax of the estimator's logits, computed from its sigmoid
 * probabilities as odds p/(1−p) = e^logit normalised to sum 1. The sigmoids are independent
 * (multi-label), so they are not a distribution over adapters; the softmax of the same scores is.
 * Dividing the probabilities by their sum (the first SW rule) let wrong classes dilute a right
 * one: noise at p 0.996 with blur at 0.30 and four others near 0.1 kept only 0.62 of the weight,
 * where the softmax gives it 0.99. On held-out training photos (bench/sw-blend.mjs, 29 images,
 * 256² crops, the session-4 estimator) the softmax raised SW from 26.94 to 28.02 dB on single and
 * from 18.53 to 19.09 dB on mixed degradations (docs/model.md). All-zero probabilities give
 * uniform weights.
 */
export function softWeights(probabilities: ArrayLike<number>): Float32Array {
  const k = probabilities.length;
  const each = Array.from(probabilities, odds);
  const sum = each.reduce((a, b) => a + b, 0);
  const weights = new Float32Array(k);
  for (let i = 0; i < k; i++) weights[i] = sum > 0 ? each[i]! / sum : 1 / k;
  return weights;
}

/** e^logit = p/(1−p) of one sigmoid probability, p clamped (ODDS_CLAMP); 0 for p ≤ 0 (no weight, as the first rule gave). */
export function odds(probability: number): number {
  if (probability <= 0) return 0;
  const p = Math.min(Math.max(probability, ODDS_CLAMP), 1 - ODDS_CLAMP);
  return p / (1 - p);
}
