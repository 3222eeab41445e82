/**
 * Synthetic low light, LOL-like: under-exposure and a darkening tone curve, a white-balance error,
 * then the sensor noise such a dark capture really has: signal-dependent Poisson–Gaussian noise
 * added in (approximately) linear light, where photon counts live, plus blotchy chroma noise, and
 * finally 8-bit quantisation (which crushes the few remaining shadow levels). LOL inputs have mean
 * ≈ 0.05–0.2 against ≈ 0.4–0.5 for their references.
 */
import type { Degradation } from '../types.js';
import type { RGBImage } from '../../image/types.js';
import type { Rng } from '../../util/rng.js';
import { gaussianBlur, gaussianKernel } from '../util/blur.js';
import { fillNormal } from '../util/gaussian-noise.js';
import { scratch } from '../util/scratch.js';
import { PowerTable } from '../util/power-table.js';
import { lerp, resolveSeverity } from '../severity.js';
import { jitter, logLerp } from '../util/variation.js';

type LowlightParams = {
  severity: number;
  /** multiplier on the (display-referred) image: 0.1 very dark … 0.4 dim (LOL-like means 0.03–0.15) */
  exposure: number;
  /** extra darkening curve applied before the exposure: J^gamma, gamma ≥ 1 */
  gamma: number;
  /** per-channel white-balance gains (colour cast of a dark capture) */
  whiteBalance: number[];
  /** photons collected at full white: fewer photons = more shot noise */
  photons: number;
  /** read-noise standard deviation in linear light (fraction of full scale) */
  readNoise: number;
  /** chroma-noise strength relative to the luminance noise */
  chromaNoise: number;
  /** round the result to 8-bit levels */
  quantize: boolean;
};

/** The display ↔ linear transfer we treat as "linear-ish" (a plain 2.2 power). */
const DISPLAY_GAMMA = 2.2;

function sample(rng: Rng, severity?: number): LowlightParams {
  const s = resolveSeverity(rng, severity);
  const cast = rng.uniform(0, 0.12);
  const castAngle = rng.uniform(0, 2 * Math.PI);
  return {
    severity: s,
    exposure: Math.min(0.45, logLerp(0.4, 0.1, s) * jitter(rng, 0.2)),
    gamma: lerp(1, 1.25, s) * jitter(rng, 0.08),
    // a cast of up to ±12 % in a random direction of the (r, b) plane, green as the reference
    whiteBalance: [1 + cast * Math.cos(castAngle), 1, 1 + cast * Math.sin(castAngle)],
    photons: logLerp(20000, 1500, s) * jitter(rng, 0.3),
    readNoise: logLerp(0.00004, 0.0003, s) * jitter(rng, 0.3),
    chromaNoise: rng.uniform(0.15, 0.5),
    quantize: true,
  };
}

function apply(img: RGBImage, p: LowlightParams, rng: Rng): RGBImage {
  const { width: w, height: h, data: src } = img;
  const out = new Float32Array(src.length);
  // linear light of the darkened pixel: (gain·J^γ)^2.2 = gain^2.2 · J^(2.2γ) (gain·J^γ < 1 here)
  const toLinear = new PowerTable(p.gamma * DISPLAY_GAMMA);
  const toDisplay = new PowerTable(2 / DISPLAY_GAMMA); // applied to √linear
  const gains = [0, 1, 2].map((c) => Math.pow(Math.min(1, p.exposure * (p.whiteBalance[c] ?? 1)), DISPLAY_GAMMA));
  const invPhotons = 1 / p.photons;
  const read2 = p.readNoise * p.readNoise;
  const chroma = p.chromaNoise > 0 ? chromaNoise(rng, w, h, p.chromaNoise) : null;
  const noise = fillNormal(rng, scratch('lowlight.noise', src.length));
  const quantize = p.quantize;
  for (let c = 0; c < 3; c++) {
    const gain = gains[c]!;
    for (let k = c; k < src.length; k += 3) {
      const lin = gain * toLinear.at(src[k]!);
      // Poisson–Gaussian: variance = signal/photons + read², approximated by a Gaussian
      const sigma = Math.sqrt(lin * invPhotons + read2);
      const noisy = lin + sigma * (chroma ? noise[k]! + chroma[k]! : noise[k]!);
      const v = toDisplay.at(Math.sqrt(noisy > 0 ? noisy : 0));
      // v ≥ 0, so truncating v·255 + 0.5 rounds (and is much faster than Math.round here)
      out[k] = quantize ? ((v * 255 + 0.5) | 0) / 255 : v;
    }
  }
  return { width: w, height: h, data: out };
}

/**
 * Chroma noise (HWC, std ≈ strength): per-channel noise made at half resolution, blurred a little
 * and upsampled bilinearly, so it forms blotches of a few pixels like demosaicked sensor noise,
 * then made zero-mean across channels so that it shifts colour rather than brightness.
 */
function chromaNoise(rng: Rng, w: number, h: number, strength: number): Float32Array {
  const hw = Math.ceil(w / 2);
  const hh = Math.ceil(h / 2);
  const sigmaBlur = 0.7;
  // a separable blur scales the std of white noise by Σk² (per axis: √Σk², squared for 2-D)
  const k = gaussianKernel(sigmaBlur);
  let k2 = 0;
  for (const v of k) k2 += v * v;
  const rescale = strength / k2;
  const planes = [0, 1, 2].map((c) => {
    const plane = fillNormal(rng, scratch(`lowlight.chroma${c}`, hw * hh));
    return gaussianBlur(plane, hw, hh, sigmaBlur, plane);
  });
  const [pr, pg, pb] = planes as [Float32Array, Float32Array, Float32Array];
  const small = scratch('lowlight.chromaSmall', hw * hh * 3);
  for (let i = 0, j = 0; i < hw * hh; i++, j += 3) {
    const m = (pr[i]! + pg[i]! + pb[i]!) / 3;
    small[j] = (pr[i]! - m) * rescale;
    small[j + 1] = (pg[i]! - m) * rescale;
    small[j + 2] = (pb[i]! - m) * rescale;
  }
  return upsample2x(small, hw, hh, w, h, scratch('lowlight.chromaFull', w * h * 3));
}

/** Bilinear 2× upsampling of an HWC RGB map of size sw×sh into `out`, w×h (w ≤ 2·sw, h ≤ 2·sh). */
function upsample2x(small: Float32Array, sw: number, sh: number, w: number, h: number, out: Float32Array): Float32Array {
  // source offsets and weights depend only on the column: compute them once
  const colA = new Int32Array(w);
  const colB = new Int32Array(w);
  const colT = new Float32Array(w);
  for (let x = 0; x < w; x++) {
    const fx = Math.max(0, (x + 0.5) / 2 - 0.5);
    const x0 = Math.min(sw - 1, Math.floor(fx));
    colA[x] = x0 * 3;
    colB[x] = Math.min(sw - 1, x0 + 1) * 3;
    colT[x] = fx - x0;
  }
  for (let y = 0; y < h; y++) {
    const fy = Math.max(0, (y + 0.5) / 2 - 0.5);
    const y0 = Math.min(sh - 1, Math.floor(fy));
    const r0 = y0 * sw * 3;
    const r1 = Math.min(sh - 1, y0 + 1) * sw * 3;
    const ty = fy - y0;
    let o = y * w * 3;
    for (let x = 0; x < w; x++, o += 3) {
      const a = r0 + colA[x]!;
      const b = r0 + colB[x]!;
      const c = r1 + colA[x]!;
      const d = r1 + colB[x]!;
      const tx = colT[x]!;
      for (let ch = 0; ch < 3; ch++) {
        const top = small[a + ch]! + tx * (small[b + ch]! - small[a + ch]!);
        const bottom = small[c + ch]! + tx * (small[d + ch]! - small[c + ch]!);
        out[o + ch] = top + ty * (bottom - top);
      }
    }
  }
  return out;
}

export const lowlight: Degradation<LowlightParams> = {
  name: 'lowlight',
  description: 'low light: under-exposure, darkening curve, colour cast, Poisson-Gaussian sensor and chroma noise, 8-bit quantisation',
  sample,
  apply,
};
