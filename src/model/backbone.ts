/**
 * The ABAIR backbone: a Restormer-style 4-level U-Net.
 *
 *   3×3 embed → enc1 ─────────────────────────────────────────────┐ concat → dec1 (2·dim) → refine → 3×3 out → + input
 *                 └ down → enc2 ───────────────────────┐ concat,1×1 → dec2 ┘ up
 *                            └ down → enc3 ──┐ concat,1×1 → dec3 ┘ up
 *                                       └ down → latent ┘ up
 *
 * down = 3×3 conv halving channels + pixel-unshuffle ×2; up = 3×3 conv doubling channels +
 * pixel-shuffle ×2. Every stage is a run of transformer blocks (MDTA + GDFN). Parameter names:
 * embed, enc1.<i>, down1, enc2.<i>, down2, enc3.<i>, down3, latent.<i>, up4, reduce3, dec3.<i>,
 * up3, reduce2, dec2.<i>, up2, dec1.<i>, refine.<i>, out, and seg (segmentation head).
 */
import { tf } from '../tfjs/tf-handle.js';
import { type BackboneConfig, ffnHidden, levelChannels, SIZE_MULTIPLE, validateConfig } from './config.js';
import { conv1x1OfConcatWith, conv1x1Spec, conv3x3Specs, conv3x3With, type LinearDelta } from './layers/conv.js';
import { type ModelOps, tfOps, type WeightsOf } from './layers/graph-ops.js';
import { type BlockShape, transformerBlockLinears, transformerBlockSpecs, transformerBlockWith } from './layers/transformer-block.js';
import { loraDelta, type LoraAdapter, type LoraTarget } from './lora.js';
import { cropTo, reflectPadToMultiple } from './padding.js';
import { createParams, type ParamSpec, type ParamStore, type Params } from './params.js';
import { segHeadSpecs, segHeadWith } from './seg-head.js';

/** A run of transformer blocks sharing one shape, e.g. `enc2` = the blocks of encoder level 2. */
interface Stage {
  name: string;
  count: number;
  shape: BlockShape;
}

/** The transformer-block stages in execution order. */
export function stages(config: BackboneConfig): Stage[] {
  const shape = (channels: number, level: number): BlockShape => ({
    channels,
    heads: config.heads[level - 1]!,
    hidden: ffnHidden(config, channels),
  });
  const c = (level: number) => levelChannels(config, level);
  return [
    { name: 'enc1', count: config.blocks[0], shape: shape(c(1), 1) },
    { name: 'enc2', count: config.blocks[1], shape: shape(c(2), 2) },
    { name: 'enc3', count: config.blocks[2], shape: shape(c(3), 3) },
    { name: 'latent', count: config.blocks[3], shape: shape(c(4), 4) },
    { name: 'dec3', count: config.blocks[2], shape: shape(c(3), 3) },
    { name: 'dec2', count: config.blocks[1], shape: shape(c(2), 2) },
    // As in Restormer, decoder level 1 and refinement keep the concatenated 2·dim channels.
    { name: 'dec1', count: config.blocks[0], shape: shape(2 * c(1), 1) },
    { name: 'refine', count: config.refinementBlocks, shape: shape(2 * c(1), 1) },
  ];
}

/** Specs of the restoration network (without the segmentation head). */
export function backboneSpecs(config: BackboneConfig): ParamSpec[] {
  validateConfig(config);
  const c = (level: number) => levelChannels(config, level);
  const byName = new Map(stages(config).map((s) => [s.name, s]));
  const blocks = (name: string) => {
    const s = byName.get(name)!;
    return Array.from({ length: s.count }, (_, i) => transformerBlockSpecs(`${name}.${i}`, s.shape)).flat();
  };
  return [
    ...conv3x3Specs('embed', config.inChannels, c(1)),
    ...blocks('enc1'),
    ...conv3x3Specs('down1', c(1), c(1) / 2),
    ...blocks('enc2'),
    ...conv3x3Specs('down2', c(2), c(2) / 2),
    ...blocks('enc3'),
    ...conv3x3Specs('down3', c(3), c(3) / 2),
    ...blocks('latent'),
    ...conv3x3Specs('up4', c(4), 2 * c(4)),
    conv1x1Spec('reduce3', 2 * c(3), c(3)),
    ...blocks('dec3'),
    ...conv3x3Specs('up3', c(3), 2 * c(3)),
    conv1x1Spec('reduce2', 2 * c(2), c(2)),
    ...blocks('dec2'),
    ...conv3x3Specs('up2', c(2), 2 * c(2)),
    ...blocks('dec1'),
    ...blocks('refine'),
    ...conv3x3Specs('out', 2 * c(1), config.outChannels),
  ];
}

/** Backbone + segmentation head: everything Phase I trains, everything a backbone file holds. */
export function modelSpecs(config: BackboneConfig): ParamSpec[] {
  return [...backboneSpecs(config), ...segHeadSpecs(config)];
}

/** Every 1×1 convolution inside a transformer block, in execution order: the LoRA targets. */
export function loraTargets(config: BackboneConfig): LoraTarget[] {
  return stages(config).flatMap((s) => Array.from({ length: s.count }, (_, i) => transformerBlockLinears(`${s.name}.${i}`, s.shape)).flat());
}

export function createBackbone(config: BackboneConfig, seed: number | string = 0): ParamStore {
  return createParams(modelSpecs(config), seed);
}

interface AdapterBlend {
  adapters: readonly LoraAdapter[];
  /** [images, adapters]: one-hot (OH), soft weights (SW) or any explicit blend per image. */
  weights: tf.Tensor2D | number[][];
}

interface ForwardOptions {
  /** LoRA adapters and their per-image weights. */
  blend?: AdapterBlend;
  /** Also return the segmentation head's logits (Phase I). */
  segmentation?: boolean;
  /**
   * Inference only (not under a gradient tape, not with `blend`): run each transformer block in
   * its own tf.tidy and free each block's input once the next block has run, so peak memory is
   * about one block's intermediates plus the skip features instead of every intermediate of the
   * network (a 256² small-preset tile kept ≈2 GB alive; 512² exhausted the wasm heap).
   */
  releaseIntermediates?: boolean;
}

interface ForwardResult {
  /** [N,H,W,outChannels]: input + predicted residual. */
  restored: tf.Tensor4D;
  /** [N,H,W,1+segClasses] logits, when requested. */
  segLogits?: tf.Tensor4D;
}

/**
 * The differentiable forward pass on [N,H,W,C] with H, W multiples of 8 (training crops).
 * Call inside tf.tidy / a gradient function: intermediates are left to the caller's scope.
 */
export function forwardBackbone(params: Params, config: BackboneConfig, input: tf.Tensor4D, options: ForwardOptions = {}): ForwardResult {
  const [, h, w] = input.shape;
  if (h % SIZE_MULTIPLE !== 0 || w % SIZE_MULTIPLE !== 0) {
    throw new Error(`backbone input ${h}×${w} is not a multiple of ${SIZE_MULTIPLE} (use restoreBatch for any size)`);
  }
  const release = options.releaseIntermediates === true;
  // The LoRA delta caches per-image scale tensors across blocks; a per-block tidy would free them.
  if (release && options.blend) throw new Error('releaseIntermediates cannot be combined with an adapter blend (merge the adapters instead)');
  const lora: LinearDelta | undefined = options.blend ? loraDelta(options.blend.adapters, options.blend.weights) : undefined;
  const out = forwardBackboneWith(tfOps, params, config, input, {
    lora: lora as LinearDelta<tf.Tensor> | undefined,
    segmentation: options.segmentation,
    releaseIntermediates: release,
  });
  const result: ForwardResult = { restored: out.restored as tf.Tensor4D };
  if (out.segLogits) result.segLogits = out.segLogits as tf.Tensor4D;
  return result;
}

interface GenericForwardOptions<T> {
  lora?: LinearDelta<T>;
  segmentation?: boolean;
  /** See ForwardOptions.releaseIntermediates (uses g.scope / g.release). */
  releaseIntermediates?: boolean;
}

/**
 * The backbone written once against ModelOps: forwardBackbone runs it on tfjs, the ONNX exporter
 * records it as a graph (src/onnx/). Input: a feature map whose spatial size is a multiple of 8.
 */
export function forwardBackboneWith<T>(g: ModelOps<T>, params: WeightsOf<T>, config: BackboneConfig, input: T, options: GenericForwardOptions<T> = {}): { restored: T; segLogits?: T } {
  const release = options.releaseIntermediates === true;
  const lora = options.lora;
  const stageList = new Map(stages(config).map((s) => [s.name, s]));
  const run = (name: string, x: T) => {
    const s = stageList.get(name)!;
    let y = x;
    for (let i = 0; i < s.count; i++) {
      if (!release) {
        y = transformerBlockWith(g, params, `${name}.${i}`, y, s.shape.heads, lora);
        continue;
      }
      const input = y;
      y = g.scope(() => transformerBlockWith(g, params, `${name}.${i}`, input, s.shape.heads, lora));
      if (input !== x) g.release(input); // the stage input may be a skip feature: keep it
    }
    return y;
  };
  const conv3x3 = (name: string, x: T) => conv3x3With(g, params, name, x);
  const down = (name: string, x: T) => g.pixelUnshuffle(conv3x3(name, x), 2);
  const up = (name: string, x: T) => g.pixelShuffle(conv3x3(name, x), 2);

  const enc1 = run('enc1', conv3x3('embed', input));
  const enc2 = run('enc2', down('down1', enc1));
  const enc3 = run('enc3', down('down2', enc2));
  const latent = run('latent', down('down3', enc3));
  // Skip connections: concatenate with the encoder features, then a 1×1 conv halves the channels.
  const dec3 = run('dec3', conv1x1OfConcatWith(g, params, 'reduce3', [up('up4', latent), enc3]));
  const dec2 = run('dec2', conv1x1OfConcatWith(g, params, 'reduce2', [up('up3', dec3), enc2]));
  const dec1 = run('dec1', g.concatChannels(up('up2', dec2), enc1));
  const features = run('refine', dec1);
  const restored = g.add(input, conv3x3('out', features));
  const result: { restored: T; segLogits?: T } = { restored };
  if (options.segmentation) {
    if (config.segClasses === 0) throw new Error('this model has no segmentation head (segClasses = 0)');
    result.segLogits = segHeadWith(g, params, features);
  }
  return result;
}

/**
 * Inference on any size: reflect-pads to a multiple of 8, runs, crops back, and returns tensors
 * the caller owns (everything else is disposed).
 */
// @testSeam: tested directly
export function restoreBatch(params: Params, config: BackboneConfig, input: tf.Tensor4D, options: ForwardOptions = {}): ForwardResult {
  const [, h, w] = input.shape;
  return tf.tidy(() => {
    const padded = reflectPadToMultiple(input, SIZE_MULTIPLE);
    const out = forwardBackbone(params, config, padded, options);
    const result: ForwardResult = { restored: cropTo(out.restored, h, w) };
    if (out.segLogits) result.segLogits = cropTo(out.segLogits, h, w);
    return result as unknown as tf.TensorContainer;
  }) as unknown as ForwardResult;
}
