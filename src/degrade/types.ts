/**
 * What every degradation module provides. One module per built-in type in
 * src/degrade/types/<name>.ts, registered by name in src/degrade/registry.ts; a user's own type
 * (`abair add-degradation <name> --generator file.mjs`) is a {@link DegradationDefinition},
 * registered at run time (src/degrade/custom.ts).
 */
import type { RGBImage } from '../image/types.js';
import type { Rng } from '../util/rng.js';

/** The eight types abair ships with. */
export type BuiltinDegradationName = 'noise' | 'blur' | 'rain' | 'haze' | 'lowlight' | 'jpeg' | 'bitdepth' | 'snow';

/**
 * A degradation's name: a built-in one, or one registered at run time (a user's generator module,
 * or a type learnt from real pairs). The `string & {}` keeps editor completion for the built-ins.
 */
export type DegradationName = BuiltinDegradationName | (string & {});

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

/** What a {@link DegradationDefinition}'s `apply` may return: the image, or the image and where it changed. */
export type DefinitionResult = RGBImage | { image: RGBImage; mask?: Uint8Array };

/**
 * A user's own degradation, the default export of a generator module
 * (`abair add-degradation <name> --generator my-degradation.mjs`):
 *
 * ```js
 * /** @type {import('abair').DegradationDefinition} *\/
 * export default {
 *   name: 'vignette',
 *   severity: [0.2, 1],
 *   apply(image, rng, severity) { … return degraded; },
 * };
 * ```
 *
 * A module may instead export a full {@link Degradation} (`sample` + `apply(img, params, rng)`),
 * the interface the built-in types implement.
 */
export interface DegradationDefinition {
  /** Must equal the name given on the command line (lower-case letters, digits, '-', '_'). */
  readonly name: string;
  /** One line for listings (default: "<name> (user generator)"). */
  readonly description?: string;
  /**
   * The severities training draws from, uniformly: a sub-range of [0, 1] (default [0.1, 1]: a
   * sample labelled with the type should be visibly degraded).
   */
  readonly severity?: readonly [number, number];
  /**
   * Degrade `image` (do not modify it) at `severity` ∈ [0,1]. Take every random choice from `rng`
   * (`rng.next()`, `uniform(lo, hi)`, `int(n)`, `normal()`, `pick(list)`), never Math.random, so a
   * seed reproduces the sample. Values are clipped to [0,1]. May return a promise, and may return
   * `{ image, mask }` with a W·H mask (1 = degraded pixel, 0 = keep the input's pixel): pixels
   * outside the mask are set back to the input's, and a sample left unchanged is labelled clean.
   */
  apply(image: RGBImage, rng: Rng, severity: number): DefinitionResult | Promise<DefinitionResult>;
}
