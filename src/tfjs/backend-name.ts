/** The TensorFlow.js backends abair sets up (tfjs/backend.ts), apart so naming one loads no tfjs. */
export type BackendName = 'wasm' | 'cpu' | 'webgl';
