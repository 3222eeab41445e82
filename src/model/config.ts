/**
 * Architecture configuration of the ABAIR backbone (Restormer family) as plain JSON, plus the
 * named presets. A config fully determines every parameter name and shape, so weight files store
 * it beside the tensors and loading can check the architecture before reading any numbers.
 */

export interface BackboneConfig {
  /** Channels at level 1 (Restormer: 48). Level l has dim·2^(l-1) channels. */
  dim: number;
  /** Transformer blocks per encoder level 1..4 (level 4 is the latent); decoders 1..3 mirror 1..3. */
  blocks: [number, number, number, number];
  /** Refinement blocks after decoder level 1 (they run at 2·dim channels, as in Restormer). */
  refinementBlocks: number;
  /** Attention heads per level 1..4; each level's channel count must be divisible by it. */
  heads: [number, number, number, number];
  /** GDFN hidden width = floor(channels · ffnExpansion) (Restormer: 2.66). */
  ffnExpansion: number;
  inChannels: number;
  outChannels: number;
  /**
   * Number of degradation classes the Phase-I segmentation head predicts (logits over
   * 1 + segClasses: index 0 = clean). 0 = no head.
   */
  segClasses: number;
}

/** The restoration loss of Phases I and II: mean |x − y|, or Charbonnier √((x − y)² + ε²). */
export type RestorationLoss = 'l1' | 'charbonnier';

type PresetName = 'tiny' | 'wide' | 'small' | 'restormer';

/**
 * Presets. `restormer` is Restormer's published default (≈26 M parameters). The compact ones keep
 * its shape (4 levels, channel attention, GDFN) but shrink width and depth so that training on a
 * 2-core CPU is feasible; measured sizes and speeds are in docs/model.md.
 */
// @testSeam: tested directly
export const PRESETS: Record<PresetName, BackboneConfig> = {
  tiny: {
    dim: 8,
    blocks: [1, 1, 1, 2],
    refinementBlocks: 1,
    heads: [1, 1, 2, 4],
    ffnExpansion: 2,
    inChannels: 3,
    outChannels: 3,
    segClasses: 5,
  },
  // tiny's depth at twice its width: the backbone sweep's pick (recipes/sweep-backbone.json)
  wide: {
    dim: 16,
    blocks: [1, 1, 1, 2],
    refinementBlocks: 1,
    heads: [1, 2, 4, 8],
    ffnExpansion: 2,
    inChannels: 3,
    outChannels: 3,
    segClasses: 5,
  },
  small: {
    dim: 16,
    blocks: [2, 2, 3, 4],
    refinementBlocks: 2,
    heads: [1, 2, 4, 8],
    ffnExpansion: 2.66,
    inChannels: 3,
    outChannels: 3,
    segClasses: 5,
  },
  restormer: {
    dim: 48,
    blocks: [4, 6, 6, 8],
    refinementBlocks: 4,
    heads: [1, 2, 4, 8],
    ffnExpansion: 2.66,
    inChannels: 3,
    outChannels: 3,
    segClasses: 5,
  },
};

export const PRESET_NAMES = Object.keys(PRESETS) as PresetName[];

/** The spatial multiple inputs are padded to: three ×2 downsamplings. */
export const SIZE_MULTIPLE = 8;

export function presetConfig(name: string): BackboneConfig {
  if (!(name in PRESETS)) {
    throw new Error(`unknown model preset '${name}' (known: ${PRESET_NAMES.join(', ')})`);
  }
  return structuredClone(PRESETS[name as PresetName]);
}

/** Channels at level 1..4 (1-based). */
export function levelChannels(config: BackboneConfig, level: number): number {
  return config.dim * 2 ** (level - 1);
}

/** GDFN hidden width for a block with `channels` channels (Restormer: int(dim·expansion)). */
export function ffnHidden(config: BackboneConfig, channels: number): number {
  return Math.floor(channels * config.ffnExpansion);
}

/** Throws a one-line message if a (possibly hand-written or loaded) config is inconsistent. */
export function validateConfig(config: BackboneConfig): void {
  const isPosInt = (v: unknown) => Number.isInteger(v) && (v as number) > 0;
  const isNonNegInt = (v: unknown) => Number.isInteger(v) && (v as number) >= 0;
  if (!config || typeof config !== 'object') throw new Error('model config must be an object');
  if (!isPosInt(config.dim)) throw new Error(`model config: dim must be a positive integer, got ${config.dim}`);
  for (const key of ['blocks', 'heads'] as const) {
    const list = config[key];
    if (!Array.isArray(list) || list.length !== 4 || !list.every(isPosInt)) {
      throw new Error(`model config: ${key} must be 4 positive integers, got ${JSON.stringify(list)}`);
    }
  }
  if (!isNonNegInt(config.refinementBlocks)) throw new Error('model config: refinementBlocks must be an integer >= 0');
  if (!(typeof config.ffnExpansion === 'number' && config.ffnExpansion > 0)) throw new Error('model config: ffnExpansion must be > 0');
  if (!isPosInt(config.inChannels) || !isPosInt(config.outChannels)) throw new Error('model config: inChannels/outChannels must be positive integers');
  if (config.inChannels !== config.outChannels) throw new Error('model config: the global residual needs inChannels === outChannels');
  if (!isNonNegInt(config.segClasses)) throw new Error('model config: segClasses must be an integer >= 0');
  for (let level = 1; level <= 4; level++) {
    const channels = levelChannels(config, level);
    // Decoder level 1 and refinement run at 2·dim with level 1's head count.
    for (const c of level === 1 ? [channels, 2 * channels] : [channels]) {
      if (c % config.heads[level - 1]! !== 0) {
        throw new Error(`model config: ${c} channels at level ${level} are not divisible by ${config.heads[level - 1]} heads`);
      }
    }
  }
  if (config.dim % 2 !== 0) throw new Error('model config: dim must be even (downsampling halves channels before pixel-unshuffle)');
}

/** Structural equality of two configs (used to check a weight file against what is expected). */
export function sameConfig(a: BackboneConfig, b: BackboneConfig): boolean {
  return JSON.stringify(canonical(a)) === JSON.stringify(canonical(b));
}

function canonical(c: BackboneConfig): BackboneConfig {
  return {
    dim: c.dim,
    blocks: [...c.blocks] as BackboneConfig['blocks'],
    refinementBlocks: c.refinementBlocks,
    heads: [...c.heads] as BackboneConfig['heads'],
    ffnExpansion: c.ffnExpansion,
    inChannels: c.inChannels,
    outChannels: c.outChannels,
    segClasses: c.segClasses,
  };
}
