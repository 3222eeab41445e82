/**
 * Tabulated power curves: x ↦ x^p on [0,1] by linear interpolation in a 4097-entry table, for tone
 * curves applied to every pixel, where Math.pow would dominate the cost. For p ≥ 1 the error is
 * below 1e−5; for p < 1 (infinite slope at 0) tabulate exponent 2p and look up √x instead (see
 * `powViaSqrt`), which keeps the error below 2e−4 even for p = 1/2.2.
 */
const SIZE = 4096;

export class PowerTable {
  private readonly values: Float32Array;

  constructor(readonly exponent: number) {
    this.values = new Float32Array(SIZE + 2);
    for (let i = 0; i <= SIZE + 1; i++) this.values[i] = Math.pow(Math.min(1, i / SIZE), exponent);
  }

  /** x^exponent for x in [0,1] (clamped outside). */
  at(x: number): number {
    if (!(x > 0)) return 0;
    if (x >= 1) return 1;
    const f = x * SIZE;
    const i = f | 0;
    const v0 = this.values[i]!;
    return v0 + (f - i) * (this.values[i + 1]! - v0);
  }
}

/** x^p for 0 < p < 1 on [0,1]: evaluated as (√x)^(2p) from a table built for exponent 2p. */
// @testSeam: tested directly (helpers.test.ts)
export function powViaSqrt(tableFor2p: PowerTable, x: number): number {
  return tableFor2p.at(Math.sqrt(x > 0 ? x : 0));
}
