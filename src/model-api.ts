/**
 * `abair/model`: the network itself (presets, forward, LoRA, estimator, weight files) and training,
 * for researchers. This side runs on TensorFlow.js: importing it loads tfjs, and its types are
 * tfjs's (a TypeScript consumer needs `skipLibCheck`, since tfjs's own typings do not pass a strict
 * check). The main entry (`abair`) restores without any of it.
 */
export { initEngine, tf, type BackendName, type EngineOptions } from './tfjs/backend.js';
export { imageToTensor, tensorToImage } from './io/image-tensor.js';
export * from './model/index.js';
export { DataParallelTrainer } from './tfjs/parallel/index.js';
