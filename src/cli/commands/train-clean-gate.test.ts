import test from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { initEngine } from '../../tfjs/backend.js';
import { createAdapter, createBackbone, createEstimator, estimatorConfig, loraTargets, presetConfig, saveAdapter, saveBackbone, saveEstimator } from '../../model/index.js';
import { disposeParams } from '../../model/params.js';
import { randomize } from '../../model/test-helpers.js';
import { writeTestImages } from '../../train/test-images.js';
import { packageRoot } from '../../util/paths.js';
import { CLEAN_GATE_DEFAULTS } from '../../train/defaults.js';

function abair(args: string[]) {
  const r = spawnSync(process.execPath, [path.join(packageRoot, 'bin', 'abair.js'), ...args], { encoding: 'utf8' });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

test('train clean-gate: fits clean-gate.json from the folder\'s own model, reuses a samples file, and a new estimator removes the stale gate', async () => {
  const root = await mkdtemp(path.join(tmpdir(), 'abair-clean-gate-'));
  try {
    await initEngine({ backend: 'wasm' });
    const images = await writeTestImages(path.join(root, 'images'), 4, 64);
    const model = path.join(root, 'model');
    const config = presetConfig('tiny');
    const base = createBackbone(config, 3);
    await saveBackbone(model, config, base, { preset: 'tiny' });
    disposeParams(base);
    for (const [i, name] of ['noise', 'haze'].entries()) {
      const adapter = createAdapter(name, loraTargets(config), { rank: 2, alpha: 2 });
      randomize(adapter.params, '.B', 0.1, 20 + i);
      await saveAdapter(model, adapter, config);
      disposeParams(adapter.params);
    }
    const estConfig = estimatorConfig(['noise', 'haze'], { inputSize: 32, widths: [4, 4] });
    const est = createEstimator(estConfig, 4);
    await saveEstimator(model, estConfig, est);
    disposeParams(est);

    const samples = path.join(root, 'samples.json');
    const fit = (extra: string[]) => abair(['train', 'clean-gate', '--model', model, '--images', images, '--crop', '48', '--clean-repeats', '1', '--steps', '30', '--threads', '1', '--samples', samples, ...extra]);
    let r = fit([]);
    assert.equal(r.code, 0, r.stderr);
    const gateFile = path.join(model, 'clean-gate.json');
    assert.equal(r.stdout.trim(), gateFile);
    const record = JSON.parse(await readFile(gateFile, 'utf8')) as { gate: { classes: string[] }; provenance: Record<string, unknown> };
    assert.deepEqual(record.gate.classes, ['noise', 'haze']);
    // every image: one clean sample and one per single degradation (no mixed pair of these two)
    const imagesUsed = record.provenance['imagesUsed'] as number;
    assert.ok(imagesUsed >= 1);
    assert.equal(record.provenance['samples'], imagesUsed * 3);
    assert.deepEqual(record.provenance['cases'], ['clean', 'noise', 'haze']);
    assert.match(r.stderr, /fit: mean blend PSNR \(capped at 50 dB\) [\d.]+ → [\d.]+ dB/);

    // the folder now reports p(clean) from the gate
    r = abair(['model', 'info', model]);
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /clean gate: clean-gate\.json/);

    // a refit with another cap, or reading a crop statistic, reads the samples; other sample settings are refused in one line
    r = fit(['--cap', '40']);
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stderr, new RegExp(`samples: ${imagesUsed * 3} from `));
    r = fit([]);
    assert.equal(r.code, 0, r.stderr);
    const withStat = JSON.parse(await readFile(gateFile, 'utf8')) as { gate: { statistics: string[]; mean: number[] }; provenance: Record<string, unknown> };
    assert.deepEqual(withStat.gate.statistics, ['dark01']);
    assert.equal(withStat.gate.mean.length, 3 * 2 + 2 + 1);
    assert.deepEqual(withStat.provenance['statistics'], ['dark01']);
    // the texture statistics read from the same samples
    r = fit(['--statistics', 'dark01,specks,contrast']);
    assert.equal(r.code, 0, r.stderr);
    const textured = JSON.parse(await readFile(gateFile, 'utf8')) as { gate: { statistics: string[]; mean: number[] } };
    assert.deepEqual([textured.gate.statistics, textured.gate.mean.length], [['dark01', 'specks', 'contrast'], 3 * 2 + 2 + 3]);
    r = fit([]);
    assert.equal(r.code, 0, r.stderr);
    r = abair(['model', 'info', model]);
    assert.equal(r.code, 0, r.stderr);
    assert.deepEqual(withStat.provenance['hazeVeto'], CLEAN_GATE_DEFAULTS.hazeVeto, 'the default veto');
    r = fit(['--statistics', 'none', '--haze-veto', 'none']);
    assert.equal(r.code, 0, r.stderr);
    const plain = JSON.parse(await readFile(gateFile, 'utf8')) as { gate: { statistics: string[]; hazeVeto: unknown; mean: number[] }; provenance: Record<string, unknown> };
    assert.deepEqual([plain.gate.statistics, plain.gate.hazeVeto, plain.gate.mean.length], [[], null, 3 * 2 + 2]);
    assert.equal(plain.provenance['vetoInFit'], false, 'no veto, so no default veto fit');
    // the namer: a second head, recorded; the keep share's head is the same as without it
    r = fit(['--namer', 'on']);
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stderr, /namer: [\d.]+ % of the samples labelled right/);
    const named = JSON.parse(await readFile(gateFile, 'utf8')) as { gate: { namer?: { hidden: number }; namerKeep?: unknown; w1: number[] }; provenance: Record<string, unknown> };
    assert.equal(named.gate.namer?.hidden, CLEAN_GATE_DEFAULTS.hidden);
    assert.deepEqual(named.gate.namerKeep ?? null, CLEAN_GATE_DEFAULTS.namerKeep, 'the default namer keep');
    const keepDefault = CLEAN_GATE_DEFAULTS.namerKeep;
    if (keepDefault) {
      r = abair(['model', 'info', model]);
      assert.equal(r.code, 0, r.stderr);
      assert.ok(r.stdout.includes(`a namer gives p(clean), which keeps the input from ${keepDefault.from} (all at ${keepDefault.to})`), r.stdout);
    }
    assert.equal((named.provenance['namer'] as { cleanDb: number }).cleanDb, 40);
    r = fit(['--namer', 'off']);
    assert.equal(r.code, 0, r.stderr);
    const unnamed = JSON.parse(await readFile(gateFile, 'utf8')) as { gate: { namer?: unknown; namerKeep?: unknown; w1: number[] } };
    assert.deepEqual([unnamed.gate.namer, unnamed.gate.namerKeep, unnamed.gate.w1], [undefined, undefined, named.gate.w1], 'no namer, so no default namer keep');
    // a namer keep is carried by the gate and recorded; it needs the namer, said in one line
    r = fit(['--namer', 'on', '--namer-keep', '0.9:0.99']);
    assert.equal(r.code, 0, r.stderr);
    const kept = JSON.parse(await readFile(gateFile, 'utf8')) as { gate: { namerKeep?: unknown; w1: number[] }; provenance: Record<string, unknown> };
    assert.deepEqual([kept.gate.namerKeep, kept.provenance['namerKeep'], kept.gate.w1], [{ from: 0.9, to: 0.99 }, { from: 0.9, to: 0.99 }, named.gate.w1]);
    r = fit(['--namer', 'off', '--namer-keep', '0.9:0.99']);
    assert.notEqual(r.code, 0);
    assert.match(r.stderr, /--namer-keep needs --namer on/);
    assert.equal(r.stderr.trim().split('\n').length, 1, r.stderr);
    // the fit may see the veto; recorded; it needs a veto, said in one line
    assert.equal(kept.provenance['vetoInFit'], CLEAN_GATE_DEFAULTS.vetoInFit, 'the default');
    r = fit(['--veto-fit', CLEAN_GATE_DEFAULTS.vetoInFit ? 'off' : 'on']);
    assert.equal(r.code, 0, r.stderr);
    const toldVeto = JSON.parse(await readFile(gateFile, 'utf8')) as { provenance: Record<string, unknown> };
    assert.equal(toldVeto.provenance['vetoInFit'], !CLEAN_GATE_DEFAULTS.vetoInFit);
    r = fit(['--veto-fit', 'on', '--haze-veto', 'none']);
    assert.notEqual(r.code, 0);
    assert.match(r.stderr, /--veto-fit on needs a --haze-veto/);
    assert.equal(r.stderr.trim().split('\n').length, 1, r.stderr);
    // a harm weight is recorded; one under 1 is refused in one line
    assert.equal(toldVeto.provenance['harmWeight'], CLEAN_GATE_DEFAULTS.harmWeight, 'the default');
    r = fit(['--harm-weight', '4']);
    assert.equal(r.code, 0, r.stderr);
    const harmed = JSON.parse(await readFile(gateFile, 'utf8')) as { provenance: Record<string, unknown> };
    assert.equal(harmed.provenance['harmWeight'], 4);
    r = fit(['--harm-weight', '0.5']);
    assert.notEqual(r.code, 0);
    assert.match(r.stderr, /--harm-weight must be a number ≥ 1/);
    // a veto on the 1st percentile is carried by the gate and said by model info; it needs a veto
    r = fit(['--haze-veto', '0.09:0.17', '--veto-level', 'dark01']);
    assert.equal(r.code, 0, r.stderr);
    const low = JSON.parse(await readFile(gateFile, 'utf8')) as { gate: { hazeVeto: unknown } };
    assert.deepEqual(low.gate.hazeVeto, { from: 0.09, to: 0.17, level: 'dark01' });
    r = abair(['model', 'info', model]);
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /haze veto 0\.09–0\.17 on the 1st percentile/);
    r = fit(['--haze-veto', 'none', '--veto-level', 'dark01']);
    assert.notEqual(r.code, 0);
    assert.match(r.stderr, /--veto-level needs a --haze-veto/);
    assert.equal(r.stderr.trim().split('\n').length, 1, r.stderr);
    r = fit(['--haze-veto', '0.2:0.1']);
    assert.notEqual(r.code, 0);
    assert.match(r.stderr, /'0\.2:0\.1' is not from:to with 0 ≤ from < to ≤ 1/);
    r = fit(['--statistics', 'dark02']);
    assert.notEqual(r.code, 0);
    // one line, then commander's pointer to --help
    assert.match(r.stderr, /^error: option '--statistics <names>' argument 'dark02' is invalid\. 'dark02' is not a crop statistic \(dark01, specks, contrast, or none\)\n\(run with --help for usage\)\n*$/);
    r = fit(['--crop', '32']);
    assert.notEqual(r.code, 0);
    assert.match(r.stderr, /samples\.json: made with other sample settings/);
    assert.equal(r.stderr.trim().split('\n').length, 1, r.stderr);

    // a context around the crop is a sample setting of its own; one smaller than the crop is refused
    r = fit(['--context', '64']);
    assert.notEqual(r.code, 0);
    assert.match(r.stderr, /samples\.json: made with other sample settings/);
    r = fit(['--context', '32']);
    assert.notEqual(r.code, 0);
    assert.match(r.stderr, /--context 32 is smaller than --crop 48/);
    assert.equal(r.stderr.trim().split('\n').length, 1, r.stderr);
    r = fit(['--context', '64', '--samples', path.join(root, 'samples-64.json')]);
    assert.equal(r.code, 0, r.stderr);
    const withContext = JSON.parse(await readFile(gateFile, 'utf8')) as { provenance: Record<string, unknown> };
    assert.deepEqual([withContext.provenance['context'], withContext.provenance['samples']], [64, imagesUsed * 3]);

    // training a new estimator into the folder removes the gate fitted to the old one
    r = abair(['train', 'estimator', '--model', model, '--images', images, '--steps', '1', '--batch', '2', '--patch', '32', '--widths', '4,4',
      '--threads', '1', '--val-every', '1', '--val-count', '2', '--progress', 'silent', '--out', path.join(root, 'est-run')]);
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stderr, /removed .*clean-gate\.json \(fitted to the previous estimator\)/);
    assert.equal(existsSync(gateFile), false);
  } finally {
    await rm(root, { recursive: true, force: true });
  }
});
