/**
 * The Phase III train-step graph: the estimator's logits recorded on the autodiff tape and the
 * multi-label BCE of src/model/trainable.ts ('estimator' phase), with every parameter's gradient.
 *
 *   inputs:  input [N,H,W,C] NHWC images (any fixed size: the graph resizes to inputSize),
 *            labels [N,K] multi-hot (K = head outputs, p(clean) last when present), and every estimator parameter by name
 *   outputs: loss, grad.<param name>
 */
import { type EstimatorConfig, estimatorLogitsWith, estimatorOutputCount, estimatorSpecs } from '../model/estimator.js';
import { autodiffOps } from './autodiff-ops.js';
import { binaryCrossEntropy } from './losses.js';
import { batchEntry, floatFeed, gradOutput, type TrainGraph } from './pretrain-graph.js';
import { Autodiff, type V } from './tape.js';

interface EstimatorGraphOptions {
  /** NCHWc block size for the depthwise convolutions (nchwc.ts); absent = plain ONNX ops. */
  nchwcBlock?: number | null;
  config: EstimatorConfig;
  batch: number;
  /** Height and width of the training images. */
  size: number;
}

export function buildEstimatorGraph(o: EstimatorGraphOptions): TrainGraph {
  const { config, batch: n, size } = o;
  // one label per head output: the classes, then p(clean) when the estimator has that output
  const k = estimatorOutputCount(config);
  const ad = new Autodiff({ nchwcBlock: o.nchwcBlock ?? null });
  const specs = estimatorSpecs(config);
  const params: Record<string, V> = {};
  for (const s of specs) params[s.name] = ad.param(s.name, [...s.shape]);
  const imageDims = [n, size, size, config.inChannels];
  const image = ad.node('Transpose', [ad.input('input', imageDims)], { perm: [0, 3, 1, 2] }, [n, config.inChannels, size, size], config.inChannels);
  const logits = estimatorLogitsWith(autodiffOps(ad), params, config, image);
  const term = binaryCrossEntropy(ad, logits, ad.input('labels', [n, k]));
  const grads = ad.backward([[logits, term.grad]]);
  ad.graph.output(term.loss, 'loss', []);
  for (const s of specs) ad.graph.output(grads.get(s.name)!, gradOutput(s.name), [...s.shape]);
  return {
    model: ad.graph.encode('abair_estimator_step', `abair Phase III train step, ${n}×${size}², classes ${config.classes.join(', ')}`),
    params: specs.map((s) => ({ name: s.name, shape: [...s.shape] })),
    lossOutputs: ['loss'],
    feeds: (batch) => ({ input: floatFeed(batchEntry(batch, 'input', imageDims)), labels: floatFeed(batchEntry(batch, 'labels', [n, k])) }),
  };
}
