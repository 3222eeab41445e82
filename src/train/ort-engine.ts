/**
 * The training engine: ONNX Runtime (src/train-ort) in this process, `threads` intra-op threads.
 * One train-step session per run (static batch × patch² shapes), its parameters and AdamW moments
 * in OrtTrainer's flat buffers; a forward-only session for validation (validate.ts), built at the
 * first validation from the validation batch's shape.
 *
 * Phase I with segWeight 0 trains no segmentation head, but its weights are part of the backbone
 * file and of the checkpoint: they are carried here at their initial values (moments zero).
 *
 * Failures a user can cause become one-line UserErrors: a batch that does not fit in memory (ONNX
 * Runtime's or V8's allocation failure, engine.ts memoryError), named with the batch and patch.
 */
import { loraTargets, modelSpecs } from '../model/backbone.js';
import { estimatorSpecs } from '../model/estimator.js';
import type { LoraConfig } from '../model/lora.js';
import { OrtAdapterTrainer, OrtEstimatorTrainer, OrtPretrainTrainer, type OrtTrainer, initialBackbone } from '../train-ort/ort-trainer.js';
import { type EngineOptions, type HostBatch, memoryError, type OptimizerState, type TrainEngine, type ValidationResult } from './engine.js';
import { loadOrt } from '../ort/runtime.js';
import { estimatorValidator, restorationValidator, type Validator } from './validate.js';

/** The adapter config OrtAdapterTrainer trains: every LoRA target, alpha = rank unless given. */
export function adapterConfig(o: { name: string; rank: number; alpha?: number }, targets: readonly { layer: string }[]): LoraConfig {
  return { name: o.name, rank: o.rank, alpha: o.alpha ?? o.rank, targets: targets.map((t) => t.layer) };
}

/** The values carried untrained (Phase I's seg head with segWeight 0), in file order. */
function carried(o: EngineOptions, trained: readonly string[]): Record<string, Float32Array> {
  if (o.model.phase !== 'backbone') return {};
  const names = new Set(trained);
  const all = initialBackbone(o.model.config, o.model.seed);
  return Object.fromEntries(Object.entries(all).filter(([name]) => !names.has(name)));
}

async function createTrainer(o: EngineOptions): Promise<OrtTrainer> {
  const optimizer = o.optimizer;
  const m = o.model;
  if (m.phase === 'backbone') return OrtPretrainTrainer.create({ config: m.config, batch: o.batch, patch: o.patch, segWeight: m.segWeight, loss: m.loss, seed: m.seed, optimizer, threads: o.threads });
  if (m.phase === 'adapter') return OrtAdapterTrainer.create({ config: m.config, batch: o.batch, patch: o.patch, loss: m.loss, frozen: m.frozen, adapter: m.adapter, seed: m.seed, optimizer, threads: o.threads });
  return OrtEstimatorTrainer.create({ config: m.config, batch: o.batch, size: o.patch, seed: m.seed, optimizer, threads: o.threads });
}

/** Every parameter of the run in file order (the order the tfjs engine's checkpoints had). */
function fileOrder(o: EngineOptions): { name: string; shape: number[] }[] {
  const m = o.model;
  if (m.phase === 'backbone') return modelSpecs(m.config).map((s) => ({ name: s.name, shape: [...s.shape] }));
  if (m.phase === 'estimator') return estimatorSpecs(m.config).map((s) => ({ name: s.name, shape: [...s.shape] }));
  return [];
}

export async function createOrtEngine(o: EngineOptions): Promise<TrainEngine> {
  // ONNX Runtime would print its own (multi-line, coloured) record of a failed run; the failures a
  // user can cause are reported as one line (memoryError), the rest as thrown errors
  (await loadOrt()).env.logLevel = 'fatal';
  let trainer: OrtTrainer;
  try {
    trainer = await createTrainer(o);
  } catch (err) {
    throw memoryError(err, o, 'building the train step');
  }
  const trainedShapes = Object.fromEntries(trainer.layout.entries.map((e) => [e.name, [...e.shape]]));
  const fixed = carried(o, Object.keys(trainedShapes));
  const order = fileOrder(o);
  const shapes: Record<string, number[]> = order.length ? Object.fromEntries(order.map((s) => [s.name, s.shape])) : trainedShapes;
  for (const name of Object.keys(trainedShapes)) if (!(name in shapes)) throw new Error(`engine: trained parameter '${name}' is not part of the model's files`);
  const m = o.model;
  const adapter = m.phase === 'adapter' ? adapterConfig(m.adapter, loraTargets(m.config)) : undefined;
  let validator: Validator | null = null;

  const split = (values: Record<string, Float32Array>) => {
    const trained: Record<string, Float32Array> = {};
    for (const [name, v] of Object.entries(values)) {
      if (name in fixed) {
        if (v.length !== fixed[name]!.length) throw new Error(`parameter '${name}' has ${v.length} values, expected ${fixed[name]!.length}`);
        fixed[name] = Float32Array.from(v);
      } else trained[name] = v;
    }
    return trained;
  };
  const ordered = <T>(values: Record<string, T>) => Object.fromEntries(Object.keys(shapes).map((name) => [name, values[name]!]));

  return {
    shapes,
    setLearningRate: async (lr) => trainer.setLearningRate(lr),
    getParams: async () => ordered({ ...trainer.getParams(), ...Object.fromEntries(Object.entries(fixed).map(([n, v]) => [n, Float32Array.from(v)])) }),
    setParams: async (values) => trainer.setParams(split(values)),
    async getOptimizerState(): Promise<OptimizerState> {
      const s = trainer.getOptimizerState();
      const zeros = Object.fromEntries(Object.entries(fixed).map(([n, v]) => [n, new Float32Array(v.length)]));
      return { step: s.step, m: ordered({ ...s.m, ...zeros }), v: ordered({ ...s.v, ...zeros }) };
    },
    async setOptimizerState(state: OptimizerState) {
      const strip = (r: Record<string, Float32Array>) => Object.fromEntries(Object.entries(r).filter(([n]) => !(n in fixed)));
      trainer.setOptimizerState({ step: state.step, m: strip(state.m), v: strip(state.v) });
    },
    async step(batch: HostBatch) {
      try {
        const r = await trainer.step(batch);
        return { loss: r.loss, gradNorm: r.gradNorm, skipped: r.skipped, rows: r.rows };
      } catch (err) {
        throw memoryError(err, o, 'training step');
      }
    },
    async validate(batch: HostBatch): Promise<ValidationResult> {
      const input = batch.input;
      if (!input) throw new Error("validation batch has no 'input'");
      const side = input.shape[1]!;
      const chunk = Math.max(1, Math.min(o.batch, input.shape[0]!));
      try {
        if (!validator) {
          validator = m.phase === 'estimator'
            ? await estimatorValidator(m.config, side, { chunk, threads: o.threads })
            : await restorationValidator(m.config, side, { ...(adapter ? { adapter } : {}), chunk, threads: o.threads });
        }
        const params = trainer.getParams();
        return await validator.run(batch, m.phase === 'adapter' ? { ...m.frozen, ...params } : { ...fixed, ...params });
      } catch (err) {
        throw memoryError(err, o, 'validation');
      }
    },
    async dispose() {
      await validator?.dispose();
      await trainer.dispose();
    },
  };
}
