/**
 * Every backward rule of the autodiff tape against finite differences on onnxruntime-node
 * (float32 graphs, central differences, ε = 1e-2, three random directions per parameter).
 * Tolerance: relative error ≤ 1e-2 (observed errors are mostly 1e-5 … 1e-3; float32 rounding of
 * the loss over ε dominates). A deliberately wrong gradient (×1.05) must fail the same check.
 */
import test from 'node:test';
import assert from 'node:assert/strict';
import { presetConfig } from '../model/config.js';
import { forwardBackboneWith } from '../model/backbone.js';
import { conv1x1With } from '../model/layers/conv.js';
import { mdtaWith } from '../model/layers/mdta.js';
import { transformerBlockWith } from '../model/layers/transformer-block.js';
import { estimatorLogitsWith, estimatorConfig, estimatorSpecs } from '../model/estimator.js';
import { modelSpecs } from '../model/backbone.js';
import { loraParamName } from '../model/lora.js';
import { initialValues } from '../model/params.js';
import { segHeadWith } from '../model/seg-head.js';
import { checkGradients, type GradCase } from './grad-check.js';
import { adapterDelta } from './lora-delta.js';
import { binaryCrossEntropy, restorationLoss, segmentationLoss } from './losses.js';
import type { V } from './tape.js';
import { nchwcBlockSize } from './nchwc.js';
import { loadOrt } from '../ort/runtime.js';

const TOLERANCE = 1e-2;

async function expectOk(name: string, c: GradCase): Promise<void> {
  const { errors } = await checkGradients(c);
  for (const [p, err] of Object.entries(errors)) assert.ok(err <= TOLERANCE, `${name}: d/d${p} relative error ${err.toExponential(2)} > ${TOLERANCE}`);
}

const ops: Record<string, GradCase> = {
  linear: { params: { x: [2, 3, 4, 5], w: [3, 4] }, build: (g, _ad, v) => g.linear(v.x!, v.w!) },
  matMul: { params: { a: [3, 5], w: [5, 2] }, build: (g, _ad, v) => g.matMul(v.a!, v.w!) },
  'conv3x3 stride 1 + bias': { params: { x: [2, 3, 6, 6], w: [3, 3, 3, 4], b: [4] }, build: (g, _ad, v) => g.conv3x3(v.x!, v.w!, 1, v.b!) },
  'conv3x3 stride 2 (even)': { params: { x: [2, 3, 8, 8], w: [3, 3, 3, 2] }, build: (g, _ad, v) => g.conv3x3(v.x!, v.w!, 2) },
  'conv3x3 stride 2 (odd)': { params: { x: [1, 2, 5, 7], w: [3, 3, 2, 3], b: [3] }, build: (g, _ad, v) => g.conv3x3(v.x!, v.w!, 2, v.b!) },
  depthwise3x3: { params: { x: [2, 3, 5, 6], w: [3, 3, 3, 1] }, build: (g, _ad, v) => g.depthwise3x3(v.x!, v.w!) },
  'depthwise3x3 of a weight slice': { params: { x: [1, 2, 4, 4], w: [3, 3, 6, 1] }, build: (g, _ad, v) => g.depthwise3x3(v.x!, g.sliceWeight(v.w!, [0, 0, 2, 0], [3, 3, 2, 1])) },
  layerNorm: { params: { x: [2, 4, 3, 3], g: [4], b: [4] }, build: (g, _ad, v) => g.layerNorm(v.x!, v.g!, v.b!) },
  gelu: { params: { x: [2, 3, 4, 4] }, build: (g, _ad, v) => g.gelu(v.x!) },
  'add (broadcast)': { params: { a: [2, 3, 4, 4], b: [1, 3, 1, 1] }, build: (g, _ad, v) => g.add(v.a!, v.b!) },
  'mul (same shape)': { params: { a: [2, 3, 2, 2], b: [2, 3, 2, 2] }, build: (g, _ad, v) => g.mul(v.a!, v.b!) },
  'mul (broadcast)': { params: { a: [2, 3, 2, 2], b: [3, 1, 1] }, build: (g, _ad, v) => g.mul(v.a!, v.b!) },
  concatChannels: { params: { a: [2, 2, 3, 3], b: [2, 3, 3, 3] }, build: (g, _ad, v) => g.concatChannels(v.a!, v.b!) },
  pixelShuffle: { params: { x: [1, 8, 3, 2] }, build: (g, _ad, v) => g.pixelShuffle(v.x!, 2) },
  pixelUnshuffle: { params: { x: [1, 2, 4, 6] }, build: (g, _ad, v) => g.pixelUnshuffle(v.x!, 2) },
  'resizeSquare (down)': { params: { x: [2, 3, 5, 7] }, build: (g, _ad, v) => g.resizeSquare(v.x!, 4) },
  'resizeSquare (up)': { params: { x: [1, 2, 3, 4] }, build: (g, _ad, v) => g.resizeSquare(v.x!, 7) },
  meanPixels: { params: { x: [2, 3, 4, 5] }, build: (g, _ad, v) => g.meanPixels(v.x!) },
  'splitHeads + mergeHeads': { params: { x: [2, 4, 2, 3] }, build: (g, _ad, v) => g.mergeHeads(g.mul(g.splitHeads(v.x!, 2), g.splitHeads(v.x!, 2)), v.x!, 2) },
  normalizeHeadPixels: { params: { x: [2, 2, 3, 10] }, build: (g, _ad, v) => g.normalizeHeadPixels(v.x!) },
  headScores: { params: { q: [1, 2, 3, 10], k: [1, 2, 3, 10] }, build: (g, _ad, v) => g.headScores(v.q!, v.k!) },
  scaleHeads: { params: { s: [2, 2, 3, 3], t: [2] }, build: (g, _ad, v) => g.scaleHeads(v.s!, v.t!, 2) },
  softmaxLast: { params: { x: [2, 2, 3, 4] }, build: (g, _ad, v) => g.softmaxLast(v.x!) },
  applyAttention: { params: { v: [1, 2, 3, 10], a: [1, 2, 3, 3] }, build: (g, _ad, v) => g.applyAttention(v.v!, v.a!) },
};

for (const [name, c] of Object.entries(ops)) test(`backward of ${name} matches finite differences`, () => expectOk(name, c));

test('MDTA as a whole (q|k|v slices, heads, temperature)', () => {
  const c = 4;
  return expectOk('mdta', {
    params: { x: [2, c, 3, 3], 'm.qkv.w': [c, 3 * c], 'm.qkv_dw.w': [3, 3, 3 * c, 1], 'm.proj.w': [c, c], 'm.temperature': [2] },
    build: (g, _ad, v) => mdtaWith(g, v, 'm', v.x!, 2),
  });
});

test('a transformer block (LayerNorm, MDTA, GDFN, residuals)', () => {
  const c = 4, hidden = 4;
  return expectOk('block', {
    params: {
      x: [1, c, 4, 4],
      'b.norm1.g': [c], 'b.norm1.b': [c], 'b.attn.temperature': [2], 'b.attn.qkv.w': [c, 3 * c], 'b.attn.qkv_dw.w': [3, 3, 3 * c, 1], 'b.attn.proj.w': [c, c],
      'b.norm2.g': [c], 'b.norm2.b': [c], 'b.ffn.in.w': [c, 2 * hidden], 'b.ffn.dw.w': [3, 3, 2 * hidden, 1], 'b.ffn.out.w': [hidden, c],
    },
    build: (g, _ad, v) => transformerBlockWith(g, v, 'b', v.x!, 2),
  });
});

test('the LoRA delta: A and B get gradients, the frozen base weight is a constant', async () => {
  const layer = 'l', name = 'rain';
  const a = loraParamName(name, layer, 'A'), b = loraParamName(name, layer, 'B');
  const report = await checkGradients({
    params: { [a]: [3, 2], [b]: [2, 6] },
    inputs: { x: [2, 3, 4, 4] },
    build: (g, ad, v) => {
      const base = ad.constant(Float32Array.from({ length: 18 }, (_, i) => Math.sin(i)), [3, 6], 'frozen');
      const delta = adapterDelta(g, { config: { name, rank: 2, alpha: 4, targets: [layer] }, params: v, scale: ad.scalar(2) });
      return conv1x1With(g, { [`${layer}.w`]: base }, layer, v.x!, delta);
    },
  });
  for (const [p, err] of Object.entries(report.errors)) assert.ok(err <= TOLERANCE, `lora d/d${p} ${err}`);
  // x is data and the base weight frozen: no input gradient (the 1×1 dx is a MatMul on w) for either.
  assert.equal(report.ops.filter((op) => op === 'FusedMatMul').length, 2, 'one weight gradient each for A and B, none for the frozen base');
});

test('frozen inputs get no gradient nodes (conv3x3 with data input: no ConvTranspose)', async () => {
  const report = await checkGradients({ params: { w: [3, 3, 2, 2] }, inputs: { x: [1, 2, 4, 4] }, build: (g, _ad, v) => g.conv3x3(v.x!, v.w!, 1) });
  assert.ok(report.errors['w']! <= TOLERANCE);
  assert.ok(!report.ops.includes('ConvTranspose'), `unexpected input gradient: ${report.ops.join(' ')}`);
});

test('the segmentation head (3×3 conv with bias)', () =>
  expectOk('seg', { params: { f: [1, 4, 4, 4], 'seg.w': [3, 3, 4, 3], 'seg.b': [3] }, build: (g, _ad, v) => segHeadWith(g, v, v.f!) }));

const lossCase = (kind: 'l1' | 'charbonnier'): GradCase => ({
  params: { r: [2, 3, 4, 4] },
  inputs: { t: [2, 3, 4, 4] },
  build: (_g, ad, v) => {
    const term = restorationLoss(ad, kind, v.r!, v.t!);
    return { loss: term.loss, seeds: [[v.r!, term.grad]] };
  },
  eps: 1e-3,
});
test('L1 loss gradient', () => expectOk('l1', lossCase('l1')));
test('Charbonnier loss gradient', () => expectOk('charbonnier', lossCase('charbonnier')));
test('segmentation cross-entropy gradient', () =>
  expectOk('seg ce', {
    params: { z: [2, 4, 3, 3] },
    build: (_g, ad, v) => {
      const oneHot = new Float32Array(2 * 4 * 9);
      for (let n = 0; n < 2; n++) for (let p = 0; p < 9; p++) oneHot[n * 36 + ((n + p) % 4) * 9 + p] = 1;
      const term = segmentationLoss(ad, v.z!, ad.constant(oneHot, [2, 4, 3, 3], 'onehot'));
      return { loss: term.loss, seeds: [[v.z!, term.grad]] };
    },
  }));
test('binary cross-entropy (estimator) gradient', () =>
  expectOk('bce', {
    params: { z: [3, 4] },
    build: (_g, ad, v) => {
      const term = binaryCrossEntropy(ad, v.z!, ad.constant(Float32Array.from({ length: 12 }, (_, i) => i % 3 === 0 ? 1 : 0), [3, 4], 'labels'));
      return { loss: term.loss, seeds: [[v.z!, term.grad]] };
    },
  }));

const shapesOf = (specs: { name: string; shape: number[] }[]) => Object.fromEntries(specs.map((s) => [s.name, s.shape]));

// Per parameter, deep weights move a float32 loss by less than its rounding, so the network as a
// whole is checked along joint directions here, and parameter by parameter against the tfjs
// engine's gradients in train-step.test.ts.
test('the whole tiny backbone + seg head (both outputs)', async () => {
  const config = presetConfig('tiny');
  const specs = modelSpecs(config);
  const specByName = new Map(specs.map((s) => [s.name, s]));
  const report = await checkGradients({
    params: shapesOf(specs),
    // 16² so the latent has 2×2 pixels: at 8² it has one, where MDTA's L2 normalisation over the
    // pixels is x/|x| = sign(x), and finite differences step across its jumps
    inputs: { image: [1, 3, 16, 16] },
    // the model's own initialisation (random-scale weights blow activations up to ~1e3, where
    // float32 finite differences are noise), nudged so norms, biases and temperatures are generic
    init: (name, _size, rng) => initialValues(specByName.get(name)!, rng.fork(name)).map((x) => x + rng.uniform(-0.05, 0.05)),
    build: (g, ad, v) => {
      // L = Σ r₁·restored + Σ r₂·seg logits (sums: a mean loss's derivative drowns in float32 rounding here)
      const out = forwardBackboneWith(g, v, config, v.image!, { segmentation: true });
      const probe = (x: V, k: number) => ad.constant(Float32Array.from({ length: sizeOfShape(x.shape) }, (_, i) => Math.sin(i * 0.7 + k)), [...x.shape], 'probe');
      const r1 = probe(out.restored, 0), r2 = probe(out.segLogits!, 1);
      const sum = (x: V, r: V) => ad.node('ReduceSum', [ad.mul(x, r)], { keepdims: 0 }, []);
      return { loss: ad.add(sum(out.restored, r1), sum(out.segLogits!, r2), []), seeds: [[out.restored, r1], [out.segLogits!, r2]] as [V, V][] };
    },
    eps: 1e-3,
    joint: true,
  }, 3, 4);
  assert.ok(report.errors['*']! <= TOLERANCE, `joint directional derivative off by ${report.errors['*']!.toExponential(2)}`);
});

test('the estimator (resize, high-pass concat, strided convs, pooling, head) with BCE', () => {
  const config = estimatorConfig(['rain', 'noise', 'haze'], { inputSize: 12, widths: [4, 6] });
  return expectOk('estimator', {
    params: shapesOf(estimatorSpecs(config)),
    inputs: { image: [2, 3, 10, 9] },
    build: (g, ad, v) => {
      const logits = estimatorLogitsWith(g, v, config, v.image!);
      const term = binaryCrossEntropy(ad, logits, ad.constant(Float32Array.of(1, 0, 0, 0, 1, 1), [2, 3], 'labels'));
      return { loss: term.loss, seeds: [[logits, term.grad]] };
    },
  });
});

// The NCHWc path of depthwise3x3 (conv-rules.ts depthwiseBlocked), where this build has the kernels.
test('depthwise3x3 on the NCHWc kernels: gradients, and the same values as the plain path', async (t) => {
  const block = await nchwcBlockSize(await loadOrt());
  if (!block) {
    t.skip('this ONNX Runtime build has no NCHWc kernels');
    return;
  }
  // N·C = 2·block planes, odd sizes; and a weight slice, as MDTA's qkv depthwise uses
  const plain: GradCase = { params: { x: [2, block, 5, 7], w: [3, 3, block, 1] }, build: (g, _ad, v) => g.depthwise3x3(v.x!, v.w!) };
  const sliced: GradCase = { params: { x: [1, block, 4, 6], w: [3, 3, 2 * block, 1] }, build: (g, _ad, v) => g.depthwise3x3(v.x!, g.sliceWeight(v.w!, [0, 0, block, 0], [3, 3, block, 1])) };
  // N·C a multiple of 4 but not of the block: planes and filters padded up to whole blocks
  const padded: GradCase = { params: { x: [1, block + 4, 5, 6], w: [3, 3, block + 4, 1] }, build: (g, _ad, v) => g.depthwise3x3(v.x!, v.w!) };
  for (const [name, c] of [['blocked', plain], ['blocked slice', sliced], ['blocked, padded to a block', padded]] as const) {
    const report = await checkGradients(c, 1, 3, block);
    assert.ok(report.ops.includes('ReorderInput'), `${name}: the NCHWc path was not taken`);
    for (const [p, err] of Object.entries(report.errors)) assert.ok(err <= TOLERANCE, `${name}: d/d${p} relative error ${err.toExponential(2)} > ${TOLERANCE}`);
  }
  // not a multiple of 4: the plain path
  const fallback = await checkGradients({ params: { x: [1, 3, 4, 4], w: [3, 3, 3, 1] }, build: (g, _ad, v) => g.depthwise3x3(v.x!, v.w!) }, 1, 1, block);
  assert.ok(!fallback.ops.includes('ReorderInput'));
  const wrong = await checkGradients({ ...plain, corruptGradient: 1.05 }, 1, 3, block);
  assert.ok(Object.values(wrong.errors).every((e) => e > TOLERANCE), `a 5% wrong gradient passed: ${JSON.stringify(wrong.errors)}`);
});

test('a wrong gradient fails the same check', async () => {
  const { errors } = await checkGradients({ ...ops['layerNorm']!, corruptGradient: 1.05 });
  assert.ok(Object.values(errors).every((e) => e > TOLERANCE), `a 5% wrong gradient passed: ${JSON.stringify(errors)}`);
});

function sizeOfShape(shape: readonly number[]): number {
  return shape.reduce((a, b) => a * b, 1);
}
