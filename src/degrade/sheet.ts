/**
 * A contact sheet of the degradations: one row per type, one column per severity (plus the clean
 * image), each cell captioned. Degradations run at cell resolution (the input is downscaled
 * first), so noise, blur and JPEG blocks look as they do on a training patch of that size.
 */
import sharp from 'sharp';
import { createImage, type RGBImage } from '../image/types.js';
import { hashString, Rng } from '../util/rng.js';
import { fromUint8, toUint8 } from './quantize.js';
import { applyDegradation, DEGRADATION_NAMES } from './registry.js';
import { centerCrop } from '../metrics/crop.js';
import type { DegradationName } from './types.js';

interface SheetOptions {
  /** cell width in px (height follows the aspect ratio); default 256 */
  cellWidth?: number;
  severities?: readonly number[];
  types?: readonly DegradationName[];
  seed?: number;
}

export const DEFAULT_SHEET_SEVERITIES = [0.25, 0.6, 1.0] as const;

const CAPTION_HEIGHT = 18;

interface Caption {
  x: number;
  y: number;
  width: number;
  text: string;
}
const GAP = 4;

/** Resize with sharp (Lanczos), through 8-bit. */
async function resizeImage(img: RGBImage, width: number, height: number): Promise<RGBImage> {
  const raw = { width: img.width, height: img.height, channels: 3 as const };
  const { data } = await sharp(toUint8(img), { raw }).resize(width, height, { fit: 'fill' }).raw().toBuffer({ resolveWithObject: true });
  return fromUint8(new Uint8Array(data.buffer, data.byteOffset, data.length), width, height);
}

function paste(canvas: RGBImage, cell: RGBImage, x0: number, y0: number): void {
  for (let y = 0; y < cell.height; y++) {
    const src = cell.data.subarray(y * cell.width * 3, (y + 1) * cell.width * 3);
    canvas.data.set(src, ((y0 + y) * canvas.width + x0) * 3);
  }
}

function escapeXml(s: string): string {
  return s.replace(/[<>&'"]/g, (c) => `&#${c.charCodeAt(0)};`);
}

/** Render captions as SVG text (sharp/librsvg) and blend them over the canvas. */
async function drawCaptions(canvas: RGBImage, captions: Caption[]): Promise<void> {
  // each caption sits in its own nested <svg>, which clips text that would run into the next cell
  const texts = captions
    .map(
      (c) =>
        `<svg x="${c.x}" y="${c.y}" width="${c.width}" height="${CAPTION_HEIGHT}"><text x="3" y="${CAPTION_HEIGHT - 5}" font-family="DejaVu Sans, sans-serif" font-size="12" fill="#ffffff">${escapeXml(c.text)}</text></svg>`,
    )
    .join('');
  const svg = `<svg xmlns="http://www.w3.org/2000/svg" width="${canvas.width}" height="${canvas.height}">${texts}</svg>`;
  const { data, info } = await sharp(Buffer.from(svg)).ensureAlpha().raw().toBuffer({ resolveWithObject: true });
  if (info.width !== canvas.width || info.height !== canvas.height) throw new Error('caption layer has the wrong size');
  for (let i = 0; i < canvas.width * canvas.height; i++) {
    const a = data[4 * i + 3]! / 255;
    if (a === 0) continue;
    for (let c = 0; c < 3; c++) canvas.data[3 * i + c] = canvas.data[3 * i + c]! * (1 - a) + (data[4 * i + c]! / 255) * a;
  }
}

/**
 * Build the sheet. Each row uses one random stream per cell seeded by (seed, type), so a row shows
 * the same variant (e.g. the same blur kind and trajectory) at growing severity. A type that fails
 * (e.g. not implemented yet) gets a grey row saying why.
 */
export async function buildContactSheet(input: RGBImage, options: SheetOptions = {}): Promise<{ sheet: RGBImage; failures: string[] }> {
  const cellWidth = options.cellWidth ?? 256;
  const severities = options.severities ?? DEFAULT_SHEET_SEVERITIES;
  const types = options.types ?? DEGRADATION_NAMES;
  const seed = options.seed ?? 1;
  // Cells show the centre of the image at its own resolution (1:1), because degradation strengths
  // are in pixels: degrading a downscaled copy would exaggerate blur and shrink rain/snow. Only an
  // image smaller than a cell is resized.
  const cellHeight = Math.round((cellWidth * 2) / 3);
  const clean =
    input.width >= cellWidth && input.height >= cellHeight
      ? centerCrop(input, cellWidth, cellHeight)
      : await resizeImage(input, cellWidth, cellHeight);

  const cols = severities.length + 1;
  const rowHeight = CAPTION_HEIGHT + cellHeight + GAP;
  const sheet = createImage(cols * (cellWidth + GAP) - GAP, types.length * rowHeight - GAP, 0.12);
  const captions: Caption[] = [];
  const failures: string[] = [];
  for (let r = 0; r < types.length; r++) {
    const name = types[r]!;
    const y0 = r * rowHeight;
    paste(sheet, clean, 0, y0 + CAPTION_HEIGHT);
    captions.push({ x: 0, y: y0, width: cellWidth, text: `${name} · clean` });
    for (let c = 0; c < severities.length; c++) {
      const s = severities[c]!;
      const x0 = (c + 1) * (cellWidth + GAP);
      try {
        const { image, params } = await applyDegradation(clean, name, new Rng(hashString(`${seed}:${name}`)), s);
        paste(sheet, image, x0, y0 + CAPTION_HEIGHT);
        captions.push({ x: x0, y: y0, width: cellWidth, text: `s=${s.toFixed(2)}${describe(params)}` });
      } catch (err) {
        const message = err instanceof Error ? err.message : String(err);
        if (!failures.includes(`${name}: ${message}`)) failures.push(`${name}: ${message}`);
        captions.push({ x: x0, y: y0, width: cellWidth, text: `s=${s.toFixed(2)}: failed` });
      }
    }
  }
  await drawCaptions(sheet, captions);
  return { sheet, failures };
}

/** A few words on the variant drawn, where a type has several. */
function describe(params: Record<string, unknown>): string {
  if (typeof params.kind === 'string') return ` · ${params.kind}`;
  if (typeof params.quality === 'number') return ` · Q${params.quality}`;
  if (typeof params.bits === 'number') return ` · ${params.bits} bits`;
  return '';
}
