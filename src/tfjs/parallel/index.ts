/** Data-parallel training over worker_threads: see trainer.ts and docs/engine.md. */
export { DataParallelTrainer, type DataParallelOptions } from './trainer.js';
export type { AdamWOptions, HostBatch, HostTensor, OptimizerState, StepResult, Trainable, TrainableFactory } from './types.js';
