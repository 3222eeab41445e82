/**
 * Where the restorer gets a model when the caller does not inject one. There are no trained
 * weights yet, so both loaders refuse with a clear message instead of restoring with random
 * weights (which would silently produce garbage). The lead wires the ABAIR model in here.
 */
import { UserError } from '../cli/errors.js';
import type { BackendName } from '../engine/backend.js';
import type { RestorationEngine } from './engine.js';

export interface EngineLoadOptions {
  backend?: BackendName;
}

/** The model shipped with the package (weights/). */
export async function loadDefaultEngine(_options: EngineLoadOptions = {}): Promise<RestorationEngine> {
  throw new UserError(
    'no trained default model is shipped yet: restoration needs trained ABAIR weights (backbone, adapters and estimator), ' +
      'which this version of abair does not include',
  );
}

/** A model from a weights file given by the user (--weights). */
export async function loadEngineFromFile(file: string, _options: EngineLoadOptions = {}): Promise<RestorationEngine> {
  throw new UserError(`cannot load model weights from ${file}: loading ABAIR weight files is not implemented yet`);
}
