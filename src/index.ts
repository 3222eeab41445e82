/** Public library API of abair. */
export { initEngine, type BackendName, type EngineOptions } from './engine/backend.js';
