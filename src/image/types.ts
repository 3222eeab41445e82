/**
 * The in-memory image every module agrees on: RGB, float32 in [0,1], interleaved HWC
 * (index (y·width + x)·3 + c). Alpha, when an input has it, travels beside the image, untouched.
 */
export interface RGBImage {
  width: number;
  height: number;
  /** length width·height·3 */
  data: Float32Array;
}

export function createImage(width: number, height: number, fill = 0): RGBImage {
  const data = new Float32Array(width * height * 3);
  if (fill !== 0) data.fill(fill);
  return { width, height, data };
}

export function cloneImage(img: RGBImage): RGBImage {
  return { width: img.width, height: img.height, data: new Float32Array(img.data) };
}
