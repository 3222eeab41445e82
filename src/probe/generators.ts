/**
 * The probe family: a second, deliberately different set of degradation generators, used only to
 * validate and evaluate (the `probe` eval suite), never to train. The estimator learns from
 * src/degrade; a user's photo comes from a camera, a codec or another group's generator, so how
 * well the estimator names these simpler formulas is how well it holds up off its own
 * distribution. Each one is a textbook model, written without looking at src/degrade's choices:
 *
 *   blur      isotropic Gaussian (σ 1.2–2.5 px) or a straight motion line (9–21 px, any angle)
 *   haze      Koschmieder scattering I = J·t + A(1 − t), t = e^(−β·d), depth from the row
 *             (horizon at a random height) plus a darker-is-nearer term, airlight slightly tinted
 *   lowlight  gain and gamma (I = g·J^γ, g 0.12–0.3, γ 1.4–2.2) with Poisson–Gaussian sensor noise
 *   noise     Poisson–Gaussian: σ² = a·x + b (a up to 0.01, b up to 0.004)
 *   rain      straight, antialiased bright lines (one angle per image), additive
 *   jpeg      mozjpeg with 4:4:4 chroma at quality 12–30 (another encoder and table from training's)
 *   bitdepth  truncation (floor, not rounding) to 3–5 bits per channel
 *   snow      soft round flakes of 1–4 px, Gaussian-edged, plus a faint veil
 */
import sharp from 'sharp';
import type { RGBImage } from '../image/types.js';
import type { Rng } from '../util/rng.js';

export const PROBE_NAMES = ['blur', 'haze', 'lowlight', 'noise', 'rain', 'jpeg', 'bitdepth', 'snow'] as const;
export type ProbeName = (typeof PROBE_NAMES)[number];

type ProbeGenerator = (img: RGBImage, rng: Rng) => Promise<RGBImage> | RGBImage;

function clip(v: number): number {
  return v < 0 ? 0 : v > 1 ? 1 : v;
}

function mapped(img: RGBImage, fn: (value: number, index: number) => number): RGBImage {
  const data = new Float32Array(img.data.length);
  for (let i = 0; i < data.length; i++) data[i] = clip(fn(img.data[i]!, i));
  return { width: img.width, height: img.height, data };
}

/** Convolve with a normalised kernel (kw×kh, centred), edges clamped. */
function convolve(img: RGBImage, kernel: Float32Array, kw: number, kh: number): RGBImage {
  const { width: w, height: h, data } = img;
  const out = new Float32Array(data.length);
  const cx = (kw - 1) >> 1;
  const cy = (kh - 1) >> 1;
  const taps: Array<[number, number, number]> = [];
  for (let j = 0; j < kh; j++) for (let i = 0; i < kw; i++) if (kernel[j * kw + i]! !== 0) taps.push([i - cx, j - cy, kernel[j * kw + i]!]);
  for (let y = 0; y < h; y++) {
    for (let x = 0; x < w; x++) {
      let r = 0, g = 0, b = 0;
      for (const [dx, dy, k] of taps) {
        const sx = Math.min(w - 1, Math.max(0, x + dx));
        const sy = Math.min(h - 1, Math.max(0, y + dy));
        const p = (sy * w + sx) * 3;
        r += k * data[p]!;
        g += k * data[p + 1]!;
        b += k * data[p + 2]!;
      }
      const q = (y * w + x) * 3;
      out[q] = r;
      out[q + 1] = g;
      out[q + 2] = b;
    }
  }
  return { width: w, height: h, data: out };
}

function normalise(kernel: Float32Array): Float32Array {
  const sum = kernel.reduce((a, b) => a + b, 0);
  return kernel.map((v) => v / sum);
}

function gaussianKernel(sigma: number): { kernel: Float32Array; size: number } {
  const radius = Math.ceil(3 * sigma);
  const size = 2 * radius + 1;
  const kernel = new Float32Array(size * size);
  for (let j = 0; j < size; j++) for (let i = 0; i < size; i++) kernel[j * size + i] = Math.exp(-((i - radius) ** 2 + (j - radius) ** 2) / (2 * sigma * sigma));
  return { kernel: normalise(kernel), size };
}

/** A straight line of `length` px at `angle`, drawn by dense sampling with bilinear splats. */
function lineKernel(length: number, angle: number): { kernel: Float32Array; size: number } {
  const size = 2 * Math.ceil(length / 2) + 1;
  const c = (size - 1) / 2;
  const kernel = new Float32Array(size * size);
  const steps = 4 * length;
  for (let s = 0; s <= steps; s++) {
    const t = (s / steps - 0.5) * (length - 1);
    const x = c + t * Math.cos(angle);
    const y = c + t * Math.sin(angle);
    const x0 = Math.floor(x), y0 = Math.floor(y);
    const fx = x - x0, fy = y - y0;
    const splat = (i: number, j: number, wgt: number) => {
      if (i >= 0 && j >= 0 && i < size && j < size) kernel[j * size + i] += wgt;
    };
    splat(x0, y0, (1 - fx) * (1 - fy));
    splat(x0 + 1, y0, fx * (1 - fy));
    splat(x0, y0 + 1, (1 - fx) * fy);
    splat(x0 + 1, y0 + 1, fx * fy);
  }
  return { kernel: normalise(kernel), size };
}

function blur(img: RGBImage, rng: Rng): RGBImage {
  const k = rng.bool() ? gaussianKernel(rng.uniform(1.2, 2.5)) : lineKernel(rng.intRange(9, 21), rng.uniform(0, Math.PI));
  return convolve(img, k.kernel, k.size, k.size);
}

function luminance(data: Float32Array, p: number): number {
  return 0.299 * data[p]! + 0.587 * data[p + 1]! + 0.114 * data[p + 2]!;
}

function haze(img: RGBImage, rng: Rng): RGBImage {
  const { width: w, height: h, data } = img;
  const horizon = rng.uniform(0.2, 0.6);
  const beta = rng.uniform(1.2, 2.4);
  const base = rng.uniform(0.75, 0.95);
  const tint = [base, base + rng.uniform(-0.03, 0.03), base + rng.uniform(0, 0.06)].map(clip);
  return mapped(img, (v, i) => {
    const pixel = Math.floor(i / 3);
    const y = Math.floor(pixel / w) / Math.max(1, h - 1);
    // far at the horizon row, nearer towards the bottom; darker objects read as nearer
    const rowDepth = y < horizon ? 1 : 1 - (y - horizon) / (1 - horizon);
    const depth = clip(0.75 * rowDepth + 0.25 * luminance(data, pixel * 3));
    const t = Math.exp(-beta * depth);
    return v * t + tint[i % 3]! * (1 - t);
  });
}

/** Poisson–Gaussian sensor noise: variance a·x + b, approximated by a Gaussian of that variance. */
function poissonGaussian(img: RGBImage, rng: Rng, a: number, b: number): RGBImage {
  return mapped(img, (v) => v + Math.sqrt(Math.max(0, a * v + b)) * rng.normal());
}

function lowlight(img: RGBImage, rng: Rng): RGBImage {
  const gain = rng.uniform(0.12, 0.3);
  const gamma = rng.uniform(1.4, 2.2);
  const dark = mapped(img, (v) => gain * v ** gamma);
  return poissonGaussian(dark, rng, rng.uniform(0.0005, 0.003), rng.uniform(0.00002, 0.0002));
}

function noise(img: RGBImage, rng: Rng): RGBImage {
  return poissonGaussian(img, rng, rng.uniform(0.002, 0.01), rng.uniform(0.0008, 0.004));
}

function rain(img: RGBImage, rng: Rng): RGBImage {
  const { width: w, height: h } = img;
  const layer = new Float32Array(w * h);
  const angle = Math.PI / 2 + rng.uniform(-0.35, 0.35);
  const count = Math.round((w * h) / rng.uniform(250, 600));
  const dx = Math.cos(angle);
  const dy = Math.sin(angle);
  for (let n = 0; n < count; n++) {
    const length = rng.uniform(10, 35);
    const strength = rng.uniform(0.25, 0.6);
    const x0 = rng.uniform(0, w);
    const y0 = rng.uniform(-length, h);
    for (let s = 0; s < length; s += 0.5) {
      const x = x0 + s * dx;
      const y = y0 + s * dy;
      const xi = Math.floor(x);
      const yi = Math.floor(y);
      const fx = x - xi;
      for (const [i, wgt] of [[xi, 1 - fx], [xi + 1, fx]] as const) {
        if (i >= 0 && i < w && yi >= 0 && yi < h) layer[yi * w + i] = Math.max(layer[yi * w + i]!, strength * wgt);
      }
    }
  }
  return mapped(img, (v, i) => v + layer[Math.floor(i / 3)]! * 0.9);
}

async function jpeg(img: RGBImage, rng: Rng): Promise<RGBImage> {
  const quality = rng.intRange(12, 30);
  const bytes = Buffer.alloc(img.data.length);
  for (let i = 0; i < bytes.length; i++) bytes[i] = Math.round(clip(img.data[i]!) * 255);
  const raw = { width: img.width, height: img.height, channels: 3 as const };
  const encoded = await sharp(bytes, { raw }).jpeg({ quality, mozjpeg: true, chromaSubsampling: '4:4:4' }).toBuffer();
  const decoded = await sharp(encoded).removeAlpha().raw().toBuffer();
  const data = new Float32Array(decoded.length);
  for (let i = 0; i < data.length; i++) data[i] = decoded[i]! / 255;
  return { width: img.width, height: img.height, data };
}

function bitdepth(img: RGBImage, rng: Rng): RGBImage {
  const levels = 2 ** rng.intRange(3, 5);
  return mapped(img, (v) => Math.floor(v * levels - 1e-9) / (levels - 1));
}

function snow(img: RGBImage, rng: Rng): RGBImage {
  const { width: w, height: h } = img;
  const cover = new Float32Array(w * h);
  const count = Math.round((w * h) / rng.uniform(300, 900));
  for (let n = 0; n < count; n++) {
    const r = rng.uniform(1, 4);
    const cx = rng.uniform(0, w);
    const cy = rng.uniform(0, h);
    const opacity = rng.uniform(0.6, 1);
    const reach = Math.ceil(2 * r);
    for (let y = Math.max(0, Math.floor(cy - reach)); y < Math.min(h, Math.ceil(cy + reach)); y++) {
      for (let x = Math.max(0, Math.floor(cx - reach)); x < Math.min(w, Math.ceil(cx + reach)); x++) {
        const d2 = (x - cx) ** 2 + (y - cy) ** 2;
        const a = opacity * Math.exp(-d2 / (2 * (r / 1.5) ** 2));
        cover[y * w + x] = 1 - (1 - cover[y * w + x]!) * (1 - a);
      }
    }
  }
  const veil = rng.uniform(0.03, 0.1);
  return mapped(img, (v, i) => {
    const a = cover[Math.floor(i / 3)]!;
    const veiled = v * (1 - veil) + veil;
    return veiled * (1 - a) + 0.97 * a;
  });
}

export const PROBES: Record<ProbeName, ProbeGenerator> = { blur, haze, lowlight, noise, rain, jpeg, bitdepth, snow };
