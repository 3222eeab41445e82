/**
 * Adding metadata chunks to an encoded PNG. sharp attaches EXIF, ICC and XMP only when they come
 * from its own input, and the restored pixels come in as raw samples; so the writer encodes the
 * PNG, then inserts iCCP (ICC profile), eXIf (EXIF) and iTXt "XML:com.adobe.xmp" (XMP) chunks
 * right after IHDR, where the PNG specification wants them (before any PLTE/IDAT). Other formats
 * go through such a PNG as a carrier that sharp reads with its metadata (image-write.ts).
 */
import { deflateSync } from 'node:zlib';
import { exifTiffData, type ImageMetadata } from './metadata.js';

const SIGNATURE = Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]);

let crcTable: Uint32Array | null = null;

/** CRC-32 (IEEE, as PNG uses); zlib.crc32 needs Node 20.15, this works on every Node 20. */
// @testSeam: tested directly (image-io.test.ts, png-chunks.test.ts)
export function crc32(bytes: Uint8Array): number {
  if (!crcTable) {
    crcTable = new Uint32Array(256);
    for (let n = 0; n < 256; n++) {
      let c = n;
      for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
      crcTable[n] = c >>> 0;
    }
  }
  let crc = 0xffffffff;
  for (let i = 0; i < bytes.length; i++) crc = crcTable[(crc ^ bytes[i]!) & 0xff]! ^ (crc >>> 8);
  return (crc ^ 0xffffffff) >>> 0;
}

interface PngChunk {
  type: string;
  data: Buffer;
}

function encodeChunk(chunk: PngChunk): Buffer {
  const out = Buffer.alloc(12 + chunk.data.length);
  out.writeUInt32BE(chunk.data.length, 0);
  out.write(chunk.type, 4, 'latin1');
  chunk.data.copy(out, 8);
  out.writeUInt32BE(crc32(out.subarray(4, 8 + chunk.data.length)), 8 + chunk.data.length);
  return out;
}

/** Splits a PNG into its chunks (throws on a malformed file: only our own encoder's output comes here). */
// @testSeam: tested directly (png-chunks.test.ts)
export function readPngChunks(png: Uint8Array): PngChunk[] {
  const bytes = Buffer.from(png.buffer, png.byteOffset, png.byteLength);
  if (!bytes.subarray(0, 8).equals(SIGNATURE)) throw new Error('internal: not a PNG');
  const chunks: PngChunk[] = [];
  for (let at = 8; at < bytes.length; ) {
    if (at + 12 > bytes.length) throw new Error('internal: truncated PNG chunk');
    const length = bytes.readUInt32BE(at);
    chunks.push({ type: bytes.toString('latin1', at + 4, at + 8), data: bytes.subarray(at + 8, at + 8 + length) });
    at += 12 + length;
  }
  return chunks;
}

/** The metadata as PNG chunks (in the order they are inserted). */
function metadataChunks(metadata: ImageMetadata): PngChunk[] {
  const chunks: PngChunk[] = [];
  if (metadata.icc?.length) {
    // profile name, NUL, compression method 0 (zlib), compressed profile
    chunks.push({ type: 'iCCP', data: Buffer.concat([Buffer.from('ICC profile\0\0', 'latin1'), deflateSync(metadata.icc)]) });
  }
  if (metadata.exif?.length) chunks.push({ type: 'eXIf', data: exifTiffData(metadata.exif) });
  if (metadata.xmp?.length) {
    // keyword, NUL, compression flag 0, method 0, empty language tag + NUL, empty translated keyword + NUL, text
    chunks.push({ type: 'iTXt', data: Buffer.concat([Buffer.from('XML:com.adobe.xmp\0\0\0\0\0', 'latin1'), metadata.xmp]) });
  }
  return chunks;
}

/**
 * The PNG with the metadata's chunks inserted after IHDR. Chunks that would contradict them are
 * removed first: an sRGB or gAMA/cHRM chunk beside a new ICC profile, an older profile, EXIF or XMP.
 */
export function withPngMetadata(png: Uint8Array, metadata: ImageMetadata): Buffer {
  const added = metadataChunks(metadata);
  if (added.length === 0) return Buffer.from(png.buffer, png.byteOffset, png.byteLength);
  const replaced = new Set<string>();
  if (metadata.icc?.length) ['iCCP', 'sRGB', 'gAMA', 'cHRM'].forEach((t) => replaced.add(t));
  if (metadata.exif?.length) replaced.add('eXIf');
  const isXmp = (c: PngChunk) => c.type === 'iTXt' && c.data.subarray(0, 18).toString('latin1') === 'XML:com.adobe.xmp\0';
  const kept = readPngChunks(png).filter((c) => !replaced.has(c.type) && !(metadata.xmp?.length && isXmp(c)));
  const [ihdr, ...rest] = kept;
  if (ihdr?.type !== 'IHDR') throw new Error('internal: PNG does not start with IHDR');
  return Buffer.concat([SIGNATURE, ...[ihdr, ...added, ...rest].map(encodeChunk)]);
}
