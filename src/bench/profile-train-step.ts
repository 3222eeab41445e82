/**
 * Where an ONNX Runtime train step spends its time: one Phase I step graph (the engine's own,
 * NCHWc kernels included where the runtime has them) runs `steps` times under ORT's profiler, and
 * the kernel times are summed by the model op that emitted each node (node names carry it, see
 * tape.ts: `depthwise3x3/…`, `bwd:depthwise3x3/…`) and by ONNX op type. Synthetic batch.
 *
 *   node dist/bench/profile-train-step.js [--preset tiny] [--batch 16] [--patch 64] [--steps 4] [--plain]
 *
 * --plain builds the graph without the NCHWc kernels (for comparison).
 */
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { presetConfig } from '../model/config.js';
import { loadOrt } from '../ort/runtime.js';
import { nchwcBlockSize } from '../train-ort/nchwc.js';
import { initialBackbone } from '../train-ort/ort-trainer.js';
import { buildPretrainGraph, oneHotNchw } from '../train-ort/pretrain-graph.js';

const { values } = parseArgs({ options: { preset: { type: 'string', default: 'tiny' }, batch: { type: 'string', default: '16' }, patch: { type: 'string', default: '64' }, steps: { type: 'string', default: '4' }, plain: { type: 'boolean', default: false } } });
const config = presetConfig(values.preset);
const n = Number(values.batch), p = Number(values.patch), steps = Number(values.steps);
const ort = await loadOrt();
const block = values.plain ? null : await nchwcBlockSize(ort);
const graph = buildPretrainGraph({ config, batch: n, patch: p, segWeight: 0.1, loss: 'l1', nchwcBlock: block });
const dir = mkdtempSync(path.join(os.tmpdir(), 'abair-profile-'));
const session = await ort.InferenceSession.create(graph.model, {
  intraOpNumThreads: 2, interOpNumThreads: 1, graphOptimizationLevel: 'all', executionMode: 'sequential', enableMemPattern: true,
  enableProfiling: true, profileFilePrefix: path.join(dir, 'step'), extra: { session: { intra_op: { allow_spinning: '0' } } },
});
const init = initialBackbone(config, 0);
const feeds: Record<string, InstanceType<typeof ort.Tensor>> = {};
for (const q of graph.params) feeds[q.name] = new ort.Tensor('float32', init[q.name]!, q.shape);
const image = (salt: number) => Float32Array.from({ length: n * p * p * 3 }, (_, i) => (((i + salt) * 2654435761) % 1000) / 1000);
const labels = Int32Array.from({ length: n * p * p }, (_, i) => Math.floor(i / 97) % (config.segClasses + 1));
feeds['input'] = new ort.Tensor('float32', image(1), [n, p, p, 3]);
feeds['target'] = new ort.Tensor('float32', image(7), [n, p, p, 3]);
feeds['seg_onehot'] = new ort.Tensor('float32', oneHotNchw(labels, n, p, config.segClasses + 1), [n, config.segClasses + 1, p, p]);
const wall: number[] = [];
await session.run(feeds); // warm-up, left out of the kernel sums below
for (let i = 0; i < steps; i++) {
  const t0 = performance.now();
  await session.run(feeds);
  wall.push(performance.now() - t0);
}
session.endProfiling();
await session.release();
const file = readdirSync(dir).find((f) => f.endsWith('.json'));
if (!file) throw new Error('ONNX Runtime wrote no profile');
const events = JSON.parse(readFileSync(path.join(dir, file), 'utf8')) as { cat: string; name: string; ts: number; dur: number; args?: { op_name?: string } }[];
// the first run (arena growth, first-touch) is left out: only kernels after its end count
const runEnds = events.filter((e) => e.cat === 'Session' && e.name === 'model_run').map((e) => e.ts + e.dur).sort((a, b) => a - b);
const firstEnd = runEnds[0] ?? 0;
rmSync(dir, { recursive: true, force: true });
const byScope = new Map<string, number>(), byOp = new Map<string, number>(), byScopeOp = new Map<string, number>();
let total = 0;
for (const e of events) {
  if (e.cat !== 'Node' || !e.name.endsWith('_kernel_time') || e.ts < firstEnd) continue;
  const node = e.name.slice(0, -'_kernel_time'.length);
  const scope = node.includes('/') ? node.split('/')[0]! : '(losses, layout)';
  byScope.set(scope, (byScope.get(scope) ?? 0) + e.dur);
  const op = e.args?.op_name ?? '?';
  byOp.set(op, (byOp.get(op) ?? 0) + e.dur);
  byScopeOp.set(`${scope} ${op}`, (byScopeOp.get(`${scope} ${op}`) ?? 0) + e.dur);
  total += e.dur;
}
const runs = steps;
const sorted = [...wall].sort((a, b) => a - b);
console.log(`${values.preset} b${n} ${p}², ${block ? `NCHWc block ${block}` : 'plain ONNX ops'}: median ${sorted[sorted.length >> 1]!.toFixed(0)} ms/step over ${steps} steps (profiled); kernel time ${(total / 1000 / runs).toFixed(0)} ms/step; ${os.cpus()[0]?.model ?? 'cpu'}, load average ${os.loadavg().map((l) => l.toFixed(1)).join(' ')}`);
const table = (title: string, m: Map<string, number>, top: number) => {
  console.log(`\n| ${title} | ms/step | share |\n|---|---:|---:|`);
  for (const [k, d] of [...m].sort((a, b) => b[1] - a[1]).slice(0, top)) console.log(`| ${k} | ${(d / 1000 / runs).toFixed(1)} | ${((100 * d) / total).toFixed(1)} % |`);
};
table('model op (bwd: = its backward)', byScope, 16);
table('ONNX op', byOp, 12);
table('model op × ONNX op', byScopeOp, 15);
