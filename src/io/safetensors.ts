/**
 * The safetensors weight format (as written by Hugging Face's `safetensors` library):
 *
 *   u64 little-endian N | N bytes of JSON header | raw tensor bytes
 *
 * The header maps each tensor name to {dtype, shape, data_offsets: [begin, end]} (offsets relative
 * to the start of the raw bytes) and may hold "__metadata__": {string: string}. Tensor data is
 * little-endian, row-major, packed back to back with no gaps. We write names sorted and pad the
 * header with spaces so the data starts 8-byte aligned.
 *
 * Decoding validates everything a damaged or foreign file can get wrong and says what, naming
 * the file. Tensors are copied out of the file buffer, so they never alias it.
 */
import { promises as fs } from 'node:fs';
import { UserError } from '../util/errors.js';
import { writeFileAtomic } from '../util/atomic-write.js';
import { float16BitsToFloat32, float32ToFloat16Bits } from './float16.js';

type TensorDType = 'F32' | 'F16' | 'I32' | 'U8';
type TensorData = Float32Array | Int32Array | Uint8Array;

interface StoredTensor {
  dtype: TensorDType;
  shape: number[];
  /** F32 and F16 (decoded) → Float32Array, I32 → Int32Array, U8 → Uint8Array */
  data: TensorData;
}

export interface TensorToStore {
  shape: number[];
  data: TensorData;
  /** default from the array type; 'F16' stores a Float32Array as half precision (rounded) */
  dtype?: TensorDType;
}

export interface SafetensorsContent {
  tensors: Record<string, StoredTensor>;
  metadata: Record<string, string>;
}

/** A weight file that is not valid safetensors (or uses what we do not read); names the file. */
export class WeightsFormatError extends UserError {
  constructor(message: string) {
    super(message);
    this.name = 'WeightsFormatError';
  }
}

const DTYPE_SIZE: Record<TensorDType, number> = { F32: 4, F16: 2, I32: 4, U8: 1 };
const METADATA_KEY = '__metadata__';
/** Same cap as the reference implementation: a bigger header is certainly not a weight file. */
const MAX_HEADER_BYTES = 100_000_000;

// Tensor bytes are copied as the host lays them out; every platform Node runs on in practice
// is little-endian, and we refuse rather than silently byte-swap wrongly elsewhere.
const littleEndianHost = new Uint8Array(new Uint16Array([1]).buffer)[0] === 1;
function requireLittleEndianHost(): void {
  if (!littleEndianHost) throw new Error('safetensors I/O needs a little-endian host');
}

function isDType(value: unknown): value is TensorDType {
  return typeof value === 'string' && Object.hasOwn(DTYPE_SIZE, value);
}

function elementCount(shape: number[]): number {
  return shape.reduce((a, b) => a * b, 1);
}

function defaultDType(data: TensorData): TensorDType {
  if (data instanceof Float32Array) return 'F32';
  if (data instanceof Int32Array) return 'I32';
  return 'U8';
}

function bytesOf(data: ArrayBufferView): Uint8Array {
  return new Uint8Array(data.buffer, data.byteOffset, data.byteLength);
}

/** Tensor bytes as stored for `dtype`, checking that the array type fits the dtype. */
function encodeTensorBytes(name: string, tensor: TensorToStore, dtype: TensorDType): Uint8Array {
  const { data } = tensor;
  const fits =
    ((dtype === 'F32' || dtype === 'F16') && data instanceof Float32Array) ||
    (dtype === 'I32' && data instanceof Int32Array) ||
    (dtype === 'U8' && data instanceof Uint8Array);
  if (!fits) throw new Error(`tensor '${name}': cannot store a ${data.constructor.name} as ${dtype}`);
  return dtype === 'F16' ? bytesOf(float32ToFloat16Bits(data as Float32Array)) : bytesOf(data);
}

/** Serialises tensors (names sorted) and string metadata into safetensors bytes. */
export function encodeSafetensors(tensors: Record<string, TensorToStore>, metadata?: Record<string, string>): Uint8Array {
  requireLittleEndianHost();
  const header: Record<string, unknown> = {};
  if (metadata && Object.keys(metadata).length > 0) {
    for (const [key, value] of Object.entries(metadata)) {
      if (typeof value !== 'string') throw new Error(`metadata '${key}' must be a string, got ${typeof value}`);
    }
    header[METADATA_KEY] = metadata;
  }
  const names = Object.keys(tensors).sort();
  const parts: Uint8Array[] = [];
  let offset = 0;
  for (const name of names) {
    if (name === METADATA_KEY) throw new Error(`'${METADATA_KEY}' cannot be a tensor name`);
    const tensor = tensors[name];
    const dtype = tensor.dtype ?? defaultDType(tensor.data);
    const shape = tensor.shape;
    if (!shape.every((d) => Number.isInteger(d) && d >= 0)) throw new Error(`tensor '${name}': invalid shape [${shape.join(',')}]`);
    if (elementCount(shape) !== tensor.data.length) {
      throw new Error(`tensor '${name}': shape [${shape.join(',')}] needs ${elementCount(shape)} values, data has ${tensor.data.length}`);
    }
    const bytes = encodeTensorBytes(name, tensor, dtype);
    defineEntry(header, name, { dtype, shape: [...shape], data_offsets: [offset, offset + bytes.length] });
    parts.push(bytes);
    offset += bytes.length;
  }
  let json = JSON.stringify(header);
  let headerBytes = new TextEncoder().encode(json);
  const padding = (8 - (headerBytes.length % 8)) % 8;
  if (padding) headerBytes = new TextEncoder().encode(json + ' '.repeat(padding));

  const out = new Uint8Array(8 + headerBytes.length + offset);
  new DataView(out.buffer).setBigUint64(0, BigInt(headerBytes.length), true);
  out.set(headerBytes, 8);
  let at = 8 + headerBytes.length;
  for (const part of parts) {
    out.set(part, at);
    at += part.length;
  }
  return out;
}

interface HeaderEntry {
  name: string;
  dtype: TensorDType;
  shape: number[];
  begin: number;
  end: number;
}

function parseEntry(fail: (msg: string) => never, name: string, value: unknown): HeaderEntry {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) fail(`tensor '${name}' has no {dtype, shape, data_offsets} entry`);
  const { dtype, shape, data_offsets: offsets } = value as Record<string, unknown>;
  if (!isDType(dtype)) {
    fail(`tensor '${name}' has unsupported dtype ${JSON.stringify(dtype)} (readable: ${Object.keys(DTYPE_SIZE).join(', ')})`);
  }
  if (!Array.isArray(shape) || !shape.every((d) => Number.isSafeInteger(d) && d >= 0)) fail(`tensor '${name}' has an invalid shape ${JSON.stringify(shape)}`);
  if (!Array.isArray(offsets) || offsets.length !== 2 || !offsets.every((o) => Number.isSafeInteger(o) && o >= 0) || offsets[0] > offsets[1]) {
    fail(`tensor '${name}' has invalid data_offsets ${JSON.stringify(offsets)}`);
  }
  const [begin, end] = offsets as [number, number];
  const expected = elementCount(shape as number[]) * DTYPE_SIZE[dtype];
  if (end - begin !== expected) {
    fail(`tensor '${name}' holds ${end - begin} bytes but ${dtype} [${(shape as number[]).join(',')}] needs ${expected}`);
  }
  return { name, dtype, shape: shape as number[], begin, end };
}

/** Sets an own property even for names like "__proto__" that plain assignment would misread. */
function defineEntry<T>(record: Record<string, T>, key: string, value: T): void {
  Object.defineProperty(record, key, { value, enumerable: true, writable: true, configurable: true });
}

function parseMetadata(fail: (msg: string) => never, value: unknown): Record<string, string> {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) fail(`${METADATA_KEY} must be an object of strings`);
  const metadata: Record<string, string> = {};
  for (const [key, v] of Object.entries(value as Record<string, unknown>)) {
    if (typeof v !== 'string') fail(`${METADATA_KEY}.${key} must be a string, got ${JSON.stringify(v)}`);
    defineEntry(metadata, key, v);
  }
  return metadata;
}

/** Tensors must tile the data section exactly: no overlap, no gap, nothing missing or left over. */
function checkLayout(fail: (msg: string) => never, entries: HeaderEntry[], dataLength: number): void {
  const sorted = [...entries].sort((a, b) => a.begin - b.begin || a.end - b.end);
  let cursor = 0;
  let previous: HeaderEntry | undefined;
  for (const entry of sorted) {
    if (entry.begin < cursor) fail(`tensors '${previous!.name}' and '${entry.name}' overlap`);
    if (entry.begin > cursor) fail(`${entry.begin - cursor} unused bytes before tensor '${entry.name}'`);
    if (entry.end > dataLength) {
      fail(`tensor '${entry.name}' ends at byte ${entry.end} of the data but the file holds only ${dataLength} (truncated file?)`);
    }
    cursor = entry.end;
    previous = entry;
  }
  if (cursor !== dataLength) fail(`${dataLength - cursor} bytes after the last tensor (corrupt or not a safetensors file)`);
}

function decodeTensor(entry: HeaderEntry, raw: Uint8Array): StoredTensor {
  // Copy into a fresh, aligned buffer: file offsets need not be multiples of 4, and the input
  // may be a Node Buffer view into a shared pool (whose slice() would not copy).
  const bytes = new Uint8Array(entry.end - entry.begin);
  bytes.set(raw.subarray(entry.begin, entry.end));
  let data: TensorData;
  switch (entry.dtype) {
    case 'F32':
      data = new Float32Array(bytes.buffer);
      break;
    case 'F16':
      data = float16BitsToFloat32(new Uint16Array(bytes.buffer));
      break;
    case 'I32':
      data = new Int32Array(bytes.buffer);
      break;
    case 'U8':
      data = bytes;
      break;
  }
  return { dtype: entry.dtype, shape: entry.shape, data };
}

/** Parses and validates safetensors bytes; `source` names the file in error messages. */
export function decodeSafetensors(bytes: Uint8Array, source = '(weights data)'): SafetensorsContent {
  requireLittleEndianHost();
  const fail = (msg: string): never => {
    throw new WeightsFormatError(`${source}: ${msg}`);
  };
  if (bytes.length < 8) fail(`too short to be a safetensors file (${bytes.length} bytes)`);
  const headerLength = new DataView(bytes.buffer, bytes.byteOffset, 8).getBigUint64(0, true);
  if (headerLength > BigInt(bytes.length - 8)) {
    fail(`header length ${headerLength} is beyond the end of the file (${bytes.length} bytes): truncated or not a safetensors file`);
  }
  if (headerLength > BigInt(MAX_HEADER_BYTES)) fail(`header of ${headerLength} bytes is implausibly large`);
  const headerEnd = 8 + Number(headerLength);

  let header: unknown;
  try {
    header = JSON.parse(new TextDecoder('utf-8', { fatal: true }).decode(bytes.subarray(8, headerEnd)));
  } catch (err) {
    fail(`header is not valid JSON (${(err as Error).message.split('\n')[0]})`);
  }
  if (typeof header !== 'object' || header === null || Array.isArray(header)) fail('header is not a JSON object');

  let metadata: Record<string, string> = {};
  const entries: HeaderEntry[] = [];
  for (const [name, value] of Object.entries(header as Record<string, unknown>)) {
    if (name === METADATA_KEY) metadata = parseMetadata(fail, value);
    else entries.push(parseEntry(fail, name, value));
  }
  const raw = bytes.subarray(headerEnd);
  checkLayout(fail, entries, raw.length);

  const tensors: Record<string, StoredTensor> = {};
  for (const entry of entries) defineEntry(tensors, entry.name, decodeTensor(entry, raw));
  return { tensors, metadata };
}

/**
 * Refuses a tensor holding NaN or ±Inf: one such weight turns every output into NaN (written as a
 * black image) or every estimate into NaN (uniform blend weights), so it must fail at load.
 */
export function assertFinite(file: string, name: string, data: Float32Array): void {
  let bad = 0;
  let first = -1;
  for (let i = 0; i < data.length; i++) {
    if (!Number.isFinite(data[i]!)) {
      bad++;
      if (first < 0) first = i;
    }
  }
  if (bad > 0) throw new WeightsFormatError(`${file}: tensor '${name}' holds ${bad} non-finite value${bad > 1 ? 's' : ''} (NaN/Inf, first at index ${first}): the file is damaged`);
}

/** Writes a safetensors file atomically (replacing any existing file). */
export async function saveSafetensors(file: string, tensors: Record<string, TensorToStore>, metadata?: Record<string, string>): Promise<void> {
  await writeFileAtomic(file, encodeSafetensors(tensors, metadata));
}

/** Reads and validates a safetensors file. */
export async function loadSafetensors(file: string): Promise<SafetensorsContent> {
  let bytes: Buffer;
  try {
    bytes = await fs.readFile(file);
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    throw new UserError(`${file}: ${code === 'ENOENT' ? 'file not found' : (err as Error).message}`);
  }
  return decodeSafetensors(bytes, file);
}
