/**
 * What `abair model info` reports: parameter counts per part and analytic compute, either for a
 * preset (with a default rank-4 adapter and a default 5-class estimator, untrained) or for a
 * folder/file of weights (read from the JSON sidecars; tensors are not loaded).
 */
import { promises as fs } from 'node:fs';
import { backboneSpecs, loraTargets } from './backbone.js';
import { type BackboneConfig, presetConfig } from './config.js';
import { type EstimatorConfig, estimatorConfig, estimatorFlops, estimatorSpecs } from './estimator.js';
import { backboneFlopsPerPixel, gflopsPerMegapixel, segHeadFlopsPerPixel } from './flops.js';
import { DEFAULT_LORA_RANK, type LoraConfig, loraSpecs } from './lora.js';
import { countParams } from './params.js';
import { segHeadSpecs } from './seg-head.js';
import { CLEAN_GATE_FILE } from './clean-gate.js';
import { readCleanGate } from './clean-gate-file.js';
import { listWeights, readSidecar, type Provenance } from './weights.js';
import { describeCustomDegradations, readCustomDegradations, type AddedDegradation } from './custom-degradations.js';

/** The five tasks of the paper's main table, used for a preset's illustrative estimator/adapters. */
const PAPER_TASKS = ['rain', 'haze', 'noise', 'blur', 'lowlight'];

interface ModelSummary {
  source: string;
  preset: string | null;
  config: BackboneConfig | null;
  params: { backbone: number | null; segHead: number | null; adapters: Record<string, number>; estimator: number | null; total: number };
  gflopsPerMegapixel: { backbone: number | null; segHead: number | null };
  estimator: { classes: string[]; inputSize: number; swExponent: number; keepClean: boolean; cleanOutput: boolean; cleanGate: string | null; gflopsPerImage: number; ratioAt1MP: number | null; ratioAt256: number | null } | null;
  adapters: { name: string; rank: number; alpha: number; layers: number; provenance?: Provenance }[];
  provenance: Record<string, Provenance>;
  /** types added with `abair add-degradation` (degradations.json); absent for a preset or a file */
  addedDegradations?: Record<string, AddedDegradation>;
}

function backbonePart(config: BackboneConfig) {
  return {
    params: countParams(backboneSpecs(config)),
    seg: countParams(segHeadSpecs(config)),
    gflops: gflopsPerMegapixel(backboneFlopsPerPixel(config)),
    segGflops: gflopsPerMegapixel(segHeadFlopsPerPixel(config)),
  };
}

function estimatorPart(config: EstimatorConfig, backbone: BackboneConfig | null, cleanGate: string | null = null) {
  const flops = estimatorFlops(config);
  const perPixel = backbone ? backboneFlopsPerPixel(backbone) : null;
  return {
    classes: config.classes,
    inputSize: config.inputSize,
    // stored configs from before the field blend by the plain softmax
    swExponent: config.swExponent ?? 1,
    keepClean: config.keepClean ?? false,
    cleanOutput: config.clean ?? false,
    cleanGate,
    gflopsPerImage: flops / 1e9,
    ratioAt1MP: perPixel ? flops / (perPixel * 1e6) : null,
    ratioAt256: perPixel ? flops / (perPixel * 256 * 256) : null,
  };
}

function finish(summary: Omit<ModelSummary, 'params'> & { params: Omit<ModelSummary['params'], 'total'> }): ModelSummary {
  const p = summary.params;
  const total = (p.backbone ?? 0) + (p.segHead ?? 0) + (p.estimator ?? 0) + Object.values(p.adapters).reduce((a, b) => a + b, 0);
  return { ...summary, params: { ...p, total } };
}

export function summarizePreset(name: string, rank = DEFAULT_LORA_RANK): ModelSummary {
  const config = presetConfig(name);
  const part = backbonePart(config);
  const targets = loraTargets(config);
  const adapter: LoraConfig = { name: 'per-task', rank, alpha: rank, targets: targets.map((t) => t.layer) };
  const est = estimatorConfig(PAPER_TASKS);
  return finish({
    source: `preset ${name}`,
    preset: name,
    config,
    params: {
      backbone: part.params,
      segHead: part.seg,
      adapters: { [`each (rank ${rank})`]: countParams(loraSpecs(adapter, targets)) },
      estimator: countParams(estimatorSpecs(est)),
    },
    gflopsPerMegapixel: { backbone: part.gflops, segHead: part.segGflops },
    estimator: estimatorPart(est, config),
    adapters: [{ name: adapter.name, rank, alpha: rank, layers: targets.length }],
    provenance: {},
  });
}

/** Summary of a weights folder (all its files) or of one weights file. */
export async function summarizeWeights(target: string): Promise<ModelSummary> {
  const stat = await fs.stat(target).catch(() => null);
  if (!stat) throw new Error(`${target}: not found`);
  const files = stat.isDirectory() ? await listWeights(target) : { adapters: [] as string[], single: target };
  const paths = 'single' in files ? [files.single] : [files.backbone, files.estimator, ...files.adapters].filter((f): f is string => !!f);
  if (paths.length === 0) throw new Error(`${target}: no abair weight files (backbone.safetensors, lora-*.safetensors, estimator.safetensors)`);
  let config: BackboneConfig | null = null;
  let preset: string | null = null;
  let est: EstimatorConfig | null = null;
  const adapters: ModelSummary['adapters'] = [];
  const adapterParams: Record<string, number> = {};
  const provenance: Record<string, Provenance> = {};
  for (const file of paths) {
    const sidecar = await readSidecar(file);
    if (Object.keys(sidecar.provenance).length > 0) provenance[file] = sidecar.provenance;
    if (sidecar.kind === 'backbone') {
      config = sidecar.config;
      preset = sidecar.preset ?? null;
    } else if (sidecar.kind === 'estimator') {
      est = sidecar.config;
    } else {
      config ??= sidecar.backbone;
      const a = sidecar.adapter;
      adapterParams[a.name] = countParams(loraSpecs(a, loraTargets(sidecar.backbone)));
      adapters.push({ name: a.name, rank: a.rank, alpha: a.alpha, layers: a.targets.length });
    }
  }
  const part = config ? backbonePart(config) : null;
  // the clean gate beside the estimator: what it is, or why it would be refused
  const estFile = 'single' in files ? null : files.estimator ?? null;
  const gate = est && estFile ? await readCleanGate(target, estFile, (est as EstimatorConfig).classes).then(
    (g) => (g ? `${CLEAN_GATE_FILE} (${g.gate.hidden} hidden units; PSNR cap ${String(g.provenance['capDb'] ?? '?')} dB${g.gate.statistics.length > 0 ? `; also reads ${g.gate.statistics.join(', ')}` : ''}; haze veto ${g.gate.hazeVeto ? `${g.gate.hazeVeto.from}–${g.gate.hazeVeto.to}${g.gate.hazeVeto.level === 'dark01' ? ' on the 1st percentile' : ''}` : 'none'}${g.gate.namer ? `; a namer gives p(clean)${g.gate.namerKeep ? `, which keeps the input from ${g.gate.namerKeep.from} (all at ${g.gate.namerKeep.to})` : ''}` : ''})` : null),
    (err: unknown) => `refused: ${(err as Error).message}`,
  ) : null;
  const added = stat.isDirectory() ? (await readCustomDegradations(target)).types : {};
  const hasBackboneFile = paths.some((p) => p.endsWith('backbone.safetensors')) || ('single' in files && config !== null && adapters.length === 0);
  return finish({
    source: target,
    preset,
    config,
    params: {
      backbone: part && hasBackboneFile ? part.params : null,
      segHead: part && hasBackboneFile ? part.seg : null,
      adapters: adapterParams,
      estimator: est ? countParams(estimatorSpecs(est)) : null,
    },
    gflopsPerMegapixel: { backbone: part?.gflops ?? null, segHead: part?.segGflops ?? null },
    estimator: est ? estimatorPart(est, config, gate) : null,
    adapters,
    provenance,
    ...(Object.keys(added).length > 0 ? { addedDegradations: added } : {}),
  });
}

const fmtInt = (n: number) => n.toLocaleString('en-US');

/** Human-readable lines. */
export function formatSummary(s: ModelSummary): string {
  const lines: string[] = [`model: ${s.source}`];
  if (s.config) {
    const c = s.config;
    lines.push(`architecture: dim ${c.dim}, blocks [${c.blocks.join(', ')}], refinement ${c.refinementBlocks}, heads [${c.heads.join(', ')}], ffn ×${c.ffnExpansion}, seg classes ${c.segClasses}`);
  }
  lines.push('parameters:');
  const row = (label: string, n: number) => lines.push(`  ${label.padEnd(24)} ${fmtInt(n).padStart(12)}`);
  if (s.params.backbone !== null) row('backbone', s.params.backbone);
  if (s.params.segHead !== null) row('segmentation head', s.params.segHead);
  for (const [name, n] of Object.entries(s.params.adapters)) row(`adapter ${name}`, n);
  if (s.params.estimator !== null) row('estimator', s.params.estimator);
  row('total', s.params.total);
  lines.push('compute (analytic, multiply-add = 2 FLOPs):');
  if (s.gflopsPerMegapixel.backbone !== null) lines.push(`  backbone                 ${s.gflopsPerMegapixel.backbone.toFixed(2)} GFLOPs per megapixel`);
  if (s.gflopsPerMegapixel.segHead) lines.push(`  segmentation head        ${s.gflopsPerMegapixel.segHead.toFixed(2)} GFLOPs per megapixel (Phase I only)`);
  if (s.estimator) {
    const e = s.estimator;
    lines.push(`  estimator                ${e.gflopsPerImage.toFixed(4)} GFLOPs per pass (input resized to ${e.inputSize}², any size; restoring averages up to 9 native ${e.inputSize}² crops)`);
    if (e.ratioAt1MP !== null) lines.push(`  estimator / backbone     ${(100 * e.ratioAt1MP).toFixed(3)}% at 1 MP, ${(100 * e.ratioAt256!).toFixed(2)}% at 256×256`);
    lines.push(`classes: ${e.classes.join(', ')}`);
    lines.push(`SW blend: weights ∝ odds^${e.swExponent} (the softmax of ${e.swExponent === 1 ? '' : `${e.swExponent} × `}the estimator's logits)`);
    const gated = e.cleanGate !== null && !e.cleanGate.startsWith('refused');
    lines.push(`clean output: ${e.cleanOutput ? 'yes (p(clean): nothing needs restoring)' : gated ? 'from the clean gate' : 'no (clean detection unavailable; keep-clean derives it from the classes)'}`);
    if (e.cleanGate !== null) lines.push(`clean gate: ${e.cleanGate}${gated ? ": p(clean) from the estimator's per-crop outputs and the dark channel" : ''}`);
    lines.push(`keep clean: ${e.keepClean ? `on (SW keeps the input's share by ${gated ? "the clean gate's p(clean)" : e.cleanOutput ? 'p(clean)' : 'the estimated chance that nothing is wrong'})` : 'off'}`);
  }
  if (s.adapters.length > 0) {
    lines.push('adapters:');
    for (const a of s.adapters) lines.push(`  ${a.name}: rank ${a.rank}, alpha ${a.alpha}, ${a.layers} layers`);
  }
  if (s.addedDegradations) {
    lines.push('added degradation types (degradations.json):');
    lines.push(...describeCustomDegradations({ format: 'abair-degradations', version: 1, types: s.addedDegradations }));
  }
  for (const [file, p] of Object.entries(s.provenance)) lines.push(`provenance of ${file}: ${JSON.stringify(p)}`);
  return lines.join('\n');
}
