import assert from 'node:assert/strict';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { test } from 'node:test';
import sharp from 'sharp';
import { UserError } from '../util/errors.js';
import { parseTrainingLog, plotLog, renderPlotSvg } from './plot.js';

function syntheticLog(): string {
  const lines: string[] = [JSON.stringify({ type: 'meta', command: 'train pretrain', preset: 'tiny' })];
  for (let step = 1; step <= 600; step++) {
    const loss = 0.2 * Math.exp(-step / 150) + 0.02 + 0.01 * Math.sin(step * 1.3) ** 2;
    lines.push(JSON.stringify({ type: 'step', phase: 'pretrain', step, loss, lr: 1e-3, gradNorm: 0.5, patchesPerSec: 20, elapsedSec: step }));
    if (step % 100 === 0) lines.push(JSON.stringify({ type: 'val', phase: 'pretrain', step, psnr: 22 + step / 100, inputPsnr: 21.5 }));
  }
  lines.push('{"type":"step","phase":"pretr'); // a half-written last line, as while training runs
  return lines.join('\n') + '\n';
}

test('parseTrainingLog keeps step/val records and skips broken lines', () => {
  const log = parseTrainingLog(syntheticLog());
  assert.equal(log.steps.length, 600);
  assert.equal(log.vals.length, 6);
  assert.equal(log.vals[0]!.inputPsnr, 21.5);
  assert.equal(log.meta?.preset, 'tiny');
  assert.equal(log.skipped, 1);
});

test('plotLog writes a PNG of the requested size with drawn content', async () => {
  const dir = await mkdtemp(path.join(os.tmpdir(), 'abair-plot-'));
  try {
    const logPath = path.join(dir, 'train.jsonl');
    await writeFile(logPath, syntheticLog());
    const out = path.join(dir, 'curves.png');
    await plotLog(logPath, out);
    const meta = await sharp(out).metadata();
    assert.equal(meta.format, 'png');
    assert.equal(meta.width, 1000);
    assert.equal(meta.height, 720);
    const stats = await sharp(out).stats();
    assert.ok(stats.channels[0]!.min < 100, 'something dark (axes, text, curves) is drawn');
    await plotLog(logPath, path.join(dir, 'small.png'), { width: 640, height: 480 });
    assert.equal((await sharp(path.join(dir, 'small.png')).metadata()).width, 640);
    // the SVG has both panels' labels, a dashed input-PSNR reference and log-scale ticks
    const svg = renderPlotSvg(parseTrainingLog(syntheticLog()));
    assert.match(svg, /loss \(log scale\)/);
    assert.match(svg, /validation PSNR/);
    assert.match(svg, /stroke-dasharray/);
    assert.match(svg, />0\.1</);
  } finally {
    await rm(dir, { recursive: true });
  }
});

test('plotLog refuses a missing or empty log with a clear error', async () => {
  const dir = await mkdtemp(path.join(os.tmpdir(), 'abair-plot-'));
  try {
    await assert.rejects(plotLog(path.join(dir, 'nope.jsonl'), path.join(dir, 'x.png')), (e: unknown) => e instanceof UserError && /training log not found/.test((e as Error).message));
    const empty = path.join(dir, 'empty.jsonl');
    await writeFile(empty, '');
    await assert.rejects(plotLog(empty, path.join(dir, 'x.png')), (e: unknown) => e instanceof UserError && /no step or val records/.test((e as Error).message));
    await writeFile(empty, JSON.stringify({ type: 'meta' }) + '\n');
    await assert.rejects(plotLog(empty, path.join(dir, 'x.png')), /no step or val records/);
  } finally {
    await rm(dir, { recursive: true });
  }
});
