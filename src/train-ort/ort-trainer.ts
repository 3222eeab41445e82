/**
 * Training on ONNX Runtime: one session holds a train-step graph (pretrain-graph.ts for Phase I,
 * adapter-graph.ts for Phase II, estimator-graph.ts for Phase III);
 * parameters, AdamW moments and gradients live in flat Float32Arrays laid out like the tfjs
 * engine's (src/tfjs/parallel/layout.ts), and the parameters are handed to every run as the
 * same ort.Tensor views of that buffer, updated in place, so nothing is rebuilt per step.
 *
 * The step: run the graph → global gradient norm → clip → AdamW (decoupled decay on rank ≥ 2
 * weights only) with src/tfjs/parallel/adamw.ts, i.e. the very arithmetic the tfjs engine uses
 * (float64, rounded once), and the same non-finite skip rule.
 */
import type * as Ort from 'onnxruntime-common';
import type { OrtModule } from '../ort/runtime.js';
import { buildLayout, pack, unpack, type ParamLayout } from './param-layout.js';
import { adamwUpdate, clipScale, resolveAdamW, type ResolvedAdamW } from './adamw.js';
import { batchRows } from './host-batch.js';
import type { AdamWOptions, HostBatch, OptimizerState } from './host-batch.js';
import { loraTargets, modelSpecs } from '../model/backbone.js';
import { DEFAULT_LORA_RANK, type LoraConfig, loraSpecs, validateLoraConfig } from '../model/lora.js';
import type { BackboneConfig } from '../model/config.js';
import { type EstimatorConfig, estimatorSpecs } from '../model/estimator.js';
import { initialValues, type ParamSpec } from '../model/params.js';
import type { RestorationLoss } from '../model/config.js';
import { loadOrt } from '../ort/runtime.js';
import { Rng } from '../util/rng.js';
import { buildAdapterGraph } from './adapter-graph.js';
import { nchwcBlockSize } from './nchwc.js';
import { buildEstimatorGraph } from './estimator-graph.js';
import { buildPretrainGraph, gradOutput, type TrainGraph } from './pretrain-graph.js';

interface OrtTrainerOptions {
  graph: TrainGraph;
  /** Starting values of every parameter of the graph. */
  initial: Record<string, Float32Array>;
  optimizer: AdamWOptions;
  /** Intra-op threads (default 2). */
  threads?: number;
}

interface OrtPretrainOptions {
  config: BackboneConfig;
  batch: number;
  patch: number;
  segWeight?: number;
  loss?: RestorationLoss;
  /** Initialisation seed: the same values as createBackbone(config, seed). */
  seed?: number | string;
  optimizer: AdamWOptions;
  threads?: number;
}

interface OrtAdapterOptions {
  config: BackboneConfig;
  batch: number;
  patch: number;
  loss?: RestorationLoss;
  /** The frozen backbone (e.g. initialBackbone, or a loaded file's values). */
  frozen: Readonly<Record<string, Float32Array>>;
  adapter: { name: string; rank?: number; alpha?: number };
  /** Initialisation seed: the same A/B as trainable.ts's adapter replica with this seed. */
  seed?: number;
  optimizer: AdamWOptions;
  threads?: number;
}

interface OrtEstimatorOptions {
  config: EstimatorConfig;
  batch: number;
  /** Height = width of the training images. */
  size: number;
  /** The same values as the tfjs phase 'estimator' replica with this seed. */
  seed?: number;
  optimizer: AdamWOptions;
  threads?: number;
}

interface OrtStepResult {
  loss: number;
  /** Every scalar loss output by name (e.g. loss_restore, loss_seg). */
  terms: Record<string, number>;
  gradNorm: number;
  skipped: boolean;
  rows: number;
  ms: { run: number; update: number; total: number };
}

/** Host initial values of specs, exactly as createParams draws them. */
function initialHost(specs: readonly ParamSpec[], seed: number | string): Record<string, Float32Array> {
  const root = new Rng(seed);
  return Object.fromEntries(specs.map((s) => [s.name, initialValues(s, root.fork(s.name))]));
}

/** Host initial values of every backbone parameter, exactly as createParams draws them. */
export function initialBackbone(config: BackboneConfig, seed: number | string = 0): Record<string, Float32Array> {
  return initialHost(modelSpecs(config), seed);
}

/** A training session over any TrainGraph (one step = run + JS AdamW). */
export class OrtTrainer {
  private opt: ResolvedAdamW;
  private updates = 0;
  private readonly params: Float32Array;
  private readonly m: Float32Array;
  private readonly v: Float32Array;
  private readonly grad: Float32Array;
  private readonly paramFeeds: Record<string, Ort.Tensor>;
  private readonly fetch: string[];

  private constructor(
    private readonly ort: OrtModule,
    private readonly session: Ort.InferenceSession,
    readonly layout: ParamLayout,
    readonly graph: TrainGraph,
    optimizer: AdamWOptions,
  ) {
    this.opt = resolveAdamW(optimizer);
    this.params = new Float32Array(layout.total);
    this.m = new Float32Array(layout.total);
    this.v = new Float32Array(layout.total);
    this.grad = new Float32Array(layout.total);
    this.paramFeeds = Object.fromEntries(layout.entries.map((e) => [e.name, new ort.Tensor('float32', this.params.subarray(e.offset, e.offset + e.size), e.shape)]));
    this.fetch = [...graph.lossOutputs, ...layout.entries.map((e) => gradOutput(e.name))];
  }

  static async create(o: OrtTrainerOptions): Promise<OrtTrainer> {
    const ort = await loadOrt();
    const session = await ort.InferenceSession.create(o.graph.model, {
      intraOpNumThreads: o.threads ?? 2,
      interOpNumThreads: 1,
      graphOptimizationLevel: 'all',
      executionMode: 'sequential',
      // static shapes: pre-planned memory is reused every step
      enableMemPattern: true,
      extra: { session: { intra_op: { allow_spinning: '0' } } },
    });
    // rank ≥ 2 decays, like the tfjs engine's default for a Trainable without `decays`
    const layout = buildLayout(o.graph.params.map((p) => ({ name: p.name, shape: p.shape, decays: p.shape.length >= 2 })));
    const trainer = new OrtTrainer(ort, session, layout, o.graph, o.optimizer);
    trainer.setParams(Object.fromEntries(o.graph.params.map((p) => {
      const v = o.initial[p.name];
      if (!v) throw new Error(`no initial value for parameter '${p.name}'`);
      return [p.name, v];
    })));
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
    const data = Object.fromEntries(Object.entries(this.graph.feeds(batch)).map(([name, t]) => [name, new this.ort.Tensor('float32', t.data, t.dims)]));
    return { ...this.paramFeeds, ...data };
  }

  /** Loss terms and gradients at the current parameters (no update). */
  async lossAndGradients(batch: HostBatch): Promise<{ loss: number; terms: Record<string, number>; grads: Record<string, Float32Array> }> {
    const out = await this.session.run(this.feeds(batch), this.fetch);
    const terms = Object.fromEntries(this.graph.lossOutputs.map((name) => [name, (out[name]!.data as Float32Array)[0]!]));
    const grads = Object.fromEntries(this.layout.entries.map((e) => [e.name, out[gradOutput(e.name)]!.data as Float32Array]));
    return { loss: terms[this.graph.lossOutputs[0]!]!, terms, grads };
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
    return { loss, terms, gradNorm, skipped, rows: batchRows(batch), ms: { run: t1 - t0, update: t2 - t1, total: t2 - t0 } };
  }

  async dispose(): Promise<void> {
    await this.session.release();
  }
}

/** Phase I (backbone + seg head) on ORT, initialised like createBackbone(config, seed). */
export const OrtPretrainTrainer = {
  async create(o: OrtPretrainOptions): Promise<OrtTrainer> {
    const nchwcBlock = await nchwcBlockSize(await loadOrt());
    const graph = buildPretrainGraph({ nchwcBlock, config: o.config, batch: o.batch, patch: o.patch, segWeight: o.segWeight ?? 0.1, loss: o.loss ?? 'l1' });
    return OrtTrainer.create({ graph, initial: initialBackbone(o.config, o.seed ?? 0), optimizer: o.optimizer, ...(o.threads ? { threads: o.threads } : {}) });
  },
};

/** Phase II (one LoRA adapter on a frozen backbone), initialised like trainable.ts's adapter replica. */
export const OrtAdapterTrainer = {
  async create(o: OrtAdapterOptions): Promise<OrtTrainer> {
    const nchwcBlock = await nchwcBlockSize(await loadOrt());
    const rank = o.adapter.rank ?? DEFAULT_LORA_RANK;
    const adapter: LoraConfig = { name: o.adapter.name, rank, alpha: o.adapter.alpha ?? rank, targets: loraTargets(o.config).map((t) => t.layer) };
    validateLoraConfig(adapter);
    const graph = buildAdapterGraph({ nchwcBlock, config: o.config, batch: o.batch, patch: o.patch, loss: o.loss ?? 'l1', adapter, frozen: o.frozen });
    const initial = initialHost(loraSpecs(adapter, loraTargets(o.config)), `lora:${o.adapter.name}:${o.seed ?? 0}`);
    return OrtTrainer.create({ graph, initial, optimizer: o.optimizer, ...(o.threads ? { threads: o.threads } : {}) });
  },
};

/** Phase III (the estimator alone) on ORT, initialised like trainable.ts's estimator replica. */
export const OrtEstimatorTrainer = {
  async create(o: OrtEstimatorOptions): Promise<OrtTrainer> {
    const nchwcBlock = await nchwcBlockSize(await loadOrt());
    const graph = buildEstimatorGraph({ nchwcBlock, config: o.config, batch: o.batch, size: o.size });
    return OrtTrainer.create({ graph, initial: initialHost(estimatorSpecs(o.config), `estimator:${o.seed ?? 0}`), optimizer: o.optimizer, ...(o.threads ? { threads: o.threads } : {}) });
  },
};
