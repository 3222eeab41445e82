import test from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { DEFAULT_LORA_RANK } from '../../model/lora.js';
import { modelAdapterRank } from './add-degradation.js';

/** A model folder holding only adapter sidecars (all modelAdapterRank reads) of these ranks. */
async function folderWithRanks(ranks: Record<string, number>): Promise<string> {
  const dir = await mkdtemp(path.join(tmpdir(), 'abair-rank-'));
  for (const [name, rank] of Object.entries(ranks)) {
    await writeFile(path.join(dir, `lora-${name}.safetensors`), '');
    const sidecar = { format: 'abair-weights', version: 1, kind: 'lora', adapter: { name, rank, alpha: rank, targets: [] } };
    await writeFile(path.join(dir, `lora-${name}.json`), JSON.stringify(sidecar));
  }
  return dir;
}

test('a new adapter gets the rank most of the model\'s adapters have, not the largest one', async (t) => {
  const cases: [Record<string, number>, string | undefined, number][] = [
    [{}, undefined, DEFAULT_LORA_RANK],
    // the shipped model's shape: one hard task at a far larger rank than the rest
    [{ noise: 64, rain: 16, haze: 16, blur: 16 }, undefined, 16],
    // a tie goes to the larger rank
    [{ noise: 4, haze: 6 }, undefined, 6],
    // the adapter being added is not counted (on a resumed run its file is already in the model):
    // counting jpeg, 4 wins; without it, 16 and 4 tie and the larger wins
    [{ noise: 16, blur: 4, jpeg: 4 }, undefined, 4],
    [{ noise: 16, blur: 4, jpeg: 4 }, 'jpeg', 16],
    [{ snow: 8 }, 'snow', DEFAULT_LORA_RANK],
  ];
  for (const [ranks, exclude, expected] of cases) {
    const dir = await folderWithRanks(ranks);
    t.after(() => rm(dir, { recursive: true, force: true }));
    assert.equal(await modelAdapterRank(dir, exclude), expected, `${JSON.stringify(ranks)} without ${exclude}`);
  }
});
