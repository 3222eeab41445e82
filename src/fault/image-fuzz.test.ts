/**
 * Fault suite, images: a seeded fuzzer mutates small valid PNG, JPEG and WebP files (made here
 * with sharp) and runs each through `abair restore` (runRestore with the fake model runner) and the
 * library (restore() on the bytes). Every case must end in either
 *   - a clear error: exit code 1, one line "abair: <file>: …" on stderr, no stack trace, no
 *     internal TypeError/RangeError, no output file and no temp file left; or
 *   - a valid image: the output decodes, has the input's size, and is not black when the input is not,
 * within a time bound (no hang). ABAIR_FUZZ_CASES sets the number of cases (default 600).
 */
import test, { after } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { mkdtemp, readdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import sharp from 'sharp';
import { initEngine } from '../tfjs/backend.js';
import { readImage } from '../io/image-read.js';
import { runRestore } from '../cli/batch.js';
import { createFakeRunner } from '../restore/fake-runner.js';
import { createRestorer } from '../restore/restorer.js';
import { UserError } from '../util/errors.js';
import { Rng } from '../util/rng.js';
import { mutateBytes, mutateJpeg, mutatePng, mutateWebp, type Mutation } from './mutate.js';

await initEngine({ backend: 'wasm' });
const dir = await mkdtemp(path.join(tmpdir(), 'abair-image-fuzz-'));
after(() => rm(dir, { recursive: true, force: true }));

const CASES = Number(process.env['ABAIR_FUZZ_CASES'] ?? 600);
const CASE_TIMEOUT_MS = 20_000;
const INTERNAL = /\n\s+at |TypeError|RangeError|ReferenceError|Cannot read propert|is not a function|internal:|undefined/;

/** A small picture with structure (gradient + noise) so decoders exercise real data. */
function picture(width: number, height: number, channels: 3 | 4, seed: number): Buffer {
  const rng = new Rng(seed);
  const px = Buffer.alloc(width * height * channels);
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) {
      for (let c = 0; c < channels; c++) px[(y * width + x) * channels + c] = c === 3 ? 128 + rng.int(128) : (40 + 4 * x + 6 * y + 50 * c + rng.int(30)) & 255;
    }
  }
  return px;
}

const raw = (w: number, h: number, ch: 3 | 4, seed: number) => sharp(picture(w, h, ch, seed), { raw: { width: w, height: h, channels: ch } });
const bases: { ext: string; bytes: Uint8Array; mutate: (b: Uint8Array, r: Rng) => Mutation }[] = [
  { ext: 'png', bytes: await raw(24, 16, 3, 1).png().toBuffer(), mutate: mutatePng },
  { ext: 'png', bytes: await raw(19, 13, 4, 2).png({ palette: false }).toBuffer(), mutate: mutatePng },
  { ext: 'png', bytes: await raw(16, 16, 3, 3).png({ palette: true }).toBuffer(), mutate: mutatePng },
  { ext: 'jpg', bytes: await raw(24, 16, 3, 4).jpeg({ quality: 80 }).toBuffer(), mutate: mutateJpeg },
  { ext: 'jpg', bytes: await raw(21, 15, 3, 5).jpeg({ progressive: true }).toBuffer(), mutate: mutateJpeg },
  { ext: 'webp', bytes: await raw(24, 16, 3, 6).webp({ quality: 80 }).toBuffer(), mutate: mutateWebp },
  { ext: 'webp', bytes: await raw(19, 13, 4, 7).webp({ lossless: true }).toBuffer(), mutate: mutateWebp },
  { ext: 'webp', bytes: await raw(18, 14, 4, 8).webp({ quality: 70 }).toBuffer(), mutate: mutateWebp },
];

function withTimeout<T>(promise: Promise<T>, what: string): Promise<T> {
  let timer: NodeJS.Timeout;
  return Promise.race([
    promise.finally(() => clearTimeout(timer)),
    new Promise<never>((_, reject) => (timer = setTimeout(() => reject(new Error(`hang: ${what} took over ${CASE_TIMEOUT_MS} ms`)), CASE_TIMEOUT_MS))),
  ]);
}

const anyNonZero = (data: Float32Array) => data.some((v) => v > 0);

test(`image fuzz: ${CASES} mutated PNG/JPEG/WebP files end in a clear error or a valid image`, { timeout: 15 * 60_000 }, async () => {
  const rng = new Rng('image-fuzz');
  const runner = createFakeRunner();
  const restorer = createRestorer({ runner });
  const outcomes = { error: 0, image: 0 };
  const messages = new Map<string, number>();
  for (let i = 0; i < CASES; i++) {
    const base = bases[i % bases.length]!;
    const other = bases[(i * 7 + 3) % bases.length]!.bytes;
    const caseRng = rng.fork(i);
    const { label, bytes } = caseRng.bool(0.5) ? base.mutate(base.bytes, caseRng) : mutateBytes(base.bytes, caseRng, other);
    const what = `case ${i} (${base.ext}: ${label})`;
    const input = path.join(dir, `case-${i}.${base.ext}`);
    const output = path.join(dir, `case-${i}.out.png`);
    await writeFile(input, bytes);

    const err: string[] = [];
    const result = await withTimeout(
      runRestore([input], { output, tile: 256, overlap: 16 }, { runner, stdout: { write: () => true }, stderr: { write: (s: string) => err.push(s), isTTY: false }, progressMode: 'silent' }),
      what,
    );
    const stderr = err.join('');
    const lines = stderr.split('\n').filter((l) => l && !l.startsWith('abair: note:'));
    if (result.exitCode === 0) {
      outcomes.image++;
      assert.deepEqual(lines, [], what);
      const written = await readImage(output);
      const decoded = await readImage(input);
      assert.deepEqual([written.info.width, written.info.height], [decoded.info.width, decoded.info.height], what);
      if (anyNonZero(decoded.image.data)) assert.ok(anyNonZero(written.image.data), `${what}: black output`);
    } else {
      outcomes.error++;
      assert.equal(result.exitCode, 1, what);
      assert.equal(lines.length, 1, `${what}: ${stderr}`);
      assert.ok(lines[0]!.startsWith(`abair: ${input}: `), `${what}: ${lines[0]}`);
      assert.doesNotMatch(stderr, INTERNAL, what);
      assert.equal(existsSync(output), false, `${what}: partial output`);
      const reason = lines[0]!.slice(`abair: ${input}: `.length).replace(/\(.*$/, '').replace(/\d+/g, 'N').trim();
      messages.set(reason, (messages.get(reason) ?? 0) + 1);
      if (process.env['ABAIR_FUZZ_VERBOSE']) console.log(`${what}: ${lines[0]}`);
    }
    // the library on the same bytes: the same verdict, as a UserError or a finite image
    try {
      const r = await withTimeout(restorer.restore(bytes, { tileSize: 256, overlap: 16 }), `${what} (library)`);
      assert.ok(r.image.data.every(Number.isFinite), what);
    } catch (e) {
      assert.ok(e instanceof UserError, `${what}: library threw ${(e as Error).name}: ${(e as Error).message}`);
      assert.ok(!(e as Error).message.includes('\n') && !INTERNAL.test((e as Error).message), `${what}: ${(e as Error).message}`);
    }
    await rm(input, { force: true });
    await rm(output, { force: true });
  }
  restorer.dispose();
  assert.deepEqual((await readdir(dir)).filter((n) => n.endsWith('.tmp')), []);
  // both outcomes occur, so the fuzzer really reaches the decoders and past them
  assert.ok(outcomes.error > 0 && outcomes.image > 0, JSON.stringify(outcomes));
  const top = [...messages.entries()].sort((a, b) => b[1] - a[1]).slice(0, 8).map(([m, n]) => `${n}× ${m}`);
  console.log(`image fuzz: ${CASES} cases, ${outcomes.error} clear errors, ${outcomes.image} valid images; top messages: ${top.join(' | ')}`);
});
