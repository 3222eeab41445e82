/**
 * SW blend weights from the estimator's probabilities. Its own module without tfjs, because the
 * browser restorer needs it too (src/restore/modes.ts) and must not pull in the Node engine.
 */

/** The name the estimator's p(clean) output (EstimatorConfig.clean) goes by in results and printed probabilities. */
export const CLEAN_OUTPUT = 'clean';

/** Probabilities are clamped this far from 0 and 1 so that float32 sigmoids that saturated to exactly 1 keep a finite logit. */
const ODDS_CLAMP = 1e-6;

/**
 * SW blend weights: the softmax of the estimator's logits, computed from its sigmoid
 * probabilities as odds p/(1−p) = e^logit normalised to sum 1. The sigmoids are independent
 * (multi-label), so they are not a distribution over adapters; the softmax of the same scores is.
 * Dividing the probabilities by their sum (the first SW rule) let wrong classes dilute a right
 * one: noise at p 0.996 with blur at 0.30 and four others near 0.1 kept only 0.62 of the weight,
 * where the softmax gives it 0.99. On held-out training photos (29 images, 256² crops, an
 * earlier 5-class estimator) the softmax raised SW from 26.94 to 28.02 dB on single and
 * from 18.53 to 19.09 dB on mixed degradations (docs/model.md). All-zero probabilities give
 * uniform weights.
 *
 * `exponent` sharpens the blend: weights ∝ odds^exponent, the softmax of exponent × logits
 * (an inverse temperature). It belongs to the estimator (EstimatorConfig.swExponent): an estimator
 * trained with soft labels is less sure of itself, and a plain softmax of its logits spreads the
 * weight over wrong adapters (docs/decisions.md). 1 is the plain softmax.
 */
export function softWeights(probabilities: ArrayLike<number>, exponent = 1): Float32Array {
  if (!isSwExponent(exponent)) throw new RangeError(`SW exponent must be a finite number > 0, got ${exponent}`);
  const k = probabilities.length;
  const scaled = oddsPowers(Array.from(probabilities, odds), exponent);
  const sum = scaled.reduce((a, b) => a + b, 0);
  const weights = new Float32Array(k);
  for (let i = 0; i < k; i++) weights[i] = sum > 0 ? scaled[i]! / sum : 1 / k;
  return weights;
}

/**
 * odds^exponent up to a common factor (all that normalised weights need). Odds to a power can
 * overflow float64 (1e6^exponent); dividing by the largest first keeps every term in [0, 1].
 * Exponent 1 keeps the odds as they are, so models without the setting blend bit for bit as before.
 */
function oddsPowers(each: number[], exponent: number): number[] {
  if (exponent === 1) return each;
  const largest = Math.max(0, ...each);
  return each.map((o) => (largest > 0 ? (o / largest) ** exponent : 0));
}

/** A usable SW exponent: finite and > 0 (0 would blend uniformly, ignoring the estimator). */
export function isSwExponent(value: unknown): value is number {
  return typeof value === 'number' && Number.isFinite(value) && value > 0;
}

/** e^logit = p/(1−p) of one sigmoid probability, p clamped (ODDS_CLAMP); 0 for p ≤ 0 (no weight, as the first rule gave). */
export function odds(probability: number): number {
  if (probability <= 0) return 0;
  const p = Math.min(Math.max(probability, ODDS_CLAMP), 1 - ODDS_CLAMP);
  return p / (1 - p);
}

/**
 * The share of "nothing is wrong" in an SW blend (EstimatorConfig.keepClean). The estimator's
 * sigmoids are independent and it was trained with clean samples labelled all zeros, so
 * P(clean) = Π(1 − p_i); its odds q = P(clean)/(1 − P(clean)) compete with the adapters' odds under
 * the same exponent: clean weight = q^x / (q^x + Σ odds_i^x). Without it SW normalises whatever the
 * estimator says, so a clean photo whose probabilities are all low still gets some adapter at full
 * strength (measured: undegraded held-out crops came back at 28.1 dB against themselves, clean
 * Kodak24 at 26.6 dB; docs/model.md, "Keep-clean"). Returns
 * a number in [0, 1]; 0 for no classes.
 */
export function cleanWeight(probabilities: ArrayLike<number>, exponent = 1): number {
  if (!isSwExponent(exponent)) throw new RangeError(`SW exponent must be a finite number > 0, got ${exponent}`);
  if (probabilities.length === 0) return 0;
  let clean = 1;
  for (const p of Array.from(probabilities)) clean *= 1 - Math.min(Math.max(p, 0), 1);
  const scaled = oddsPowers([odds(clean), ...Array.from(probabilities, odds)], exponent);
  const sum = scaled.reduce((a, b) => a + b, 0);
  return sum > 0 ? scaled[0]! / sum : 0;
}

/**
 * out = input + (1 − keep)·(restored − input), in place on `restored`: the restoration pulled back
 * toward the input by the clean share `keep` (cleanWeight). keep 0 leaves `restored` as it is.
 */
export function pullTowardInput(restored: Float32Array, input: Float32Array, keep: number): void {
  if (restored.length !== input.length) throw new Error(`pullTowardInput: ${restored.length} values against ${input.length}`);
  if (!(keep >= 0 && keep <= 1)) throw new RangeError(`the clean share must be in [0, 1], got ${keep}`);
  if (keep === 0) return;
  for (let i = 0; i < restored.length; i++) restored[i] = input[i]! + (1 - keep) * (restored[i]! - input[i]!);
}
