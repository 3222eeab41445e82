/**
 * A small decoder for uncompressed 24- and 32-bit Windows BMP files. The prebuilt libvips that
 * sharp ships has no BMP loader (it would need ImageMagick), and those two variants cover what
 * image tools write by default. Paletted, RLE and 16-bit BMPs are refused with a clear message.
 * `encodeBmp` writes the same two variants (24-bit, or 32-bit with an alpha bit field).
 *
 * Layout (all little-endian): 14-byte file header ('BM', size, reserved, pixel offset), then a DIB
 * header whose first u32 is its own size (40 = BITMAPINFOHEADER, 108 = V4, 124 = V5, ...). Rows
 * are padded to 4 bytes and stored bottom-up unless the height is negative.
 */

export class BmpFormatError extends Error {}

const BI_RGB = 0;
const BI_BITFIELDS = 3;
const BI_ALPHABITFIELDS = 6;

interface BmpHeader {
  width: number;
  height: number;
  bitsPerPixel: number;
  hasAlpha: boolean;
  topDown: boolean;
  pixelOffset: number;
  rowStride: number;
  /** channel masks for 32-bit files, in R, G, B, A order (A = 0 when absent) */
  masks: [number, number, number, number];
}

/** True when the bytes start with the BMP signature. */
export function isBmp(bytes: Uint8Array): boolean {
  return bytes.length >= 2 && bytes[0] === 0x42 && bytes[1] === 0x4d;
}

/** Parses and validates the headers without touching the pixel data. */
export function readBmpHeader(bytes: Uint8Array): BmpHeader {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  if (!isBmp(bytes) || bytes.length < 26) throw new BmpFormatError('truncated BMP header');
  const pixelOffset = view.getUint32(10, true);
  const dibSize = view.getUint32(14, true);
  if (dibSize < 40) throw new BmpFormatError(`unsupported BMP header (${dibSize}-byte OS/2 header)`);
  if (bytes.length < 14 + dibSize) throw new BmpFormatError('truncated BMP header');
  const width = view.getInt32(18, true);
  const rawHeight = view.getInt32(22, true);
  const bitsPerPixel = view.getUint16(28, true);
  const compression = view.getUint32(30, true);
  if (width <= 0 || rawHeight === 0 || rawHeight === -0x80000000) {
    throw new BmpFormatError(`invalid BMP dimensions ${width}×${rawHeight}`);
  }
  const supported =
    (bitsPerPixel === 24 && compression === BI_RGB) ||
    (bitsPerPixel === 32 && (compression === BI_RGB || compression === BI_BITFIELDS || compression === BI_ALPHABITFIELDS));
  if (!supported) {
    throw new BmpFormatError(
      `unsupported BMP variant (${bitsPerPixel}-bit, compression ${compression}): only uncompressed 24- and 32-bit BMP can be read`,
    );
  }

  // For BI_RGB 32-bit the fourth byte is "reserved": treat it as padding, as the spec says.
  let masks: [number, number, number, number] = [0x00ff0000, 0x0000ff00, 0x000000ff, 0];
  if (compression !== BI_RGB) {
    // Masks live inside V2+ headers, or right after a 40-byte header (3 or 4 u32s).
    const maskCount = compression === BI_ALPHABITFIELDS || dibSize >= 56 ? 4 : 3;
    if (bytes.length < 54 + 4 * maskCount) throw new BmpFormatError('truncated BMP header');
    masks = [view.getUint32(54, true), view.getUint32(58, true), view.getUint32(62, true), maskCount === 4 ? view.getUint32(66, true) : 0];
    for (const mask of masks) {
      if (mask !== 0 && !isByteMask(mask)) {
        throw new BmpFormatError(`unsupported BMP bit fields (mask 0x${mask.toString(16)}): only 8-bit channels can be read`);
      }
    }
  }
  const rowStride = Math.ceil((bitsPerPixel * width) / 32) * 4;
  return { width, height: Math.abs(rawHeight), bitsPerPixel, hasAlpha: masks[3] !== 0, topDown: rawHeight < 0, pixelOffset, rowStride, masks };
}

function isByteMask(mask: number): boolean {
  return mask === 0xff || mask === 0xff00 || mask === 0xff0000 || mask === 0xff000000;
}

function byteIndexOfMask(mask: number): number {
  return mask === 0xff ? 0 : mask === 0xff00 ? 1 : mask === 0xff0000 ? 2 : 3;
}

interface DecodedBmp {
  header: BmpHeader;
  /** top-down, interleaved RGB or RGBA (when header.hasAlpha), 8 bits per channel */
  pixels: Uint8Array;
  channels: 3 | 4;
}

/** Decodes the pixels; refuses files whose pixel data is cut short. */
export function decodeBmp(bytes: Uint8Array): DecodedBmp {
  const header = readBmpHeader(bytes);
  const { width, height, rowStride, pixelOffset, topDown, bitsPerPixel, hasAlpha } = header;
  const needed = pixelOffset + rowStride * height;
  if (bytes.length < needed) throw new BmpFormatError(`truncated BMP: pixel data needs ${needed} bytes, file has ${bytes.length}`);
  const channels = hasAlpha ? 4 : 3;
  const pixels = new Uint8Array(width * height * channels);
  const bytesPerPixel = bitsPerPixel / 8;
  // Byte positions of R, G, B (and A) inside each little-endian pixel word.
  const [r, g, b, a] = bitsPerPixel === 24 ? [2, 1, 0, 0] : header.masks.map(byteIndexOfMask);
  for (let y = 0; y < height; y++) {
    const row = pixelOffset + (topDown ? y : height - 1 - y) * rowStride;
    let out = y * width * channels;
    for (let x = 0; x < width; x++) {
      const p = row + x * bytesPerPixel;
      pixels[out++] = bytes[p + r];
      pixels[out++] = bytes[p + g];
      pixels[out++] = bytes[p + b];
      if (hasAlpha) pixels[out++] = bytes[p + a];
    }
  }
  return { header, pixels, channels };
}

const LCS_SRGB = 0x73524742; // 'sRGB': the V4 header's colour-space field

/**
 * Encodes interleaved 8-bit RGB (24-bit BMP, 40-byte header) or RGBA (32-bit BMP with a 108-byte
 * V4 header and BI_BITFIELDS masks, the usual way to store alpha) as a bottom-up BMP.
 */
export function encodeBmp(pixels: Uint8Array, width: number, height: number, channels: 3 | 4): Uint8Array {
  if (pixels.length !== width * height * channels) throw new BmpFormatError(`BMP pixels: ${pixels.length} values, expected ${width}×${height}×${channels}`);
  const bits = channels * 8;
  const dibSize = channels === 4 ? 108 : 40;
  const rowStride = Math.ceil((bits * width) / 32) * 4;
  const offset = 14 + dibSize;
  const size = offset + rowStride * height;
  if (size > 0xffffffff) throw new BmpFormatError(`image too large for BMP (${size} bytes)`);
  const bytes = new Uint8Array(size);
  const view = new DataView(bytes.buffer);
  bytes[0] = 0x42;
  bytes[1] = 0x4d;
  view.setUint32(2, size, true);
  view.setUint32(10, offset, true);
  view.setUint32(14, dibSize, true);
  view.setInt32(18, width, true);
  view.setInt32(22, height, true); // positive: rows bottom-up, which every reader accepts
  view.setUint16(26, 1, true); // planes
  view.setUint16(28, bits, true);
  view.setUint32(30, channels === 4 ? BI_BITFIELDS : BI_RGB, true);
  view.setUint32(34, rowStride * height, true);
  view.setInt32(38, 2835, true); // 72 dpi in pixels per metre
  view.setInt32(42, 2835, true);
  if (channels === 4) {
    view.setUint32(54, 0x00ff0000, true);
    view.setUint32(58, 0x0000ff00, true);
    view.setUint32(62, 0x000000ff, true);
    view.setUint32(66, 0xff000000, true);
    view.setUint32(70, LCS_SRGB, true);
  }
  for (let y = 0; y < height; y++) {
    let p = offset + (height - 1 - y) * rowStride;
    let s = y * width * channels;
    for (let x = 0; x < width; x++, s += channels) {
      bytes[p++] = pixels[s + 2]!;
      bytes[p++] = pixels[s + 1]!;
      bytes[p++] = pixels[s]!;
      if (channels === 4) bytes[p++] = pixels[s + 3]!;
    }
  }
  return bytes;
}
