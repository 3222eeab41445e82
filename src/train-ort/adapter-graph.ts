/**
 * The Phase II train-step graph: the frozen backbone with one LoRA adapter fully on, the
 * restoration loss of src/model/trainable.ts ('adapter' phase), and gradients for the adapter's
 * A and B only. The backbone weights are plain inputs (no gradient nodes: the tape never sees
 * them as live), fed from host arrays every step, so one graph serves any backbone file.
 *
 *   inputs:  input, target [N,P,P,3] NHWC; every backbone weight by name; every adapter A/B
 *   outputs: loss, grad.<adapter param name>
 */
import { backboneSpecs, forwardBackboneWith, loraTargets } from '../model/backbone.js';
import { type BackboneConfig, SIZE_MULTIPLE } from '../model/config.js';
import { loraScale, loraSpecs, type LoraConfig } from '../model/lora.js';
import type { RestorationLoss } from '../model/config.js';
import { autodiffOps } from './autodiff-ops.js';
import { adapterDelta } from './lora-delta.js';
import { restorationLoss } from './losses.js';
import { batchEntry, floatFeed, gradOutput, type TrainGraph } from './pretrain-graph.js';
import { Autodiff, type V } from './tape.js';

interface AdapterGraphOptions {
  /** NCHWc block size for the depthwise convolutions (nchwc.ts); absent = plain ONNX ops. */
  nchwcBlock?: number | null;
  config: BackboneConfig;
  batch: number;
  patch: number;
  loss: RestorationLoss;
  adapter: LoraConfig;
  /** The frozen backbone's values by parameter name (fed every step, never updated). */
  frozen: Readonly<Record<string, Float32Array>>;
}

export function buildAdapterGraph(o: AdapterGraphOptions): TrainGraph {
  const { config, batch: n, patch: p } = o;
  if (p % SIZE_MULTIPLE !== 0) throw new Error(`patch ${p} is not a multiple of ${SIZE_MULTIPLE}`);
  const ad = new Autodiff({ nchwcBlock: o.nchwcBlock ?? null });
  const weights: Record<string, V> = {};
  const frozenSpecs = backboneSpecs(config);
  for (const s of frozenSpecs) {
    if (!o.frozen[s.name]) throw new Error(`the frozen backbone has no '${s.name}'`);
    weights[s.name] = ad.input(s.name, [...s.shape]);
  }
  const specs = loraSpecs(o.adapter, loraTargets(config));
  const adapterParams: Record<string, V> = {};
  for (const s of specs) adapterParams[s.name] = ad.param(s.name, [...s.shape]);
  const g = autodiffOps(ad);
  const lora = adapterDelta(g, { config: o.adapter, params: adapterParams, scale: ad.scalar(loraScale(o.adapter), 'lora_scale') });
  const imageDims = [n, p, p, config.inChannels];
  const nchw = (x: V, c: number) => ad.node('Transpose', [x], { perm: [0, 3, 1, 2] }, [n, c, p, p], c);
  const input = nchw(ad.input('input', imageDims), config.inChannels);
  const target = nchw(ad.input('target', [n, p, p, config.outChannels]), config.outChannels);
  const out = forwardBackboneWith(g, weights, config, input, { lora });
  const term = restorationLoss(ad, o.loss, out.restored, target);
  const grads = ad.backward([[out.restored, term.grad]]);
  ad.graph.output(term.loss, 'loss', []);
  for (const s of specs) ad.graph.output(grads.get(s.name)!, gradOutput(s.name), [...s.shape]);
  const frozenFeeds = Object.fromEntries(frozenSpecs.map((s) => [s.name, { data: o.frozen[s.name]!, dims: [...s.shape] }]));
  return {
    model: ad.graph.encode('abair_adapter_step', `abair Phase II train step, adapter ${o.adapter.name} (rank ${o.adapter.rank}), ${n}×${p}², ${o.loss}`),
    params: specs.map((s) => ({ name: s.name, shape: [...s.shape] })),
    lossOutputs: ['loss'],
    feeds: (batch) => ({
      ...frozenFeeds,
      input: floatFeed(batchEntry(batch, 'input', imageDims)),
      target: floatFeed(batchEntry(batch, 'target', [n, p, p, config.outChannels])),
    }),
  };
}
