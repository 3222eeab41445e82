/**
 * The --explain sheet: input | output | per-pixel degradation map, side by side, with a legend
 * of class colours and the estimator's probabilities. Panels are scaled so the long side is at
 * most `maxPanelSide` (a 50 MP input gives a sheet of a few hundred kB, not another 50 MP file).
 *
 * The map (the pipeline's, pipeline.ts) colours each pixel by the mixture of class colours
 * weighted by the softmax of the model's per-pixel logits (clean = dark grey). Models without a
 * segmentation head get a uniform map: the mixture weighted by the estimator's probabilities
 * normalised to sum 1.
 */
import sharp from 'sharp';
import type { RGBImage } from '../image/types.js';
import { CLEAN_COLOUR, classColour, uniformMapColour, type Colour } from './palette.js';


interface ExplainSheetInput {
  input: RGBImage;
  output: RGBImage;
  /** the pipeline's colour map (same size as the input), or null for a uniform map */
  map: RGBImage | null;
  /** estimator probabilities, in `classes` order */
  probabilities: ArrayLike<number>;
  classes: readonly string[];
  /** long side of each panel in pixels (default 512; small images are enlarged to it too) */
  maxPanelSide?: number;
}

const GAP = 8;
const TITLE_HEIGHT = 24;
const LEGEND_ROW = 20;

function toBytes(image: RGBImage): Buffer {
  const bytes = Buffer.allocUnsafe(image.data.length);
  for (let i = 0; i < bytes.length; i++) {
    const v = image.data[i]!;
    bytes[i] = v > 0 ? (v < 1 ? Math.round(v * 255) : 255) : 0; // NaN → 0
  }
  return bytes;
}

async function panel(image: RGBImage, width: number, height: number): Promise<Buffer> {
  const enlarging = width > image.width;
  return sharp(toBytes(image), { raw: { width: image.width, height: image.height, channels: 3 } })
    .resize(width, height, { fit: 'fill', kernel: enlarging ? 'nearest' : 'lanczos3' })
    .png()
    .toBuffer();
}

function escapeXml(text: string): string {
  return text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');
}

function rgbCss(colour: Colour): string {
  return `rgb(${colour.map((v) => Math.round(v * 255)).join(',')})`;
}

/** Composes the sheet; returns it as an RGBImage (write it with writeImage). */
export async function buildExplainSheet(sheet: ExplainSheetInput): Promise<RGBImage> {
  const { input, output, classes } = sheet;
  const maxSide = sheet.maxPanelSide ?? 512;
  const scale = maxSide / Math.max(input.width, input.height);
  const pw = Math.max(1, Math.round(input.width * scale));
  const ph = Math.max(1, Math.round(input.height * scale));
  const map = sheet.map ?? { width: 1, height: 1, data: Float32Array.from(uniformMapColour(sheet.probabilities)) };

  const order = classes.map((name, k) => ({ name, p: sheet.probabilities[k]!, colour: classColour(k) })).sort((a, b) => b.p - a.p);
  const legendRows = [...order.map((e) => ({ text: `${e.name} ${e.p.toFixed(2)}`, colour: e.colour })), { text: 'clean', colour: CLEAN_COLOUR }];
  const sheetWidth = 3 * pw + 4 * GAP;
  const legendTop = TITLE_HEIGHT + ph + GAP;
  const sheetHeight = legendTop + legendRows.length * LEGEND_ROW + GAP;

  const titles = ['input', 'output', sheet.map ? 'degradation map' : 'degradation map (estimator, uniform)'];
  const svgParts = titles.map((title, i) => `<text x="${GAP + i * (pw + GAP)}" y="17" font-size="14">${escapeXml(title)}</text>`);
  legendRows.forEach((row, i) => {
    const y = legendTop + i * LEGEND_ROW;
    svgParts.push(`<rect x="${GAP}" y="${y + 3}" width="14" height="14" fill="${rgbCss(row.colour)}" stroke="#888"/>`);
    svgParts.push(`<text x="${GAP + 22}" y="${y + 15}" font-size="13">${escapeXml(row.text)}</text>`);
  });
  const svg = `<svg xmlns="http://www.w3.org/2000/svg" width="${sheetWidth}" height="${sheetHeight}"><g font-family="sans-serif" fill="#222">${svgParts.join('')}</g></svg>`;

  const panels = await Promise.all([panel(input, pw, ph), panel(output, pw, ph), panel(map, pw, ph)]);
  const { data, info } = await sharp({ create: { width: sheetWidth, height: sheetHeight, channels: 3, background: '#ffffff' } })
    .composite([
      ...panels.map((buffer, i) => ({ input: buffer, left: GAP + i * (pw + GAP), top: TITLE_HEIGHT })),
      { input: Buffer.from(svg), left: 0, top: 0 },
    ])
    .removeAlpha()
    .raw()
    .toBuffer({ resolveWithObject: true });
  if (info.channels !== 3) throw new Error(`explain sheet has ${info.channels} channels (internal error)`);
  const result = new Float32Array(data.length);
  for (let i = 0; i < data.length; i++) result[i] = data[i]! / 255;
  return { width: info.width, height: info.height, data: result };
}
