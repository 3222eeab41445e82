import test from 'node:test';
import assert from 'node:assert/strict';
import { checkCleanGate, cropStatistics, gateFeatureCount, gateFeatures, gateOutputs, gateShare, namerKeep, namerProbability, vetoLeft, type CleanGate } from './clean-gate.js';
import { lumaContrast, speckFraction } from '../image/crop-texture.js';
import { darkChannelLevel, darkChannelQuantiles } from '../image/dark-channel.js';

const logit = (p: number) => Math.log(p / (1 - p));

test('gateFeatures: mean-probability logits, dark level ×10, log Π(1 − p̄), per-crop min and max logits, then the optional statistics', () => {
  // two crops, two classes, stride 3 (the estimator's own p(clean) last, which the gate does not read)
  const rows = [0.2, 0.9, 0.5, /* crop 2 */ 0.4, 0.7, 0.5];
  const stats = { dark: 0.05, dark01: 0.03, specks: 0.002, contrast: 0.2 };
  const f = gateFeatures(rows, 2, 3, 2, stats);
  assert.equal(f.length, gateFeatureCount(2));
  const close = (a: number, b: number) => assert.ok(Math.abs(a - b) < 1e-9, `${a} vs ${b}`);
  close(f[0]!, logit(0.3));
  close(f[1]!, logit(0.8));
  close(f[2]!, 0.5);
  close(f[3]!, Math.log(0.7 * 0.2));
  close(f[4]!, logit(0.2));
  close(f[5]!, logit(0.7));
  close(f[6]!, logit(0.4));
  close(f[7]!, logit(0.9));
  const withOptional = gateFeatures(rows, 2, 3, 2, stats, ['dark01']);
  assert.equal(withOptional.length, gateFeatureCount(2, 1));
  assert.deepEqual(Array.from(withOptional.subarray(0, f.length)), Array.from(f));
  close(withOptional[f.length]!, 0.3);
  // in the order the gate lists them, each ×10
  const both = gateFeatures(rows, 2, 3, 2, stats, ['contrast', 'specks']);
  assert.deepEqual([both.length, both[f.length], both[f.length + 1]], [gateFeatureCount(2, 2), 2, 0.02]);
  // saturated sigmoids keep finite logits
  assert.ok(gateFeatures([0, 1], 1, 2, 2, { dark: 0, dark01: 0, specks: 0, contrast: 0 }).every(Number.isFinite));
  assert.throws(() => gateFeatures([0.1, 0.2, 0.3], 2, 2, 2, stats), /not 2 rows of 2/);
});

test('gateShare: the MLP by hand, and a gate that does not fit the estimator is refused', () => {
  const gate: CleanGate = { classes: ['a'], statistics: [], hazeVeto: null, hidden: 2, mean: [1, 0, 0, 0, 0], scale: [2, 1, 1, 1, 1], w1: [1, -1, 0, 0, 0, 0, 0, 0, 0, 0], b1: [0.5, 0], w2: [2, 1], b2: -1 };
  const x = [3, 7, 7, 7, 7];
  // standardised first feature (3 − 1)/2 = 1: hidden tanh(1.5), tanh(−1); z = −1 + 2·tanh(1.5) + tanh(−1)
  const z = -1 + 2 * Math.tanh(1.5) + Math.tanh(-1);
  assert.ok(Math.abs(gateShare(gate, x) - 1 / (1 + Math.exp(-z))) < 1e-12);
  assert.throws(() => gateShare(gate, [1, 2]), /2 features, the gate reads 5/);

  assert.deepEqual(checkCleanGate(JSON.parse(JSON.stringify(gate)), ['a']), gate);
  assert.throws(() => checkCleanGate(gate, ['a', 'b']), /reads classes \[a\], the estimator has \[a, b\]/);
  assert.throws(() => checkCleanGate({ ...gate, w1: [1, 2] }, ['a']), /w1 must be 10 finite numbers/);
  assert.throws(() => checkCleanGate({ ...gate, scale: [0, 1, 1, 1, 1] }, ['a']), /scale must be above 0/);
  assert.throws(() => checkCleanGate({ ...gate, b2: null }, ['a']), /b2 must be a finite number/);
  assert.throws(() => checkCleanGate('gate', ['a']), /not an object/);
  // a file from before the optional statistics reads none; one that reads a statistic has a feature more
  const { statistics: _none, ...older } = gate;
  assert.deepEqual(checkCleanGate(older, ['a']), gate);
  assert.throws(() => checkCleanGate({ ...gate, statistics: ['dark01'] }, ['a']), /mean must be 6 finite numbers/);
  assert.throws(() => checkCleanGate({ ...gate, statistics: ['dark99'] }, ['a']), /statistics must be distinct names among dark01/);
  assert.deepEqual(checkCleanGate({ ...gate, hazeVeto: { from: 0.1, to: 0.15 } }, ['a']).hazeVeto, { from: 0.1, to: 0.15 });
  assert.throws(() => checkCleanGate({ ...gate, hazeVeto: { from: 0.2, to: 0.1 } }, ['a']), /hazeVeto must be null or \{from, to\}/);
  assert.throws(() => checkCleanGate({ ...gate, hazeVeto: [0.1, 0.2] }, ['a']), /hazeVeto must be null/);
  assert.deepEqual(checkCleanGate({ ...gate, hazeVeto: { from: 0.1, to: 0.15, level: 'dark01' } }, ['a']).hazeVeto, { from: 0.1, to: 0.15, level: 'dark01' });
  assert.deepEqual(checkCleanGate({ ...gate, hazeVeto: { from: 0.1, to: 0.15, level: 'dark' } }, ['a']).hazeVeto, { from: 0.1, to: 0.15 }, 'the default level is not written out');
  assert.throws(() => checkCleanGate({ ...gate, hazeVeto: { from: 0.1, to: 0.15, level: 'dark02' } }, ['a']), /hazeVeto\.level must be one of dark, dark01/);
  // a namer is optional; one that does not fit the features is refused naming the part
  const namer = { hidden: 1, w1: [1, 0, 0, 0, 0], b1: [0], w2: [2], b2: -1 };
  assert.deepEqual(checkCleanGate({ ...gate, namer }, ['a']), { ...gate, namer });
  assert.deepEqual(checkCleanGate({ ...gate, namer: null }, ['a']), gate);
  assert.throws(() => checkCleanGate({ ...gate, namer: { ...namer, w1: [1] } }, ['a']), /namer\.w1 must be 5 finite numbers/);
  assert.throws(() => checkCleanGate({ ...gate, namer: 'yes' }, ['a']), /namer must be an object or null/);
  // by hand: standardised first feature 1, z = −1 + 2·tanh(1)
  assert.ok(Math.abs(namerProbability(namer, gate, x) - 1 / (1 + Math.exp(1 - 2 * Math.tanh(1)))) < 1e-12);
});

test('gateOutputs: the MLP on the features, times what the haze veto leaves', () => {
  const gate: CleanGate = { classes: ['a'], statistics: ['dark01'], hazeVeto: null, hidden: 1, mean: [0, 0, 0, 0, 0, 0], scale: [1, 1, 1, 1, 1, 1], w1: [0.5, -1, 0, 0.2, 0.1, 2], b1: [0.1], w2: [1.5], b2: -0.2 };
  const rows = [0.3, 0.6];
  const stats = { dark: 0.12, dark01: 0.05, specks: 0.01, contrast: 0.15 };
  const plain = gateShare(gate, gateFeatures(rows, 2, 1, 1, stats, ['dark01']));
  assert.equal(gateOutputs(gate, rows, 2, 1, stats).keep, plain);
  // dark 0.12 in a veto from 0.1 to 0.15: 40 % vetoed
  const vetoed = gateOutputs({ ...gate, hazeVeto: { from: 0.1, to: 0.15 } }, rows, 2, 1, stats).keep;
  assert.ok(Math.abs(vetoed - plain * 0.6) < 1e-12, `${vetoed} vs ${plain * 0.6}`);
  assert.equal(gateOutputs({ ...gate, hazeVeto: { from: 0.02, to: 0.1 } }, rows, 2, 1, stats).keep, 0);
  // a veto on the 1st percentile reads dark01 (0.05 from 0.04 to 0.09: 20 % vetoed); 'dark' is the default
  const onDark01 = gateOutputs({ ...gate, hazeVeto: { from: 0.04, to: 0.09, level: 'dark01' } }, rows, 2, 1, stats).keep;
  assert.ok(Math.abs(onDark01 - plain * 0.8) < 1e-12, `${onDark01} vs ${plain * 0.8}`);
  assert.equal(gateOutputs({ ...gate, hazeVeto: { from: 0.1, to: 0.15, level: 'dark' } }, rows, 2, 1, stats).keep, vetoed);
  assert.equal(vetoLeft(null, stats), 1);
  assert.ok(Math.abs(vetoLeft({ from: 0.04, to: 0.09, level: 'dark01' }, stats) - 0.8) < 1e-12);
  // without a namer p(clean) is the keep share; with one, its own head
  assert.deepEqual(gateOutputs(gate, rows, 2, 1, stats), { keep: plain, clean: plain });
  const namer = { hidden: 1, w1: [0, 0, 0, 0, 0, 0], b1: [0], w2: [0], b2: 2 };
  const both = gateOutputs({ ...gate, hazeVeto: { from: 0.1, to: 0.15 }, namer }, rows, 2, 1, stats);
  assert.ok(Math.abs(both.keep - plain * 0.6) < 1e-12);
  assert.ok(Math.abs(both.clean - 0.6 / (1 + Math.exp(-2))) < 1e-12, 'the haze veto scales p(clean) too');
  // a namerKeep raises the share to its ramp of p(clean) where that is larger, never lowers it
  const sure = { ...gate, namer: { ...namer, b2: 6 } };
  const pSure = 1 / (1 + Math.exp(-6));
  const raised = gateOutputs({ ...sure, namerKeep: { from: 0.9, to: 0.99 } }, rows, 2, 1, stats);
  assert.ok(plain < 0.9, `the share here is low (${plain})`);
  assert.ok(Math.abs(raised.keep - Math.min(1, (pSure - 0.9) / 0.09)) < 1e-12, `${raised.keep}`);
  assert.equal(raised.clean, pSure);
  assert.equal(gateOutputs({ ...sure, namerKeep: { from: 0.999, to: 0.9999 } }, rows, 2, 1, stats).keep, plain);
});

test('namerKeep: 0 up to from, 1 from to, linear between; a gate carries one only with a namer', () => {
  assert.equal(namerKeep(0.8, 0.9, 0.99), 0);
  assert.ok(Math.abs(namerKeep(0.945, 0.9, 0.99) - 0.5) < 1e-12);
  assert.equal(namerKeep(0.995, 0.9, 0.99), 1);
  assert.throws(() => namerKeep(0.5, 0.9, 0.9), /must be above/);
  const gate = { classes: ['a'], statistics: [], hazeVeto: null, hidden: 1, mean: [0, 0, 0, 0, 0], scale: [1, 1, 1, 1, 1], w1: [1, 0, 0, 0, 0], b1: [0], w2: [1], b2: 0 };
  const namer = { hidden: 1, w1: [1, 0, 0, 0, 0], b1: [0], w2: [2], b2: -1 };
  assert.deepEqual(checkCleanGate({ ...gate, namer, namerKeep: { from: 0.9, to: 0.99 } }, ['a']).namerKeep, { from: 0.9, to: 0.99 });
  assert.equal(checkCleanGate({ ...gate, namer, namerKeep: null }, ['a']).namerKeep, undefined);
  assert.throws(() => checkCleanGate({ ...gate, namerKeep: { from: 0.9, to: 0.99 } }, ['a']), /namerKeep needs a namer/);
  assert.throws(() => checkCleanGate({ ...gate, namer, namerKeep: { from: 0.99, to: 0.9 } }, ['a']), /namerKeep must be null or \{from, to\}/);
});

test('cropStatistics: the dark channel at its 10th and 1st percentiles, the bright specks, the contrast', () => {
  const size = 16;
  const crops = Float32Array.from({ length: 2 * size * size * 3 }, (_, i) => 0.2 + 0.6 * (((i * 7919) % 1000) / 1000));
  const stats = cropStatistics(crops, 2, size);
  assert.equal(stats.dark, darkChannelLevel(crops, 2, size));
  assert.deepEqual([stats.dark, stats.dark01], darkChannelQuantiles(crops, 2, size, [0.1, 0.01]));
  assert.ok(stats.dark01 <= stats.dark);
  assert.deepEqual([stats.specks, stats.contrast], [speckFraction(crops, 2, size), lumaContrast(crops, 2, size)]);
});
