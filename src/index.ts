/** Public library API of abair. */
export { initEngine, type BackendName, type EngineOptions } from './engine/backend.js';
export {
  createRestorer,
  type Restorer,
  type RestorerOptions,
  type RestoreOptions,
  type RestoreResult,
  type RestoreInput,
  type RawPixels,
} from './restore/restorer.js';
export type { RestorationEngine } from './restore/engine.js';
export { parseMode, adapterWeightsFor, type RestoreMode } from './restore/modes.js';
export { psnr, ssim, toY, centerCropToMultiple, type MetricOptions, type MetricSpace, type SsimWindow } from './metrics/index.js';
