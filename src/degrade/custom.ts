/**
 * A user's own degradation types: name rules, turning a {@link DegradationDefinition} into the
 * {@link Degradation} interface every data builder uses (with its output checked, since it is code
 * we did not write), loading one from a generator module, and the check run on it before any
 * training starts.
 */
import { createHash } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { cloneImage, type RGBImage } from '../image/types.js';
import { UsageError, UserError } from '../util/errors.js';
import { Rng } from '../util/rng.js';
import { isBuiltinDegradation } from './registry.js';
import { resolveSeverity } from './severity.js';
import { texturedImage } from './synthetic-images.js';
import type { Degradation, DefinitionResult, DegradationDefinition, DegradationParams } from './types.js';

/** Names of a type (and of its adapter file, lora-<name>.safetensors). */
const DEGRADATION_NAME = /^[a-z0-9][a-z0-9_-]*$/;
const MAX_NAME_LENGTH = 40;
/**
 * Words the command line and the model already use for something else: "clean" is the estimator's
 * "nothing is wrong" output, the others are restore modes and suite names.
 */
const RESERVED_NAMES: readonly string[] = ['clean', 'none', 'identity', 'all', 'auto', 'custom', 'oracle', 'sw', 'oh'];

/** Checks a new type's name; `builtinOk` for adapters trained on a built-in type (`--synthetic jpeg`). */
export function validateDegradationName(name: string, builtinOk = false): void {
  if (!DEGRADATION_NAME.test(name) || name.length > MAX_NAME_LENGTH) {
    throw new UsageError(`degradation name '${name}' must be 1–${MAX_NAME_LENGTH} lower-case letters, digits, '-' or '_', starting with a letter or digit`);
  }
  if (RESERVED_NAMES.includes(name)) throw new UsageError(`'${name}' is reserved (${RESERVED_NAMES.join(', ')}); choose another name`);
  if (!builtinOk && isBuiltinDegradation(name)) throw new UsageError(`'${name}' is a built-in degradation type; add it with --synthetic ${name}, or choose another name for your own`);
}

const DEFAULT_RANGE: readonly [number, number] = [0.1, 1];

function checkRange(range: unknown, where: string): readonly [number, number] {
  if (range === undefined) return DEFAULT_RANGE;
  const ok = Array.isArray(range) && range.length === 2 && range.every((v) => typeof v === 'number' && v >= 0 && v <= 1) && range[0] <= range[1];
  if (!ok) throw new UserError(`${where}: severity must be [lo, hi] with 0 ≤ lo ≤ hi ≤ 1, got ${JSON.stringify(range)}`);
  return range as [number, number];
}

/** The image a generator returned, checked against its input and clipped to [0,1]. */
function checkedOutput(result: unknown, input: RGBImage, where: string): { image: RGBImage; mask?: Uint8Array } {
  const r = result as { image?: unknown; mask?: unknown; width?: unknown; height?: unknown; data?: unknown } | null;
  if (r === null || typeof r !== 'object') throw new UserError(`${where}: apply() returned ${r === null ? 'null' : typeof r}, not an image {width, height, data}`);
  const image = ('image' in r ? r.image : r) as { width?: unknown; height?: unknown; data?: unknown };
  const mask = 'image' in r ? r.mask : undefined;
  if (image === null || typeof image !== 'object' || image.width !== input.width || image.height !== input.height) {
    throw new UserError(`${where}: apply() must return an image of the input's size ${input.width}×${input.height}, got ${image && typeof image === 'object' ? `${String(image.width)}×${String(image.height)}` : String(image)}`);
  }
  const data = image.data as ArrayLike<number> | undefined;
  const n = input.width * input.height * 3;
  if (!data || typeof data !== 'object' || data.length !== n) throw new UserError(`${where}: apply() returned data of length ${data && typeof data === 'object' ? data.length : 'none'}, expected width·height·3 = ${n} (RGB, interleaved)`);
  const out = new Float32Array(n);
  for (let i = 0; i < n; i++) {
    const v = data[i]!;
    if (!Number.isFinite(v)) throw new UserError(`${where}: apply() returned a non-finite value (${v}) at index ${i}`);
    out[i] = v < 0 ? 0 : v > 1 ? 1 : v;
  }
  if (mask === undefined) return { image: { width: input.width, height: input.height, data: out } };
  const px = input.width * input.height;
  if (!(mask instanceof Uint8Array) || mask.length !== px) throw new UserError(`${where}: the mask must be a Uint8Array of width·height = ${px} values (1 = degraded)`);
  // outside the mask the input's pixels, so "where it changed" and the image agree
  for (let p = 0; p < px; p++) if (mask[p] === 0) for (let c = 0; c < 3; c++) out[p * 3 + c] = input.data[p * 3 + c]!;
  return { image: { width: input.width, height: input.height, data: out }, mask };
}

type CustomParams = { severity: number } & DegradationParams;

/**
 * The {@link Degradation} of a definition: `sample` draws a severity from the definition's range,
 * `apply` runs the user's function on a copy of the image (it cannot touch ours) and checks and
 * clips what comes back. `where` names the module in errors.
 */
export function fromDefinition(def: DegradationDefinition, where = `degradation '${def.name}'`): Degradation<CustomParams> {
  if (def === null || typeof def !== 'object') throw new UserError(`${where}: the definition must be an object {name, apply, severity?}`);
  if (typeof def.name !== 'string') throw new UserError(`${where}: the definition needs a name (a string)`);
  if (typeof def.apply !== 'function') throw new UserError(`${where}: the definition needs apply(image, rng, severity)`);
  const [lo, hi] = checkRange(def.severity, where);
  const apply = def.apply.bind(def);
  return {
    name: def.name,
    description: typeof def.description === 'string' && def.description ? def.description : `${def.name} (user generator)`,
    sample(rng: Rng, severity?: number): CustomParams {
      // the built-ins' rule: a given severity is used as it is, else one is drawn for training
      return { severity: severity === undefined ? rng.uniform(lo, hi) : resolveSeverity(rng, severity) };
    },
    async apply(img: RGBImage, params: CustomParams, rng: Rng): Promise<RGBImage> {
      let result: DefinitionResult;
      try {
        result = await apply(cloneImage(img), rng, params.severity);
      } catch (err) {
        if (err instanceof UserError) throw err;
        throw new UserError(`${where}: apply() failed: ${(err as Error)?.message ?? String(err)}`);
      }
      return checkedOutput(result, img, where).image;
    },
  };
}

/** A module's full Degradation (sample + apply(img, params, rng)), with its output checked the same way. */
function fromFullDegradation(d: Degradation, where: string): Degradation {
  if (typeof d.sample !== 'function' || typeof d.apply !== 'function') throw new UserError(`${where}: a Degradation needs sample(rng, severity) and apply(image, params, rng)`);
  return {
    name: d.name,
    description: typeof d.description === 'string' && d.description ? d.description : `${d.name} (user generator)`,
    sample: (rng, severity) => d.sample(rng, severity),
    async apply(img, params, rng) {
      let result: unknown;
      try {
        result = await d.apply(cloneImage(img), params, rng);
      } catch (err) {
        if (err instanceof UserError) throw err;
        throw new UserError(`${where}: apply() failed: ${(err as Error)?.message ?? String(err)}`);
      }
      return checkedOutput(result, img, where).image;
    },
  };
}

export interface LoadedGenerator {
  degradation: Degradation;
  /** sha256 of the module file (first 16 hex digits), its identity in runs and provenance */
  digest: string;
  file: string;
}

function sourceDigest(bytes: Uint8Array | string): string {
  return createHash('sha256').update(bytes).digest('hex').slice(0, 16);
}

/**
 * Imports a generator module (its default export, or a named `degradation` export) and checks that
 * it defines `expectedName`. The import URL carries the file's digest, so an edited module is
 * loaded afresh within one process. The module runs with the user's rights: it is their code.
 */
export async function loadGenerator(file: string, expectedName: string): Promise<LoadedGenerator> {
  const absolute = path.resolve(file);
  let bytes: Buffer;
  try {
    bytes = await readFile(absolute);
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    throw new UserError(`${file}: ${code === 'ENOENT' ? 'generator module not found' : code === 'EISDIR' ? 'is a folder, not a generator module' : (err as Error).message}`);
  }
  if (!/\.(mjs|js)$/.test(absolute)) throw new UserError(`${file}: a generator module must be a .mjs or .js ES module`);
  const digest = sourceDigest(bytes);
  let mod: Record<string, unknown>;
  try {
    mod = (await import(`${pathToFileURL(absolute).href}?sha=${digest}`)) as Record<string, unknown>;
  } catch (err) {
    throw new UserError(`${file}: cannot load the generator module: ${(err as Error)?.message?.split('\n')[0] ?? String(err)}`);
  }
  const exported = (mod.default ?? mod.degradation) as (DegradationDefinition & Partial<Degradation>) | undefined;
  if (exported === undefined) throw new UserError(`${file}: no default export; export default { name, severity, apply(image, rng, severity) }`);
  if (exported === null || typeof exported !== 'object') throw new UserError(`${file}: the default export must be an object { name, severity, apply(image, rng, severity) }`);
  if (exported.name !== expectedName) throw new UserError(`${file}: defines '${String(exported.name)}', but the new type is called '${expectedName}' (the names must match)`);
  const degradation = typeof exported.sample === 'function' ? fromFullDegradation(exported as Degradation, file) : fromDefinition(exported, file);
  return { degradation, digest, file: absolute };
}

const bytesOf = (img: RGBImage) => Buffer.from(img.data.buffer, img.data.byteOffset, img.data.byteLength);

/**
 * Runs a generator before any training: on a test image at severity 0.5 and 1 and at a drawn
 * one, twice each from the same seed (the wrapper has already checked shapes and values). Refuses
 * one that fails, returns the wrong shape, changes
 * nothing at full severity, or is not reproducible from its rng (Math.random breaks resume and
 * validation).
 */
export async function checkGenerator(degradation: Degradation, where: string): Promise<void> {
  const img = texturedImage(64, 48, 3);
  const before = Buffer.from(bytesOf(img));
  let changedAtFull = false;
  for (const severity of [0.5, 1, undefined]) {
    const run = async () => {
      const rng = new Rng(`check:${degradation.name}:${severity}`);
      const params = degradation.sample(rng, severity);
      return degradation.apply(img, params, rng);
    };
    const a = await run();
    const b = await run();
    if (!bytesOf(a).equals(bytesOf(b))) {
      throw new UserError(`${where}: two runs from the same seed gave different images; take every random choice from the rng argument, not Math.random`);
    }
    if (severity === 1 && !bytesOf(a).equals(before)) changedAtFull = true;
  }
  if (!changedAtFull) throw new UserError(`${where}: at severity 1 the generator left the test image unchanged; an adapter cannot learn to undo nothing`);
}
