/**
 * Synthetic haze by the atmospheric scattering model I = J·t + A·(1 − t), t = exp(−β·d).
 * Without a depth map we build a plausible depth proxy d ∈ [near, 1] from three cues: a
 * horizon ramp (the top of a photo is usually farther), a smooth random field (terrain/clouds of
 * varying thickness) and image content (bright, colourless, smooth regions such as sky and distant
 * haze-like areas tend to be far: a blurred dark-channel cue). SOTS-outdoor, measured on its own
 * pairs with its A = 0.8, has t ≈ 0.45–0.6 at β = 0.2 and ≈ 0.75–0.82 at β = 0.08 (input PSNR
 * 16–20 dB): our medium severity lands there, light is barely visible and heavy is dense fog.
 */
import type { Degradation } from '../types.js';
import type { RGBImage } from '../../image/types.js';
import type { Rng } from '../../util/rng.js';
import { smoothField, normalise01 } from '../util/fields.js';
import { gaussianBlur } from '../util/blur.js';
import { scratch } from '../util/scratch.js';
import { clamp01, lerp, resolveSeverity } from '../severity.js';
import { jitter } from '../util/variation.js';

// @testSeam: tested directly (haze.test.ts)
export type HazeParams = {
  severity: number;
  /** scattering coefficient: optical depth at the farthest point (d = 1) */
  beta: number;
  /** atmospheric light per channel (near white, slightly bluish or yellowish) */
  airlight: number[];
  /** depth of the nearest point, in [0,1): 1 would make the haze uniform */
  near: number;
  /** vertical position of the horizon, 0 = top, 1 = bottom; above it everything is far */
  horizon: number;
  /** how quickly depth falls off below the horizon (exponent of the ramp) */
  rampPower: number;
  /** relative weights of the horizon, random-field and content cues in the depth proxy */
  horizonWeight: number;
  fieldWeight: number;
  contentWeight: number;
  /** blob size of the random depth field, as a fraction of the larger image side */
  fieldScale: number;
  /** when true the depth is 1 everywhere (homogeneous haze; exactly J·e^−β + A·(1 − e^−β)) */
  uniformDepth: boolean;
};

function sample(rng: Rng, severity?: number): HazeParams {
  const s = resolveSeverity(rng, severity);
  // severity sets how much of the far scene is lost: 1 − t(far) from 0.05 (light) to 0.7 (thick haze)
  const lostFar = Math.min(0.9, lerp(0.05, 0.7, Math.pow(s, 1.5)) * jitter(rng, 0.12));
  const level = rng.uniform(0.75, 1);
  // bluish (sky-lit) or yellowish (smog) cast of a few per cent
  const cast = rng.uniform(-0.05, 0.05);
  return {
    severity: s,
    beta: -Math.log(1 - lostFar),
    airlight: [clamp01(level * (1 - cast)), clamp01(level * (1 - cast / 3)), clamp01(level * (1 + cast))],
    near: rng.uniform(0.35, 0.8),
    horizon: rng.uniform(0.15, 0.6),
    rampPower: rng.uniform(0.6, 1.8),
    horizonWeight: rng.uniform(0.2, 1),
    fieldWeight: rng.uniform(0.1, 0.6),
    contentWeight: rng.uniform(0, 0.8),
    fieldScale: rng.uniform(0.3, 1),
    uniformDepth: rng.bool(0.1),
  };
}

/**
 * Far-ness from content: the blurred dark channel (min over RGB) is high where the scene is
 * bright and colourless (sky, already-distant areas) and low on saturated or dark near objects.
 */
function contentCue(img: RGBImage): Float32Array {
  const { width: w, height: h, data } = img;
  const dark = scratch('haze.dark', w * h);
  for (let i = 0, j = 0; i < dark.length; i++, j += 3) {
    const r = data[j]!;
    const g = data[j + 1]!;
    const b = data[j + 2]!;
    dark[i] = r < g ? (r < b ? r : b) : g < b ? g : b;
  }
  const cue = gaussianBlur(dark, w, h, 0.03 * Math.max(w, h) + 1, dark);
  normalise01(cue);
  return cue;
}

/** The depth proxy d ∈ [near, 1] (w·h values, into `depth`, by default a new array). */
// @testSeam: tested directly (haze.test.ts)
export function hazeDepth(
  img: RGBImage,
  p: HazeParams,
  rng: Rng,
  depth: Float32Array = new Float32Array(img.width * img.height),
): Float32Array {
  const { width: w, height: h } = img;
  if (p.uniformDepth) {
    depth.fill(1);
    return depth;
  }
  const field = smoothField(rng, w, h, { cellSize: p.fieldScale * Math.max(w, h), octaves: 3 }, scratch('haze.field', w * h));
  const cue = p.contentWeight > 0 ? contentCue(img) : null;
  const wSum = p.horizonWeight + p.fieldWeight + (cue ? p.contentWeight : 0);
  const norm = wSum > 0 ? 1 / wSum : 0;
  // the ramp only depends on the row: 1 above the horizon, falling to 0 at the bottom edge
  const ramp = new Float32Array(h);
  for (let y = 0; y < h; y++) {
    const yn = (y + 0.5) / h;
    ramp[y] = yn <= p.horizon ? 1 : Math.pow((1 - yn) / (1 - p.horizon), p.rampPower);
  }
  const span = 1 - p.near;
  for (let y = 0; y < h; y++) {
    const base = p.horizonWeight * ramp[y]!;
    const o = y * w;
    for (let x = 0; x < w; x++) {
      const i = o + x;
      let d = base + p.fieldWeight * field[i]!;
      if (cue) d += p.contentWeight * cue[i]!;
      depth[i] = p.near + span * d * norm;
    }
  }
  return depth;
}

function apply(img: RGBImage, p: HazeParams, rng: Rng): RGBImage {
  const { width: w, height: h, data: src } = img;
  const depth = hazeDepth(img, p, rng, scratch('haze.depth', w * h));
  const out = new Float32Array(src.length);
  const a0 = p.airlight[0] ?? 1;
  const a1 = p.airlight[1] ?? 1;
  const a2 = p.airlight[2] ?? 1;
  const beta = p.beta;
  for (let i = 0, j = 0; i < depth.length; i++, j += 3) {
    const t = Math.exp(-beta * depth[i]!);
    const u = 1 - t;
    out[j] = clamp01(src[j]! * t + a0 * u);
    out[j + 1] = clamp01(src[j + 1]! * t + a1 * u);
    out[j + 2] = clamp01(src[j + 2]! * t + a2 * u);
  }
  return { width: w, height: h, data: out };
}

export const haze: Degradation<HazeParams> = {
  name: 'haze',
  description: 'atmospheric haze I = J·t + A·(1−t), t = exp(−β·d), with a depth proxy from horizon, random field and content',
  sample,
  apply,
};
