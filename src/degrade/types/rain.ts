/**
 * Synthetic rain: several depth layers of bright, slightly motion-blurred streaks screen-blended
 * over the image, plus (for heavy rain) a veil of rain accumulation that lifts the blacks and lowers
 * contrast. Calibrated against Rain100L (sparse thin streaks, |I−J| mean ≈ 0.02, PSNR ≈ 26–28 dB)
 * and Rain100H (dense long bright streaks + haze, mean ≈ 0.1–0.25, PSNR ≈ 11–15 dB).
 */
import type { Degradation } from '../types.js';
import type { RGBImage } from '../../image/types.js';
import type { Rng } from '../../util/rng.js';
import { createLayer, drawStreak } from '../util/raster.js';
import { directionalBlur } from '../util/blur.js';
import { smoothField } from '../util/fields.js';
import { scratch, zeroedScratch } from '../util/scratch.js';
import { clamp01, lerp, resolveSeverity } from '../severity.js';
import { jitter, logLerp } from '../util/variation.js';

type RainParams = {
  severity: number;
  /** streaks per 10 000 pixels, all layers together */
  density: number;
  /** number of depth layers (1–4); farther layers have more, shorter, thinner, dimmer streaks */
  layers: number;
  /** mean streak length of the nearest layer, pixels */
  length: number;
  /** fall direction, degrees from vertical (positive: drops move right as they fall) */
  angle: number;
  /** per-streak standard deviation of the angle, degrees */
  angleSpread: number;
  /** streak width of the nearest layer, pixels */
  width: number;
  /** peak streak intensity of the nearest layer, in [0,1] */
  brightness: number;
  /** extra blur along the fall direction for the nearest layer, pixels */
  motionBlur: number;
  /** strength of the rain-accumulation veil, in [0,1) */
  veil: number;
  /** grey level the veil pulls towards */
  veilLevel: number;
  /** per-channel colour of the streak light (near white) */
  tint: number[];
};

const DEG = Math.PI / 180;

function sample(rng: Rng, severity?: number): RainParams {
  const s = resolveSeverity(rng, severity);
  const blueShift = rng.uniform(0, 0.06);
  return {
    severity: s,
    density: logLerp(6, 80, s) * jitter(rng, 0.3),
    layers: Math.min(4, Math.max(1, Math.round(lerp(1.3, 3.4, s) + rng.uniform(-0.5, 0.5)))),
    length: lerp(16, 65, s) * jitter(rng, 0.3),
    angle: Math.max(-30, Math.min(30, rng.normal() * 10)),
    angleSpread: rng.uniform(0.5, 4),
    width: lerp(0.8, 1.8, s) * jitter(rng, 0.25),
    brightness: Math.min(1, lerp(0.5, 0.95, s) * jitter(rng, 0.15)),
    motionBlur: rng.uniform(0, lerp(2, 6, s)),
    veil: Math.min(0.45, lerp(0, 0.25, s * s) * jitter(rng, 0.4)),
    veilLevel: rng.uniform(0.7, 0.95),
    tint: [1 - blueShift, 1 - blueShift / 2, 1],
  };
}

/** The streak layer: a coverage map in [0,1] holding every depth layer, screen-combined. */
function renderStreaks(w: number, h: number, p: RainParams, rng: Rng): Float32Array {
  const total = zeroedScratch('rain.total', w * h);
  const layerCount = Math.max(1, Math.round(p.layers));
  // far layers get more of the streaks: share ∝ 1 + 0.6·depth
  let shareSum = 0;
  for (let i = 0; i < layerCount; i++) shareSum += 1 + 0.6 * i;
  for (let i = 0; i < layerCount; i++) {
    const near = 1 / (1 + 0.7 * i); // 1 for the nearest layer, smaller farther away
    const length = Math.max(2, p.length * near * rng.uniform(0.85, 1.15));
    const width = Math.max(0.35, p.width * near);
    const bright = p.brightness * (0.55 + 0.45 * near);
    const angle = (p.angle + rng.normal() * 2) * DEG;
    const dirX = Math.sin(angle);
    const dirY = Math.cos(angle);
    // spawn over a region extended up and sideways so slanted streaks also cover the borders
    const marginX = Math.abs(dirX) * length + 2;
    const areaW = w + 2 * marginX;
    const areaH = h + length;
    const count = Math.round(((p.density * (1 + 0.6 * i)) / shareSum) * ((areaW * areaH) / 10000));
    const layer = createLayer(w, h, scratch('rain.layer', w * h));
    for (let k = 0; k < count; k++) {
      const x0 = rng.next() * areaW - marginX;
      const y0 = rng.next() * areaH - length;
      const a = angle + rng.normal() * p.angleSpread * DEG;
      const l = length * rng.uniform(0.6, 1.4);
      const b = bright * rng.uniform(0.55, 1);
      drawStreak(layer, x0, y0, x0 + Math.sin(a) * l, y0 + Math.cos(a) * l, width, b);
    }
    const blurLength = p.motionBlur * near;
    // image y points down, so the fall direction (sin a, cos a) has image angle π/2 − a
    const blurred =
      blurLength >= 1
        ? directionalBlur(layer.data, w, h, Math.PI / 2 - angle, blurLength, scratch('rain.blurred', w * h))
        : layer.data;
    for (let j = 0; j < total.length; j++) {
      const m = total[j]!;
      const v = blurred[j]!;
      total[j] = m + v - m * v;
    }
  }
  return total;
}

function apply(img: RGBImage, p: RainParams, rng: Rng): RGBImage {
  const { width: w, height: h } = img;
  const src = img.data;
  const out = new Float32Array(src.length);
  const streaks = renderStreaks(w, h, p, rng);
  // the veil varies slowly over the image (rain is patchy), ±25 % around its mean
  const veilMap =
    p.veil > 0.002
      ? smoothField(rng, w, h, { cellSize: Math.max(w, h) / 2, octaves: 2 }, scratch('rain.veil', w * h))
      : null;
  const t0 = p.tint[0] ?? 1;
  const t1 = p.tint[1] ?? 1;
  const t2 = p.tint[2] ?? 1;
  const level = p.veilLevel;
  const veil = p.veil;
  for (let i = 0, j = 0; i < streaks.length; i++, j += 3) {
    const v = veilMap ? veil * (0.75 + 0.5 * veilMap[i]!) : 0;
    const keep = 1 - v;
    const lift = level * v;
    const s = streaks[i]!;
    // screen blend: 1 − (1 − base)(1 − streak)
    const r = src[j]! * keep + lift;
    const g = src[j + 1]! * keep + lift;
    const b = src[j + 2]! * keep + lift;
    out[j] = clamp01(1 - (1 - r) * (1 - s * t0));
    out[j + 1] = clamp01(1 - (1 - g) * (1 - s * t1));
    out[j + 2] = clamp01(1 - (1 - b) * (1 - s * t2));
  }
  return { width: w, height: h, data: out };
}

export const rain: Degradation<RainParams> = {
  name: 'rain',
  description: 'rain streaks in several depth layers (light: sparse thin streaks; heavy: dense long bright streaks with a veil)',
  sample,
  apply,
};
