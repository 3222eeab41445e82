#!/usr/bin/env node
/**
 * Diagnostic: is a degradation out of reach of the *adapter*, or of the *backbone*? Fine-tunes the
 * whole backbone (every parameter, no LoRA, no segmentation loss) on one synthetic degradation,
 * with exactly the data, validation patches and schedule shape `abair train adapter` uses, so its
 * validation curve can be laid beside an adapter's (docs/training.md, session 3 probes). If the
 * whole backbone gains clearly more than the adapter, the adapter's reach (rank, which layers it
 * touches) is the limit; if it gains about as little, the backbone's capacity is.
 *
 *   npm run build && node bench/finetune-probe.mjs --backbone <model dir> --synthetic blur \
 *     --steps 300 --lr 5e-4 --out /tmp/finetune-blur [--workers 1] [--batch 8] [--resume]
 *
 * With --preset <name> instead of --backbone it trains a freshly initialised backbone of that preset
 * on the one degradation (a specialist from scratch): laid beside the same run with another preset,
 * it says whether a bigger backbone can learn the task at all, before a Phase I campaign is spent on it.
 *
 * Writes a run folder like any training run (checkpoint, train-log.jsonl with "val" lines, and the
 * fine-tuned backbone.safetensors at the end); the result is for comparison only, never shipped.
 * A --preset run stopped before its end (Ctrl-C keeps the checkpoint) exports its current
 * backbone with `abair train export <out> -o <model dir>`: a folder with a backbone and no
 * adapters restores with the backbone alone, so `abair eval --weights <model dir>` measures it.
 */
import path from 'node:path';
import { parseArgs } from 'node:util';
import { fileURLToPath } from 'node:url';

const dist = path.join(path.dirname(fileURLToPath(import.meta.url)), '..', 'dist');
const { runTraining } = await import(path.join(dist, 'train', 'runner.js'));
const { adapterBatch, validationSet } = await import(path.join(dist, 'train', 'data', 'index.js'));
const { openTrainingImages, runSettings, commonIdentity, fileDigest } = await import(path.join(dist, 'train', 'phases', 'common.js'));
const { resolveBackboneFile } = await import(path.join(dist, 'train', 'phases', 'adapter.js'));
const { parseDegradationSpec } = await import(path.join(dist, 'degrade', 'registry.js'));
const { saveBackbone } = await import(path.join(dist, 'model', 'weights.js'));
const { sharedDataDir } = await import(path.join(dist, 'util', 'paths.js'));

const { values: a } = parseArgs({
  options: {
    backbone: { type: 'string' },
    preset: { type: 'string' },
    synthetic: { type: 'string' },
    steps: { type: 'string', default: '300' },
    lr: { type: 'string', default: '5e-4' },
    warmup: { type: 'string', default: '50' },
    batch: { type: 'string', default: '8' },
    patch: { type: 'string', default: '64' },
    workers: { type: 'string', default: '1' },
    out: { type: 'string' },
    resume: { type: 'boolean', default: false },
  },
});
if (!a.backbone === !a.preset || !a.synthetic || !a.out) {
  console.error('finetune-probe: give either --backbone <model dir or file> or --preset <name>, and --synthetic <degradation> and --out <run folder>');
  process.exit(2);
}
const { PRESET_NAMES } = await import(path.join(dist, 'model', 'config.js'));
if (a.preset && !PRESET_NAMES.includes(a.preset)) {
  console.error(`finetune-probe: unknown preset '${a.preset}' (known: ${PRESET_NAMES.join(', ')})`);
  process.exit(2);
}
const o = {
  steps: Number(a.steps), batch: Number(a.batch), patch: Number(a.patch), lr: Number(a.lr), warmup: Number(a.warmup),
  workers: Number(a.workers), out: a.out, resume: a.resume, checkpointEvery: 50, valEvery: 100, valCount: 16, seed: 1, progress: 'lines',
};
const images = [path.join(sharedDataDir(), 'train', 'clean')];
const backboneFile = a.backbone ? await resolveBackboneFile(a.backbone) : undefined;
const degradations = parseDegradationSpec(a.synthetic);
const { train, holdout } = await openTrainingImages(images, o);
const result = await runTraining({
  phase: 'adapter', // the runner's phase names; this is Phase II's data with every backbone weight trainable
  outDir: o.out,
  trainable: { phase: 'backbone', ...(backboneFile ? { backboneFile } : { preset: a.preset }), seed: o.seed, segWeight: 0, loss: 'l1' },
  identity: {
    phase: 'finetune-probe', synthetic: degradations, ...commonIdentity(o),
    ...(backboneFile ? { backboneDigest: await fileDigest(backboneFile) } : { preset: a.preset }),
  },
  meta: { command: `node bench/finetune-probe.mjs ${process.argv.slice(2).join(' ')}`, backbone: backboneFile ?? 'none (from scratch)', ...(a.preset ? { preset: a.preset } : {}), synthetic: degradations, ...o },
  ...runSettings(o),
  batchFor: (_step, rng) => adapterBatch(train, rng, { batch: o.batch, patch: o.patch, degradations }),
  // the same fixed patches as `abair train adapter --synthetic <same>` validates on
  validation: { every: o.valEvery, batch: () => validationSet(holdout, { count: o.valCount, patch: o.patch, seed: o.seed, kind: 'adapter', degradations }) },
  finish: async (model, provenance) => [await saveBackbone(o.out, model.config, model.params, { provenance: { ...provenance, probe: 'finetune', synthetic: degradations } })],
});
console.log(JSON.stringify({ interrupted: result.interrupted ?? false }));
