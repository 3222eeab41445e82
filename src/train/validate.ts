/**
 * Validation on ONNX Runtime: a forward-only graph recorded from the same model code as the train
 * step (forwardBackboneWith / estimatorLogitsWith over onnxOps), with every weight a graph input,
 * so one session serves every validation of a run at that run's current values.
 *
 *   restoration (Phases I, II): input `image` [N,P,P,3] → `restored` [N,P,P,3]; Phase II adds its
 *     adapter (A, B as inputs, fully on) exactly as the train step does;
 *   estimator (Phase III): input `image` [N,H,W,3] → `logits` [N, head outputs].
 *
 * The metrics (ValidationResult) are computed here from the outputs, in float64: mean PSNR of the
 * clipped output and of the input against the target (per image 10·log10(1/mse), mse floored at
 * 1e-10), BCE with logits and per-label accuracy (logit > 0 equals the label).
 */
import type * as Ort from 'onnxruntime-common';
import { backboneSpecs, forwardBackboneWith } from '../model/backbone.js';
import type { BackboneConfig } from '../model/config.js';
import { type EstimatorConfig, estimatorLogitsWith, estimatorOutputCount, estimatorSpecs } from '../model/estimator.js';
import { loraScale, loraSpecs, type LoraConfig } from '../model/lora.js';
import { loraTargets } from '../model/backbone.js';
import { OnnxGraph, onnxOps, type Sym } from '../onnx/graph-builder.js';
import { createSession, loadOrt, type OrtSession } from '../ort/runtime.js';
import { adapterDelta } from '../train-ort/lora-delta.js';
import type { HostBatch, HostTensor, ValidationResult } from './engine.js';

export interface Validator {
  run(batch: HostBatch, weights: Readonly<Record<string, Float32Array>>): Promise<ValidationResult>;
  dispose(): Promise<void>;
}

interface ForwardGraph {
  model: Uint8Array;
  /** The weight inputs, by name, with their shapes. */
  weights: { name: string; shape: number[] }[];
  output: string;
}

function weightInputs(graph: OnnxGraph, specs: readonly { name: string; shape: readonly number[] }[]): Record<string, Sym> {
  return Object.fromEntries(specs.map((s) => [s.name, graph.input(s.name, [...s.shape], 0, [...s.shape])]));
}

/** Backbone (+ an adapter fully on) forward: `image` [N,P,P,C] → `restored` [N,P,P,C]. */
function restorationForward(config: BackboneConfig, patch: number, adapter?: LoraConfig): ForwardGraph {
  const graph = new OnnxGraph();
  const g = onnxOps(graph);
  const specs = [...backboneSpecs(config), ...(adapter ? loraSpecs(adapter, loraTargets(config)) : [])];
  const all = weightInputs(graph, specs);
  const lora = adapter ? adapterDelta(g, { config: adapter, params: all, scale: graph.constant(Float32Array.of(loraScale(adapter)), [], 'lora_scale') }) : undefined;
  const image = graph.input('image', ['batch', patch, patch, config.inChannels], config.inChannels);
  const nchw = graph.node('Transpose', [image], { perm: [0, 3, 1, 2] }, config.inChannels);
  const out = forwardBackboneWith(g, all, config, nchw, lora ? { lora } : {});
  graph.output(graph.node('Transpose', [out.restored], { perm: [0, 2, 3, 1] }), 'restored', ['batch', patch, patch, config.outChannels]);
  return { model: graph.encode('abair_validation', 'abair validation forward'), weights: specs.map((s) => ({ name: s.name, shape: [...s.shape] })), output: 'restored' };
}

/** Estimator forward: `image` [N,H,W,C] → `logits` [N, head outputs]. */
function estimatorForward(config: EstimatorConfig, size: number): ForwardGraph {
  const graph = new OnnxGraph();
  const specs = estimatorSpecs(config);
  const image = graph.input('image', ['batch', size, size, config.inChannels], config.inChannels);
  const nchw = graph.node('Transpose', [image], { perm: [0, 3, 1, 2] }, config.inChannels);
  const logits = estimatorLogitsWith(onnxOps(graph), weightInputs(graph, specs), config, nchw);
  graph.output(logits, 'logits', ['batch', estimatorOutputCount(config)]);
  return { model: graph.encode('abair_estimator_validation', 'abair estimator validation forward'), weights: specs.map((s) => ({ name: s.name, shape: [...s.shape] })), output: 'logits' };
}

function entry(batch: HostBatch, name: string): HostTensor {
  const t = batch[name];
  if (!t) throw new Error(`validation batch has no '${name}'`);
  return t;
}

const rowSize = (t: HostTensor) => t.shape.slice(1).reduce((a, b) => a * b, 1);

/** Per-image PSNR of a (clipped to [0,1]) against b, rows of `size` values. */
// @testSeam: tested directly
export function psnrRows(a: ArrayLike<number>, b: ArrayLike<number>, rows: number, size: number, clip: boolean): number[] {
  const out: number[] = [];
  for (let r = 0; r < rows; r++) {
    let sum = 0;
    for (let i = r * size; i < (r + 1) * size; i++) {
      const x = clip ? Math.min(1, Math.max(0, a[i]!)) : a[i]!;
      const d = x - b[i]!;
      sum += d * d;
    }
    out.push(-10 * Math.log10(Math.max(sum / size, 1e-10)));
  }
  return out;
}

/**
 * A validator over `graph` running `chunk` rows at a time (the training batch, which is known to
 * fit), so validation sets larger than a batch need no more memory than a step.
 */
async function validator(graph: ForwardGraph, kind: 'restore' | 'estimator', chunk: number, threads: number): Promise<Validator> {
  const ort = await loadOrt();
  const session: OrtSession = await createSession(graph.model, threads);
  const run = async (input: HostTensor, start: number, count: number, weights: Readonly<Record<string, Float32Array>>): Promise<Float32Array> => {
    const size = rowSize(input);
    const feeds: Record<string, Ort.Tensor> = { image: new ort.Tensor('float32', Float32Array.from(input.data.subarray(start * size, (start + count) * size)), [count, ...input.shape.slice(1)]) };
    for (const w of graph.weights) {
      const data = weights[w.name];
      if (!data) throw new Error(`validation: no value for '${w.name}'`);
      feeds[w.name] = new ort.Tensor('float32', data, w.shape);
    }
    const out = await session.run(feeds, [graph.output]);
    return out[graph.output]!.data as Float32Array;
  };
  return {
    async run(batch, weights) {
      const input = entry(batch, 'input');
      const n = input.shape[0]!;
      if (kind === 'estimator') {
        const labels = entry(batch, 'labels');
        const k = labels.shape[1]!;
        let bce = 0;
        let correct = 0;
        for (let s = 0; s < n; s += chunk) {
          const c = Math.min(chunk, n - s);
          const z = await run(input, s, c, weights);
          if (z.length !== c * k) throw new Error(`validation: the estimator gives ${z.length / c} outputs per image, the labels have ${k}`);
          for (let i = 0; i < c * k; i++) {
            const logit = z[i]!;
            const y = labels.data[s * k + i]!;
            bce += Math.max(logit, 0) - logit * y + Math.log1p(Math.exp(-Math.abs(logit)));
            if ((logit > 0 ? 1 : 0) === y) correct++;
          }
        }
        return { bce: bce / labels.data.length, accuracy: correct / labels.data.length };
      }
      const target = entry(batch, 'target');
      const size = rowSize(target);
      let psnr = 0;
      let inputPsnr = 0;
      for (let s = 0; s < n; s += chunk) {
        const c = Math.min(chunk, n - s);
        const restored = await run(input, s, c, weights);
        const t = target.data.subarray(s * size, (s + c) * size);
        for (const v of psnrRows(restored, t, c, size, true)) psnr += v;
        for (const v of psnrRows(input.data.subarray(s * size, (s + c) * size), t, c, size, true)) inputPsnr += v;
      }
      return { psnr: psnr / n, inputPsnr: inputPsnr / n };
    },
    dispose: () => session.release(),
  };
}

export function restorationValidator(config: BackboneConfig, patch: number, o: { adapter?: LoraConfig; chunk: number; threads: number }): Promise<Validator> {
  return validator(restorationForward(config, patch, o.adapter), 'restore', o.chunk, o.threads);
}

export function estimatorValidator(config: EstimatorConfig, size: number, o: { chunk: number; threads: number }): Promise<Validator> {
  return validator(estimatorForward(config, size), 'estimator', o.chunk, o.threads);
}
