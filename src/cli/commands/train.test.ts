import test from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { initEngine } from '../../tfjs/backend.js';
import { createBackbone } from '../../model/backbone.js';
import { presetConfig } from '../../model/config.js';
import { createEstimator, estimatorConfig } from '../../model/estimator.js';
import { disposeParams } from '../../model/params.js';
import { loadEstimator, saveBackbone, saveEstimator, setEstimatorBlend } from '../../model/weights.js';
import { writeTestImages } from '../../train/test-images.js';
import { packageRoot } from '../../util/paths.js';

function abair(args: string[]) {
  const r = spawnSync(process.execPath, [path.join(packageRoot, 'bin', 'abair.js'), ...args], { encoding: 'utf8' });
  return { code: r.status, stderr: r.stderr };
}

/** The largest absolute difference between two estimators' values (same names). */
async function maxDifference(a: string, b: string): Promise<number> {
  const [x, y] = await Promise.all([loadEstimator(a), loadEstimator(b)]);
  let max = 0;
  for (const [name, t] of Object.entries(x.params)) {
    const u = t.dataSync(), v = y.params[name]!.dataSync();
    for (let i = 0; i < u.length; i++) max = Math.max(max, Math.abs(u[i]! - v[i]!));
  }
  disposeParams(x.params);
  disposeParams(y.params);
  return max;
}

test('train estimator --from starts from the given estimator, and a resume from another file or other widths are refused', async () => {
  const root = await mkdtemp(path.join(tmpdir(), 'abair-est-from-'));
  try {
    await initEngine({ backend: 'wasm' });
    const images = await writeTestImages(path.join(root, 'images'), 6);
    const config = estimatorConfig(['noise', 'haze'], { inputSize: 32, widths: [4, 4] });
    // Two starting estimators, initialised from seeds the run itself never uses.
    const starts = [path.join(root, 'start-a'), path.join(root, 'start-b')];
    for (const [i, dir] of starts.entries()) {
      const params = createEstimator(config, `test-start-${i}`);
      await saveEstimator(dir, config, params);
      disposeParams(params);
    }
    // One step at a negligible learning rate: the result is the starting point, to AdamW's lr-sized step.
    const run = (out: string, into: string, extra: string[]) => abair(['train', 'estimator', '--model', starts[0]!, '--images', images,
      '--steps', '1', '--batch', '2', '--patch', '32', '--lr', '1e-9', '--warmup', '1', '--threads', '1', '--val-every', '1', '--val-count', '2',
      '--progress', 'silent', '--out', path.join(root, out), '--into', path.join(root, into), ...extra]);

    let r = run('run-from', 'from', ['--from', starts[0]!]);
    assert.equal(r.code, 0, r.stderr);
    assert.ok(await maxDifference(starts[0]!, path.join(root, 'from')) < 1e-6, 'the run started from --from');

    r = run('run-scratch', 'scratch', ['--classes', 'noise,haze', '--widths', '4,4']);
    assert.equal(r.code, 0, r.stderr);
    assert.ok(await maxDifference(starts[0]!, path.join(root, 'scratch')) > 1e-3, 'without --from the run starts elsewhere (so the check above can fail)');

    // The SW exponent is no part of the run: set on the starting estimator, the run still resumes,
    // and the result keeps it (the blend setting travels with a fine-tuned estimator).
    await setEstimatorBlend(starts[0]!, { swExponent: 2, keepClean: true });
    r = run('run-from', 'from', ['--from', starts[0]!, '--resume', '--reschedule', '--steps', '2']);
    assert.equal(r.code, 0, r.stderr);
    const resumed = await loadEstimator(path.join(root, 'from'));
    assert.equal(resumed.config.swExponent, 2);
    assert.equal(resumed.config.keepClean, true);
    disposeParams(resumed.params);

    // --clean-fraction: recorded in the provenance and the run identity when not the default
    r = run('run-clean', 'clean', ['--from', starts[0]!, '--clean-fraction', '0.5']);
    assert.equal(r.code, 0, r.stderr);
    const sidecar = JSON.parse(await readFile(path.join(root, 'clean', 'estimator.json'), 'utf8')) as { provenance: Record<string, unknown> };
    assert.equal(sidecar.provenance['cleanFraction'], 0.5);
    assert.equal(JSON.parse(await readFile(path.join(root, 'from', 'estimator.json'), 'utf8')).provenance['cleanFraction'], undefined, 'the default is not recorded');
    r = run('run-clean', 'clean', ['--from', starts[0]!, '--clean-fraction', '0.3', '--resume', '--reschedule', '--steps', '2']);
    assert.notEqual(r.code, 0);
    assert.match(r.stderr, /cleanFraction/);
    assert.doesNotMatch(r.stderr, /\n\s+at /);
    r = run('run-clean-bad', 'clean-bad', ['--from', starts[0]!, '--clean-fraction', '0.8', '--mixed-fraction', '0.5']);
    assert.notEqual(r.code, 0);
    assert.match(r.stderr, /must be ≥ 0 and sum to ≤ 1/);
    assert.doesNotMatch(r.stderr, /\n\s+at /);

    // Continuing the --from run from another starting file is another run: refused, no stack trace.
    r = run('run-from', 'from', ['--from', starts[1]!, '--resume', '--reschedule', '--steps', '3']);
    assert.notEqual(r.code, 0);
    assert.match(r.stderr, /warmStartDigest/);
    assert.doesNotMatch(r.stderr, /\n\s+at /);

    // The widths come from the starting estimator; asking for others as well is refused before any training.
    r = run('run-widths', 'widths', ['--from', starts[0]!, '--widths', '8,8']);
    assert.notEqual(r.code, 0);
    assert.match(r.stderr, /widths cannot be given/);
    assert.doesNotMatch(r.stderr, /\n\s+at /);

    r = run('run-labels', 'labels', ['--from', starts[0]!, '--mixed-labels', 'soft']);
    assert.notEqual(r.code, 0);
    assert.match(r.stderr, /multi-hot, dominant/);
    assert.doesNotMatch(r.stderr, /\n\s+at /);

    r = run('run-missing', 'missing', ['--from', path.join(root, 'nowhere')]);
    assert.notEqual(r.code, 0);
    assert.match(r.stderr, /nowhere/);
    assert.doesNotMatch(r.stderr, /\n\s+at /);
  } finally {
    await rm(root, { recursive: true, force: true });
  }
});

test('train adapter --context and --clean-fraction: recorded in the adapter and the run identity; refused with --pairs, --context below 1', async () => {
  const root = await mkdtemp(path.join(tmpdir(), 'abair-adapter-context-'));
  try {
    await initEngine({ backend: 'wasm' });
    const images = await writeTestImages(path.join(root, 'images'), 6);
    const config = presetConfig('tiny');
    const base = createBackbone(config, 'adapter-context');
    await saveBackbone(root, config, base);
    disposeParams(base);
    const common = ['train', 'adapter', '--name', 'haze', '--backbone', root, '--steps', '1', '--batch', '2', '--patch', '16', '--threads', '1',
      '--val-every', '1', '--val-count', '2', '--progress', 'silent', '--out', path.join(root, 'run')];
    const run = (extra: string[]) => abair([...common, '--synthetic', 'haze', '--images', images, ...extra]);

    let r = run(['--context', '2', '--clean-fraction', '0.25']);
    assert.equal(r.code, 0, r.stderr);
    const sidecar = JSON.parse(await readFile(path.join(root, 'run', 'lora-haze.json'), 'utf8')) as { provenance: Record<string, unknown> };
    assert.equal(sidecar.provenance['context'], 2);
    assert.equal(sidecar.provenance['cleanFraction'], 0.25);

    // Resuming that run with another window is another run: refused, no stack trace.
    r = run(['--context', '1', '--clean-fraction', '0.25', '--resume', '--reschedule', '--steps', '2']);
    assert.notEqual(r.code, 0);
    assert.match(r.stderr, /context/);
    assert.doesNotMatch(r.stderr, /\n\s+at /);

    for (const [args, message] of [
      [[...common, '--synthetic', 'haze', '--images', images, '--context', '0'], /--context must be an integer >= 1/],
      [[...common, '--pairs', images, images, '--context', '2'], /--context applies to --synthetic degradations only/],
      [[...common, '--pairs', images, images, '--clean-fraction', '0.2'], /--clean-fraction applies to synthesised degradations only/],
    ] as const) {
      r = abair([...args]);
      assert.notEqual(r.code, 0);
      assert.match(r.stderr, message);
      assert.doesNotMatch(r.stderr, /\n\s+at /);
    }
  } finally {
    await rm(root, { recursive: true, force: true });
  }
});

test('--workers (the earlier engine\'s replicas) is refused with what replaced it, by train and add-degradation', () => {
  for (const args of [['train', 'pretrain', '--workers', '2', '--steps', '1'], ['add-degradation', 'jpeg', '--model', 'nowhere', '--synthetic', 'jpeg', '--workers', '1']]) {
    const r = abair(args);
    assert.equal(r.code, 2, r.stderr);
    assert.match(r.stderr, /--workers is gone: training runs in one process on ONNX Runtime; give --threads <n> instead/);
    assert.doesNotMatch(r.stderr, /\n\s+at /);
  }
  const help = spawnSync(process.execPath, [path.join(packageRoot, 'bin', 'abair.js'), 'train', 'adapter', '--help'], { encoding: 'utf8' });
  assert.match(help.stdout, /--threads <n>/);
  assert.doesNotMatch(help.stdout, /--workers/);
});
