import test from 'node:test';
import assert from 'node:assert/strict';
import { gateShare, namerProbability } from '../model/clean-gate.js';
import { blendPsnr, fitCleanGate, fitCleanNamer, NAMER_CLEAN_DB, namerLabel, type GateSample } from './clean-gate-fit.js';

test('blendPsnr: A, B, C give the blend\'s error for any keep share', () => {
  const clean = [0.2, 0.5, 0.9, 0.4];
  const input = [0.3, 0.45, 0.7, 0.4];
  const restored = [0.22, 0.52, 0.85, 0.38];
  const mean = (f: (i: number) => number) => clean.reduce((s, _, i) => s + f(i), 0) / clean.length;
  const s = { a: mean((i) => (input[i]! - clean[i]!) ** 2), b: mean((i) => (restored[i]! - clean[i]!) ** 2), c: mean((i) => (input[i]! - clean[i]!) * (restored[i]! - clean[i]!)) };
  for (const g of [0, 0.3, 1]) {
    const mse = mean((i) => (g * input[i]! + (1 - g) * restored[i]! - clean[i]!) ** 2);
    assert.ok(Math.abs(blendPsnr(s, g, 200) - -10 * Math.log10(mse)) < 1e-6, `g ${g}`);
  }
  // the cap: a perfect blend scores the cap, not infinity
  assert.ok(Math.abs(blendPsnr({ a: 0, b: 0.01, c: 0 }, 1, 40) - 40) < 1e-9);
});

test('fitCleanGate: keeps what needs nothing, restores what SW fixes, and is deterministic', () => {
  const samples: GateSample[] = [];
  for (let i = 0; i < 40; i++) {
    const jitter = ((i * 37) % 11) / 50;
    // clean-looking: the input is the clean image and SW changed it
    samples.push({ features: [1 + jitter, -jitter], a: 0, b: 0.002, c: 0 });
    // degraded: SW brings the error down 20-fold
    samples.push({ features: [-1 - jitter, jitter], a: 0.02, b: 0.001, c: 0.0005 });
  }
  const o = { classes: [], hidden: 4, steps: 300, lr: 0.05, capDb: 45, seed: 3 };
  const fit = fitCleanGate(samples, o);
  assert.ok(fit.after > fit.before + 5, `${fit.before} → ${fit.after}`);
  assert.ok(gateShare(fit.gate, [1.1, -0.1]) > 0.9);
  assert.ok(gateShare(fit.gate, [-1.1, 0.1]) < 0.1);
  assert.deepEqual(fitCleanGate(samples, o).gate, fit.gate);
  assert.throws(() => fitCleanGate([], o), /no samples/);
});

test('fitCleanNamer: names clean what is clean or nearly so, even where the gate keeps a degraded image', () => {
  assert.equal(namerLabel({ a: 0, label: 'clean' }), 1);
  assert.equal(namerLabel({ a: 10 ** (-(NAMER_CLEAN_DB + 1) / 10), label: 'jpeg' }), 1, 'a degradation that left it above the threshold');
  assert.equal(namerLabel({ a: 10 ** (-(NAMER_CLEAN_DB - 1) / 10), label: 'jpeg' }), 0);
  const samples: GateSample[] = [];
  for (let i = 0; i < 40; i++) {
    const jitter = ((i * 37) % 11) / 50;
    samples.push({ features: [1 + jitter, -jitter], a: 0, b: 0.002, c: 0, label: 'clean' });
    // a blur SW cannot fix (B = A): keeping it is free, so the gate may keep it, but it is not clean
    samples.push({ features: [-1 - jitter, jitter], a: 0.004, b: 0.004, c: 0.004, label: 'blur' });
  }
  const gate = fitCleanGate(samples, { classes: [], hidden: 4, steps: 300, lr: 0.05, capDb: 45, seed: 3 }).gate;
  const o = { hidden: 4, steps: 300, lr: 0.05, seed: 3 };
  const { gate: named, accuracy } = fitCleanNamer(gate, samples, o);
  assert.equal(accuracy, 1);
  assert.deepEqual({ ...named, namer: undefined }, { ...gate, namer: undefined }, 'the keep share is untouched');
  assert.ok(namerProbability(named.namer!, named, [1.1, -0.1]) > 0.9);
  assert.ok(namerProbability(named.namer!, named, [-1.1, 0.1]) < 0.1);
  assert.deepEqual(fitCleanNamer(gate, samples, o).gate, named, 'deterministic');
  assert.throws(() => fitCleanNamer(gate, [], o), /no samples/);
});

/** Clean photos and hazy ones that look alike to the gate: keeping the clean ones gains ~18 dB, keeping the hazy ones loses ~13. */
function lookAlikes(): GateSample[] {
  const samples: GateSample[] = [];
  for (let i = 0; i < 20; i++) {
    const f = [((i * 7) % 5) / 10];
    samples.push({ features: f, a: 0, b: 0.002, c: 0, label: 'clean' });
    samples.push({ features: f, a: 0.02, b: 0.001, c: 0.0005, label: 'haze' });
  }
  return samples;
}

test('fitCleanGate: the clean samples\' weight decides what an ambiguous image gets', () => {
  // the same features for a clean photo and a degraded one: only the weights tell the fit which matters
  const samples = lookAlikes();
  const share = (cleanWeight: number) => gateShare(fitCleanGate(samples, { classes: [], hidden: 2, steps: 300, lr: 0.05, capDb: 45, seed: 1, cleanWeight }).gate, [0.2]);
  assert.ok(share(10) > 0.7, `clean weighted 10: ${share(10)}`);
  assert.ok(share(0.1) < 0.3, `clean weighted 0.1: ${share(0.1)}`);
});

test('fitCleanGate: with vetoInFit a sample the veto takes whole has no say, and one it leaves whole counts as before', () => {
  const samples: GateSample[] = [];
  for (let i = 0; i < 30; i++) {
    const jitter = ((i * 37) % 11) / 50;
    samples.push({ features: [1 + jitter, -jitter], a: 0, b: 0.002, c: 0, label: 'clean', left: 1 });
    samples.push({ features: [-1 - jitter, jitter], a: 0.02, b: 0.001, c: 0.0005, label: 'haze', left: 1 });
  }
  const o = { classes: [], hidden: 4, steps: 200, lr: 0.05, capDb: 45, seed: 3 };
  // nothing vetoed: the same fit whether or not it is told of the veto
  assert.deepEqual(fitCleanGate(samples, { ...o, vetoInFit: true }).gate, fitCleanGate(samples, o).gate);
  // a clean-looking degraded sample that the veto hands to SW: its errors no longer move the fit
  const vetoed = (b: number): GateSample[] => [...samples, { features: [1.05, -0.05], a: 0.02, b, c: 0.0005, label: 'haze', left: 0 }];
  const told = fitCleanGate(vetoed(0.001), { ...o, vetoInFit: true });
  assert.deepEqual(fitCleanGate(vetoed(0.0001), { ...o, vetoInFit: true }).gate, told.gate);
  assert.notDeepEqual(fitCleanGate(vetoed(0.001), o).gate, fitCleanGate(vetoed(0.0001), o).gate, 'untold, the fit reads it');
  // what it reports after is the share as shipped: the veto's part included
  const shipped = vetoed(0.001).reduce((acc, s) => acc + blendPsnr(s, s.left! * gateShare(told.gate, s.features), 45), 0) / vetoed(0.001).length;
  assert.ok(Math.abs(told.after - shipped) < 1e-9);
});

test('fitCleanGate: a harm weight makes a decibel lost against plain SW count more than one gained', () => {
  const samples = lookAlikes();
  const o = { classes: [], hidden: 2, steps: 300, lr: 0.05, capDb: 45, seed: 1 };
  const share = (harmWeight?: number) => gateShare(fitCleanGate(samples, { ...o, ...(harmWeight !== undefined ? { harmWeight } : {}) }).gate, [0.2]);
  assert.equal(share(1), share(), 'weight 1 is the plain fit');
  assert.ok(share(1) > 0.5, `alike: ${share(1)}`);
  assert.ok(share(3) < 0.3, `a lost decibel counted thrice: ${share(3)}`);
  // where keeping never costs anything, the weight changes nothing
  const harmless = samples.filter((s) => s.label === 'clean');
  assert.deepEqual(fitCleanGate(harmless, { ...o, harmWeight: 4 }).gate, fitCleanGate(harmless, o).gate);
  for (const bad of [0.5, Number.NaN, Number.POSITIVE_INFINITY]) assert.throws(() => fitCleanGate(samples, { ...o, harmWeight: bad }), /harmWeight must be a finite number ≥ 1/);
});
