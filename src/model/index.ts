/** The ABAIR model: backbone, segmentation head, LoRA adapters, estimator, weight files. */
export * from './config.js';
export * from './params.js';
export * from './backbone.js';
export * from './seg-head.js';
export * from './lora.js';
export * from './estimator.js';
export * from './flops.js';
export * from './weights.js';
export * from './summary.js';
export * from './trainable.js';
