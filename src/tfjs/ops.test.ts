import test from 'node:test';
import assert from 'node:assert/strict';
import { tf } from './backend.js';
import { checkGradients, randomInput, type GradCheckResult } from './grad-check.js';
import * as ops from './ops.js';

const T4 = (t: tf.Tensor) => t as tf.Tensor4D;
function expectPass(r: GradCheckResult): void {
  assert.ok(r.pass, `${r.name}: value err ${r.valueRelErr.toExponential(2)}, grad errs ${r.gradRelErrs.map((e) => e.toExponential(2)).join(', ')}`);
}

// Reference: the cpu backend's own backprop kernels (not our constructions).
function convReference(stride: number, pad: 'same' | 'valid') {
  return ([x, f]: tf.Tensor[], dy: tf.Tensor) => {
    const attrs = { strides: [stride, stride], pad, dataFormat: 'NHWC', dilations: 1 };
    const e = tf.engine();
    return {
      value: tf.conv2d(T4(x), T4(f), stride, pad),
      grads: [
        e.runKernel('Conv2DBackpropInput', { dy, filter: f }, { ...attrs, inputShape: x.shape } as unknown as tf.NamedAttrMap) as tf.Tensor,
        e.runKernel('Conv2DBackpropFilter', { x, dy }, { ...attrs, filterShape: f.shape } as unknown as tf.NamedAttrMap) as tf.Tensor,
      ],
    };
  };
}
function depthwiseReference(stride: number, pad: 'same' | 'valid') {
  return ([x, f]: tf.Tensor[], dy: tf.Tensor) => {
    const attrs = { strides: [stride, stride], pad, dilations: 1 };
    const e = tf.engine();
    return {
      value: tf.depthwiseConv2d(T4(x), T4(f), stride, pad),
      grads: [
        e.runKernel('DepthwiseConv2dNativeBackpropInput', { dy, filter: f }, { ...attrs, inputShape: x.shape } as unknown as tf.NamedAttrMap) as tf.Tensor,
        e.runKernel('DepthwiseConv2dNativeBackpropFilter', { x, dy }, { ...attrs, filterShape: f.shape } as unknown as tf.NamedAttrMap) as tf.Tensor,
      ],
    };
  };
}

// [n, h, w, cin, k, cout, stride, pad]
const convCases: Array<[number, number, number, number, number, number, number, 'same' | 'valid']> = [
  [2, 8, 8, 3, 3, 4, 1, 'same'], [1, 7, 9, 3, 3, 4, 2, 'same'], [2, 9, 8, 3, 3, 5, 2, 'valid'],
  [1, 10, 10, 2, 1, 3, 2, 'valid'], [1, 6, 7, 3, 1, 2, 1, 'same'], [1, 12, 12, 2, 1, 3, 2, 'same'],
  [2, 9, 10, 3, 3, 2, 1, 'valid'], [1, 11, 13, 4, 3, 6, 2, 'same'],
];

test('conv2d gradients on wasm match the cpu backprop kernels', async () => {
  for (const [n, h, w, ci, k, co, s, pad] of convCases) {
    const r = await checkGradients(`conv2d ${[n, h, w, ci, k, co, s, pad]}`, (x, f) => ops.conv2d(T4(x), T4(f), s, pad),
      [randomInput([n, h, w, ci], 1), randomInput([k, k, ci, co], 2)], { reference: convReference(s, pad) });
    expectPass(r);
  }
});

test('depthwiseConv2d gradients on wasm match the cpu backprop kernels', async () => {
  for (const [n, h, w, c, , , s, pad] of convCases) {
    const r = await checkGradients(`depthwise ${[n, h, w, c, s, pad]}`, (x, f) => ops.depthwiseConv2d(T4(x), T4(f), s, pad),
      [randomInput([n, h, w, c], 3), randomInput([3, 3, c, 1], 4)], { reference: depthwiseReference(s, pad) });
    expectPass(r);
  }
});

test('matMul and batchMatMul gradients (all transpose flags) match the analytic formulas on cpu', async () => {
  const r2 = await checkGradients('matMul', (a, b) => ops.matMul(a as tf.Tensor2D, b as tf.Tensor2D),
    [randomInput([5, 7], 5), randomInput([7, 3], 6)], {
      reference: ([a, b], dy) => ({ value: tf.matMul(a, b), grads: [tf.matMul(dy, b, false, true), tf.matMul(a, dy, true, false)] }),
    });
  expectPass(r2);
  for (const [ta, tb] of [[false, false], [false, true], [true, false], [true, true]] as const) {
    const aShape = ta ? [3, 7, 5] : [3, 5, 7], bShape = tb ? [3, 4, 7] : [3, 7, 4];
    const r = await checkGradients(`batchMatMul ${ta} ${tb}`, (a, b) => ops.batchMatMul(a as tf.Tensor3D, b as tf.Tensor3D, ta, tb),
      [randomInput(aShape, 8), randomInput(bShape, 9)], {
        reference: ([a, b], dy) => {
          const opA = ta ? tf.transpose(a, [0, 2, 1]) : a, opB = tb ? tf.transpose(b, [0, 2, 1]) : b;
          const dOpA = tf.matMul(dy, opB, false, true), dOpB = tf.matMul(opA, dy, true, false);
          return {
            value: tf.matMul(opA, opB),
            grads: [ta ? tf.transpose(dOpA, [0, 2, 1]) : dOpA, tb ? tf.transpose(dOpB, [0, 2, 1]) : dOpB],
          };
        },
      });
    expectPass(r);
  }
});

test('gelu (x·σ(1.702x)) gradient matches the closed form σ + 1.702·x·σ·(1−σ)', async () => {
  const x = randomInput([4, 33], 10);
  for (let i = 0; i < x.data.length; i++) x.data[i] *= 4;
  const r = await checkGradients('gelu', (t) => ops.gelu(t), [x], {
    reference: ([t], dy) => {
      const v = t.dataSync(), d = dy.dataSync();
      const value = new Float32Array(v.length), grad = new Float32Array(v.length);
      for (let i = 0; i < v.length; i++) {
        const sg = 1 / (1 + Math.exp(-1.702 * v[i]));
        value[i] = v[i] * sg;
        grad[i] = d[i] * (sg + 1.702 * v[i] * sg * (1 - sg));
      }
      return { value: tf.tensor(value, t.shape), grads: [tf.tensor(grad, t.shape)] };
    },
  });
  expectPass(r);
});

test('layerNorm gradients (x, gamma, beta) match the closed form', async () => {
  const [rows, c] = [2 * 5 * 3, 8];
  const r = await checkGradients('layerNorm', (x, g, b) => ops.layerNorm(x, g as tf.Tensor1D, b as tf.Tensor1D),
    [randomInput([2, 5, 3, c], 11), randomInput([c], 12), randomInput([c], 13)], {
      reference: ([x, g, b], dy) => {
        const xv = x.dataSync(), gv = g.dataSync(), bv = b.dataSync(), d = dy.dataSync();
        const out = new Float32Array(xv.length), dx = new Float32Array(xv.length), dg = new Float64Array(c), db = new Float64Array(c);
        for (let r0 = 0; r0 < rows; r0++) {
          const o = r0 * c;
          let mean = 0; for (let k = 0; k < c; k++) mean += xv[o + k] / c;
          let vr = 0; for (let k = 0; k < c; k++) vr += (xv[o + k] - mean) ** 2 / c;
          const inv = 1 / Math.sqrt(vr + 1e-5);
          let mg = 0, mgx = 0;
          for (let k = 0; k < c; k++) {
            const xh = (xv[o + k] - mean) * inv, gk = d[o + k] * gv[k];
            out[o + k] = xh * gv[k] + bv[k]; dg[k] += d[o + k] * xh; db[k] += d[o + k];
            mg += gk / c; mgx += gk * xh / c;
          }
          for (let k = 0; k < c; k++) dx[o + k] = inv * (d[o + k] * gv[k] - mg - (xv[o + k] - mean) * inv * mgx);
        }
        return { value: tf.tensor(out, x.shape), grads: [tf.tensor(dx, x.shape), tf.tensor(Float32Array.from(dg)), tf.tensor(Float32Array.from(db))] };
      },
    });
  expectPass(r);
});

test('pixelShuffle / pixelUnshuffle: gradients are the inverse permutation', async () => {
  const r = await checkGradients('pixelShuffle', (x) => ops.pixelShuffle(T4(x), 2), [randomInput([2, 3, 5, 12], 14)], {
    reference: ([x], dy) => ({ value: tf.depthToSpace(T4(x), 2), grads: [ops.pixelUnshuffle(T4(dy), 2)] }),
  });
  expectPass(r);
  const u = await checkGradients('pixelUnshuffle', (x) => ops.pixelUnshuffle(T4(x), 2), [randomInput([1, 4, 6, 3], 15)]);
  expectPass(u);
});

test('the checker reports a deliberately wrong gradient as failing', async () => {
  // Value is right (x²), gradient is off by a factor: 2.02x instead of 2x.
  const wrong = tf.customGrad(((x: tf.Tensor, save: tf.GradSaveFunc) => {
    save([x]);
    return { value: tf.square(x), gradFunc: (dy: tf.Tensor, [sx]: tf.Tensor[]) => tf.mul(dy, tf.mul(sx, 2.02)) };
  }) as unknown as Parameters<typeof tf.customGrad>[0]);
  const r = await checkGradients('broken square', (x) => wrong(x), [randomInput([3, 4], 16)], {
    reference: ([x], dy) => ({ value: tf.square(x), grads: [tf.mul(dy, tf.mul(x, 2))] }),
  });
  assert.equal(r.pass, false);
  assert.ok(r.valueRelErr < 1e-6 && r.gradRelErrs[0] > 5e-3, JSON.stringify(r));
});
