/**
 * A claim veto on the keep share of SW, tried and not shipped (docs/decisions.md, "A confident
 * claim does not veto keeping"): the clean gate's MLP is fitted on the training generators, and
 * off them it extrapolates — dark probe photos the estimator called low light at p 0.99 were kept
 * at 0.96. With the veto, a class the estimator is sure of vetoes keeping the input, whatever the
 * gate says; on held-out photos that gave back what the gate keeps of low light on purpose. Only
 * the keep-rules bench reads it (--claim-veto).
 */

/**
 * How much of the keep share the surest claim vetoes: 0 while the largest of `probabilities` (the
 * estimator's per-image means) is at or below `from`, 1 at or above `to`, linear between.
 */
export function claimVeto(probabilities: ArrayLike<number>, from: number, to: number): number {
  if (!(to > from)) throw new RangeError(`claim veto: 'to' (${to}) must be above 'from' (${from})`);
  let surest = 0;
  for (let i = 0; i < probabilities.length; i++) surest = Math.max(surest, probabilities[i]!);
  return Math.min(1, Math.max(0, (surest - from) / (to - from)));
}
