/**
 * What every degradation module provides. One module per type in src/degrade/types/<name>.ts,
 * registered by name in src/degrade/registry.ts.
 */
import type { RGBImage } from '../image/types.js';
import type { Rng } from '../util/rng.js';

export type DegradationName = 'noise' | 'blur' | 'rain' | 'haze' | 'lowlight' | 'jpeg' | 'bitdepth' | 'snow';

/** Plain JSON-serialisable parameters (so a sample can be logged and replayed). */
export type DegradationParams = Record<string, number | string | boolean | number[]>;

export interface Degradation<P extends DegradationParams = DegradationParams> {
  readonly name: DegradationName;
  readonly description: string;
  /**
   * Draw parameters. `severity` in [0,1] (0 = barely visible, 1 = the heaviest we train on);
   * when omitted, a severity is drawn from the module's own training distribution.
   */
  sample(rng: Rng, severity?: number): P;
  /**
   * Degrade `img` (never modified) with `params`; `rng` supplies any per-pixel randomness, so the
   * same (image, params, rng state) gives identical bytes. May be async (jpeg encodes with sharp).
   */
  apply(img: RGBImage, params: P, rng: Rng): RGBImage | Promise<RGBImage>;
}
