/**
 * ONNX export of the backbone (+ segmentation head) and of the estimator, recorded from the same
 * forward code the tfjs path runs (forwardBackboneWith / estimatorLogitsWith over onnxOps).
 *
 * Graph interface (images NHWC float32 in [0,1], like every tile the restorer hands an engine):
 *   backbone: input `image` [N,H,W,3], any H,W ≥ 8 (reflect-padded to a multiple of 8 inside the
 *             graph, cropped back) → `restored` [N,H,W,3] (unclipped) and, optionally,
 *             `seg_logits` [N,H,W,1+K].
 *             adaptersAs 'inputs': every LoRA-target 1×1 weight is an extra input named like its
 *             parameter (`enc1.0.attn.qkv.w`, [cin,cout]), so per-image merged weights are just
 *             tensors; 'branches': adapters live in the graph and an input `adapter_weights`
 *             [N,K] blends them; 'none': whatever weights are passed are baked in.
 *   estimator: input `image` [N,H,W,3] (any size; bilinear resize inside) → `probabilities` [N,K].
 */
import { type BackboneConfig, SIZE_MULTIPLE } from '../model/config.js';
import { forwardBackboneWith, loraTargets } from '../model/backbone.js';
import { type EstimatorConfig, estimatorLogitsWith, estimatorOutputCount } from '../model/estimator.js';
import { loraParamName, loraScale, type LoraConfig } from '../model/lora.js';
import type { AdapterWeights, WeightLike, WeightsLike } from '../model/host-weights.js';
import type { LinearDelta } from '../model/layers/conv.js';
import { OnnxGraph, onnxOps, type Sym } from './graph-builder.js';

export type AdaptersAs = 'none' | 'inputs' | 'branches';
export const ADAPTER_WEIGHTS_INPUT = 'adapter_weights';

interface BackboneExportOptions {
  /** How LoRA adapters enter the graph (default 'none': params are used as given, e.g. merged). */
  adaptersAs?: AdaptersAs;
  /** Required for 'inputs' (which layers become inputs) and 'branches'. */
  adapters?: readonly AdapterWeights[];
  /** Add the `seg_logits` output (the model must have a segmentation head). */
  segmentation?: boolean;
}

function constants(graph: OnnxGraph, params: WeightsLike, skip: ReadonlySet<string> = new Set()): Record<string, Sym> {
  const out: Record<string, Sym> = {};
  for (const [name, t] of Object.entries(params)) {
    if (skip.has(name)) continue;
    out[name] = graph.constant(Float32Array.from(t.dataSync()), [...t.shape], name);
  }
  return out;
}

/** Names of the 1×1 weights the adapters touch, in the backbone's execution order. */
export function adapterInputNames(config: BackboneConfig, adapters: readonly { readonly config: LoraConfig }[]): string[] {
  const targeted = new Set(adapters.flatMap((a) => a.config.targets));
  return loraTargets(config).filter((t) => targeted.has(t.layer)).map((t) => `${t.layer}.w`);
}

/** LoRA as graph branches: Σ_k w[n,k]·(α_k/r_k)·(x·A_k)·B_k with the adapters' A,B as constants. */
function branchDelta(graph: OnnxGraph, adapters: readonly AdapterWeights[], weights: Sym): LinearDelta<Sym> {
  const ops = onnxOps(graph);
  const host = (t: WeightLike) => Float32Array.from(t.dataSync());
  const scaleCache = new Map<string, Sym>();
  return {
    delta(layer, x, _batch, parts = 1) {
      const chosen = adapters.filter((a) => a.config.targets.includes(layer));
      if (chosen.length === 0) return null;
      const aOf = (ad: AdapterWeights) => ad.params[loraParamName(ad.config.name, layer, 'A')]!;
      const bOf = (ad: AdapterWeights) => ad.params[loraParamName(ad.config.name, layer, 'B')]!;
      const cin = aOf(chosen[0]!).shape[0]!;
      const cout = bOf(chosen[0]!).shape[1]!;
      const rankTotal = chosen.reduce((s, ad) => s + ad.config.rank, 0);
      // A's side by side [cin, R], B's stacked [R, cout] (row-major concatenations).
      const aCat = new Float32Array(cin * rankTotal);
      const bCat = new Float32Array(rankTotal * cout);
      let col = 0;
      for (const ad of chosen) {
        const a = host(aOf(ad));
        for (let i = 0; i < cin; i++) for (let r = 0; r < ad.config.rank; r++) aCat[i * rankTotal + col + r] = a[i * ad.config.rank + r]!;
        bCat.set(host(bOf(ad)), col * cout);
        col += ad.config.rank;
      }
      // Per-image column scales [N,R,1,1] = weights[N,K] · E[K,R], E[k, block k] = α_k/r_k.
      const key = chosen.map((ad) => ad.config.name).join(',');
      let scale = scaleCache.get(key);
      if (!scale) {
        const spread = new Float32Array(adapters.length * rankTotal);
        let offset = 0;
        for (const ad of chosen) {
          const k = adapters.indexOf(ad);
          for (let r = 0; r < ad.config.rank; r++) spread[k * rankTotal + offset + r] = loraScale(ad.config);
          offset += ad.config.rank;
        }
        const perImage = graph.node('MatMul', [weights, graph.constant(spread, [adapters.length, rankTotal], 'lora_spread')]);
        scale = graph.node('Unsqueeze', [perImage, graph.int64([2, 3])]);
        scaleCache.set(key, scale);
      }
      const projected = ops.linear(x, graph.constant(aCat, [cin, rankTotal], `lora_${layer}_A`));
      const scaled = graph.node('Mul', [projected, scale], {}, rankTotal);
      const b = graph.constant(bCat, [rankTotal, cout], `lora_${layer}_B`);
      return Array.from({ length: parts }, (_, p) => ops.linear(scaled, parts === 1 ? b : ops.sliceWeight(b, [0, (p * cout) / parts], [rankTotal, cout / parts])));
    },
  };
}

/** Reflect-pads NCHW `x` at bottom/right to multiples of 8 (needs H, W ≥ 8: smaller inputs are padded by the caller). */
function padToMultiple(graph: OnnxGraph, x: Sym, heightWidth: Sym): Sym {
  const m = graph.int64([SIZE_MULTIPLE]);
  const missing = graph.node('Mod', [graph.node('Sub', [m, graph.node('Mod', [heightWidth, m])]), m]);
  const pads = graph.node('Concat', [graph.int64([0, 0, 0, 0, 0, 0]), missing], { axis: 0 });
  return graph.node('Pad', [x, pads], { mode: 'reflect' }, x.channels);
}

export function exportBackboneOnnx(params: WeightsLike, config: BackboneConfig, options: BackboneExportOptions = {}): Uint8Array {
  const mode = options.adaptersAs ?? 'none';
  const adapters = options.adapters ?? [];
  if (mode !== 'none' && adapters.length === 0) throw new Error(`adapters as ${mode} needs at least one adapter`);
  const graph = new OnnxGraph();
  const g = onnxOps(graph);
  const image = graph.input('image', ['batch', 'height', 'width', config.inChannels], config.inChannels);

  const weightInputs = mode === 'inputs' ? adapterInputNames(config, adapters) : [];
  const weights: Record<string, Sym> = constants(graph, params, new Set(weightInputs));
  for (const name of weightInputs) {
    const shape = [...params[name]!.shape];
    weights[name] = graph.input(name, shape, 0, shape);
  }
  const lora = mode === 'branches' ? branchDelta(graph, adapters, graph.input(ADAPTER_WEIGHTS_INPUT, ['batch', adapters.length])) : undefined;

  const nchw = graph.node('Transpose', [image], { perm: [0, 3, 1, 2] }, config.inChannels);
  const heightWidth = graph.node('Slice', [graph.node('Shape', [nchw]), graph.int64([2]), graph.int64([4])]);
  const padded = padToMultiple(graph, nchw, heightWidth);
  const out = forwardBackboneWith(g, weights, config, padded, { lora, segmentation: options.segmentation === true });
  const finish = (x: Sym, name: string, channels: number) => {
    const cropped = graph.node('Slice', [x, graph.int64([0, 0]), heightWidth, graph.int64([2, 3])], {}, x.channels);
    graph.output(graph.node('Transpose', [cropped], { perm: [0, 2, 3, 1] }), name, ['batch', 'height', 'width', channels]);
  };
  finish(out.restored, 'restored', config.outChannels);
  if (out.segLogits) finish(out.segLogits, 'seg_logits', config.segClasses + 1);
  return graph.encode('abair_backbone', `abair backbone, adapters as ${mode}`);
}

export function exportEstimatorOnnx(params: WeightsLike, config: EstimatorConfig): Uint8Array {
  const graph = new OnnxGraph();
  const g = onnxOps(graph);
  const image = graph.input('image', ['batch', 'height', 'width', config.inChannels], config.inChannels);
  const nchw = graph.node('Transpose', [image], { perm: [0, 3, 1, 2] }, config.inChannels);
  const logits = estimatorLogitsWith(g, constants(graph, params), config, nchw);
  graph.output(graph.node('Sigmoid', [logits]), 'probabilities', ['batch', estimatorOutputCount(config)]);
  return graph.encode('abair_estimator', `abair estimator: ${config.classes.join(', ')}`);
}
