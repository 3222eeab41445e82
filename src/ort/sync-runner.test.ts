import test from 'node:test';
import assert from 'node:assert/strict';
import { Worker } from 'node:worker_threads';
import { waitForFlag } from './sync-runner.js';

// A worker that first notifies without setting the flag (the late notify of an earlier answer),
// then sets it 150 ms later: the wait must return only then, and report the flag as set.
const STRAY_THEN_ANSWER = `
const { workerData } = require('node:worker_threads');
const flag = workerData.flag;
const sleep = (ms) => Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, ms);
sleep(50);
Atomics.notify(flag, 0);
sleep(150);
Atomics.store(flag, 0, 1);
Atomics.notify(flag, 0);
`;

test('waitForFlag: a notify without the flag set is not an answer', async () => {
  const flag = new Int32Array(new SharedArrayBuffer(4));
  const worker = new Worker(STRAY_THEN_ANSWER, { eval: true, workerData: { flag } });
  const online = new Promise((resolve) => worker.once('online', resolve));
  await online;
  const t0 = performance.now();
  assert.equal(waitForFlag(flag, 10_000), true);
  const waited = performance.now() - t0;
  assert.equal(Atomics.load(flag, 0), 1);
  assert.ok(waited >= 150, `returned after ${waited.toFixed(0)} ms, before the flag was set`);
  await worker.terminate();
});

test('waitForFlag: times out when nobody answers, and returns at once when the flag is already set', () => {
  const flag = new Int32Array(new SharedArrayBuffer(4));
  const t0 = performance.now();
  assert.equal(waitForFlag(flag, 60), false);
  assert.ok(performance.now() - t0 >= 55);
  Atomics.store(flag, 0, 1);
  assert.equal(waitForFlag(flag, 60_000), true);
});
