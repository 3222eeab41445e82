/**
 * A LoRA LinearDelta written against ModelOps, for training an adapter with the ONNX engine:
 * delta(x) = (α/r)·(x·A)·B per targeted 1×1 layer, the adapter fully on (per-image weight 1, as
 * Phase II trains it). With autodiffOps the A and B inputs get gradients through the linear and
 * mul rules; the frozen backbone weights get none.
 */
import type { LinearDelta } from '../model/layers/conv.js';
import { columnGroupWith } from '../model/layers/conv.js';
import type { ModelOps } from '../model/layers/graph-ops.js';
import { loraParamName, type LoraConfig } from '../model/lora.js';

interface GraphAdapter<T> {
  config: LoraConfig;
  /** A [cin, r] and B [r, cout] per target, by their parameter names (loraParamName). */
  params: Readonly<Record<string, T>>;
  /** The scalar α/r as a value of the graph (a constant). */
  scale: T;
}

export function adapterDelta<T>(g: ModelOps<T>, adapter: GraphAdapter<T>): LinearDelta<T> {
  const targets = new Set(adapter.config.targets);
  const weight = (layer: string, which: 'A' | 'B') => {
    const t = adapter.params[loraParamName(adapter.config.name, layer, which)];
    if (t === undefined) throw new Error(`adapter '${adapter.config.name}' has no ${which} for ${layer}`);
    return t;
  };
  return {
    delta(layer, x, _batch, parts = 1) {
      if (!targets.has(layer)) return null;
      const scaled = g.mul(g.linear(x, weight(layer, 'A')), adapter.scale);
      const b = weight(layer, 'B');
      return Array.from({ length: parts }, (_, p) => g.linear(scaled, columnGroupWith(g, b, p, parts)));
    },
  };
}
