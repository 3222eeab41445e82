/**
 * Seeded mutations of valid files for the fault suite: generic byte damage (bit flips, overwrites,
 * truncation, insertion, deletion, splices) and format-aware damage to the fields decoders trust
 * (PNG chunk lengths, IHDR size/depth/colour type, CRCs; JPEG segment lengths and frame size;
 * WebP RIFF/chunk sizes and canvas size). Each mutation returns new bytes and a short label, so a
 * failing case can be reproduced from its seed and label. Test code only.
 */
import type { Rng } from '../util/rng.js';

export interface Mutation {
  label: string;
  bytes: Uint8Array;
}

const EDGE_U32 = [0, 1, 2, 0x7f, 0xff, 0x7fff, 0xffff, 0x10000, 0x7fffffff, 0x80000000, 0xffffffff];
const EDGE_U16 = [0, 1, 2, 0x7f, 0xff, 0x100, 0x7fff, 0xffff];

function copy(bytes: Uint8Array): Uint8Array {
  return Uint8Array.from(bytes);
}

function setU32(bytes: Uint8Array, at: number, value: number, littleEndian = false): void {
  if (at + 4 <= bytes.length) new DataView(bytes.buffer, bytes.byteOffset).setUint32(at, value >>> 0, littleEndian);
}

function setU16(bytes: Uint8Array, at: number, value: number, littleEndian = false): void {
  if (at + 2 <= bytes.length) new DataView(bytes.buffer, bytes.byteOffset).setUint16(at, value & 0xffff, littleEndian);
}

/** A random 32-bit value: an edge case, a small number, or any. */
function u32(rng: Rng): number {
  const r = rng.int(3);
  return r === 0 ? rng.pick(EDGE_U32) : r === 1 ? rng.int(5000) : rng.nextUint32();
}

/** Generic damage that knows nothing about the format. */
export function mutateBytes(input: Uint8Array, rng: Rng, other?: Uint8Array): Mutation {
  const bytes = copy(input);
  const n = bytes.length;
  switch (rng.int(7)) {
    case 0: {
      const flips = 1 + rng.int(8);
      for (let i = 0; i < flips; i++) bytes[rng.int(n)]! ^= 1 << rng.int(8);
      return { label: `flip ${flips} bits`, bytes };
    }
    case 1: {
      const at = rng.int(n);
      const len = 1 + rng.int(Math.min(64, n - at));
      for (let i = 0; i < len; i++) bytes[at + i] = rng.int(256);
      return { label: `overwrite ${len} bytes at ${at}`, bytes };
    }
    case 2: {
      const len = rng.int(n);
      return { label: `truncate to ${len}`, bytes: bytes.subarray(0, len) };
    }
    case 3: {
      const at = rng.int(n + 1);
      const junk = Uint8Array.from({ length: 1 + rng.int(200) }, () => rng.int(256));
      return { label: `insert ${junk.length} bytes at ${at}`, bytes: concat(bytes.subarray(0, at), junk, bytes.subarray(at)) };
    }
    case 4: {
      const at = rng.int(n);
      const len = 1 + rng.int(Math.min(200, n - at));
      return { label: `delete ${len} bytes at ${at}`, bytes: concat(bytes.subarray(0, at), bytes.subarray(at + len)) };
    }
    case 5: {
      // the header region is where decoders decide what to allocate
      const flips = 1 + rng.int(4);
      for (let i = 0; i < flips; i++) bytes[rng.int(Math.min(n, 64))]! ^= 1 << rng.int(8);
      return { label: `flip ${flips} header bits`, bytes };
    }
    default: {
      const tail = other ?? bytes;
      const cut = rng.int(n);
      const from = rng.int(tail.length);
      return { label: `splice at ${cut} with another file from ${from}`, bytes: concat(bytes.subarray(0, cut), tail.subarray(from)) };
    }
  }
}

function concat(...parts: Uint8Array[]): Uint8Array {
  const out = new Uint8Array(parts.reduce((s, p) => s + p.length, 0));
  let at = 0;
  for (const p of parts) {
    out.set(p, at);
    at += p.length;
  }
  return out;
}

/** Offsets of PNG chunks: [offset of the length field, type]. */
function pngChunks(bytes: Uint8Array): { at: number; type: string; length: number }[] {
  const chunks = [];
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  for (let at = 8; at + 8 <= bytes.length; ) {
    const length = view.getUint32(at);
    chunks.push({ at, type: String.fromCharCode(...bytes.subarray(at + 4, at + 8)), length });
    at += 12 + length;
  }
  return chunks;
}

export function mutatePng(input: Uint8Array, rng: Rng): Mutation {
  const bytes = copy(input);
  const chunks = pngChunks(bytes);
  const chunk = rng.pick(chunks);
  switch (rng.int(6)) {
    case 0: {
      const value = u32(rng);
      setU32(bytes, chunk.at, value);
      return { label: `PNG ${chunk.type} length → ${value}`, bytes };
    }
    case 1: {
      const w = rng.bool() ? u32(rng) : rng.pick([0, 1, 100_000, 0x7fffffff]);
      const h = rng.bool() ? u32(rng) : rng.pick([0, 1, 100_000, 0x7fffffff]);
      setU32(bytes, 16, w);
      setU32(bytes, 20, h);
      return { label: `PNG IHDR size → ${w}×${h}`, bytes };
    }
    case 2: {
      const depth = rng.pick([0, 1, 2, 3, 4, 7, 8, 16, 32, 255]);
      const colour = rng.pick([0, 1, 2, 3, 4, 5, 6, 7, 255]);
      bytes[24] = depth;
      bytes[25] = colour;
      return { label: `PNG IHDR depth ${depth} colour type ${colour}`, bytes };
    }
    case 3: {
      setU32(bytes, chunk.at + 8 + chunk.length, rng.nextUint32());
      return { label: `PNG ${chunk.type} CRC damaged`, bytes };
    }
    case 4: {
      // drop a whole chunk (IHDR, IDAT or IEND)
      return { label: `PNG without ${chunk.type}`, bytes: concat(bytes.subarray(0, chunk.at), bytes.subarray(chunk.at + 12 + chunk.length)) };
    }
    default: {
      const data = bytes.subarray(chunk.at + 8, chunk.at + 8 + chunk.length);
      for (let i = 0; i < Math.min(4, data.length); i++) data[rng.int(data.length)] = rng.int(256);
      return { label: `PNG ${chunk.type} data damaged`, bytes };
    }
  }
}

/** Offsets of JPEG marker segments before the scan data. */
function jpegSegments(bytes: Uint8Array): { at: number; marker: number; length: number }[] {
  const segments = [];
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  for (let at = 2; at + 4 <= bytes.length && bytes[at] === 0xff; ) {
    const marker = bytes[at + 1]!;
    const length = view.getUint16(at + 2);
    segments.push({ at, marker, length });
    if (marker === 0xda) break;
    at += 2 + length;
  }
  return segments;
}

export function mutateJpeg(input: Uint8Array, rng: Rng): Mutation {
  const bytes = copy(input);
  const segments = jpegSegments(bytes);
  const segment = rng.pick(segments);
  const sof = segments.find((s) => s.marker >= 0xc0 && s.marker <= 0xc2);
  switch (rng.int(5)) {
    case 0: {
      const value = rng.pick(EDGE_U16);
      setU16(bytes, segment.at + 2, value);
      return { label: `JPEG marker ${segment.marker.toString(16)} length → ${value}`, bytes };
    }
    case 1: {
      if (!sof) break;
      const w = rng.pick(EDGE_U16);
      const h = rng.pick(EDGE_U16);
      setU16(bytes, sof.at + 5, h);
      setU16(bytes, sof.at + 7, w);
      return { label: `JPEG frame size → ${w}×${h}`, bytes };
    }
    case 2: {
      if (!sof) break;
      const components = rng.pick([0, 1, 2, 3, 4, 255]);
      bytes[sof.at + 9] = components;
      return { label: `JPEG frame components → ${components}`, bytes };
    }
    case 3: {
      // cut inside the scan data
      const scan = segments.find((s) => s.marker === 0xda);
      const from = scan ? scan.at : 2;
      const cut = from + rng.int(bytes.length - from);
      return { label: `JPEG cut at ${cut} (scan from ${from})`, bytes: bytes.subarray(0, cut) };
    }
    default:
      break;
  }
  return { label: `JPEG drop marker ${segment.marker.toString(16)}`, bytes: concat(bytes.subarray(0, segment.at), bytes.subarray(segment.at + 2 + segment.length)) };
}

export function mutateWebp(input: Uint8Array, rng: Rng): Mutation {
  const bytes = copy(input);
  const chunk = String.fromCharCode(...bytes.subarray(12, 16));
  switch (rng.int(4)) {
    case 0: {
      const value = u32(rng);
      setU32(bytes, 4, value, true);
      return { label: `WebP RIFF size → ${value}`, bytes };
    }
    case 1: {
      const value = u32(rng);
      setU32(bytes, 16, value, true);
      return { label: `WebP ${chunk} size → ${value}`, bytes };
    }
    case 2: {
      if (chunk === 'VP8 ') {
        const w = rng.pick(EDGE_U16), h = rng.pick(EDGE_U16);
        setU16(bytes, 26, w, true);
        setU16(bytes, 28, h, true);
        return { label: `WebP VP8 frame → ${w}×${h}`, bytes };
      }
      if (chunk === 'VP8L') {
        const value = rng.nextUint32();
        setU32(bytes, 21, value, true);
        return { label: `WebP VP8L size bits → ${value}`, bytes };
      }
      const w = rng.int(1 << 24), h = rng.int(1 << 24);
      bytes.set([w & 255, (w >> 8) & 255, (w >> 16) & 255, h & 255, (h >> 8) & 255, (h >> 16) & 255], 24);
      return { label: `WebP VP8X canvas → ${w + 1}×${h + 1}`, bytes };
    }
    default: {
      const cut = 12 + rng.int(bytes.length - 12);
      return { label: `WebP cut at ${cut}`, bytes: bytes.subarray(0, cut) };
    }
  }
}
