import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { HostBatch } from '../../train-ort/host-batch.js';
import { Rng } from '../../util/rng.js';
import { pretrainBatch } from './batches.js';
import { imageSourceFromImages } from './image-source.js';
import { Prefetcher } from './prefetcher.js';

const source = imageSourceFromImages([
  { width: 40, height: 40, data: Uint8Array.from({ length: 40 * 40 * 3 }, (_, i) => (i * 37) % 251) },
]);
const build = (step: number) => pretrainBatch(source, new Rng(`seed:pretrain:${step}`), { batch: 2, patch: 16 });
const bytes = (b: HostBatch) => Buffer.concat(Object.values(b).map((t) => Buffer.from(t.data.buffer, t.data.byteOffset, t.data.byteLength)));

test('Prefetcher returns exactly the batches a direct call gives, and builds ahead', async () => {
  const started: number[] = [];
  const p = new Prefetcher((step) => {
    started.push(step);
    return build(step);
  }, 2);
  for (let step = 0; step < 5; step++) {
    const got = await p.get(step);
    assert.ok(bytes(got).equals(bytes(await build(step))), `step ${step}`);
    assert.deepEqual(p.queued, [step + 1, step + 2]);
  }
  assert.deepEqual(started, [0, 1, 2, 3, 4, 5, 6], 'each step built once, two ahead');
  // a jump (resume) discards the stale queue and serves the right batch
  const resumed = await p.get(40);
  assert.ok(bytes(resumed).equals(bytes(await build(40))));
  assert.deepEqual(p.queued, [41, 42]);
  p.close();
  assert.throws(() => p.get(43), /closed/);
});

test('Prefetcher: a failing background build surfaces only when its step is asked for', async () => {
  const p = new Prefetcher(async (step) => {
    if (step === 1) throw new Error('boom at 1');
    return build(step);
  });
  await p.get(0); // starts step 1 in the background; its rejection must not be unhandled
  await new Promise((r) => setTimeout(r, 20));
  await assert.rejects(p.get(1), /boom at 1/);
  assert.ok(bytes(await p.get(2)).equals(bytes(await build(2))));
});
