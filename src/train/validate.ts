/**
 * Validation in the main thread: a replica of the model (built by the same factory as the
 * workers' and loaded with the trainer's current parameters) runs the fixed held-out batch.
 * Restoration phases report mean PSNR (dB, RGB, output clipped to [0,1]) of output and of input
 * against the target; the estimator reports binary cross-entropy and per-label accuracy.
 * Rows go through in small chunks so the forward's activations stay small.
 */
import { tf } from '../tfjs/backend.js';
import type { HostBatch } from '../tfjs/parallel/index.js';
import type { ModelTrainable } from '../model/trainable.js';

export interface ValidationResult {
  psnr?: number;
  inputPsnr?: number;
  bce?: number;
  accuracy?: number;
}

const CHUNK = 4;

function rowsOf(t: { shape: number[] }): number {
  return t.shape[0]!;
}

function chunk(entry: { shape: number[]; data: Float32Array | Int32Array }, start: number, count: number): tf.Tensor {
  const rowSize = entry.shape.slice(1).reduce((a, b) => a * b, 1);
  const data = entry.data.subarray(start * rowSize, (start + count) * rowSize);
  return tf.tensor(data, [count, ...entry.shape.slice(1)], data instanceof Int32Array ? 'int32' : 'float32');
}

/** Per-image PSNR [N] of a vs b (both [N,H,W,C], a clipped to [0,1]). */
function psnrPerImage(a: tf.Tensor, b: tf.Tensor): Float32Array {
  return tf.tidy(() => {
    const mse = tf.mean(tf.square(tf.sub(tf.clipByValue(a, 0, 1), b)), [1, 2, 3]);
    // 10·log10(1/mse); the floor keeps identical images finite (100 dB)
    return tf.mul(tf.log(tf.maximum(mse, 1e-10)), -10 / Math.LN10).dataSync() as Float32Array;
  });
}

export function validate(model: ModelTrainable, batch: HostBatch): ValidationResult {
  const input = batch.input;
  if (!input) throw new Error("validation batch has no 'input'");
  const n = rowsOf(input);
  if (model.logits) {
    const labels = batch.labels;
    if (!labels) throw new Error("estimator validation batch has no 'labels'");
    let bce = 0;
    let correct = 0;
    for (let s = 0; s < n; s += CHUNK) {
      const c = Math.min(CHUNK, n - s);
      const [sumBce, hits] = tf.tidy(() => {
        const z = model.logits!(chunk(input, s, c) as tf.Tensor4D);
        const y = chunk(labels, s, c);
        const per = tf.add(tf.sub(tf.relu(z), tf.mul(z, y)), tf.log1p(tf.exp(tf.neg(tf.abs(z)))));
        const predicted = tf.cast(tf.greater(z, 0), 'float32');
        return [tf.sum(per).dataSync()[0]!, tf.sum(tf.cast(tf.equal(predicted, y), 'float32')).dataSync()[0]!];
      });
      bce += sumBce;
      correct += hits;
    }
    const entries = labels.data.length;
    return { bce: bce / entries, accuracy: correct / entries };
  }
  if (!model.restore) throw new Error('this model replica cannot be validated');
  const target = batch.target;
  if (!target) throw new Error("validation batch has no 'target'");
  let psnr = 0;
  let inputPsnr = 0;
  for (let s = 0; s < n; s += CHUNK) {
    const c = Math.min(CHUNK, n - s);
    const [out, base] = tf.tidy(() => {
      const x = chunk(input, s, c) as tf.Tensor4D;
      const y = chunk(target, s, c);
      return [psnrPerImage(model.restore!(x), y), psnrPerImage(x, y)];
    });
    for (let i = 0; i < c; i++) {
      psnr += out[i]!;
      inputPsnr += base[i]!;
    }
  }
  return { psnr: psnr / n, inputPsnr: inputPsnr / n };
}
