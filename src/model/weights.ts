/**
 * Weight files. The backbone (+ segmentation head), each LoRA adapter and the estimator are
 * separate safetensors files, each with a JSON sidecar of the same base name:
 *
 *   <dir>/backbone.safetensors     + backbone.json      {kind:'backbone', config, preset?, provenance}
 *   <dir>/lora-<name>.safetensors  + lora-<name>.json   {kind:'lora', adapter:{name,rank,alpha,targets}, backbone, provenance}
 *   <dir>/estimator.safetensors    + estimator.json     {kind:'estimator', config:{classes,…}, provenance}
 *
 * The sidecar's architecture is also stored in the safetensors metadata (`abair.kind`,
 * `abair.config`), so a file paired with the wrong sidecar is caught. Loading checks every expected
 * tensor is present with the right shape and nothing else is there, and fails with one line naming
 * the file and the first problem.
 */
import { promises as fs } from 'node:fs';
import path from 'node:path';
import { tf } from '../tfjs/tf-handle.js';
import { assertFinite, loadSafetensors, saveSafetensors, WeightsFormatError, type SafetensorsContent, type TensorToStore } from '../io/safetensors.js';
import { writeFileAtomic } from '../util/atomic-write.js';
import { modelSpecs, loraTargets } from './backbone.js';
import { type BackboneConfig, sameConfig, validateConfig } from './config.js';
import { type EstimatorConfig, estimatorArchitecture, estimatorSpecs, type StoredEstimatorConfig, upgradeEstimatorConfig, validateEstimatorConfig } from './estimator.js';
import { type LoraConfig, loraSpecs, type TrainableLoraAdapter, validateLoraConfig } from './lora.js';
import { type ParamSpec, type ParamStore, type Params, uniqueVariableName } from './params.js';
import { type AdapterWeights, HostWeight, type HostWeights, type WeightsLike } from './host-weights.js';

const WEIGHTS_FORMAT = 'abair-weights';
const WEIGHTS_VERSION = 1;

/** Free-form record of how the weights were produced (data, steps, compute, git commit, …). */
export type Provenance = Record<string, unknown>;

interface SidecarBase {
  format: typeof WEIGHTS_FORMAT;
  version: number;
  provenance: Provenance;
}
interface BackboneSidecar extends SidecarBase {
  kind: 'backbone';
  config: BackboneConfig;
  preset?: string;
}
interface LoraSidecar extends SidecarBase {
  kind: 'lora';
  adapter: LoraConfig;
  /** The architecture the adapter was trained on. */
  backbone: BackboneConfig;
}
interface EstimatorSidecar extends SidecarBase {
  kind: 'estimator';
  config: EstimatorConfig;
}
type Sidecar = BackboneSidecar | LoraSidecar | EstimatorSidecar;

export const BACKBONE_FILE = 'backbone.safetensors';
export const ESTIMATOR_FILE = 'estimator.safetensors';
export const adapterFile = (name: string) => `lora-${name}.safetensors`;

export function sidecarPath(weightsFile: string): string {
  return weightsFile.replace(/\.safetensors$/, '') + '.json';
}

// ---------------------------------------------------------------- saving

/**
 * Plain arrays (e.g. a trainer's values) as WeightsLike, with the shapes of `specs` in their
 * order, so the save functions below write the same file from host values as from tfjs Params.
 */
export function hostWeights(values: Readonly<Record<string, Float32Array>>, specs: readonly { name: string; shape: readonly number[] }[]): HostWeights {
  const out: Record<string, HostWeight> = {};
  for (const s of specs) {
    const v = values[s.name];
    if (!v) throw new Error(`no value for weight '${s.name}'`);
    out[s.name] = new HostWeight(v, s.shape);
  }
  const extra = Object.keys(values).find((name) => !(name in out));
  if (extra) throw new Error(`'${extra}' is not a weight of this architecture`);
  return out;
}

async function saveWith(file: string, sidecar: Sidecar, architecture: unknown, params: WeightsLike): Promise<void> {
  const tensors: Record<string, TensorToStore> = {};
  for (const [name, t] of Object.entries(params)) tensors[name] = { shape: [...t.shape], data: t.dataSync() as Float32Array };
  await fs.mkdir(path.dirname(file), { recursive: true });
  await saveSafetensors(file, tensors, { 'abair.kind': sidecar.kind, 'abair.config': JSON.stringify(architecture) });
  await writeFileAtomic(sidecarPath(file), JSON.stringify(sidecar, null, 2) + '\n');
}

export async function saveBackbone(dir: string, config: BackboneConfig, params: WeightsLike, options: { preset?: string; provenance?: Provenance } = {}): Promise<string> {
  const file = path.join(dir, BACKBONE_FILE);
  const sidecar: BackboneSidecar = { format: WEIGHTS_FORMAT, version: WEIGHTS_VERSION, kind: 'backbone', config, provenance: options.provenance ?? {} };
  if (options.preset) sidecar.preset = options.preset;
  await saveWith(file, sidecar, config, params);
  return file;
}

export async function saveAdapter(dir: string, adapter: AdapterWeights, backbone: BackboneConfig, provenance: Provenance = {}): Promise<string> {
  const file = path.join(dir, adapterFile(adapter.config.name));
  const sidecar: LoraSidecar = { format: WEIGHTS_FORMAT, version: WEIGHTS_VERSION, kind: 'lora', adapter: adapter.config, backbone, provenance };
  await saveWith(file, sidecar, { adapter: adapter.config, backbone }, adapter.params);
  return file;
}

export async function saveEstimator(dir: string, config: EstimatorConfig, params: WeightsLike, provenance: Provenance = {}): Promise<string> {
  const file = path.join(dir, ESTIMATOR_FILE);
  const sidecar: EstimatorSidecar = { format: WEIGHTS_FORMAT, version: WEIGHTS_VERSION, kind: 'estimator', config, provenance };
  // swExponent and keepClean are a calibration, not architecture: left out of the weights' record
  // so that they can be changed in the sidecar alone (setEstimatorBlend).
  await saveWith(file, sidecar, estimatorArchitecture(config), params);
  return file;
}

// ---------------------------------------------------------------- loading

const isObject = (v: unknown) => typeof v === 'object' && v !== null && !Array.isArray(v);

/** Refuses a sidecar lacking a record its loader reads (which would otherwise surface as a TypeError). */
function requireRecords(weightsFile: string, sidecar: Sidecar, keys: readonly string[]): void {
  for (const key of keys) {
    if (!isObject((sidecar as unknown as Record<string, unknown>)[key])) throw new WeightsFormatError(`${sidecarPath(weightsFile)}: '${key}' is missing or not an object`);
  }
}

/** Reads and checks a sidecar (format, version, kind). */
export async function readSidecar(weightsFile: string): Promise<Sidecar> {
  const file = sidecarPath(weightsFile);
  let text: string;
  try {
    text = await fs.readFile(file, 'utf8');
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    throw new WeightsFormatError(`${file}: ${code === 'ENOENT' ? 'config file not found (every .safetensors needs its .json beside it)' : (err as Error).message}`);
  }
  let json: Sidecar;
  try {
    json = JSON.parse(text) as Sidecar;
  } catch (err) {
    throw new WeightsFormatError(`${file}: not valid JSON (${(err as Error).message})`);
  }
  if (!json || json.format !== WEIGHTS_FORMAT) throw new WeightsFormatError(`${file}: not an abair weights config (format is not '${WEIGHTS_FORMAT}')`);
  if (json.version !== WEIGHTS_VERSION) throw new WeightsFormatError(`${file}: unsupported version ${json.version} (this abair reads ${WEIGHTS_VERSION})`);
  if (!['backbone', 'lora', 'estimator'].includes(json.kind)) throw new WeightsFormatError(`${file}: unknown kind '${String((json as { kind: unknown }).kind)}'`);
  if (json.provenance !== undefined && !isObject(json.provenance)) throw new WeightsFormatError(`${file}: 'provenance' is not an object`);
  json.provenance ??= {};
  return json;
}

function check(file: string, fn: () => void): void {
  try {
    fn();
  } catch (err) {
    if (err instanceof WeightsFormatError) throw err;
    throw new WeightsFormatError(`${file}: ${(err as Error).message}`);
  }
}

/**
 * Whether the architecture stored inside the weights file is `architecture` (already upgraded
 * from the sidecar): as written, or after the same upgrade of a config written by an older version.
 */
function recordedArchitectureMatches(recorded: string | undefined, architecture: unknown, upgrade?: (recorded: never) => unknown): boolean {
  const expected = JSON.stringify(architecture);
  if (recorded === expected) return true;
  if (recorded === undefined || !upgrade) return false;
  try {
    return JSON.stringify(upgrade(JSON.parse(recorded) as never)) === expected;
  } catch {
    return false;
  }
}

/** Verifies the file's tensors against the specs and returns them as plain arrays. */
function toHostWeights(file: string, content: SafetensorsContent, specs: readonly ParamSpec[], kind: string, architecture: unknown, upgrade?: (recorded: never) => unknown): HostWeights {
  if (content.metadata['abair.kind'] !== kind) {
    throw new WeightsFormatError(`${file}: holds '${content.metadata['abair.kind'] ?? 'unknown'}' weights, expected ${kind}`);
  }
  if (!recordedArchitectureMatches(content.metadata['abair.config'], architecture, upgrade)) {
    throw new WeightsFormatError(`${file}: the architecture recorded in the weights does not match ${path.basename(sidecarPath(file))}`);
  }
  const expected = new Set(specs.map((s) => s.name));
  for (const spec of specs) {
    const t = content.tensors[spec.name];
    if (!t) throw new WeightsFormatError(`${file}: missing tensor '${spec.name}'`);
    if (t.shape.join('x') !== spec.shape.join('x')) {
      throw new WeightsFormatError(`${file}: tensor '${spec.name}' has shape [${t.shape.join(', ')}], the config needs [${spec.shape.join(', ')}]`);
    }
    if (!(t.data instanceof Float32Array)) throw new WeightsFormatError(`${file}: tensor '${spec.name}' is ${t.dtype}, expected a float type`);
    assertFinite(file, spec.name, t.data);
  }
  for (const name of Object.keys(content.tensors)) {
    if (!expected.has(name)) throw new WeightsFormatError(`${file}: unexpected tensor '${name}' (not part of this architecture)`);
  }
  const weights: Record<string, HostWeight> = {};
  for (const spec of specs) {
    const t = content.tensors[spec.name]!;
    weights[spec.name] = new HostWeight(t.data as Float32Array, t.shape);
  }
  return weights;
}

/** Checked host weights → trainable tfjs variables (needs tfjs/backend.js loaded). */
// @testSeam: tested directly
export function toParams(weights: HostWeights): ParamStore {
  const store: ParamStore = {};
  for (const [name, w] of Object.entries(weights)) {
    store[name] = tf.tidy(() => tf.variable(tf.tensor(w.data, [...w.shape], 'float32'), true, uniqueVariableName(name)));
  }
  return store;
}

/** A directory means its standard file for `kind`; a file path is used as is. */
async function resolveFile(target: string, standardName: string): Promise<string> {
  const stat = await fs.stat(target).catch(() => null);
  if (!stat) throw new WeightsFormatError(`${target}: not found`);
  return stat.isDirectory() ? path.join(target, standardName) : target;
}

export interface LoadedBackbone {
  file: string;
  config: BackboneConfig;
  preset?: string;
  params: ParamStore;
  provenance: Provenance;
}

/** A weight file read and checked without tfjs (the ONNX engine's view): `params` are plain arrays. */
export type HostLoaded<T extends { params: unknown }> = Omit<T, 'params'> & { params: HostWeights };

export async function loadBackbone(target: string, expect?: BackboneConfig): Promise<LoadedBackbone> {
  const loaded = await readBackbone(target, expect);
  return { ...loaded, params: toParams(loaded.params) };
}

export async function readBackbone(target: string, expect?: BackboneConfig): Promise<HostLoaded<LoadedBackbone>> {
  const file = await resolveFile(target, BACKBONE_FILE);
  const sidecar = await readSidecar(file);
  if (sidecar.kind !== 'backbone') throw new WeightsFormatError(`${file}: is a ${sidecar.kind} file, expected a backbone`);
  requireRecords(file, sidecar, ['config']);
  check(file, () => validateConfig(sidecar.config));
  if (expect && !sameConfig(sidecar.config, expect)) {
    throw new WeightsFormatError(`${file}: architecture mismatch (file ${describe(sidecar.config)}, expected ${describe(expect)})`);
  }
  const content = await loadSafetensors(file);
  const params = toHostWeights(file, content, modelSpecs(sidecar.config), 'backbone', sidecar.config);
  const loaded: HostLoaded<LoadedBackbone> = { file, config: sidecar.config, params, provenance: sidecar.provenance };
  if (sidecar.preset) loaded.preset = sidecar.preset;
  return loaded;
}

export interface LoadedAdapter extends TrainableLoraAdapter {
  file: string;
  backbone: BackboneConfig;
  provenance: Provenance;
}

/** Loads an adapter; with `backbone`, also checks it was made for that architecture. */
// @testSeam: tested directly
export async function loadAdapter(file: string, backbone?: BackboneConfig): Promise<LoadedAdapter> {
  const loaded = await readAdapter(file, backbone);
  return { ...loaded, params: toParams(loaded.params) };
}

export async function readAdapter(file: string, backbone?: BackboneConfig): Promise<HostLoaded<LoadedAdapter>> {
  const sidecar = await readSidecar(file);
  if (sidecar.kind !== 'lora') throw new WeightsFormatError(`${file}: is a ${sidecar.kind} file, expected a LoRA adapter`);
  requireRecords(file, sidecar, ['adapter', 'backbone']);
  check(file, () => {
    validateConfig(sidecar.backbone);
    validateLoraConfig(sidecar.adapter);
  });
  if (backbone && !sameConfig(sidecar.backbone, backbone)) {
    throw new WeightsFormatError(`${file}: adapter '${sidecar.adapter.name}' was made for a different backbone (${describe(sidecar.backbone)}, loaded ${describe(backbone)})`);
  }
  let specs: ParamSpec[] = [];
  check(file, () => {
    specs = loraSpecs(sidecar.adapter, loraTargets(sidecar.backbone));
  });
  const content = await loadSafetensors(file);
  const params = toHostWeights(file, content, specs, 'lora', { adapter: sidecar.adapter, backbone: sidecar.backbone });
  return { file, config: sidecar.adapter, params, backbone: sidecar.backbone, provenance: sidecar.provenance };
}

export interface LoadedEstimator {
  file: string;
  config: EstimatorConfig;
  params: ParamStore;
  provenance: Provenance;
}

// @testSeam: tested directly
export async function loadEstimator(target: string): Promise<LoadedEstimator> {
  const loaded = await readEstimator(target);
  return { ...loaded, params: toParams(loaded.params) };
}

export async function readEstimator(target: string): Promise<HostLoaded<LoadedEstimator>> {
  const file = await resolveFile(target, ESTIMATOR_FILE);
  const sidecar = await readSidecar(file);
  if (sidecar.kind !== 'estimator') throw new WeightsFormatError(`${file}: is a ${sidecar.kind} file, expected an estimator`);
  requireRecords(file, sidecar, ['config']);
  const config = upgradeEstimatorConfig(sidecar.config);
  check(file, () => validateEstimatorConfig(config));
  const content = await loadSafetensors(file);
  const recorded = (stored: StoredEstimatorConfig) => estimatorArchitecture(upgradeEstimatorConfig(stored));
  const params = toHostWeights(file, content, estimatorSpecs(config), 'estimator', estimatorArchitecture(config), recorded);
  return { file, config, params, provenance: sidecar.provenance };
}

/** The SW blend calibration of an estimator (EstimatorConfig): what `set-blend` changes. */
type EstimatorBlend = Pick<EstimatorConfig, 'swExponent' | 'keepClean'>;

/**
 * Sets the SW blend calibration (exponent, keep-clean; either or both) of a folder's (or file's)
 * estimator by rewriting its sidecar (atomically); the weights file is not touched. Returns the
 * sidecar path and the settings before and after.
 */
export async function setEstimatorBlend(target: string, changes: Partial<EstimatorBlend>): Promise<{ file: string; previous: EstimatorBlend; current: EstimatorBlend }> {
  const file = await resolveFile(target, ESTIMATOR_FILE);
  const sidecar = await readSidecar(file);
  if (sidecar.kind !== 'estimator') throw new WeightsFormatError(`${file}: is a ${sidecar.kind} file, expected an estimator`);
  requireRecords(file, sidecar, ['config']);
  const config = upgradeEstimatorConfig(sidecar.config);
  const updated = { ...config, ...changes };
  check(file, () => validateEstimatorConfig(updated));
  await writeFileAtomic(sidecarPath(file), JSON.stringify({ ...sidecar, config: updated }, null, 2) + '\n');
  const blend = (c: EstimatorConfig): EstimatorBlend => ({ swExponent: c.swExponent, keepClean: c.keepClean });
  return { file: sidecarPath(file), previous: blend(config), current: blend(updated) };
}

/** The weight files present in a directory (by their standard names). */
export async function listWeights(dir: string): Promise<{ backbone?: string; estimator?: string; adapters: string[] }> {
  const names = await fs.readdir(dir).catch((err: NodeJS.ErrnoException) => {
    throw new WeightsFormatError(`${dir}: ${err.code === 'ENOENT' ? 'not found' : err.message}`);
  });
  const found: { backbone?: string; estimator?: string; adapters: string[] } = { adapters: [] };
  if (names.includes(BACKBONE_FILE)) found.backbone = path.join(dir, BACKBONE_FILE);
  if (names.includes(ESTIMATOR_FILE)) found.estimator = path.join(dir, ESTIMATOR_FILE);
  found.adapters = names.filter((n) => /^lora-.+\.safetensors$/.test(n)).sort().map((n) => path.join(dir, n));
  return found;
}

function describe(c: BackboneConfig): string {
  return `dim ${c.dim}, blocks [${c.blocks}], refinement ${c.refinementBlocks}, heads [${c.heads}], ffn ×${c.ffnExpansion}, seg classes ${c.segClasses}`;
}
