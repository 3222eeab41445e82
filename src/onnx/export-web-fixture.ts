/**
 * A small random-weight model folder for the export-web and browser-restorer tests (Node only,
 * not part of the browser API): tiny preset, two adapters with non-zero B (one of them on a subset
 * of the layers, ranks/alphas that give scales ≠ 1), an estimator with biased outputs, and a
 * segmentation head whose classes are named like the estimator's, so the browser map and the
 * Node --explain map are over the same classes and can be compared.
 */
import { promises as fs } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { initEngine } from '../tfjs/backend.js';
import {
  createAdapter,
  createBackbone,
  createEstimator,
  disposeParams,
  estimatorConfig,
  loraTargets,
  presetConfig,
  saveAdapter,
  saveBackbone,
  saveEstimator,
  type BackboneConfig,
} from '../model/index.js';
import { randomize } from '../model/test-helpers.js';

const FIXTURE_CLASSES = ['b', 'a'] as const;

interface FixtureOptions {
  /** write estimator.safetensors (default true) */
  estimator?: boolean;
  /** segmentation head classes recorded in the backbone's provenance (default: FIXTURE_CLASSES, in their order) */
  segClasses?: string[];
}

/** Writes the fixture model into a new temp folder and returns its path (the caller removes it). */
export async function writeFixtureModel(options: FixtureOptions = {}): Promise<string> {
  await initEngine({ backend: 'wasm' });
  const segClasses = options.segClasses ?? [...FIXTURE_CLASSES];
  const config: BackboneConfig = { ...presetConfig('tiny'), segClasses: segClasses.length };
  const dir = await fs.mkdtemp(path.join(os.tmpdir(), 'abair-web-fixture-'));
  const base = createBackbone(config, 11);
  randomize(base, 'seg.b', 1, 3); // class biases apart, so the map is not near-uniform
  await saveBackbone(dir, config, base, { preset: 'tiny', provenance: { segClasses, steps: 123 } });
  const targets = loraTargets(config);
  for (const [i, name] of ['a', 'b'].entries()) {
    const adapter = createAdapter(name, targets, { rank: 2 + i, alpha: 4, targets: i === 1 ? targets.filter((_, k) => k % 2 === 0).map((t) => t.layer) : undefined });
    randomize(adapter.params, '.B', 0.3, 100 + i);
    await saveAdapter(dir, adapter, config, { steps: 10 + i });
    disposeParams(adapter.params);
  }
  if (options.estimator !== false) {
    const estConfig = estimatorConfig([...FIXTURE_CLASSES], { inputSize: 32, widths: [4, 8] });
    const est = createEstimator(estConfig, 5);
    randomize(est, '.b', 1.5, 9);
    await saveEstimator(dir, estConfig, est, { steps: 7 });
    disposeParams(est);
  }
  disposeParams(base);
  return dir;
}
