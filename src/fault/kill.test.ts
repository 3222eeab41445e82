/**
 * Fault suite, kills: the real `abair` CLI killed while a finished temp file waits to be published
 * (hang-publish.ts holds it there, so the timing is exact), then the same command run again.
 *
 *   - restore, SIGINT: exit 130, no output, no temp file;
 *   - restore, SIGKILL: the temp file stays (nothing can run), the output does not exist; the same
 *     command again removes the leftover and writes the output;
 *   - training, SIGKILL during a checkpoint write: the previous checkpoint is intact, the leftover
 *     is removed by the resumed run, which finishes.
 */
import test, { after } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { mkdtemp, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { initEngine } from '../tfjs/backend.js';
import { readImage } from '../io/image-read.js';
import { createAdapter, createBackbone, createEstimator, disposeParams, estimatorConfig, loraTargets, presetConfig, saveAdapter, saveBackbone, saveEstimator } from '../model/index.js';
import { loadCheckpoint } from '../train/checkpoint.js';
import { writeTestImages } from '../train/test-images.js';
import { packageRoot } from '../util/paths.js';

const root = await mkdtemp(path.join(tmpdir(), 'abair-kill-'));
after(() => rm(root, { recursive: true, force: true }));
const launcher = path.join(packageRoot, 'bin', 'abair.js');
const preload = new URL('./hang-publish.js', import.meta.url).href;

await initEngine({ backend: 'wasm' });
const config = presetConfig('tiny');
const modelDir = path.join(root, 'model');
{
  const base = createBackbone(config, 'kill-test');
  await saveBackbone(modelDir, config, base, { preset: 'tiny' });
  disposeParams(base);
  for (const name of ['rain', 'haze']) {
    const adapter = createAdapter(name, loraTargets(config), { rank: 2, alpha: 4 });
    await saveAdapter(modelDir, adapter, config);
    disposeParams(adapter.params);
  }
  const estConfig = estimatorConfig(['rain', 'haze'], { inputSize: 32, widths: [4, 8] });
  const est = createEstimator(estConfig, 3);
  await saveEstimator(modelDir, estConfig, est);
  disposeParams(est);
}

interface Killed {
  code: number | null;
  signal: NodeJS.Signals | null;
  stderr: string;
  /** the temp file that was waiting to be published when the signal was sent */
  temp: string;
}

/** Runs abair with a publish of `hangOn` held, sends `signal` once it is held, and waits for the exit. */
async function runAndKill(args: string[], hangOn: string, signal: NodeJS.Signals, hangAfter = 0): Promise<Killed> {
  const marker = path.join(root, `marker-${hangOn}-${signal}-${Date.now()}`);
  const child = spawn(process.execPath, ['--import', preload, launcher, ...args], {
    env: { ...process.env, ABAIR_TEST_HANG_ON: hangOn, ABAIR_TEST_HANG_MARKER: marker, ABAIR_TEST_HANG_AFTER: String(hangAfter) },
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  let stderr = '';
  child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) => child.on('exit', (code, sig) => resolve({ code, signal: sig })));
  const deadline = Date.now() + 120_000;
  while (!existsSync(marker)) {
    if (child.exitCode !== null) throw new Error(`abair exited (${child.exitCode}) before the write: ${stderr}`);
    if (Date.now() > deadline) {
      child.kill('SIGKILL');
      throw new Error('timed out waiting for the write');
    }
    await new Promise((r) => setTimeout(r, 20));
  }
  const temp = readFileSync(marker, 'utf8');
  child.kill(signal);
  const result = await exited;
  return { ...result, stderr, temp };
}

function abair(args: string[]) {
  const r = spawnSync(process.execPath, [launcher, ...args], { encoding: 'utf8' });
  return { code: r.status, stderr: r.stderr };
}

const tempsIn = async (dir: string) => (await readdir(dir)).filter((n) => n.endsWith('.tmp'));

test('restore killed while publishing: SIGINT leaves nothing; after SIGKILL the same command again cleans up and writes', async () => {
  const dir = path.join(root, 'restore');
  await writeTestImages(dir, 1, 48);
  const input = path.join(dir, 'img0.png');
  const output = path.join(dir, 'out.png');
  const args = ['restore', input, '-o', output, '--weights', modelDir, '--no-progress'];

  const interrupted = await runAndKill(args, 'out.png', 'SIGINT');
  assert.equal(interrupted.code, 130, interrupted.stderr);
  assert.match(interrupted.stderr, /interrupted \(SIGINT\)/);
  assert.doesNotMatch(interrupted.stderr, /\n\s+at /);
  assert.equal(existsSync(output), false);
  assert.deepEqual(await tempsIn(dir), []);

  const killed = await runAndKill(args, 'out.png', 'SIGKILL');
  assert.equal(killed.signal, 'SIGKILL');
  assert.equal(existsSync(output), false); // never a partial output
  assert.deepEqual(await tempsIn(dir), [path.basename(killed.temp)]);

  const again = abair(args);
  assert.equal(again.code, 0, again.stderr);
  assert.deepEqual(await tempsIn(dir), []);
  const restored = await readImage(output);
  assert.equal(restored.info.width, 48);
  assert.ok(restored.image.data.some((v) => v > 0)); // a real image, not a black one
});

test('training killed during a checkpoint write: the previous checkpoint survives, the resumed run removes the leftover and finishes', async () => {
  const dir = path.join(root, 'train');
  const images = await writeTestImages(path.join(dir, 'images'), 4, 32);
  const backboneDir = path.join(dir, 'backbone');
  const base = createBackbone(config, 'kill-train');
  await saveBackbone(backboneDir, config, base);
  disposeParams(base);
  const out = path.join(dir, 'run');
  const args = ['train', 'adapter', '--name', 'haze', '--backbone', backboneDir, '--synthetic', 'haze', '--images', images, '--steps', '3', '--batch', '2', '--patch', '16',
    '--threads', '1', '--checkpoint-every', '1', '--val-every', '3', '--val-count', '2', '--progress', 'silent', '--out', out];

  // the first checkpoint (step 1) is written, the second (step 2) is killed mid-publish
  const killed = await runAndKill(args, 'checkpoint.safetensors', 'SIGKILL', 1);
  assert.equal(killed.signal, 'SIGKILL');
  assert.deepEqual(await tempsIn(out), [path.basename(killed.temp)]);
  assert.equal((await loadCheckpoint(path.join(out, 'checkpoint.safetensors'))).step, 1);

  const again = abair([...args, '--resume']);
  assert.equal(again.code, 0, again.stderr);
  assert.match(again.stderr, /removed .*\.tmp, left by an interrupted write/);
  assert.deepEqual(await tempsIn(out), []);
  assert.equal((await loadCheckpoint(path.join(out, 'checkpoint.safetensors'))).step, 3);
  assert.ok(existsSync(path.join(out, 'lora-haze.safetensors')));
});
