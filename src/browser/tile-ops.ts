/** The restorer's per-tile array work lives in src/restore/tile-ops.ts (shared with the Node ONNX engine). */
export { clipUnit, cropTopLeft, logitsToColours, reflectIndices, reflectPadToMultiple } from '../restore/tile-ops.js';
