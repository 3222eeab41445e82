/**
 * Rasterising soft primitives into a single-channel coverage layer in [0,1]. Overlaps combine by
 * "screen" (a + b − a·b), so a layer never exceeds 1 and dense regions saturate smoothly the way
 * overlapping light does.
 */

interface Layer {
  width: number;
  height: number;
  data: Float32Array;
}

/** An empty layer; `data` (length width·height), when given, is cleared and used as storage. */
export function createLayer(width: number, height: number, data?: Float32Array): Layer {
  if (data) data.fill(0);
  return { width, height, data: data ?? new Float32Array(width * height) };
}

function screenInto(data: Float32Array, i: number, v: number): void {
  const m = data[i]!;
  data[i] = m + v - m * v;
}

/**
 * An anti-aliased line segment (a rain streak) from (x0,y0) to (x1,y1), pixel centres at
 * integer + 0.5. Coverage across the line is a box of `width` pixels filtered by one pixel
 * (exact-ish area coverage for thin lines); along the line the intensity ramps up over the first
 * `taper` fraction and down over the last, so streaks fade in and out like real drops.
 */
export function drawStreak(
  layer: Layer,
  x0: number,
  y0: number,
  x1: number,
  y1: number,
  width: number,
  intensity: number,
  taper = 0.3,
): void {
  const { width: w, height: h, data } = layer;
  const dx = x1 - x0;
  const dy = y1 - y0;
  const len2 = dx * dx + dy * dy;
  if (len2 < 1e-6 || intensity <= 0) return;
  const invLen2 = 1 / len2;
  const len = Math.sqrt(len2);
  const half = width / 2;
  // thinner than a pixel: keep the footprint one pixel wide and dim it by the lost area instead
  const halfEff = Math.max(half, 0.5);
  const peak = intensity * Math.min(1, width);
  const reach = halfEff + 1;
  const invTaper = taper > 0 ? 1 / taper : 0;
  const yMin = Math.max(0, Math.floor(Math.min(y0, y1) - reach));
  const yMax = Math.min(h - 1, Math.ceil(Math.max(y0, y1) + reach));
  const steep = Math.abs(dy) >= Math.abs(dx);
  // for a steep line only a short span of each row can be touched: its half-extent in x
  const span = steep ? reach * (len / Math.abs(dy)) + 1 : 0;
  const xMinBox = Math.max(0, Math.floor(Math.min(x0, x1) - reach));
  const xMaxBox = Math.min(w - 1, Math.ceil(Math.max(x0, x1) + reach));
  for (let py = yMin; py <= yMax; py++) {
    const cy = py + 0.5;
    let xa = xMinBox;
    let xb = xMaxBox;
    if (steep) {
      const tRow = Math.min(1, Math.max(0, (cy - y0) / dy));
      const xc = x0 + tRow * dx;
      xa = Math.max(xMinBox, Math.floor(xc - span));
      xb = Math.min(xMaxBox, Math.ceil(xc + span));
    }
    const row = py * w;
    for (let px = xa; px <= xb; px++) {
      const cx = px + 0.5;
      let t = ((cx - x0) * dx + (cy - y0) * dy) * invLen2;
      t = t < 0 ? 0 : t > 1 ? 1 : t;
      const ex = cx - (x0 + t * dx);
      const ey = cy - (y0 + t * dy);
      const dist = Math.sqrt(ex * ex + ey * ey);
      let cov = halfEff + 0.5 - dist;
      if (cov <= 0) continue;
      if (cov > 1) cov = 1;
      let along = 1;
      if (invTaper > 0) {
        const edge = (t < 0.5 ? t : 1 - t) * invTaper;
        if (edge < 1) along = edge;
      }
      screenInto(data, row + px, peak * cov * along);
    }
  }
}

/**
 * A soft particle (snowflake): Gaussian falloff of standard deviation `sigma` around the segment
 * from (x0,y0) to (x1,y1); a zero-length segment is a round blob, a longer one is the same blob
 * motion-blurred along the segment. `peak` is the opacity at the centre line.
 */
export function drawSoftParticle(
  layer: Layer,
  x0: number,
  y0: number,
  x1: number,
  y1: number,
  sigma: number,
  peak: number,
): void {
  const { width: w, height: h, data } = layer;
  if (peak <= 0) return;
  const s = Math.max(0.3, sigma);
  const reach = 3 * s;
  const reach2 = reach * reach;
  const inv2s2 = 1 / (2 * s * s);
  const dx = x1 - x0;
  const dy = y1 - y0;
  const len2 = dx * dx + dy * dy;
  const invLen2 = len2 > 1e-9 ? 1 / len2 : 0;
  const yMin = Math.max(0, Math.floor(Math.min(y0, y1) - reach));
  const yMax = Math.min(h - 1, Math.ceil(Math.max(y0, y1) + reach));
  const xMin = Math.max(0, Math.floor(Math.min(x0, x1) - reach));
  const xMax = Math.min(w - 1, Math.ceil(Math.max(x0, x1) + reach));
  for (let py = yMin; py <= yMax; py++) {
    const cy = py + 0.5;
    const row = py * w;
    for (let px = xMin; px <= xMax; px++) {
      const cx = px + 0.5;
      let t = ((cx - x0) * dx + (cy - y0) * dy) * invLen2;
      t = t < 0 ? 0 : t > 1 ? 1 : t;
      const ex = cx - (x0 + t * dx);
      const ey = cy - (y0 + t * dy);
      const d2 = ex * ex + ey * ey;
      if (d2 >= reach2) continue;
      screenInto(data, row + px, peak * Math.exp(-d2 * inv2s2));
    }
  }
}
