/**
 * TensorFlow.js for the model code without loading it. The model's definitions (src/model/) are
 * shared by the tfjs path (training, the tfjs engine) and the ONNX exporter the restorer runs on;
 * restoring must not load tfjs at all (65 MB, and its typings are not the library's), so model
 * files reach tfjs and abair's tfjs ops through these two handles instead of importing them.
 * tfjs/backend.ts binds them when it is loaded, and every tfjs computation starts there
 * (initEngine), so a handle used before that is a programming error, reported as such.
 *
 * Types: `tf.Tensor4D` etc. still name the tfjs types (the namespace below holds only types).
 */
import type * as Tf from '@tensorflow/tfjs-core';
import type * as Ops from './ops.js';

let boundTf: typeof Tf | null = null;
let boundOps: typeof Ops | null = null;

/** Called once by tfjs/backend.ts with the modules it loaded. */
export function bindTf(tfModule: typeof Tf, opsModule: typeof Ops): void {
  boundTf = tfModule;
  boundOps = opsModule;
}

function handle<M extends object>(what: string, get: () => M | null): M {
  return new Proxy({} as M, {
    get(_target, key) {
      const mod = get();
      if (!mod) throw new Error(`${what} used before tfjs/backend.js was loaded (start tfjs work with initEngine)`);
      return Reflect.get(mod, key) as unknown;
    },
  });
}

export const tf: typeof Tf = handle('tfjs', () => boundTf);
export const ops: typeof Ops = handle('abair tfjs ops', () => boundOps);

export declare namespace tf {
  export type Rank = Tf.Rank;
  export type Tensor<R extends Tf.Rank = Tf.Rank> = Tf.Tensor<R>;
  export type Scalar = Tf.Scalar;
  export type Tensor1D = Tf.Tensor1D;
  export type Tensor2D = Tf.Tensor2D;
  export type Tensor3D = Tf.Tensor3D;
  export type Tensor4D = Tf.Tensor4D;
  export type Variable<R extends Tf.Rank = Tf.Rank> = Tf.Variable<R>;
  export type TensorContainer = Tf.TensorContainer;
  export type DataType = Tf.DataType;
}
