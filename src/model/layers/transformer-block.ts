/** Restormer transformer block: x + MDTA(LN(x)), then + GDFN(LN(·)). */
import type { ParamSpec } from '../params.js';
import type { LinearDelta } from './conv.js';
import { gdfnSpecs, gdfnWith } from './gdfn.js';
import type { ModelOps, WeightsOf } from './graph-ops.js';
import { layerNormSpecs, layerNormWith } from './layer-norm.js';
import { mdtaSpecs, mdtaWith } from './mdta.js';

export interface BlockShape {
  channels: number;
  heads: number;
  hidden: number;
}

export function transformerBlockSpecs(name: string, shape: BlockShape): ParamSpec[] {
  return [
    ...layerNormSpecs(`${name}.norm1`, shape.channels),
    ...mdtaSpecs(`${name}.attn`, shape.channels, shape.heads),
    ...layerNormSpecs(`${name}.norm2`, shape.channels),
    ...gdfnSpecs(`${name}.ffn`, shape.channels, shape.hidden),
  ];
}

/** Names of the block's 1×1 convolutions with their [cin, cout]: the LoRA targets. */
export function transformerBlockLinears(name: string, shape: BlockShape): { layer: string; cin: number; cout: number }[] {
  const c = shape.channels;
  return [
    { layer: `${name}.attn.qkv`, cin: c, cout: 3 * c },
    { layer: `${name}.attn.proj`, cin: c, cout: c },
    { layer: `${name}.ffn.in`, cin: c, cout: 2 * shape.hidden },
    { layer: `${name}.ffn.out`, cin: shape.hidden, cout: c },
  ];
}

export function transformerBlockWith<T>(g: ModelOps<T>, params: WeightsOf<T>, name: string, x: T, heads: number, lora?: LinearDelta<T>): T {
  const attended = g.add(x, mdtaWith(g, params, `${name}.attn`, layerNormWith(g, params, `${name}.norm1`, x), heads, lora));
  return g.add(attended, gdfnWith(g, params, `${name}.ffn`, layerNormWith(g, params, `${name}.norm2`, attended), lora));
}
