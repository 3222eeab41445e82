/**
 * Every degradation by name, and stacking several of them in a physically sensible order.
 */
import { UsageError } from '../util/errors.js';
import { cloneImage, type RGBImage } from '../image/types.js';
import type { Rng } from '../util/rng.js';
import type { Degradation, DegradationName, DegradationParams } from './types.js';
import { bitdepth } from './types/bitdepth.js';
import { blur } from './types/blur.js';
import { haze } from './types/haze.js';
import { jpeg } from './types/jpeg.js';
import { lowlight } from './types/lowlight.js';
import { noise } from './types/noise.js';
import { rain } from './types/rain.js';
import { snow } from './types/snow.js';

export const DEGRADATIONS: Record<DegradationName, Degradation> = {
  noise,
  blur,
  rain,
  haze,
  lowlight,
  jpeg,
  bitdepth,
  snow,
};

/**
 * The order in which stacked degradations happen in a real capture: the scene and atmosphere
 * (haze, then rain and snow in front of it), the light reaching the sensor (low light), the optics
 * and camera motion (blur), the sensor (noise), its ADC (bit depth), and finally compression.
 */
export const PHYSICAL_ORDER: readonly DegradationName[] = [
  'haze',
  'rain',
  'snow',
  'lowlight',
  'blur',
  'noise',
  'bitdepth',
  'jpeg',
];

export const DEGRADATION_NAMES: readonly DegradationName[] = PHYSICAL_ORDER;

export function isDegradationName(name: string): name is DegradationName {
  return Object.prototype.hasOwnProperty.call(DEGRADATIONS, name);
}

export function getDegradation(name: string): Degradation {
  if (!isDegradationName(name)) {
    throw new UsageError(`unknown degradation '${name}'; valid types: ${DEGRADATION_NAMES.join(', ')}`);
  }
  return DEGRADATIONS[name];
}

/** 'rain+noise' → ['rain', 'noise'] (validated, no repeats; order as written). */
export function parseDegradationSpec(spec: string): DegradationName[] {
  const parts = spec.split('+').map((p) => p.trim().toLowerCase());
  if (parts.some((p) => p === '')) {
    throw new UsageError(`bad degradation spec '${spec}': expected names joined by '+', e.g. rain+noise; valid types: ${DEGRADATION_NAMES.join(', ')}`);
  }
  const names: DegradationName[] = [];
  for (const p of parts) {
    getDegradation(p);
    if (names.includes(p as DegradationName)) throw new UsageError(`degradation '${p}' appears twice in '${spec}'`);
    names.push(p as DegradationName);
  }
  return names;
}

/** `names` sorted into PHYSICAL_ORDER (the order they would happen in a capture). */
export function physicalOrder(names: readonly DegradationName[]): DegradationName[] {
  return [...names].sort((a, b) => PHYSICAL_ORDER.indexOf(a) - PHYSICAL_ORDER.indexOf(b));
}

export interface AppliedDegradation {
  name: DegradationName;
  params: DegradationParams;
}

/**
 * Apply one degradation: draw its parameters from `rng` (at `severity`, or from its training
 * distribution), then apply them with the same stream.
 */
export async function applyDegradation(
  img: RGBImage,
  name: DegradationName,
  rng: Rng,
  severity?: number,
): Promise<{ image: RGBImage; params: DegradationParams }> {
  const degradation = getDegradation(name);
  const params = degradation.sample(rng, severity);
  const image = await degradation.apply(img, params, rng);
  return { image, params };
}

/** Called after each degradation of a stack with the image before and after it (do not modify them). */
export type DegradationStepObserver = (name: DegradationName, before: RGBImage, after: RGBImage) => void;

/**
 * Stack degradations in physical order (whatever order `names` has). All randomness comes from
 * `rng`, consumed in sequence, so a seed reproduces the result exactly. `onStep` sees each step's
 * input and output (e.g. to measure how much each degradation changed the image).
 */
export async function applyDegradations(
  img: RGBImage,
  names: readonly DegradationName[],
  rng: Rng,
  severity?: number,
  onStep?: DegradationStepObserver,
): Promise<{ image: RGBImage; params: AppliedDegradation[] }> {
  let image = cloneImage(img); // callers may own the result even when `names` is empty
  const params: AppliedDegradation[] = [];
  for (const name of physicalOrder(names)) {
    const step = await applyDegradation(image, name, rng, severity);
    onStep?.(name, image, step.image);
    image = step.image;
    params.push({ name, params: step.params });
  }
  return { image, params };
}
