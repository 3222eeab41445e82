/**
 * The Phase I train-step graph: the backbone + segmentation head forward recorded on the autodiff
 * tape, the loss of src/model/trainable.ts ('backbone' phase), and the gradient of every trainable
 * parameter, in one ONNX model with static shapes (batch × patch² fixed for a run).
 *
 *   inputs:  input, target  [N,P,P,3] NHWC in [0,1] (as the data pipeline builds them)
 *            seg_onehot     [N,1+K,P,P] one-hot of the class labels (when the seg loss is on)
 *            <param name>   every parameter, tfjs layout (e.g. `enc1.0.attn.qkv.w` [cin,cout])
 *   outputs: loss, loss_restore, loss_seg (scalars; loss = restore + segWeight·seg)
 *            grad.<param name>   dloss/dparam, same shape as the parameter
 *
 * The AdamW update runs in JS on the returned gradients (ort-trainer.ts), with the arithmetic of
 * the tfjs engine (src/tfjs/parallel/adamw.ts), so both engines update identically.
 */
import type { HostBatch, HostTensor } from './host-batch.js';
import { type BackboneConfig, SIZE_MULTIPLE } from '../model/config.js';
import { forwardBackboneWith, modelSpecs } from '../model/backbone.js';
import type { RestorationLoss } from '../model/config.js';
import { autodiffOps } from './autodiff-ops.js';
import { restorationLoss, segmentationLoss } from './losses.js';
import { Autodiff, type V } from './tape.js';

interface PretrainGraphOptions {
  /** NCHWc block size for the depthwise convolutions (nchwc.ts); absent = plain ONNX ops. */
  nchwcBlock?: number | null;
  config: BackboneConfig;
  batch: number;
  patch: number;
  /** Weight of the segmentation cross-entropy (0 = no head loss, as in trainable.ts). */
  segWeight: number;
  loss: RestorationLoss;
}

export interface TrainGraph {
  model: Uint8Array;
  /** Trainable parameters in spec order (the flat layout's order). */
  params: { name: string; shape: number[] }[];
  /** Scalar outputs; the first is the total loss the gradients are of. */
  lossOutputs: string[];
  /** The graph's data inputs from a host batch (checked against the static shapes). */
  feeds(batch: HostBatch): Record<string, { data: Float32Array; dims: number[] }>;
}

export const gradOutput = (name: string) => `grad.${name}`;

export function batchEntry(batch: HostBatch, name: string, dims: number[]): HostTensor {
  const t = batch[name];
  if (!t) throw new Error(`training batch has no '${name}' entry`);
  if (t.shape.join('×') !== dims.join('×')) throw new Error(`batch '${name}' is ${t.shape.join('×')}; this train-step graph was built for ${dims.join('×')}`);
  return t;
}

/** A float32 copy of a batch entry (labels may arrive as int32). */
export function floatFeed(t: HostTensor): { data: Float32Array; dims: number[] } {
  return { data: Float32Array.from(t.data), dims: [...t.shape] };
}

export function buildPretrainGraph(o: PretrainGraphOptions): TrainGraph {
  const { config, batch: n, patch: p } = o;
  if (p % SIZE_MULTIPLE !== 0) throw new Error(`patch ${p} is not a multiple of ${SIZE_MULTIPLE}`);
  const usesSeg = o.segWeight > 0 && config.segClasses > 0;
  const ad = new Autodiff({ nchwcBlock: o.nchwcBlock ?? null });
  const specs = modelSpecs(config).filter((s) => usesSeg || !s.name.startsWith('seg.'));
  const params: Record<string, V> = {};
  for (const s of specs) params[s.name] = ad.param(s.name, [...s.shape]);
  const nchw = (x: V, c: number) => ad.node('Transpose', [x], { perm: [0, 3, 1, 2] }, [n, c, p, p], c);
  const input = nchw(ad.input('input', [n, p, p, config.inChannels]), config.inChannels);
  const target = nchw(ad.input('target', [n, p, p, config.outChannels]), config.outChannels);

  const out = forwardBackboneWith(autodiffOps(ad), params, config, input, { segmentation: usesSeg });
  const restore = restorationLoss(ad, o.loss, out.restored, target);
  const seeds: [V, V][] = [[out.restored, restore.grad]];
  let total = restore.loss;
  let segLoss = ad.scalar(0, 'no_seg');
  if (usesSeg) {
    const oneHot = ad.input('seg_onehot', [n, config.segClasses + 1, p, p]);
    const seg = segmentationLoss(ad, out.segLogits!, oneHot);
    const w = ad.scalar(o.segWeight, 'seg_weight');
    segLoss = seg.loss;
    total = ad.add(restore.loss, ad.mul(seg.loss, w, []), []);
    seeds.push([out.segLogits!, ad.mul(seg.grad, w)]);
  }
  const grads = ad.backward(seeds);
  ad.graph.output(total, 'loss', []);
  ad.graph.output(restore.loss, 'loss_restore', []);
  ad.graph.output(segLoss, 'loss_seg', []);
  for (const s of specs) ad.graph.output(grads.get(s.name)!, gradOutput(s.name), [...s.shape]);
  const imageDims = [n, p, p, config.inChannels];
  const classes = config.segClasses + 1;
  return {
    model: ad.graph.encode('abair_pretrain_step', `abair Phase I train step, ${n}×${p}², ${o.loss} + ${o.segWeight}·seg CE`),
    params: specs.map((s) => ({ name: s.name, shape: [...s.shape] })),
    lossOutputs: ['loss', 'loss_restore', 'loss_seg'],
    feeds: (batch) => {
      const feeds: Record<string, { data: Float32Array; dims: number[] }> = {
        input: floatFeed(batchEntry(batch, 'input', imageDims)),
        target: floatFeed(batchEntry(batch, 'target', [n, p, p, config.outChannels])),
      };
      if (usesSeg) feeds['seg_onehot'] = { data: oneHotNchw(batchEntry(batch, 'seg', [n, p, p]).data, n, p, classes), dims: [n, classes, p, p] };
      return feeds;
    },
  };
}

/** Class labels [N,P,P] (int) → one-hot [N,classes,P,P] float32 (NCHW), the graph's seg_onehot. */
export function oneHotNchw(labels: Int32Array | Float32Array, n: number, p: number, classes: number): Float32Array {
  const out = new Float32Array(n * classes * p * p);
  const plane = p * p;
  for (let b = 0; b < n; b++) {
    for (let i = 0; i < plane; i++) {
      const k = labels[b * plane + i]!;
      if (k < 0 || k >= classes || !Number.isInteger(k)) throw new Error(`segmentation label ${k} is outside 0..${classes - 1}`);
      out[(b * classes + k) * plane + i] = 1;
    }
  }
  return out;
}
