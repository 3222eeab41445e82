/** The sigmoid-GELU slope x·σ(1.702x) (engine/ops.ts gelu), apart so the ONNX exporter needs no tfjs. */
export const GELU_SIGMOID_SCALE = 1.702;
