/**
 * Where the restorer gets a model when the caller does not inject one: the model folder shipped
 * in `<package>/weights/default/`, or a folder the user names with --weights. Without a shipped
 * backbone the default loader refuses with a clear message instead of restoring with random
 * weights (which would silently produce garbage).
 */
import { promises as fs } from 'node:fs';
import path from 'node:path';
import { UserError } from '../util/errors.js';
import { BACKBONE_FILE } from '../model/weights.js';
import { packageRoot } from '../util/paths.js';
import type { OrtRuntime } from '../ort/runtime.js';
import type { ModelRunner } from './model-runner.js';

interface RunnerLoadOptions {
  /**
   * which ONNX Runtime package: 'node' (onnxruntime-node), 'wasm' (onnxruntime-web's WebAssembly
   * build), or undefined: onnxruntime-node, else the wasm build with a note
   */
  runtime?: OrtRuntime;
  /** where the fallback note goes (default: stderr) */
  notes?: { write(text: string): unknown };
}

/** The runner for a model folder on the requested runtime. */
async function createRunnerForDir(dir: string, options: RunnerLoadOptions = {}): Promise<ModelRunner> {
  const { loadOrtPackage } = await import('../ort/runtime.js');
  const loaded = await loadOrtPackage(options.runtime); // rejects, saying why, when the package does not load
  if (loaded.nativeError !== undefined) {
    (options.notes ?? process.stderr).write(
      `abair: note: onnxruntime-node is not available (${loaded.nativeError}); restoring with onnxruntime-web's WebAssembly build, about 2× slower ` +
        '(install the native one with: ONNXRUNTIME_NODE_INSTALL=skip npm install onnxruntime-node)\n',
    );
  }
  const { createNodeRunner } = await import('./node-runner.js');
  return createNodeRunner(dir, { ...(options.runtime ? { runtime: options.runtime } : {}) });
}

/** Environment variable naming another folder to use as the default model. */
export const DEFAULT_MODEL_ENV = 'ABAIR_WEIGHTS';

/**
 * The folder the default model is read from: $ABAIR_WEIGHTS when set, else the one shipped in
 * the package (weights/default: backbone.safetensors, lora-<name>.safetensors, estimator.safetensors).
 */
export function defaultModelDir(): string {
  const override = process.env[DEFAULT_MODEL_ENV];
  return override ? path.resolve(override) : path.join(packageRoot, 'weights', 'default');
}

/** The model shipped with the package (weights/default/). */
export async function loadDefaultRunner(options: RunnerLoadOptions = {}): Promise<ModelRunner> {
  const dir = defaultModelDir();
  const shipped = await fs.stat(path.join(dir, BACKBONE_FILE)).then(() => true, () => false);
  if (!shipped && process.env[DEFAULT_MODEL_ENV]) {
    throw new UserError(`${DEFAULT_MODEL_ENV}=${process.env[DEFAULT_MODEL_ENV]}: no model there (no ${BACKBONE_FILE} in ${dir})`);
  }
  if (!shipped) {
    throw new UserError(
      `the default model is missing (no ${BACKBONE_FILE} in ${dir}): reinstall abair, ` +
        'or use --weights <dir> with a model folder (backbone, adapters and estimator)',
    );
  }
  return createRunnerForDir(dir, options);
}

/**
 * A model from --weights: a model folder, or any weights file inside one (e.g. its
 * backbone.safetensors), which stands for its folder since the parts are only usable together.
 */
export async function loadRunnerFromFile(file: string, options: RunnerLoadOptions = {}): Promise<ModelRunner> {
  const stat = await fs.stat(file).catch(() => null);
  if (!stat) throw new UserError(`${file}: not found (--weights takes a model folder or its backbone.safetensors)`);
  if (stat.isDirectory()) return createRunnerForDir(file, options);
  if (!file.endsWith('.safetensors')) throw new UserError(`${file}: not a model folder or a .safetensors weights file`);
  return createRunnerForDir(path.dirname(file), options);
}
