/**
 * Benchmark of the synthetic degradations: milliseconds per 128×128 patch (sample + apply), median
 * over many runs, per type, per variant of the multi-variant types, and for CutMix.
 * Run: `npm run build && node dist/bench/degrade.js [--size 128] [--seconds 1.5]`.
 */
import os from 'node:os';
import { performance } from 'node:perf_hooks';
import { degradationCutMix, DEFAULT_CLASSES } from '../degrade/cutmix.js';
import { applyDegradation, DEGRADATION_NAMES } from '../degrade/registry.js';
import { texturedImage } from '../degrade/synthetic-images.js';
import { blurParamsFor, BLUR_KINDS, blur } from '../degrade/types/blur.js';
import { noise, noiseParams, NOISE_KINDS } from '../degrade/types/noise.js';
import type { RGBImage } from '../image/types.js';
import { Rng } from '../util/rng.js';

function argValue(name: string, fallback: number): number {
  const i = process.argv.indexOf(name);
  if (i < 0) return fallback;
  const v = Number(process.argv[i + 1]);
  if (!Number.isFinite(v) || v <= 0) throw new Error(`${name} needs a positive number`);
  return v;
}

interface Timing {
  median: number;
  p90: number;
  runs: number;
}

/** Time `fn` (each call one patch) for about `seconds` after a short warm-up; at least 15 runs. */
async function time(fn: (rng: Rng) => unknown, seconds: number): Promise<Timing> {
  const rng = new Rng(12345);
  for (let i = 0; i < 3; i++) await fn(rng);
  const samples: number[] = [];
  const start = performance.now();
  while (samples.length < 15 || (performance.now() - start < seconds * 1000 && samples.length < 2000)) {
    const t0 = performance.now();
    await fn(rng);
    samples.push(performance.now() - t0);
  }
  samples.sort((a, b) => a - b);
  return {
    median: samples[Math.floor(samples.length / 2)]!,
    p90: samples[Math.floor(samples.length * 0.9)]!,
    runs: samples.length,
  };
}

async function main(): Promise<void> {
  const size = argValue('--size', 128);
  const seconds = argValue('--seconds', 1.5);
  const patch: RGBImage = texturedImage(size, size, 1);
  const rows: [string, string, Timing | string][] = [];

  for (const name of DEGRADATION_NAMES) {
    try {
      rows.push([name, 'training mix', await time((rng) => applyDegradation(patch, name, rng), seconds)]);
    } catch (err) {
      rows.push([name, 'training mix', err instanceof Error ? err.message : String(err)]);
    }
  }
  for (const kind of BLUR_KINDS) {
    rows.push(['blur', `${kind}, severity 1`, await time((rng) => blur.apply(patch, blurParamsFor(kind, 1, rng), rng), seconds)]);
  }
  for (const kind of NOISE_KINDS) {
    rows.push(['noise', `${kind}, σ 50`, await time((rng) => noise.apply(patch, noiseParams(kind, 50), rng), seconds)]);
  }
  for (const [label, classes] of [
    ['default 5 classes', DEFAULT_CLASSES],
    ['all 8 types', DEGRADATION_NAMES],
  ] as const) {
    try {
      rows.push(['CutMix', label, await time((rng) => degradationCutMix(patch, rng, { classes }), seconds)]);
    } catch (err) {
      rows.push(['CutMix', label, err instanceof Error ? err.message : String(err)]);
    }
  }

  const cpu = os.cpus()[0]?.model ?? 'unknown CPU';
  console.log(`Degradation speed, ${size}×${size} patch, ms per patch (sample + apply), single thread of JS`);
  console.log(`machine: ${os.hostname()}, ${cpu}, ${os.cpus().length} cores, load ${os.loadavg()[0]!.toFixed(1)}; node ${process.version}`);
  console.log('');
  console.log('| type | variant | median ms | p90 ms | runs |');
  console.log('|---|---|---:|---:|---:|');
  for (const [name, variant, t] of rows) {
    if (typeof t === 'string') console.log(`| ${name} | ${variant} | – | – | ${t} |`);
    else console.log(`| ${name} | ${variant} | ${t.median.toFixed(2)} | ${t.p90.toFixed(2)} | ${t.runs} |`);
  }
}

main().catch((err) => {
  console.error(err);
  process.exitCode = 1;
});
