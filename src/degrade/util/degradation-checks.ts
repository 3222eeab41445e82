/**
 * Property checks every degradation type must pass, shared by the per-type test files (plain
 * functions returning measurements; the test files make the assertions).
 */
import type { Degradation, DegradationParams } from '../types.js';
import type { RGBImage } from '../../image/types.js';
import { Rng } from '../../util/rng.js';

/** Sample with `seed` (and optional severity) and apply, all from one Rng stream. */
export async function degradeWithSeed<P extends DegradationParams>(
  deg: Degradation<P>,
  img: RGBImage,
  seed: number,
  severity?: number,
): Promise<{ params: P; out: RGBImage }> {
  const rng = new Rng(seed);
  const params = deg.sample(rng, severity);
  const out = await deg.apply(img, params, rng);
  return { params, out };
}

export function meanAbsDiff(a: RGBImage, b: RGBImage): number {
  let s = 0;
  for (let i = 0; i < a.data.length; i++) s += Math.abs(a.data[i]! - b.data[i]!);
  return s / a.data.length;
}

export function meanValue(img: RGBImage): number {
  let s = 0;
  for (let i = 0; i < img.data.length; i++) s += img.data[i]!;
  return s / img.data.length;
}

/** Sum of positive and of negative changes (out − in), as magnitudes. */
export function signedChange(input: RGBImage, out: RGBImage): { up: number; down: number } {
  let up = 0;
  let down = 0;
  for (let i = 0; i < input.data.length; i++) {
    const d = out.data[i]! - input.data[i]!;
    if (d > 0) up += d;
    else down -= d;
  }
  return { up, down };
}

/** Whether every value is finite and in [0,1]. */
export function inUnitRange(img: RGBImage): boolean {
  for (let i = 0; i < img.data.length; i++) {
    const v = img.data[i]!;
    if (!(v >= 0 && v <= 1)) return false;
  }
  return true;
}

/** Mean |out − in| at each severity, averaged over `seeds`. */
export async function effectBySeverity(
  deg: Degradation,
  img: RGBImage,
  severities: number[],
  seeds: number[],
): Promise<number[]> {
  const result: number[] = [];
  for (const s of severities) {
    let sum = 0;
    for (const seed of seeds) sum += meanAbsDiff(img, (await degradeWithSeed(deg, img, seed, s)).out);
    result.push(sum / seeds.length);
  }
  return result;
}
