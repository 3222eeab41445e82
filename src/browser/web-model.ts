/**
 * Loading a web model folder (see manifest.ts) through a caller-supplied file reader, so the same
 * code serves fetch() in a page or worker and fs.readFile in Node tests.
 */
import { UserError } from '../util/errors.js';
import { float32FromLittleEndian } from '../restore/lora-merge.js';
import { parseWebManifest, WEB_MODEL_FILES, type WebModelManifest } from './manifest.js';

/** A loaded, checked web model: the manifest and the bytes of every file it needs. */
export interface WebModel {
  manifest: WebModelManifest;
  /** backbone.onnx */
  backbone: Uint8Array;
  /** estimator.onnx, or null when the manifest has no estimator */
  estimator: Uint8Array | null;
  /** lora.bin as float32 values (base weights and adapter factors, see the manifest's byte ranges) */
  lora: Float32Array;
}

/** Reads one file of the folder by name (e.g. `(name) => fetch('model/' + name).then(...)`). */
export type WebModelReader = (name: string) => Promise<Uint8Array>;

async function read(readFile: WebModelReader, name: string): Promise<Uint8Array> {
  let bytes: unknown;
  try {
    bytes = await readFile(name);
  } catch (err) {
    throw new UserError(`model file ${name} could not be read (${err instanceof Error ? err.message : String(err)}); the folder is written by abair model export-web`);
  }
  if (!(bytes instanceof Uint8Array)) throw new UserError(`model file ${name}: the reader returned ${Object.prototype.toString.call(bytes)}, not a Uint8Array`);
  return bytes;
}

/** Reads and checks model.json, then the files it names; rejects with a UserError naming the problem. */
export async function loadWebModel(readFile: WebModelReader): Promise<WebModel> {
  const text = new TextDecoder().decode(await read(readFile, WEB_MODEL_FILES.manifest));
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (err) {
    throw new UserError(`${WEB_MODEL_FILES.manifest}: not valid JSON (${(err as Error).message})`);
  }
  const manifest = parseWebManifest(json);
  const [backbone, estimator, loraBytes] = await Promise.all([
    read(readFile, WEB_MODEL_FILES.backbone),
    manifest.estimatorInputSize === null ? Promise.resolve(null) : read(readFile, WEB_MODEL_FILES.estimator),
    read(readFile, WEB_MODEL_FILES.lora),
  ]);
  if (loraBytes.byteLength !== manifest.loraBytes) {
    throw new UserError(`${WEB_MODEL_FILES.lora}: ${loraBytes.byteLength} bytes, ${WEB_MODEL_FILES.manifest} says ${manifest.loraBytes} (files from different exports?)`);
  }
  return { manifest, backbone, estimator, lora: float32FromLittleEndian(loraBytes) };
}
