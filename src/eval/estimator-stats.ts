/** Estimator accuracy and confusion counts from per-image predictions. */
import type { Accuracy, Confusion } from './report.js';

/** Index of the largest value (the first on ties), as OH mode picks it. */
export function argmaxClass(probabilities: Record<string, number>): string | null {
  let best: string | null = null;
  for (const [name, p] of Object.entries(probabilities)) if (best === null || p > probabilities[best]!) best = name;
  return best;
}

export function accuracyOf(outcomes: readonly boolean[]): Accuracy | null {
  if (outcomes.length === 0) return null;
  const correct = outcomes.filter(Boolean).length;
  return { correct, total: outcomes.length, top1: correct / outcomes.length };
}

export function addToConfusion(confusion: Confusion, truth: string, predicted: string, count = 1): void {
  const row = (confusion[truth] ??= {});
  row[predicted] = (row[predicted] ?? 0) + count;
}

/** Sum of several confusion matrices (null ones ignored); null when all are null. */
export function mergeConfusions(list: readonly (Confusion | null)[]): Confusion | null {
  let merged: Confusion | null = null;
  for (const c of list) {
    if (!c) continue;
    merged ??= {};
    for (const [truth, row] of Object.entries(c)) for (const [predicted, n] of Object.entries(row)) addToConfusion(merged, truth, predicted, n);
  }
  return merged;
}

export function mergeAccuracies(list: readonly (Accuracy | null)[]): Accuracy | null {
  const present = list.filter((a): a is Accuracy => a !== null);
  if (present.length === 0) return null;
  const correct = present.reduce((s, a) => s + a.correct, 0);
  const total = present.reduce((s, a) => s + a.total, 0);
  return { correct, total, top1: total ? correct / total : 0 };
}
