/**
 * Synthetic snow, Snow100K-like: snowflakes in three depth layers (many small faint far flakes,
 * fewer mid-sized ones, a few large soft near ones), drawn as soft Gaussian particles, a share of
 * them motion-blurred along a common wind direction (near flakes blur most), over a light veil that
 * brightens and flattens the scene the way falling snow does.
 */
import type { Degradation } from '../types.js';
import type { RGBImage } from '../../image/types.js';
import type { Rng } from '../../util/rng.js';
import { createLayer, drawSoftParticle } from '../util/raster.js';
import { smoothField } from '../util/fields.js';
import { scratch } from '../util/scratch.js';
import { clamp01, lerp, resolveSeverity } from '../severity.js';
import { jitter, logLerp } from '../util/variation.js';

type SnowParams = {
  severity: number;
  /** flakes per 10 000 pixels, all layers together */
  density: number;
  /** Gaussian σ of the near (largest) flakes, pixels */
  flakeSize: number;
  /** wind direction: degrees from straight down (positive: drifting right) */
  windAngle: number;
  /** motion-blur length of the near flakes, pixels (farther flakes blur proportionally less) */
  motion: number;
  /** share of flakes that are motion-blurred (the rest are caught sharp) */
  motionShare: number;
  /** opacity of the near flakes' centres, in [0,1] */
  opacity: number;
  /** strength of the veil, in [0,1) */
  veil: number;
  /** grey level the veil pulls towards */
  veilLevel: number;
  /** per-channel flake colour (near white, a touch blue) */
  flakeColor: number[];
};

const DEG = Math.PI / 180;

/** Depth layers, near to far: size factor, share of the flakes, relative opacity. */
const LAYERS = [
  { size: 1, share: 0.06, opacity: 1 },
  { size: 0.5, share: 0.26, opacity: 0.85 },
  { size: 0.28, share: 0.68, opacity: 0.7 },
] as const;

function sample(rng: Rng, severity?: number): SnowParams {
  const s = resolveSeverity(rng, severity);
  const white = rng.uniform(0.9, 1);
  const blue = rng.uniform(0, 0.04);
  return {
    severity: s,
    density: logLerp(10, 130, s) * jitter(rng, 0.3),
    flakeSize: lerp(1.4, 3.2, s) * jitter(rng, 0.3),
    windAngle: Math.max(-60, Math.min(60, rng.normal() * 25)),
    motion: rng.uniform(0, lerp(4, 14, s)),
    motionShare: rng.uniform(0.2, 0.9),
    opacity: Math.min(1, lerp(0.6, 0.95, s) * jitter(rng, 0.1)),
    veil: lerp(0.02, 0.22, s) * jitter(rng, 0.4),
    veilLevel: rng.uniform(0.8, 0.98),
    flakeColor: [white * (1 - blue), white * (1 - blue / 2), white],
  };
}

/** Opacity map of all flakes (screen-combined), in [0,1]. */
function renderFlakes(w: number, h: number, p: SnowParams, rng: Rng): Float32Array {
  const layer = createLayer(w, h, scratch('snow.flakes', w * h));
  const wind = p.windAngle * DEG;
  const total = (p.density * w * h) / 10000;
  for (const L of LAYERS) {
    const count = Math.round(total * L.share);
    const sigmaBase = Math.max(0.35, p.flakeSize * L.size);
    const motionBase = p.motion * L.size;
    const margin = 3 * sigmaBase + motionBase;
    for (let k = 0; k < count; k++) {
      const cx = rng.uniform(-margin, w + margin);
      const cy = rng.uniform(-margin, h + margin);
      const sigma = sigmaBase * rng.uniform(0.6, 1.4);
      const peak = p.opacity * L.opacity * rng.uniform(0.45, 1);
      let hx = 0;
      let hy = 0;
      let dim = 1;
      if (rng.next() < p.motionShare) {
        const len = motionBase * rng.uniform(0.5, 1.2);
        const a = wind + rng.normal() * 6 * DEG;
        hx = (Math.sin(a) * len) / 2;
        hy = (Math.cos(a) * len) / 2;
        // the same light spread over a longer path: dimmer, but not fully (a blurred flake is
        // still clearly visible, and the eye sees the streak, not the average)
        dim = Math.sqrt((2.5 * sigma) / (2.5 * sigma + len));
      }
      drawSoftParticle(layer, cx - hx, cy - hy, cx + hx, cy + hy, sigma, peak * dim);
    }
  }
  return layer.data;
}

function apply(img: RGBImage, p: SnowParams, rng: Rng): RGBImage {
  const { width: w, height: h, data: src } = img;
  const alpha = renderFlakes(w, h, p, rng);
  // the veil thickens and thins slowly over the frame, ±30 % around its mean
  const veilMap =
    p.veil > 0.002
      ? smoothField(rng, w, h, { cellSize: Math.max(w, h) / 2, octaves: 2 }, scratch('snow.veil', w * h))
      : null;
  const c0 = p.flakeColor[0] ?? 1;
  const c1 = p.flakeColor[1] ?? 1;
  const c2 = p.flakeColor[2] ?? 1;
  const level = p.veilLevel;
  const veil = p.veil;
  const out = new Float32Array(src.length);
  for (let i = 0, j = 0; i < alpha.length; i++, j += 3) {
    const v = veilMap ? veil * (0.7 + 0.6 * veilMap[i]!) : 0;
    const keep = 1 - v;
    const lift = level * v;
    const a = alpha[i]!;
    const b = 1 - a;
    out[j] = clamp01((src[j]! * keep + lift) * b + c0 * a);
    out[j + 1] = clamp01((src[j + 1]! * keep + lift) * b + c1 * a);
    out[j + 2] = clamp01((src[j + 2]! * keep + lift) * b + c2 * a);
  }
  return { width: w, height: h, data: out };
}

export const snow: Degradation<SnowParams> = {
  name: 'snow',
  description: 'snowflakes in three depth layers (soft particles, some wind-blurred) over a light veil',
  sample,
  apply,
};
