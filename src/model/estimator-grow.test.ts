import { test } from 'node:test';
import assert from 'node:assert/strict';
import { initEngine } from '../tfjs/backend.js';
import { estimatorConfig } from './estimator.js';
import { estimatorWithClasses, withCleanOutput } from './estimator-grow.js';
import { createParams, disposeParams, hostValues } from './params.js';

const HEAD_WEIGHT = 'est.head.w';
const HEAD_BIAS = 'est.head.b';
import { estimatorSpecs } from './estimator.js';

test('a regrown head copies each output by class name and initialises new or replaced ones afresh', async () => {
  await initEngine({ backend: 'wasm' });
  const config = estimatorConfig(['rain', 'haze', 'noise'], { widths: [4, 6], swExponent: 2, keepClean: true });
  const store = createParams(estimatorSpecs(config), 3);
  const values = hostValues(store);
  values[HEAD_BIAS] = Float32Array.from([0.1, 0.2, 0.3]);
  const F = 6;
  const col = (w: Float32Array, K: number, k: number) => Array.from({ length: F }, (_, f) => w[f * K + k]!);
  const grown = estimatorWithClasses(config, values, ['noise', 'rain', 'vignette', 'haze'], { fresh: ['haze'] });
  assert.deepEqual(grown.config.classes, ['noise', 'rain', 'vignette', 'haze']);
  assert.equal(grown.config.swExponent, 2);
  assert.equal(grown.config.keepClean, true);
  assert.deepEqual(grown.kept, ['noise', 'rain']);
  assert.deepEqual(grown.added, ['vignette', 'haze']);
  const w = values[HEAD_WEIGHT]!;
  const w2 = grown.params[HEAD_WEIGHT]!;
  assert.deepEqual(col(w2, 4, 0), col(w, 3, 2));
  assert.deepEqual(col(w2, 4, 1), col(w, 3, 0));
  assert.notDeepEqual(col(w2, 4, 3), col(w, 3, 1));
  assert.deepEqual(Array.from(grown.params[HEAD_BIAS]!), [Math.fround(0.3), Math.fround(0.1), 0, 0]);
  for (const [name, v] of Object.entries(values)) if (name !== HEAD_WEIGHT && name !== HEAD_BIAS) assert.equal(grown.params[name], v, name);
  // a fresh output's column depends on its name only (the same however the class list is ordered)
  const appended = estimatorWithClasses(config, values, ['rain', 'haze', 'noise', 'snow']);
  const first = estimatorWithClasses(config, values, ['snow', 'rain', 'haze', 'noise']);
  assert.deepEqual(col(appended.params[HEAD_WEIGHT]!, 4, 3), col(first.params[HEAD_WEIGHT]!, 4, 0));
  disposeParams(store);
});

test('p(clean) travels with a regrown head: still last, its column and bias copied', async () => {
  await initEngine({ backend: 'wasm' });
  const base = estimatorConfig(['rain', 'haze'], { widths: [4, 6] });
  const store = createParams(estimatorSpecs(base), 5);
  const { config, params: values } = withCleanOutput(base, hostValues(store));
  const grown = estimatorWithClasses(config, values, ['rain', 'haze', 'vignette']);
  assert.equal(grown.config.clean, true);
  assert.equal(grown.config.keepClean, true);
  assert.deepEqual(grown.kept, ['rain', 'haze', 'clean']);
  const F = 6;
  const col = (w: Float32Array, K: number, k: number) => Array.from({ length: F }, (_, f) => w[f * K + k]!);
  assert.deepEqual(col(grown.params[HEAD_WEIGHT]!, 4, 3), col(values[HEAD_WEIGHT]!, 3, 2));
  assert.equal(grown.params[HEAD_BIAS]![3], values[HEAD_BIAS]![2]);
  disposeParams(store);
});
