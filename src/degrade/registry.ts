/**
 * Every degradation by name, and stacking several of them in a physically sensible order. The
 * eight built-in types are fixed; a user's own type is added at run time with
 * {@link registerDegradation} (src/degrade/custom.ts loads one from a generator module).
 */
import { UsageError } from '../util/errors.js';
import { cloneImage, type RGBImage } from '../image/types.js';
import type { Rng } from '../util/rng.js';
import type { BuiltinDegradationName, Degradation, DegradationName, DegradationParams } from './types.js';
import { bitdepth } from './types/bitdepth.js';
import { blur } from './types/blur.js';
import { haze } from './types/haze.js';
import { jpeg } from './types/jpeg.js';
import { lowlight } from './types/lowlight.js';
import { noise } from './types/noise.js';
import { rain } from './types/rain.js';
import { snow } from './types/snow.js';

export const DEGRADATIONS: Record<BuiltinDegradationName, Degradation> = {
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
const PHYSICAL_ORDER: readonly BuiltinDegradationName[] = [
  'haze',
  'rain',
  'snow',
  'lowlight',
  'blur',
  'noise',
  'bitdepth',
  'jpeg',
];

/** The built-in types, in physical order (registered ones: {@link registeredDegradationNames}). */
export const DEGRADATION_NAMES: readonly BuiltinDegradationName[] = PHYSICAL_ORDER;

/** Types registered at run time, in registration order. */
const registered = new Map<string, Degradation>();

export function isBuiltinDegradation(name: string): name is BuiltinDegradationName {
  return Object.prototype.hasOwnProperty.call(DEGRADATIONS, name);
}

/** A built-in type or one registered at run time. */
export function isDegradationName(name: string): name is DegradationName {
  return isBuiltinDegradation(name) || registered.has(name);
}

/** The built-in names, then the registered ones. */
export function allDegradationNames(): DegradationName[] {
  return [...DEGRADATION_NAMES, ...registered.keys()];
}

/** Names registered at run time (not built in). */
function registeredDegradationNames(): string[] {
  return [...registered.keys()];
}

/**
 * Makes `degradation` available by its name to everything that synthesises data (adapter and
 * estimator batches, `applyDegradations`). A built-in name cannot be taken; registering the same
 * object twice is a no-op, another object under a registered name replaces it (a re-run with an
 * edited generator).
 */
export function registerDegradation(degradation: Degradation): void {
  if (isBuiltinDegradation(degradation.name)) throw new UsageError(`'${degradation.name}' is a built-in degradation type; choose another name`);
  registered.set(degradation.name, degradation);
}

/** Forgets a registered type (tests). */
// @testSeam: tests undo their registrations with it (batches.test.ts, custom.test.ts)
export function unregisterDegradation(name: string): void {
  registered.delete(name);
}

export function getDegradation(name: string): Degradation {
  if (isBuiltinDegradation(name)) return DEGRADATIONS[name];
  const custom = registered.get(name);
  if (custom) return custom;
  throw new UsageError(`unknown degradation '${name}'; valid types: ${allDegradationNames().join(', ')}`);
}

/** 'rain+noise' → ['rain', 'noise'] (validated, no repeats; order as written). */
export function parseDegradationSpec(spec: string): DegradationName[] {
  const parts = spec.split('+').map((p) => p.trim().toLowerCase());
  if (parts.some((p) => p === '')) {
    throw new UsageError(`bad degradation spec '${spec}': expected names joined by '+', e.g. rain+noise; valid types: ${allDegradationNames().join(', ')}`);
  }
  const names: DegradationName[] = [];
  for (const p of parts) {
    getDegradation(p);
    if (names.includes(p as DegradationName)) throw new UsageError(`degradation '${p}' appears twice in '${spec}'`);
    names.push(p as DegradationName);
  }
  return names;
}

/**
 * `names` sorted into PHYSICAL_ORDER (the order they would happen in a capture). Registered types
 * have no known place in a capture: they come after the built-in ones, in the order given.
 */
export function physicalOrder(names: readonly DegradationName[]): DegradationName[] {
  const rank = (n: DegradationName) => (isBuiltinDegradation(n) ? PHYSICAL_ORDER.indexOf(n) : PHYSICAL_ORDER.length);
  return [...names].sort((a, b) => rank(a) - rank(b));
}

interface AppliedDegradation {
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
type DegradationStepObserver = (name: DegradationName, before: RGBImage, after: RGBImage) => void;

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
