import test, { after } from 'node:test';
import assert from 'node:assert/strict';
import { promises as fs } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { RESTORE_BENCH_FORMAT, type RestoreBenchRecord } from './restore-report.js';
import { PEER_COMPARISON_FORMAT, type PeerComparisonRecord } from './peer-comparison.js';
import { EVAL_FORMAT, EVAL_VERSION } from './report.js';
import { readResultsInput, renderResultsMarkdown, writeResultsMarkdown } from './results-md.js';

const dir = await fs.mkdtemp(path.join(os.tmpdir(), 'abair-results-md-'));
after(() => fs.rm(dir, { recursive: true, force: true }));

const peer: PeerComparisonRecord = {
  format: PEER_COMPARISON_FORMAT,
  version: 1,
  createdAt: '2026-11-26T16:00:00.000Z',
  command: 'node bench/peers/maxim.mjs --images 2 --json x.json',
  machine: { cpu: 'Test CPU', cores: 2, memoryGiB: 24, node: 'v20', loadAverageEnd: [1, 2, 3] },
  protocol: 'Rain100H inputs 1..2, centre 256×256 crop',
  peer: { name: 'MAXIM deraining', package: '@upscalerjs/maxim-deraining@0.1.0', trainedOn: 'Rain13k', runtime: 'TensorFlow.js (wasm)' },
  abair: { model: 'weights/default', modelDigest: 'abcd', engine: 'onnx', mode: 'sw' },
  rows: [
    { image: 'Rain100H/1.png (centre 256²)', inputPsnr: 14, inputSsim: 0.4, peer: { psnr: 20, ssim: 0.7, seconds: 65.536 }, abair: { psnr: 16, ssim: 0.5, seconds: 0.131072 } },
    { image: 'Rain100H/2.png (centre 256²)', inputPsnr: 16, inputSsim: 0.5, peer: { psnr: 22, ssim: 0.8, seconds: 65.536 }, abair: { psnr: 18, ssim: 0.6, seconds: 0.131072 } },
  ],
};

const speed: RestoreBenchRecord = {
  format: RESTORE_BENCH_FORMAT,
  version: 1,
  createdAt: '2026-11-26T16:00:00.000Z',
  command: 'npm run bench:restore -- --sizes 1 --json s.json',
  context: { cpuModel: 'Test CPU', cores: 2, memoryGiB: 24, node: 'v20', loadStart: [1, 1, 1], loadEnd: [1, 1, 1], modelLabel: 'shipped', timingOnly: false, tile: 512, overlap: 32, mode: 'sw', runs: 3, adaptersAs: 'inputs', threads: 2 },
  rows: [
    { engine: 'onnx', megapixels: 1, width: 1155, height: 866, tiles: 9, seconds: [2, 3, 4], cpuSeconds: [2, 3, 4], loadSeconds: 1, rssLoadedMiB: 300, rssDuringTilesMiB: 400, peakRssMiB: 500 },
    { engine: 'tfjs', megapixels: 1, width: 1155, height: 866, tiles: 9, seconds: [8, 9, 10], cpuSeconds: [8, 9, 10], loadSeconds: 1, rssLoadedMiB: 300, rssDuringTilesMiB: 400, peakRssMiB: 500 },
  ],
};

const evalJson = { format: EVAL_FORMAT, version: EVAL_VERSION };

async function write(name: string, value: unknown): Promise<string> {
  const file = path.join(dir, name);
  await fs.writeFile(file, typeof value === 'string' ? value : JSON.stringify(value));
  return file;
}

test('peer comparison section: per-image rows, means, s/MP of both and the ratio', () => {
  const md = renderResultsMarkdown([{ kind: 'peer', file: '/x/maxim.json', record: peer }], 'abair eval --results-md r.md --json-in maxim.json');
  assert.match(md, /## Peer comparison: MAXIM deraining vs abair/);
  assert.match(md, /\| Rain100H\/1.png \(centre 256²\) \| 14.00 \/ 0.4000 \| 20.00 \/ 0.7000 \| 65.5 \| 16.00 \/ 0.5000 \| 0.13 \|/);
  assert.match(md, /\| \*\*mean of 2\*\* \| 15.00 \/ 0.4500 \| 21.00 \/ 0.7500 \| 65.5 \| 17.00 \/ 0.5500 \| 0.13 \|/);
  // 65.536 s and 0.131072 s on 65 536 pixels: 1000 and 2 s/MP
  assert.match(md, /MAXIM deraining 1000 s\/MP, abair 2.00 s\/MP \(500× faster\); PSNR difference abair − MAXIM deraining: -4.00 dB/);
  assert.match(md, /weights digest abcd/);
  assert.doesNotMatch(md, /earlier run/);
});

test('peer comparison section: peer rows reused from an earlier run say so, with that run', () => {
  const measuredIn = { createdAt: '2026-01-02T03:04:05Z', command: 'node bench/peers/maxim.mjs --images 2', machine: { ...peer.machine, cpu: 'Old CPU' } };
  const record = { ...peer, peer: { ...peer.peer, measuredIn } };
  const md = renderResultsMarkdown([{ kind: 'peer', file: '/x/maxim.json', record }], 'cmd');
  assert.match(md, /peer's numbers are from an earlier run of the same crops \(2026-01-02T03:04:05Z, `node bench\/peers\/maxim.mjs --images 2`, Old CPU\); this run re-measured abair only/);
});

test('speed section: the bench:restore table with its command and the speed-up', () => {
  const md = renderResultsMarkdown([{ kind: 'speed', file: '/x/speed.json', record: speed }], 'cmd');
  assert.match(md, /## Speed: seconds per megapixel on this machine/);
  assert.match(md, /`npm run bench:restore -- --sizes 1 --json s.json`/);
  assert.match(md, /\| 1.00 \| 9.00 \| 3.00 \| 3.00× \|/);
});

test('--json-in: each kind is recognised by its format; others are refused by name', async () => {
  assert.equal((await readResultsInput(await write('p.json', peer))).kind, 'peer');
  assert.equal((await readResultsInput(await write('s.json', speed))).kind, 'speed');
  assert.equal((await readResultsInput(await write('e.json', evalJson))).kind, 'eval');
  await assert.rejects(readResultsInput(await write('o.json', { format: 'other' })), /o\.json: not an abair eval result, bench:restore record or peer comparison \(its "format" is "other"\)/);
  await assert.rejects(readResultsInput(await write('a.json', '[1]')), /a\.json: not a JSON object/);
  const broken = { ...peer, rows: [{ ...peer.rows[0]!, abair: { psnr: 'x' } }] };
  await assert.rejects(readResultsInput(await write('b.json', broken)), /b\.json: peer comparison row 'Rain100H\/1.png \(centre 256²\)' has no numeric abair/);
  await assert.rejects(writeResultsMarkdown(path.join(dir, 'r.md'), [await write('p2.json', peer)], 'cmd'), /needs at least one abair eval result/);
  await assert.rejects(fs.stat(path.join(dir, 'r.md')), /ENOENT/, 'nothing written when refused');
});
