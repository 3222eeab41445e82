/** Conversions between the shared RGBImage and NHWC tensors (batch of one). */
import { tf } from '../tfjs/backend.js';
import type { RGBImage } from '../image/types.js';

/** [1,H,W,3] float32 tensor holding a copy of the image (later edits to the image do not leak in). */
// @testSeam: tested directly
export function imageToTensor(image: RGBImage): tf.Tensor4D {
  const { width, height, data } = image;
  if (data.length !== width * height * 3) {
    throw new Error(`image data has ${data.length} values, expected ${width}×${height}×3`);
  }
  return tf.tensor4d(new Float32Array(data), [1, height, width, 3], 'float32');
}

/** Reads a [1,H,W,3] or [H,W,3] tensor back into an image, clipping to [0,1] (NaN → 0). */
// @testSeam: tested directly
export function tensorToImage(t: tf.Tensor): RGBImage {
  const shape = t.shape;
  const ok = (shape.length === 4 && shape[0] === 1 && shape[3] === 3) || (shape.length === 3 && shape[2] === 3);
  if (!ok) throw new Error(`expected a [1,H,W,3] or [H,W,3] tensor, got [${shape.join(',')}]`);
  const height = shape[shape.length - 3];
  const width = shape[shape.length - 2];
  const values = t.dataSync();
  const data = new Float32Array(values.length);
  for (let i = 0; i < values.length; i++) {
    const v = values[i];
    data[i] = v > 0 ? (v < 1 ? v : 1) : 0;
  }
  return { width, height, data };
}
