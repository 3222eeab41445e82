/**
 * ONNX Runtime's NCHWc kernels (domain com.microsoft.nchwc: ReorderInput, Conv, ReorderOutput) are
 * what its own optimiser uses for convolutions with constant weights. Training graphs feed the
 * weights as inputs, so the optimiser leaves their Conv nodes on the im2col path; the train-step
 * graphs emit the blocked ops themselves instead (conv-rules.ts). The block size depends on the
 * CPU (8 with AVX2, 16 with AVX-512) and builds without the kernels (onnxruntime-web) lack the
 * domain, so it is probed once: ReorderInput pads 4 channels up to one block.
 */
import type { OrtModule } from '../ort/runtime.js';
import { OnnxGraph } from '../onnx/graph-builder.js';

let probed: Promise<number | null> | null = null;

export function nchwcBlockSize(ort: OrtModule): Promise<number | null> {
  probed ??= (async () => {
    const g = new OnnxGraph();
    const x = g.input('x', [1, 4, 1, 1]);
    g.output(g.node('ReorderInput', [x], {}, 0, undefined, undefined, 'com.microsoft.nchwc'), 'y', [1, 'c', 1, 1]);
    try {
      const session = await ort.InferenceSession.create(g.encode('nchwc_probe'), { logSeverityLevel: 3 });
      const out = await session.run({ x: new ort.Tensor('float32', new Float32Array(4), [1, 4, 1, 1]) });
      const block = out['y']!.dims[1]!;
      await session.release();
      return block >= 8 && block % 4 === 0 ? block : null;
    } catch {
      return null;
    }
  })();
  return probed;
}
