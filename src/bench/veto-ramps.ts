/**
 * Haze-veto ramps on a clean-gate samples file (`abair train clean-gate --samples`), scored without
 * fitting or restoring: for each dark-channel level and ramp, how much of the share it takes from
 * hazy samples (haze, haze+snow; the veto's job) and from clean ones (its cost), and how many clean
 * crops stay under 36 dB even if the gate's MLP kept them whole (the floor the veto sets). The
 * samples come from training images: this picks a ramp to try, held-out photos decide.
 *
 *   npm run build && node dist/bench/veto-ramps.js --samples runs/clean-gate/samples.json
 *     [--weights dir] [--from 0.02:0.16] [--widths 0.02,0.04,0.06,0.08] [--top 8]
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { CLEAN_WORST_DB } from '../eval/table.js';
import { PSNR_CAP_DB } from '../eval/protocol.js';
import { VETO_LEVELS, vetoLeft, type HazeVetoRamp } from '../model/clean-gate.js';
import { blendPsnr } from '../train/clean-gate-fit.js';
import type { StoredSample } from '../train/phases/clean-gate.js';
import { option } from './args.js';
import { modelGate } from './model-gate.js';

const samplesFile = option('--samples');
if (!samplesFile) throw new Error('--samples <file> is required (a samples file of abair train clean-gate --samples)');
const [fromLo, fromHi] = (option('--from') ?? '0.02:0.16').split(':').map(Number);
const widths = (option('--widths') ?? '0.02,0.04,0.06,0.08').split(',').map(Number);
const top = Number(option('--top') ?? 8);
const weights = option('--weights') ?? 'weights/default';
const shipped = (await modelGate(weights)).gate.hazeVeto;
if (!shipped) throw new Error(`${weights}: its gate has no haze veto to compare with`);

const samples = (JSON.parse(readFileSync(samplesFile, 'utf8')) as { samples: StoredSample[] }).samples;
const hazy = samples.filter((s) => s.label === 'haze' || s.label === 'haze+snow');
const clean = samples.filter((s) => s.label === 'clean');

function score(veto: HazeVetoRamp) {
  const hazeVetoed = hazy.reduce((a, s) => a + (1 - vetoLeft(veto, s.stats)), 0) / hazy.length;
  const cleanPastHalf = clean.filter((s) => vetoLeft(veto, s.stats) < 0.5).length;
  const floor = clean.filter((s) => blendPsnr(s, vetoLeft(veto, s.stats), PSNR_CAP_DB) < CLEAN_WORST_DB).length;
  return { hazeVetoed, cleanPastHalf, floor };
}
const row = (name: string, r: ReturnType<typeof score>) => `${name.padEnd(26)}${r.hazeVetoed.toFixed(3).padStart(12)}${String(r.cleanPastHalf).padStart(14)}${String(r.floor).padStart(20)}\n`;

process.stdout.write(`${samplesFile}: ${hazy.length} hazy samples, ${clean.length} clean\n`);
process.stdout.write(`${'veto'.padEnd(26)}${'haze vetoed'.padStart(12)}${'clean > half'.padStart(14)}${`clean < ${CLEAN_WORST_DB} dB kept`.padStart(20)}\n`);
const base = score(shipped);
process.stdout.write(row(`${path.basename(weights)}: ${shipped.level ?? 'dark'} ${shipped.from}:${shipped.to}`, base));
// ramps that veto hazy samples at least as much as the shipped one, fewest clean vetoed first, then the widest
const ramps: { name: string; r: ReturnType<typeof score>; width: number }[] = [];
for (const level of VETO_LEVELS) {
  for (let from = fromLo!; from <= fromHi! + 1e-9; from += 0.01) {
    for (const w of widths) {
      const veto: HazeVetoRamp = { from: Math.round(from * 100) / 100, to: Math.round((from + w) * 100) / 100, ...(level === 'dark' ? {} : { level }) };
      if (veto.to > 1) continue;
      const r = score(veto);
      if (r.hazeVetoed >= base.hazeVetoed) ramps.push({ name: `${level} ${veto.from}:${veto.to}`, r, width: w });
    }
  }
}
ramps.sort((a, b) => a.r.cleanPastHalf - b.r.cleanPastHalf || b.width - a.width);
process.stdout.write(`\nramps that veto hazy samples at least as much (fewest clean vetoed past half, then the widest):\n`);
for (const { name, r } of ramps.slice(0, top)) process.stdout.write(row(name, r));
