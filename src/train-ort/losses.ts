/**
 * The training losses as graph values with their closed-form gradients (the seeds of the
 * backward pass), matching src/model/trainable.ts term by term:
 *   L1            mean|r − t|                 d/dr = sign(r − t) / n   (sign(0) = 0, like tf.abs)
 *   Charbonnier   mean √((r − t)² + ε²)       d/dr = (r − t) / √(…) / n
 *   seg CE        −mean_pixels Σ_k y_k log softmax_k(z)   d/dz = (softmax(z) − y) / pixels
 *   BCE (logits)  mean max(z,0) − z·y + log(1 + e^−|z|)  d/dz = (σ(z) − y) / n
 * A loss value is a scalar; its gradient has the prediction's shape.
 */
import type { RestorationLoss } from '../model/config.js';
import { type Autodiff, sizeOf, type V } from './tape.js';

const CHARBONNIER_EPS = 1e-3;

interface LossTerm {
  loss: V;
  /** dLoss/dprediction. */
  grad: V;
}

function meanAll(ad: Autodiff, x: V): V {
  return ad.node('ReduceMean', [x], { keepdims: 0 }, []);
}

export function restorationLoss(ad: Autodiff, kind: RestorationLoss, restored: V, target: V): LossTerm {
  const diff = ad.sub(restored, target);
  const inv = ad.scalar(1 / sizeOf(restored.shape), 'inv_count');
  if (kind === 'l1') {
    return { loss: meanAll(ad, ad.node('Abs', [diff], {}, diff.shape)), grad: ad.mul(ad.node('Sign', [diff], {}, diff.shape), inv) };
  }
  if (kind !== 'charbonnier') throw new Error(`unknown restoration loss '${String(kind)}' (known: l1, charbonnier)`);
  const root = ad.node('Sqrt', [ad.add(ad.mul(diff, diff), ad.scalar(CHARBONNIER_EPS * CHARBONNIER_EPS, 'charb_eps'))], {}, diff.shape);
  return { loss: meanAll(ad, root), grad: ad.mul(ad.div(diff, root), inv) };
}

/** Softmax cross-entropy over the channel axis of NCHW logits against a one-hot map of the same shape. */
export function segmentationLoss(ad: Autodiff, logits: V, oneHot: V): LossTerm {
  const [n, , h, w] = logits.shape as [number, number, number, number];
  const pixels = n * h * w;
  const logProbs = ad.node('LogSoftmax', [logits], { axis: 1 }, [...logits.shape]);
  const total = ad.node('ReduceSum', [ad.mul(oneHot, logProbs)], { keepdims: 0 }, []);
  const loss = ad.mul(total, ad.scalar(-1 / pixels, 'neg_inv_pixels'), []);
  const probs = ad.node('Softmax', [logits], { axis: 1 }, [...logits.shape]);
  return { loss, grad: ad.mul(ad.sub(probs, oneHot), ad.scalar(1 / pixels, 'inv_pixels')) };
}

/** Multi-label binary cross-entropy with logits (the estimator's loss). */
export function binaryCrossEntropy(ad: Autodiff, logits: V, labels: V): LossTerm {
  const relu = ad.node('Relu', [logits], {}, logits.shape);
  const softplus = ad.node('Log', [ad.add(ad.scalar(1, 'one'), ad.node('Exp', [ad.node('Neg', [ad.node('Abs', [logits], {}, logits.shape)], {}, logits.shape)], {}, logits.shape))], {}, logits.shape);
  const perEntry = ad.add(ad.sub(relu, ad.mul(logits, labels)), softplus);
  const grad = ad.mul(ad.sub(ad.node('Sigmoid', [logits], {}, logits.shape), labels), ad.scalar(1 / sizeOf(logits.shape), 'inv_count'));
  return { loss: meanAll(ad, perEntry), grad };
}

/** a + w·b for scalar loss terms. */
function weightedSum(ad: Autodiff, a: V, b: V, weight: number): V {
  return ad.add(a, ad.mul(b, ad.scalar(weight, 'loss_weight'), []), []);
}
