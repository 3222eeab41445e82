/**
 * Phase I training on ONNX Runtime: one session holds the train-step graph (pretrain-graph.ts);
 * parameters, AdamW moments and gradients live in flat Float32Arrays laid out like the tfjs
 * engine's (src/engine/parallel/layout.ts), and the parameters are handed to every run as the
 * same ort.Tensor views of that buffer, updated in place, so nothing is rebuilt per step.
 *
 * The step: run the graph → global gradient norm → clip → AdamW (decoupled decay on rank ≥ 2
 * weights only) with src/engine/parallel/adamw.ts, i.e. the very arithmetic the tfjs engine uses
 * (float64, rounded once), and the same non-finite skip rule.
 */
import type * as Ort from 'onnxruntime-node';
import { buildLayout, pack, unpack, type ParamLayout } from '../engine/parallel/layout.js';
import { adamwUpdate, clipScale, resolveAdamW, type ResolvedAdamW } from '../engine/parallel/adamw.js';
import type { AdamWOptions, HostBatch, OptimizerState } from '../engine/parallel/types.js';
import type { BackboneConfig } from '../model/config.js';
import { modelSpecs } from '../model/backbone.js';
import { initialValues } from '../model/params.js';
import type { RestorationLoss } from '../model/trainable.js';
import { loadOrt } from '../onnx/runtime.js';
import { Rng } from '../util/rng.js';
import { buildPretrainGraph, gradOutput, oneHotNchw, type TrainGraph } from './pretrain-graph.js';

export interface OrtPretrainOptions {
  config: BackboneConfig;
  batch: number;
  patch: number;
  segWeight?: number;
  loss?: RestorationLoss;
  /** Initialisation seed: the same values as createBackbone(config, seed). */
  seed?: number | string;
  optimizer: AdamWOptions;
  /** Intra-op threads (default 2). */
  threads?: number;
}

export interface OrtStepResult {
  loss: number;
  terms: { restore: number; seg: number };
  gradNorm: number;
  skipped: boolean;
  rows: number;
  ms: { run: number; update: number; total: number };
}

/** Host initial values of every backbone parameter, exactly as createParams draws them. */
export function initialBackbone(config: BackboneConfig, seed: number | string = 0): Record<string, Float32Array> {
  const root = new Rng(seed);
  return Object.fromEntries(modelSpecs(config).map((s) => [s.name, initialValues(s, root.fork(s.name))]));
}

export class OrtPretrainTrainer {
  private opt: ResolvedAdamW;
  private updates = 0;
  private readonly params: Float32Array;
  private readonly m: Float32Array;
  private readonly v: Float32Array;
  private readonly grad: Float32Array;
  private readonly paramFeeds: Record<string, Ort.Tensor>;
  private readonly fetch: string[];

  private constructor(
    private readonly ort: typeof Ort,
    private readonly session: Ort.InferenceSession,
    readonly layout: ParamLayout,
    readonly graph: TrainGraph,
    private readonly options: OrtPretrainOptions,
  ) {
    this.opt = resolveAdamW(options.optimizer);
    this.params = new Float32Array(layout.total);
    this.m = new Float32Array(layout.total);
    this.v = new Float32Array(layout.total);
    this.grad = new Float32Array(layout.total);
    this.paramFeeds = Object.fromEntries(layout.entries.map((e) => [e.name, new ort.Tensor('float32', this.params.subarray(e.offset, e.offset + e.size), e.shape)]));
    this.fetch = [...graph.lossOutputs, ...layout.entries.map((e) => gradOutput(e.name))];
  }

  static async create(o: OrtPretrainOptions): Promise<OrtPretrainTrainer> {
    const ort = await loadOrt();
    const graph = buildPretrainGraph({ config: o.config, batch: o.batch, patch: o.patch, segWeight: o.segWeight ?? 0.1, loss: o.loss ?? 'l1' });
    const session = await ort.InferenceSession.create(graph.model, {
      intraOpNumThreads: o.threads ?? 2,
      interOpNumThreads: 1,
      graphOptimizationLevel: 'all',
      executionMode: 'sequential',
      // static shapes: pre-planned memory is reused every step
      enableMemPattern: true,
      extra: { session: { intra_op: { allow_spinning: '0' } } },
    });
    // rank ≥ 2 decays, like the tfjs engine's default for a Trainable without `decays`
    const layout = buildLayout(graph.params.map((p) => ({ name: p.name, shape: p.shape, decays: p.shape.length >= 2 })));
    const trainer = new OrtPretrainTrainer(ort, session, layout, graph, o);
    const init = initialBackbone(o.config, o.seed ?? 0);
    trainer.setParams(Object.fromEntries(graph.params.map((p) => [p.name, init[p.name]!])));
    return trainer;
  }

  get stepCount(): number {
    return this.updates;
  }

  get paramCount(): number {
    return this.layout.total;
  }

  setLearningRate(lr: number): void {
    this.opt = resolveAdamW({ ...this.opt, clipNorm: this.opt.clipNorm ?? undefined, lr });
  }

  getParams(): Record<string, Float32Array> {
    return unpack(this.layout, this.params);
  }

  setParams(values: Record<string, ArrayLike<number>>): void {
    pack(this.layout, values, this.params);
  }

  /** AdamW moments and step count, in the tfjs engine's format (what its checkpoints store). */
  getOptimizerState(): OptimizerState {
    return { step: this.updates, m: unpack(this.layout, this.m), v: unpack(this.layout, this.v) };
  }

  setOptimizerState(state: OptimizerState): void {
    if (!Number.isInteger(state.step) || state.step < 0) throw new Error(`invalid optimizer step ${state.step}`);
    for (const which of [state.m, state.v]) {
      const missing = this.layout.entries.filter((e) => !(e.name in which)).map((e) => e.name);
      if (missing.length) throw new Error(`optimizer state lacks ${missing.join(', ')}`);
    }
    pack(this.layout, state.m, this.m);
    pack(this.layout, state.v, this.v);
    this.updates = state.step;
  }

  private feeds(batch: HostBatch): Record<string, Ort.Tensor> {
    const { batch: n, patch: p, config } = this.options;
    const entry = (name: string) => {
      const t = batch[name];
      if (!t) throw new Error(`training batch has no '${name}' entry`);
      return t;
    };
    const input = entry('input'), target = entry('target');
    const want = [n, p, p, config.inChannels].join('×');
    for (const [name, t] of [['input', input], ['target', target]] as const) {
      if (t.shape.join('×') !== want) throw new Error(`batch '${name}' is ${t.shape.join('×')}; this train-step graph was built for ${want}`);
    }
    const feeds: Record<string, Ort.Tensor> = {
      ...this.paramFeeds,
      input: new this.ort.Tensor('float32', Float32Array.from(input.data), input.shape),
      target: new this.ort.Tensor('float32', Float32Array.from(target.data), target.shape),
    };
    if (this.graph.usesSeg) {
      const classes = config.segClasses + 1;
      feeds['seg_onehot'] = new this.ort.Tensor('float32', oneHotNchw(entry('seg').data, n, p, classes), [n, classes, p, p]);
    }
    return feeds;
  }

  /** Loss terms and gradients at the current parameters (no update). */
  async lossAndGradients(batch: HostBatch): Promise<{ loss: number; terms: { restore: number; seg: number }; grads: Record<string, Float32Array> }> {
    const out = await this.session.run(this.feeds(batch), this.fetch);
    const scalar = (name: string) => (out[name]!.data as Float32Array)[0]!;
    const grads = Object.fromEntries(this.layout.entries.map((e) => [e.name, out[gradOutput(e.name)]!.data as Float32Array]));
    return { loss: scalar('loss'), terms: { restore: scalar('loss_restore'), seg: scalar('loss_seg') }, grads };
  }

  async step(batch: HostBatch): Promise<OrtStepResult> {
    const t0 = performance.now();
    const { loss, terms, grads } = await this.lossAndGradients(batch);
    const t1 = performance.now();
    let sumSq = 0;
    for (const e of this.layout.entries) {
      const g = grads[e.name]!;
      this.grad.set(g, e.offset);
      for (let i = 0; i < g.length; i++) sumSq += g[i]! * g[i]!;
    }
    const gradNorm = Math.sqrt(sumSq);
    const skipped = !(Number.isFinite(loss) && Number.isFinite(gradNorm));
    if (!skipped) {
      const step = this.updates + 1;
      adamwUpdate(this.layout, 0, this.layout.total, { params: this.params, m: this.m, v: this.v, grad: this.grad }, this.opt, step, clipScale(gradNorm, this.opt.clipNorm));
      this.updates = step;
    }
    const t2 = performance.now();
    return { loss, terms, gradNorm, skipped, rows: this.options.batch, ms: { run: t1 - t0, update: t2 - t1, total: t2 - t0 } };
  }

  async dispose(): Promise<void> {
    await this.session.release();
  }
}
