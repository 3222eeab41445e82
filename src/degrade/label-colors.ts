/**
 * Colours for rendering class maps. Fixed per degradation name (not per class index), so a class
 * keeps its colour whatever class list a run uses.
 */
import { createImage, type RGBImage } from '../image/types.js';
import { hashString } from '../util/rng.js';
import type { BuiltinDegradationName, DegradationName } from './types.js';

const CLEAN_COLOR = '#000000';

const LABEL_COLORS: Record<BuiltinDegradationName, string> = {
  rain: '#2f7fff', // blue
  haze: '#bfbfbf', // light grey
  noise: '#ff3fd2', // magenta
  blur: '#ff9a1f', // orange
  lowlight: '#7a2fbf', // purple
  jpeg: '#33cc33', // green
  bitdepth: '#ffe01f', // yellow
  snow: '#3fffff', // cyan
};

/**
 * A class's colour: the built-in types' fixed ones; a user's own type gets one from a hash of its
 * name (so it too keeps its colour across runs), kept away from black (clean).
 */
function labelColor(name: DegradationName): string {
  if (Object.prototype.hasOwnProperty.call(LABEL_COLORS, name)) return LABEL_COLORS[name as BuiltinDegradationName];
  const h = hashString(name) >>> 0;
  const channel = (k: number) => (64 + ((h >>> (k * 8)) & 0xbf)).toString(16).padStart(2, '0');
  return `#${channel(0)}${channel(1)}${channel(2)}`;
}

function hexToRgb(hex: string): [number, number, number] {
  const v = parseInt(hex.slice(1), 16);
  return [((v >> 16) & 255) / 255, ((v >> 8) & 255) / 255, (v & 255) / 255];
}

/**
 * The multi-label mask (H·W·K) as a colour image: one class → its colour; several stacked → diagonal
 * stripes of their colours (6 px wide), so overlaps stay visible; none → black.
 */
export function renderLabels(labels: Uint8Array, width: number, height: number, classes: readonly DegradationName[]): RGBImage {
  const K = classes.length;
  if (labels.length !== width * height * K) throw new Error(`labels have ${labels.length} values, expected ${width}×${height}×${K}`);
  const palette = classes.map((c) => hexToRgb(labelColor(c)));
  const img = createImage(width, height);
  const present: number[] = [];
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) {
      const i = y * width + x;
      present.length = 0;
      for (let k = 0; k < K; k++) if (labels[i * K + k]) present.push(k);
      if (present.length === 0) continue;
      const k = present[Math.floor((x + y) / 6) % present.length]!;
      img.data.set(palette[k]!, 3 * i);
    }
  }
  return img;
}

/** One line per class: index, name, colour. */
export function legendLines(classes: readonly DegradationName[]): string[] {
  return [`  0 clean     ${CLEAN_COLOR} (black)`, ...classes.map((c, k) => `  ${k + 1} ${c.padEnd(9)} ${labelColor(c)}`)];
}
