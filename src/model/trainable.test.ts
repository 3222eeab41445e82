import test from 'node:test';
import assert from 'node:assert/strict';
import { initEngine, tf } from '../tfjs/backend.js';
import { createTrainable } from './trainable.js';
import { randomImages } from './test-helpers.js';

test('Phase I and Phase II replicas expose the right trainable parameters and a finite loss', async () => {
  await initEngine({ backend: 'wasm' });
  const input = randomImages(2, 16, 16, 3, 1);
  const target = randomImages(2, 16, 16, 3, 2);
  const seg = tf.tensor3d(Array.from({ length: 2 * 16 * 16 }, (_, i) => i % 6), [2, 16, 16], 'int32');

  const phase1 = await createTrainable({ phase: 'backbone', preset: 'tiny' });
  assert.ok('seg.w' in phase1.params && 'enc1.0.attn.qkv.w' in phase1.params);
  const l1 = tf.tidy(() => phase1.loss({ input, target, seg }).dataSync()[0]!);
  const l1NoSeg = tf.tidy(() => phase1.loss({ input, target }).dataSync()[0]!);
  assert.ok(Number.isFinite(l1) && l1 > l1NoSeg, `${l1} vs ${l1NoSeg}`);

  const phase2 = await createTrainable({ phase: 'adapter', preset: 'tiny', adapter: { name: 'rain' } });
  assert.ok(Object.keys(phase2.params).every((n) => n.startsWith('lora.rain.')));
  // B = 0 at the start: the adapter replica's loss equals the plain backbone's (same seed).
  const l2 = tf.tidy(() => phase2.loss({ input, target }).dataSync()[0]!);
  assert.equal(l2, l1NoSeg);
  const { grads } = tf.variableGrads(() => phase2.loss({ input, target }), Object.values(phase2.params));
  const bGrad = grads[phase2.params['lora.rain.enc1.0.attn.qkv.B']!.name]!;
  assert.ok(tf.tidy(() => tf.max(tf.abs(bGrad)).dataSync()[0]!) > 0);
  tf.dispose([input, target, seg, ...Object.values(grads)]);
  phase2.dispose();
  for (const v of Object.values(phase1.params)) v.dispose();
  for (const v of Object.values(phase2.params)) v.dispose();
});
