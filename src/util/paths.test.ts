import assert from 'node:assert/strict';
import path from 'node:path';
import { test } from 'node:test';
import { recordedDataPath, sharedDataDir } from './paths.js';

test('recordedDataPath names folders inside the shared data relative to it, others as given', () => {
  const data = sharedDataDir();
  assert.equal(recordedDataPath(path.join(data, 'train', 'clean')), 'train/clean');
  assert.equal(recordedDataPath(path.join(data, 'train', 'clean') + path.sep), 'train/clean');
  assert.equal(recordedDataPath(data), data, 'the data folder itself has no shorter name');
  assert.equal(recordedDataPath('photos/'), 'photos/');
  const beside = path.join(path.dirname(data), 'elsewhere');
  assert.equal(recordedDataPath(beside), beside);
});
