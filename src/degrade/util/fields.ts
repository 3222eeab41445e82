/**
 * Smooth random fields: fractal value noise, used for depth proxies, veils and density
 * modulation. Cost is a few multiply-adds per pixel per octave (interpolation weights are
 * precomputed per row and per column).
 */
import type { Rng } from '../../util/rng.js';

interface SmoothFieldOptions {
  /** spacing in pixels of the coarsest lattice (the size of the largest blobs) */
  cellSize: number;
  /** number of octaves, each with half the cell size (default 3) */
  octaves?: number;
  /** amplitude ratio between successive octaves (default 0.5) */
  persistence?: number;
}

/** Per-coordinate lattice index and smoothstep weight for one axis. */
function axisTable(n: number, cell: number): { index: Int32Array; weight: Float32Array } {
  const index = new Int32Array(n);
  const weight = new Float32Array(n);
  for (let i = 0; i < n; i++) {
    const u = i / cell;
    const f = Math.floor(u);
    const t = u - f;
    index[i] = f;
    weight[i] = t * t * (3 - 2 * t);
  }
  return { index, weight };
}

/** Add one octave of value noise with amplitude `amp` into `out`. */
function addOctave(out: Float32Array, w: number, h: number, cell: number, amp: number, rng: Rng): void {
  const gw = Math.floor((w - 1) / cell) + 2;
  const gh = Math.floor((h - 1) / cell) + 2;
  const lattice = new Float32Array(gw * gh);
  for (let i = 0; i < lattice.length; i++) lattice[i] = rng.next();
  const ax = axisTable(w, cell);
  const ay = axisTable(h, cell);
  for (let y = 0; y < h; y++) {
    const gy = ay.index[y]!;
    const ty = ay.weight[y]!;
    const r0 = gy * gw;
    const r1 = r0 + gw;
    const o = y * w;
    for (let x = 0; x < w; x++) {
      const gx = ax.index[x]!;
      const tx = ax.weight[x]!;
      const top = lattice[r0 + gx]! + tx * (lattice[r0 + gx + 1]! - lattice[r0 + gx]!);
      const bottom = lattice[r1 + gx]! + tx * (lattice[r1 + gx + 1]! - lattice[r1 + gx]!);
      out[o + x] = out[o + x]! + amp * (top + ty * (bottom - top));
    }
  }
}

/**
 * A w×h smooth random field (into `out`, default a new array) rescaled to span exactly [0,1] (a constant field becomes 0.5).
 * Rescaling makes its strength independent of how many octaves happened to align.
 */
export function smoothField(
  rng: Rng,
  w: number,
  h: number,
  options: SmoothFieldOptions,
  out: Float32Array = new Float32Array(w * h),
): Float32Array {
  const octaves = options.octaves ?? 3;
  const persistence = options.persistence ?? 0.5;
  out.fill(0);
  let cell = Math.max(1, options.cellSize);
  let amp = 1;
  for (let o = 0; o < octaves; o++) {
    addOctave(out, w, h, cell, amp, rng);
    cell = Math.max(1, cell / 2);
    amp *= persistence;
  }
  normalise01(out);
  return out;
}

/** Rescale a map in place to span [0,1]; a (near) constant map becomes 0.5 everywhere. */
export function normalise01(map: Float32Array): void {
  let lo = Infinity;
  let hi = -Infinity;
  for (let i = 0; i < map.length; i++) {
    const v = map[i]!;
    if (v < lo) lo = v;
    if (v > hi) hi = v;
  }
  if (!(hi - lo > 1e-6)) {
    map.fill(0.5);
    return;
  }
  const s = 1 / (hi - lo);
  for (let i = 0; i < map.length; i++) map[i] = (map[i]! - lo) * s;
}
