/**
 * Turns two RGBImages into matching float64 planes on the 0–255 scale, the form every metric here
 * works on: size check, optional centre crop and border shave, RGB or Y.
 */
import type { RGBImage } from '../image/types.js';
import { centerCropToMultiple, shaveBorder } from './crop.js';
import { toY } from './luma.js';
import type { MetricOptions } from './options.js';

/** The data range every plane is expressed in (8-bit convention, as in the reference values). */
export const DATA_RANGE = 255;

interface PlanePair {
  width: number;
  height: number;
  /** one Float64Array (width·height, row-major) per channel: 3 for 'rgb', 1 for 'y' */
  a: Float64Array[];
  b: Float64Array[];
}

/** Throws when the two images differ in size, naming both sizes. */
function assertSameSize(a: RGBImage, b: RGBImage): void {
  if (a.width !== b.width || a.height !== b.height) {
    throw new Error(`images differ in size: ${a.width}x${a.height} vs ${b.width}x${b.height}`);
  }
}

function prepareImage(img: RGBImage, options: MetricOptions): RGBImage {
  let out = img;
  if (options.cropMultiple !== undefined) out = centerCropToMultiple(out, options.cropMultiple);
  if (options.border !== undefined) out = shaveBorder(out, options.border);
  return out;
}

/**
 * Values are used as given, only scaled by 255: no clipping and no rounding to 8 bits, so an
 * 8-bit image read as k/255 gives back k (to float32 precision, ~1e-5) and a float model output
 * is measured at full precision (PromptIR's protocol: skimage on float arrays in [0,1]).
 */
function channelPlanes(img: RGBImage, space: 'rgb' | 'y'): Float64Array[] {
  if (space === 'y') return [toY(img)];
  const n = img.width * img.height;
  const planes = [new Float64Array(n), new Float64Array(n), new Float64Array(n)];
  const d = img.data;
  for (let c = 0; c < 3; c++) {
    const p = planes[c];
    for (let i = 0; i < n; i++) p[i] = d[3 * i + c] * DATA_RANGE;
  }
  return planes;
}

export function preparePlanes(a: RGBImage, b: RGBImage, options: MetricOptions = {}): PlanePair {
  assertSameSize(a, b);
  const space = options.space ?? 'rgb';
  if (space !== 'rgb' && space !== 'y') throw new Error(`unknown metric space '${String(space)}' (use rgb or y)`);
  const ca = prepareImage(a, options);
  const cb = prepareImage(b, options);
  return { width: ca.width, height: ca.height, a: channelPlanes(ca, space), b: channelPlanes(cb, space) };
}
