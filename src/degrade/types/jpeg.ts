/**
 * JPEG compression artefacts from a real encoder (libjpeg via sharp) at quality 10–60 with 4:2:0
 * chroma subsampling, the setting of cameras and the web. The paper's new task uses Q20.
 */
import sharp from 'sharp';
import type { RGBImage } from '../../image/types.js';
import type { Rng } from '../../util/rng.js';
import type { Degradation } from '../types.js';
import { fromUint8, toUint8 } from '../quantize.js';
import { resolveSeverity } from '../severity.js';

type JpegParams = { severity: number; quality: number };

const JPEG_QUALITY_RANGE = [10, 60] as const;

/** Encode to JPEG at `quality` and decode back: a deterministic round trip. */
export async function jpegRoundTrip(img: RGBImage, quality: number): Promise<RGBImage> {
  const { width, height } = img;
  const raw = { width, height, channels: 3 as const };
  const encoded = await sharp(toUint8(img), { raw })
    .jpeg({ quality, chromaSubsampling: '4:2:0', mozjpeg: false })
    .toBuffer();
  const decoded = await sharp(encoded).removeAlpha().raw().toBuffer({ resolveWithObject: true });
  if (decoded.info.width !== width || decoded.info.height !== height || decoded.info.channels !== 3) {
    throw new Error(`JPEG round trip changed the shape to ${decoded.info.width}×${decoded.info.height}×${decoded.info.channels}`);
  }
  return fromUint8(new Uint8Array(decoded.data.buffer, decoded.data.byteOffset, decoded.data.length), width, height);
}

export const jpeg: Degradation<JpegParams> = {
  name: 'jpeg',
  description: 'JPEG compression (real encoder), quality 60 (mild) to 10 (heavy), 4:2:0 chroma',

  sample(rng: Rng, severity?: number): JpegParams {
    const s = resolveSeverity(rng, severity);
    const [qMin, qMax] = JPEG_QUALITY_RANGE;
    return { severity: s, quality: Math.round(qMax - (qMax - qMin) * s) };
  },

  apply(img: RGBImage, params: JpegParams): Promise<RGBImage> {
    const q = params.quality;
    if (!Number.isInteger(q) || q < 1 || q > 100) throw new Error(`JPEG quality must be an integer in 1..100, got ${q}`);
    return jpegRoundTrip(img, q);
  },
};
