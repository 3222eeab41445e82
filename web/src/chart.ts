/** The estimator's probabilities as a labelled bar chart, and the degradation map's legend. */
import { cssColour } from './colour.js';
import type { LegendEntry } from './protocol.js';

function percent(value: number): string {
  return `${Math.round(value * 100)}%`;
}

/**
 * One row per class, most likely first: name, a bar as long as the probability, the probability
 * and the adapter weight used. A class the degradation map also shows gets its map colour, tying
 * the two together.
 */
export function renderChart(
  list: HTMLElement,
  classes: readonly string[],
  probabilities: ArrayLike<number>,
  weights: ArrayLike<number>,
  legend: readonly LegendEntry[] = [],
): void {
  list.replaceChildren();
  if (classes.length === 0) {
    const item = document.createElement('li');
    item.className = 'empty';
    item.textContent = 'This model has no estimator classes.';
    list.append(item);
    return;
  }
  const order = classes.map((_, k) => k).sort((a, b) => (probabilities[b] ?? 0) - (probabilities[a] ?? 0));
  order.forEach((k) => {
    const name = classes[k]!;
    const probability = Math.min(1, Math.max(0, probabilities[k] ?? 0));
    const weight = weights[k] ?? 0;
    const item = document.createElement('li');
    item.className = 'chart-row';
    item.dataset.class = name;
    item.setAttribute('aria-label', `${name}: probability ${percent(probability)}, adapter weight ${weight.toFixed(2)}`);

    const label = document.createElement('span');
    label.className = 'chart-label';
    label.textContent = name;

    const track = document.createElement('span');
    track.className = 'chart-track';
    track.setAttribute('aria-hidden', 'true');
    const bar = document.createElement('span');
    bar.className = 'chart-bar';
    bar.style.width = `${probability * 100}%`;
    const mapEntry = legend.find((entry) => entry.name === name);
    if (mapEntry) bar.style.background = cssColour(mapEntry.colour);
    track.append(bar);

    const value = document.createElement('span');
    value.className = 'chart-value';
    value.setAttribute('aria-hidden', 'true');
    value.textContent = percent(probability);

    const used = document.createElement('span');
    used.className = weight > 0 ? 'chart-weight used' : 'chart-weight';
    used.setAttribute('aria-hidden', 'true');
    used.textContent = `weight ${weight.toFixed(2)}`;

    item.append(label, track, value, used);
    list.append(item);
  });
}

export function renderLegend(list: HTMLElement, legend: readonly LegendEntry[]): void {
  list.replaceChildren(
    ...legend.map((entry) => {
      const item = document.createElement('li');
      const swatch = document.createElement('span');
      swatch.className = 'swatch';
      swatch.style.background = cssColour(entry.colour);
      swatch.setAttribute('aria-hidden', 'true');
      item.append(swatch, document.createTextNode(entry.name));
      return item;
    }),
  );
}
