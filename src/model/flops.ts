/**
 * Analytic compute cost. FLOPs count multiply-adds as 2 and include every convolution and the
 * attention matrix products; element-wise work (norms, softmax, GELU, residual adds) is left out
 * (it is well under 1% of the total here). Costs are linear in pixels, so "per megapixel" is exact
 * for any image size that is a multiple of 8.
 */
import type { BackboneConfig } from './config.js';
import { levelChannels } from './config.js';
import { stages } from './backbone.js';
import type { BlockShape } from './layers/transformer-block.js';

const conv3x3 = (cin: number, cout: number) => 2 * 9 * cin * cout;
const conv1x1 = (cin: number, cout: number) => 2 * cin * cout;
const depthwise3x3 = (c: number) => 2 * 9 * c;

/** FLOPs per pixel (at the block's own resolution) of one transformer block. */
function blockFlopsPerPixel(shape: BlockShape): number {
  const c = shape.channels;
  const d = c / shape.heads;
  const attention = conv1x1(c, 3 * c) + depthwise3x3(3 * c) + 2 * (2 * c * d) + conv1x1(c, c);
  const ffn = conv1x1(c, 2 * shape.hidden) + depthwise3x3(2 * shape.hidden) + conv1x1(shape.hidden, c);
  return attention + ffn;
}

/** Backbone FLOPs per input pixel (segmentation head excluded: see segHeadFlopsPerPixel). */
export function backboneFlopsPerPixel(config: BackboneConfig): number {
  const c = (level: number) => levelChannels(config, level);
  // Fraction of input pixels at each level: level l runs at 1/4^(l-1) of the pixels.
  const at = (level: number) => 1 / 4 ** (level - 1);
  const levelOf: Record<string, number> = { enc1: 1, enc2: 2, enc3: 3, latent: 4, dec3: 3, dec2: 2, dec1: 1, refine: 1 };
  let total = 0;
  for (const s of stages(config)) total += s.count * blockFlopsPerPixel(s.shape) * at(levelOf[s.name]!);
  total += conv3x3(config.inChannels, c(1)) * at(1);
  total += conv3x3(c(1), c(1) / 2) * at(1) + conv3x3(c(2), c(2) / 2) * at(2) + conv3x3(c(3), c(3) / 2) * at(3);
  total += conv3x3(c(4), 2 * c(4)) * at(4) + conv1x1(2 * c(3), c(3)) * at(3);
  total += conv3x3(c(3), 2 * c(3)) * at(3) + conv1x1(2 * c(2), c(2)) * at(2);
  total += conv3x3(c(2), 2 * c(2)) * at(2);
  total += conv3x3(2 * c(1), config.outChannels) * at(1);
  return total;
}

export function segHeadFlopsPerPixel(config: BackboneConfig): number {
  return config.segClasses === 0 ? 0 : conv3x3(2 * levelChannels(config, 1), config.segClasses + 1);
}

/**
 * Extra FLOPs per pixel of running adapters unmerged (training, or a batch with different blends);
 * merged inference costs nothing extra.
 */
function loraFlopsPerPixel(config: BackboneConfig, rank: number, adapterCount = 1): number {
  const levelOf: Record<string, number> = { enc1: 1, enc2: 2, enc3: 3, latent: 4, dec3: 3, dec2: 2, dec1: 1, refine: 1 };
  let total = 0;
  for (const s of stages(config)) {
    const c = s.shape.channels;
    const h = s.shape.hidden;
    const perBlock = conv1x1(c, rank) + conv1x1(rank, 3 * c) + conv1x1(c, rank) + conv1x1(rank, c) + conv1x1(c, rank) + conv1x1(rank, 2 * h) + conv1x1(h, rank) + conv1x1(rank, c);
    total += s.count * perBlock / 4 ** (levelOf[s.name]! - 1);
  }
  return total * adapterCount;
}

export const gflopsPerMegapixel = (flopsPerPixel: number) => (flopsPerPixel * 1e6) / 1e9;
