/**
 * The dark-channel prior (src/image/dark-channel.ts) as a veto on the keep share of SW
 * (docs/decisions.md, "A haze prior for the keep rule"): the estimator alone could not tell mild
 * haze from a clean photo (hazy held-out crops got p(clean) 0.39–0.45), and a keep rule that trusts
 * it holds back dehazing. The statistic mostly separates the two, though it also vetoes keeping the
 * few clean photos that look hazy. A clean gate may carry one (src/model/clean-gate.ts); the
 * keep-rules bench tries others on any rule (--veto).
 */

/**
 * How much of the keep share haze evidence vetoes: 0 at or below `from`, 1 at or above `to`,
 * linear between.
 */
export function hazeVeto(level: number, from: number, to: number): number {
  if (!(to > from)) throw new RangeError(`haze prior: 'to' (${to}) must be above 'from' (${from})`);
  return Math.min(1, Math.max(0, (level - from) / (to - from)));
}
