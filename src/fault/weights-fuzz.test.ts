/**
 * Fault suite, weight files: a seeded fuzzer damages one file of a small valid model folder
 * (backbone, adapter, estimator, or a JSON sidecar) per case: the safetensors header length, the
 * header's dtypes, shapes, data offsets, tensor names and metadata, the file's length, raw bytes,
 * and NaN/±Inf planted in a tensor. Each case loads the folder as `abair restore` does and
 * restores a small image. Every case must end in either a one-line UserError (no stack trace, no
 * internal error) or a finite restored image; planted non-finite values must be refused at load,
 * naming the file and the tensor. ABAIR_FUZZ_WEIGHT_CASES sets the number of cases (default 600).
 */
import test, { after } from 'node:test';
import assert from 'node:assert/strict';
import { cp, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { initEngine } from '../tfjs/backend.js';
import { createAdapter, createBackbone, createEstimator, disposeParams, estimatorConfig, loraTargets, presetConfig, saveAdapter, saveBackbone, saveEstimator, type BackboneConfig } from '../model/index.js';
import { randomize } from '../model/test-helpers.js';
import { createNodeRunner } from '../restore/node-runner.js';
import { createRestorer } from '../restore/restorer.js';
import { UserError } from '../util/errors.js';
import { Rng } from '../util/rng.js';
import { mutateBytes } from './mutate.js';

await initEngine({ backend: 'wasm' });
const root = await mkdtemp(path.join(tmpdir(), 'abair-weights-fuzz-'));
after(() => rm(root, { recursive: true, force: true }));

const CASES = Number(process.env['ABAIR_FUZZ_WEIGHT_CASES'] ?? 600);
const INTERNAL = /\n\s+at |TypeError|RangeError|ReferenceError|Cannot read propert|is not a function|internal:/;

// The smallest backbone the architecture allows keeps each load to a few milliseconds.
const config: BackboneConfig = { ...presetConfig('tiny'), dim: 4, blocks: [1, 1, 1, 1], heads: [1, 1, 1, 1] };
const clean = path.join(root, 'clean');
{
  const base = createBackbone(config, 'fuzz');
  await saveBackbone(clean, config, base);
  disposeParams(base);
  for (const [i, name] of ['a', 'b'].entries()) {
    const adapter = createAdapter(name, loraTargets(config), { rank: 2, alpha: 4 });
    randomize(adapter.params, '.B', 0.3, 50 + i);
    await saveAdapter(clean, adapter, config);
    disposeParams(adapter.params);
  }
  const estConfig = estimatorConfig(['a', 'b'], { inputSize: 32, widths: [4, 8] });
  const est = createEstimator(estConfig, 5);
  await saveEstimator(clean, estConfig, est);
  disposeParams(est);
}
const WEIGHT_FILES = ['backbone.safetensors', 'lora-a.safetensors', 'estimator.safetensors'];
const SIDECARS = ['backbone.json', 'lora-b.json', 'estimator.json'];

interface Parsed {
  header: Record<string, unknown>;
  data: Uint8Array;
}

function parse(bytes: Uint8Array): Parsed {
  const length = Number(new DataView(bytes.buffer, bytes.byteOffset).getBigUint64(0, true));
  return { header: JSON.parse(new TextDecoder().decode(bytes.subarray(8, 8 + length))) as Record<string, unknown>, data: bytes.subarray(8 + length) };
}

function encode({ header, data }: Parsed): Uint8Array {
  let json = new TextEncoder().encode(JSON.stringify(header));
  json = new TextEncoder().encode(JSON.stringify(header) + ' '.repeat((8 - (json.length % 8)) % 8));
  const out = new Uint8Array(8 + json.length + data.length);
  new DataView(out.buffer).setBigUint64(0, BigInt(json.length), true);
  out.set(json, 8);
  out.set(data, 8 + json.length);
  return out;
}

type Entry = { dtype: unknown; shape: unknown; data_offsets: unknown };

/** One damaging change to a safetensors file; `nonFinite` names the tensor when values were planted. */
function damageSafetensors(bytes: Uint8Array, rng: Rng): { label: string; bytes: Uint8Array; nonFinite?: string } {
  const parsed = parse(bytes);
  const names = Object.keys(parsed.header).filter((n) => n !== '__metadata__');
  const name = rng.pick(names);
  const entry = parsed.header[name] as Entry;
  const shape = entry.shape as number[];
  const [begin, end] = entry.data_offsets as [number, number];
  switch (rng.int(9)) {
    case 0: {
      entry.dtype = rng.pick(['F64', 'BF16', 'I64', 'I32', 'U8', 'F16', 'f32', 'bogus', null, 5, ['F32']]);
      return { label: `${name} dtype → ${JSON.stringify(entry.dtype)}`, bytes: encode(parsed) };
    }
    case 1: {
      const choices = [[...shape, 1], shape.slice(0, -1), shape.map((d, i) => (i === 0 ? d * 2 : d)), shape.map((d, i) => (i === 0 ? d - 1 : d)), [-1, ...shape.slice(1)], [1.5], ['3'], [], [1e12], null, 'big'];
      entry.shape = rng.pick(choices);
      return { label: `${name} shape → ${JSON.stringify(entry.shape)}`, bytes: encode(parsed) };
    }
    case 2: {
      const shift = rng.pick([-8, -4, -1, 1, 4, 8, 1e6]);
      const choices = [[begin + shift, end + shift], [end, begin], [0, end], [begin, end + shift], [begin, 2 ** 53], [begin], ['0', String(end)], null];
      entry.data_offsets = rng.pick(choices);
      return { label: `${name} data_offsets → ${JSON.stringify(entry.data_offsets)}`, bytes: encode(parsed) };
    }
    case 3: {
      const what = rng.int(4);
      if (what === 0) delete parsed.header[name];
      else if (what === 1) parsed.header[`${name}.extra`] = { ...entry };
      else if (what === 2) {
        parsed.header[`${name}x`] = entry;
        delete parsed.header[name];
      } else parsed.header['__proto__x'] = 7;
      return { label: `${name}: entry ${['deleted', 'duplicated', 'renamed', 'junk added'][what]}`, bytes: encode(parsed) };
    }
    case 4: {
      const meta = (parsed.header['__metadata__'] ?? {}) as Record<string, unknown>;
      const what = rng.int(4);
      if (what === 0) meta['abair.kind'] = rng.pick(['lora', 'estimator', 'backbone', 'checkpoint', '']);
      else if (what === 1) meta['abair.config'] = rng.pick(['{', '{}', 'null', '{"dim":4}']);
      else if (what === 2) meta['abair.kind'] = 5;
      else delete parsed.header['__metadata__'];
      if (what !== 3) parsed.header['__metadata__'] = meta;
      return { label: `metadata change ${what}`, bytes: encode(parsed) };
    }
    case 5: {
      const out = Uint8Array.from(bytes);
      const value = rng.pick([0n, 1n, 7n, BigInt(bytes.length), BigInt(bytes.length - 9), 2n ** 53n, 2n ** 64n - 1n, BigInt(rng.nextUint32())]);
      new DataView(out.buffer).setBigUint64(0, value, true);
      return { label: `header length → ${value}`, bytes: out };
    }
    case 6: {
      const cut = rng.int(bytes.length);
      return rng.bool() ? { label: `truncated to ${cut}`, bytes: bytes.subarray(0, cut) } : { label: 'extended', bytes: Uint8Array.from([...bytes, ...new Uint8Array(1 + rng.int(64))]) };
    }
    case 7: {
      // NaN / ±Inf planted in one tensor: must be refused at load, naming it
      const out = Uint8Array.from(bytes);
      const headerEnd = bytes.length - parsed.data.length;
      const view = new DataView(out.buffer);
      const count = Math.max(1, Math.floor((end - begin) / 4));
      const planted = 1 + rng.int(Math.min(3, count));
      const value = rng.pick([Number.NaN, Number.POSITIVE_INFINITY, Number.NEGATIVE_INFINITY]);
      for (let i = 0; i < planted; i++) view.setFloat32(headerEnd + begin + 4 * rng.int(count), value, true);
      return { label: `${planted}× ${value} in ${name}`, bytes: out, nonFinite: name };
    }
    default: {
      const m = mutateBytes(bytes, rng);
      return { label: m.label, bytes: m.bytes };
    }
  }
}

function damageSidecar(text: string, rng: Rng): { label: string; text: string } {
  const json = JSON.parse(text) as Record<string, unknown>;
  const keys = Object.keys(json);
  switch (rng.int(4)) {
    case 0:
      return { label: 'sidecar truncated', text: text.slice(0, rng.int(text.length)) };
    case 1: {
      const key = rng.pick(keys);
      delete json[key];
      return { label: `sidecar without ${key}`, text: JSON.stringify(json) };
    }
    case 2: {
      const key = rng.pick(keys);
      json[key] = rng.pick([null, 0, -1, 'x', [], {}, true, 1e300]);
      return { label: `sidecar ${key} → ${JSON.stringify(json[key])}`, text: JSON.stringify(json) };
    }
    default: {
      // a field inside the config / adapter record
      const inner = (json['config'] ?? json['adapter']) as Record<string, unknown> | undefined;
      if (!inner) return { label: 'sidecar emptied', text: '{}' };
      const key = rng.pick(Object.keys(inner));
      inner[key] = rng.pick([0, -3, 2.5, 1000, 'a', null, [], [1, 2]]);
      return { label: `sidecar field ${key} → ${JSON.stringify(inner[key])}`, text: JSON.stringify(json) };
    }
  }
}

const image = { data: Uint8Array.from({ length: 20 * 14 * 3 }, (_, i) => (i * 37) & 255), width: 20, height: 14, channels: 3 as const };

function assertClear(err: unknown, what: string): string {
  assert.ok(err instanceof UserError, `${what}: ${(err as Error)?.name}: ${(err as Error)?.message}`);
  const message = (err as Error).message;
  assert.ok(!message.includes('\n') && !INTERNAL.test(message), `${what}: ${message}`);
  return message;
}

test(`weights fuzz: ${CASES} damaged model folders end in a clear error or a finite image`, { timeout: 15 * 60_000 }, async () => {
  const rng = new Rng('weights-fuzz');
  const outcomes = { refused: 0, refusedAtRestore: 0, restored: 0, nonFiniteRefused: 0 };
  const originals = new Map<string, Buffer>();
  for (const f of [...WEIGHT_FILES, ...SIDECARS]) originals.set(f, await readFile(path.join(clean, f)));
  const dir = path.join(root, 'case');
  await cp(clean, dir, { recursive: true });
  for (let i = 0; i < CASES; i++) {
    const caseRng = rng.fork(i);
    const sidecar = caseRng.bool(0.2);
    const file = sidecar ? caseRng.pick(SIDECARS) : caseRng.pick(WEIGHT_FILES);
    let label: string;
    let nonFinite: string | undefined;
    if (sidecar) {
      const damaged = damageSidecar(originals.get(file)!.toString('utf8'), caseRng);
      label = damaged.label;
      await writeFile(path.join(dir, file), damaged.text);
    } else {
      const damaged = damageSafetensors(new Uint8Array(originals.get(file)!), caseRng);
      ({ label, nonFinite } = damaged);
      await writeFile(path.join(dir, file), damaged.bytes);
    }
    const what = `case ${i} (${file}: ${label})`;
    let runner;
    try {
      runner = await createNodeRunner(dir);
    } catch (err) {
      const message = assertClear(err, what);
      assert.ok(message.includes(dir), `${what}: the message names no file: ${message}`);
      outcomes.refused++;
      if (nonFinite) {
        assert.match(message, new RegExp(`${file.replace('.', '\\.')}: tensor '${nonFinite.replace(/[.]/g, '\\.')}' holds \\d+ non-finite value`), what);
        outcomes.nonFiniteRefused++;
      }
    }
    if (runner) {
      assert.equal(nonFinite, undefined, `${what}: non-finite weights were loaded`);
      const restorer = createRestorer({ runner });
      try {
        const result = await restorer.restore(image, { tileSize: 256 });
        assert.ok(result.image.data.every(Number.isFinite), what);
        outcomes.restored++;
      } catch (err) {
        assertClear(err, what);
        outcomes.refusedAtRestore++;
      } finally {
        await runner.dispose();
      }
    }
    await writeFile(path.join(dir, file), originals.get(file)!);
  }
  assert.ok(outcomes.refused > 0 && outcomes.restored > 0 && outcomes.nonFiniteRefused > 0, JSON.stringify(outcomes));
  console.log(`weights fuzz: ${CASES} cases: ${JSON.stringify(outcomes)}`);
});
