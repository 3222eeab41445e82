/**
 * Frees backward-pass memory as soon as it is dead instead of when the whole backward pass ends.
 *
 * tfjs-core's backprop (tape.backpropagateGradients) keeps, until the end of `gradients()`:
 *   - the gradient of every intermediate tensor (all live in one tidy scope), and
 *   - every tensor saved for a gradient (disposed in one loop after the walk),
 * so a training step's peak is about forward activations + saved copies + all their gradients.
 * But the walk visits each tape node once, in reverse: once node k's gradient functions have run,
 * the gradients of k's outputs and k's saved tensors are never read again.
 *
 * This wrapper around a registered gradFunc does the bookkeeping: when the next wrapped node
 * starts, it disposes the previous node's saved tensors and those of its output gradients that
 * one of our own gradient closures created (never a caller's `dy`, never engine-made sums, which
 * stay until the end as before). A closure result that is not a fresh tensor (e.g. `dy` passed
 * through unchanged by an Add) is returned as a clone, so no tensor is both a released output
 * gradient and a live input gradient. Nothing is released while a higher-order gradient is being
 * recorded (gradientDepth > 0), where the outer tape may still need these tensors.
 */
import * as tf from '@tensorflow/tfjs-core';

type T = tf.Tensor;
type GradMap = Record<string, () => T> | Array<() => T>;
type GradFn = (dy: T | T[], saved: T[], attrs: Record<string, unknown>) => GradMap;

interface EngineInternals {
  state: { gradientDepth: number };
  nextTensorId(): number;
}

/** Gradients created by wrapped closures: the only output gradients we may release early. */
const ours = new WeakSet<T>();
let pending: { dys: T[]; saved: T[] } | null = null;

function releasePending(): void {
  if (!pending) return;
  const { dys, saved } = pending;
  pending = null;
  for (const t of dys) if (ours.has(t) && !t.isDisposed) t.dispose();
  for (const t of saved) if (!t.isDisposed) t.dispose();
}

export function withEarlyRelease(gradFunc: GradFn): GradFn {
  return (dy, saved, attrs) => {
    const engine = tf.engine() as unknown as EngineInternals;
    const recording = engine.state.gradientDepth > 0;
    releasePending();
    const grads = gradFunc(dy, saved, attrs);
    if (recording) return grads;
    pending = { dys: Array.isArray(dy) ? dy : [dy], saved };
    const wrap = (closure: () => T) => () => {
      const firstFresh = engine.nextTensorId() + 1;
      let result = closure();
      if (result.id < firstFresh) result = tf.clone(result); // zero-copy (shares the buffer)
      ours.add(result);
      return result;
    };
    if (Array.isArray(grads)) return grads.map(wrap);
    return Object.fromEntries(Object.entries(grads).map(([name, closure]) => [name, wrap(closure)]));
  };
}
