/**
 * Blur kernels: Gaussian (separable), defocus disk (anti-aliased) and camera-shake motion blur.
 * Every kernel is normalised to sum 1, so blurring preserves mean brightness.
 */
import { Rng } from '../util/rng.js';
import type { Kernel } from './convolve.js';

function normalise(weights: Float32Array): Float32Array {
  let sum = 0;
  for (const v of weights) sum += v;
  for (let i = 0; i < weights.length; i++) weights[i]! /= sum;
  return weights;
}

/** 1-D Gaussian taps, radius ⌈3σ⌉ (covers 99.7% of the mass), normalised. */
export function gaussian1d(sigma: number): Float32Array {
  if (!(sigma > 0)) throw new Error(`Gaussian sigma must be > 0, got ${sigma}`);
  const r = Math.max(1, Math.ceil(3 * sigma));
  const k = new Float32Array(2 * r + 1);
  for (let i = -r; i <= r; i++) k[i + r] = Math.exp(-(i * i) / (2 * sigma * sigma));
  return normalise(k);
}

/** The 2-D Gaussian as a full kernel (outer product of the 1-D taps). */
export function gaussianKernel(sigma: number): Kernel {
  const k1 = gaussian1d(sigma);
  const size = k1.length;
  const weights = new Float32Array(size * size);
  for (let y = 0; y < size; y++) for (let x = 0; x < size; x++) weights[y * size + x] = k1[y]! * k1[x]!;
  return { size, weights: normalise(weights) };
}

/**
 * Defocus: a uniform disk of the given radius (the circle of confusion). Each cell weighs its
 * covered area, estimated on an 8×8 sub-grid, so small radii are not blocky.
 */
export function diskKernel(radius: number): Kernel {
  if (!(radius > 0)) throw new Error(`disk radius must be > 0, got ${radius}`);
  const r = Math.ceil(radius);
  const size = 2 * r + 1;
  const weights = new Float32Array(size * size);
  const sub = 8;
  for (let y = 0; y < size; y++) {
    for (let x = 0; x < size; x++) {
      let inside = 0;
      for (let sy = 0; sy < sub; sy++) {
        for (let sx = 0; sx < sub; sx++) {
          const px = x - r - 0.5 + (sx + 0.5) / sub;
          const py = y - r - 0.5 + (sy + 0.5) / sub;
          if (px * px + py * py <= radius * radius) inside++;
        }
      }
      weights[y * size + x] = inside / (sub * sub);
    }
  }
  return { size, weights: normalise(weights) };
}

/** Number of trajectory samples; enough that consecutive samples are < 0.1 px apart at 25 px. */
const TRAJECTORY_SAMPLES = 256;

/**
 * A camera-shake trajectory of total path length `length` px, as a random walk with inertia in
 * the spirit of Boracchi & Foi (2012, "Modeling the performance of image restoration from motion
 * blur"): the velocity receives a Gaussian jitter, a pull back toward the start (hand tremor
 * oscillates around a rest position) and, rarely, an abrupt jerk; its speed is kept constant so
 * the path length is exactly `length`. An "anxiety" drawn per trajectory scales all three, from
 * nearly straight linear motion to jittery curves. Returns x,y pairs.
 */
function shakeTrajectory(length: number, rng: Rng): Float64Array {
  const n = TRAJECTORY_SAMPLES;
  const step = length / (n - 1);
  const anxiety = rng.uniform(0.005, 1) ** 1.5; // skewed toward calm, near-linear shakes
  // per-step strengths, scaled by the sample count so the shape does not depend on it
  const jitter = (2.5 * anxiety) / Math.sqrt(n);
  const centripetal = (0.25 * anxiety) / n;
  const jerkProbability = (0.6 * anxiety) / n;
  const angle = rng.uniform(0, 2 * Math.PI);
  let vx = Math.cos(angle) * step;
  let vy = Math.sin(angle) * step;
  let x = 0;
  let y = 0;
  const points = new Float64Array(2 * n);
  for (let t = 0; t < n; t++) {
    points[2 * t] = x;
    points[2 * t + 1] = y;
    // pull toward the start, measured in path lengths, plus isotropic jitter (both relative to step)
    vx += step * (-centripetal * (x / step) + jitter * rng.normal());
    vy += step * (-centripetal * (y / step) + jitter * rng.normal());
    if (rng.next() < jerkProbability) {
      // a jerk: the velocity turns around by about 180° ± 0.5 rad
      const turn = Math.PI + rng.uniform(-0.5, 0.5);
      const c = Math.cos(turn);
      const s = Math.sin(turn);
      [vx, vy] = [vx * c - vy * s, vx * s + vy * c];
    }
    const speed = Math.hypot(vx, vy) || 1;
    vx = (vx / speed) * step;
    vy = (vy / speed) * step;
    x += vx;
    y += vy;
  }
  return points;
}

/**
 * Rasterise a trajectory into a kernel: every sample deposits equal weight (the camera spends equal
 * time per sample), split bilinearly over the four nearest cells. The kernel is centred on the
 * trajectory's centre of mass so the blurred image is not shifted on average.
 */
function rasteriseTrajectory(points: Float64Array): Kernel {
  const n = points.length / 2;
  let mx = 0;
  let my = 0;
  for (let t = 0; t < n; t++) {
    mx += points[2 * t]!;
    my += points[2 * t + 1]!;
  }
  mx /= n;
  my /= n;
  let extent = 0;
  for (let t = 0; t < n; t++) {
    extent = Math.max(extent, Math.abs(points[2 * t]! - mx), Math.abs(points[2 * t + 1]! - my));
  }
  const r = Math.ceil(extent) + 1;
  const size = 2 * r + 1;
  const weights = new Float32Array(size * size);
  for (let t = 0; t < n; t++) {
    const px = points[2 * t]! - mx + r;
    const py = points[2 * t + 1]! - my + r;
    const x0 = Math.floor(px);
    const y0 = Math.floor(py);
    const fx = px - x0;
    const fy = py - y0;
    weights[y0 * size + x0]! += (1 - fx) * (1 - fy);
    weights[y0 * size + x0 + 1]! += fx * (1 - fy);
    weights[(y0 + 1) * size + x0]! += (1 - fx) * fy;
    weights[(y0 + 1) * size + x0 + 1]! += fx * fy;
  }
  return { size, weights: normalise(weights) };
}

/** The motion kernel for a path length and a kernel seed (params stay small and replayable). */
export function motionKernel(length: number, kernelSeed: number): Kernel {
  return rasteriseTrajectory(shakeTrajectory(length, new Rng(kernelSeed)));
}
