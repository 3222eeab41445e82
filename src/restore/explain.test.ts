import test from 'node:test';
import assert from 'node:assert/strict';
import { initEngine, tf } from '../tfjs/backend.js';
import { createImage } from '../image/types.js';
import { buildExplainSheet } from './explain.js';
import { CLEAN_COLOUR, classColour, uniformMapColour } from './palette.js';
import { mapPalette } from './palette.js';
import { logitsToColours } from './tile-ops.js';

await initEngine({ backend: 'wasm' });

test('segmentation colours: softmax of the logits mixes the palette', () => {
  // pixel 0: clean dominates; pixel 1: class 1 dominates; pixel 2: equal logits over clean + 2 classes
  const logits = { width: 3, height: 1, channels: 3, data: Float32Array.of(20, 0, 0, 0, 0, 20, 1, 1, 1) };
  const colours = logitsToColours(logits.data, 3, mapPalette(2));
  const expectMix = (pixel: number, colour: readonly number[]) =>
    colour.forEach((v, c) => assert.ok(Math.abs(colours[pixel * 3 + c]! - v) < 1e-4, `pixel ${pixel}`));
  expectMix(0, CLEAN_COLOUR);
  expectMix(1, classColour(1));
  expectMix(2, [0, 1, 2].map((c) => (CLEAN_COLOUR[c]! + classColour(0)[c]! + classColour(1)[c]!) / 3));
  assert.throws(() => logitsToColours(new Float32Array(12), 3, mapPalette(5)), /6 colours for 3 channels/);
});

test('uniform map colour and the sheet layout', async () => {
  assert.deepEqual(uniformMapColour([0, 0]), CLEAN_COLOUR);
  assert.deepEqual(uniformMapColour([0.5, 0]), classColour(0));
  const input = createImage(30, 10, 0.2);
  const sheet = await buildExplainSheet({ input, output: createImage(30, 10, 0.8), map: null, probabilities: [0.3, 0.9], classes: ['rain', 'haze'], maxPanelSide: 60 });
  // three 60×20 panels with 8 px gaps; title row 24; legend 3 rows of 20 + gaps
  assert.deepEqual([sheet.width, sheet.height], [3 * 60 + 4 * 8, 24 + 20 + 8 + 3 * 20 + 8]);
  const at = (x: number, y: number) => Array.from(sheet.data.subarray((y * sheet.width + x) * 3, (y * sheet.width + x) * 3 + 3));
  const close = (a: number[], b: readonly number[]) => a.every((v, i) => Math.abs(v - b[i]!) < 2 / 255);
  assert.ok(close(at(8 + 30, 24 + 10), [0.2, 0.2, 0.2])); // input panel centre
  assert.ok(close(at(8 + 68 + 30, 24 + 10), [0.8, 0.8, 0.8])); // output panel centre
  assert.ok(close(at(8 + 2 * 68 + 30, 24 + 10), uniformMapColour([0.3, 0.9]))); // uniform map
});
