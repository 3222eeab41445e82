/** Geometric preparation for metrics: centre crops and border shaving on RGBImage. */
import type { RGBImage } from '../image/types.js';

/** Copies the rectangle (left, top, width, height) out of img. */
function cropImage(img: RGBImage, left: number, top: number, width: number, height: number): RGBImage {
  if (left < 0 || top < 0 || width < 0 || height < 0 || left + width > img.width || top + height > img.height) {
    throw new Error(`crop ${width}x${height}+${left}+${top} does not fit in a ${img.width}x${img.height} image`);
  }
  const data = new Float32Array(width * height * 3);
  for (let y = 0; y < height; y++) {
    const from = ((top + y) * img.width + left) * 3;
    data.set(img.data.subarray(from, from + width * 3), y * width * 3);
  }
  return { width, height, data };
}

/** Centre crop to width x height; odd leftovers go to the right/bottom (floor of half on the left/top). */
export function centerCrop(img: RGBImage, width: number, height: number): RGBImage {
  if (width > img.width || height > img.height) {
    throw new Error(`cannot centre-crop a ${img.width}x${img.height} image to ${width}x${height}`);
  }
  if (width === img.width && height === img.height) return img;
  return cropImage(img, Math.floor((img.width - width) / 2), Math.floor((img.height - height) / 2), width, height);
}

/**
 * Centre crop to the largest size whose sides are multiples of `multiple` (PromptIR crops test
 * images to multiples of 16). Returns img itself when nothing needs cutting.
 */
export function centerCropToMultiple(img: RGBImage, multiple: number): RGBImage {
  if (!Number.isInteger(multiple) || multiple < 1) throw new Error(`crop multiple must be a positive integer, got ${multiple}`);
  const width = img.width - (img.width % multiple);
  const height = img.height - (img.height % multiple);
  if (width === 0 || height === 0) {
    throw new Error(`a ${img.width}x${img.height} image is smaller than the crop multiple ${multiple}`);
  }
  return centerCrop(img, width, height);
}

/** Removes `border` pixels from every edge (the usual "crop_border" of super-resolution metrics). */
export function shaveBorder(img: RGBImage, border: number): RGBImage {
  if (!Number.isInteger(border) || border < 0) throw new Error(`border must be a non-negative integer, got ${border}`);
  if (border === 0) return img;
  if (2 * border >= img.width || 2 * border >= img.height) {
    throw new Error(`border ${border} leaves nothing of a ${img.width}x${img.height} image`);
  }
  return cropImage(img, border, border, img.width - 2 * border, img.height - 2 * border);
}
