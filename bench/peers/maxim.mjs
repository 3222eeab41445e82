#!/usr/bin/env node
/**
 * Peer comparison: MAXIM (Tu et al., CVPR 2022) deraining, as packaged for TensorFlow.js by
 * UpscalerJS (@upscalerjs/maxim-deraining, trained on Rain13k), on a few Rain100H pairs.
 *
 * Not part of the abair package and not a dependency: on first run this installs the model and
 * its TensorFlow.js pieces with `npm install --no-save` into a scratch folder (default
 * /tmp/abair-peers, or $ABAIR_PEERS_DIR), and loads everything from there. It reads images and
 * computes metrics with abair's own dist/ (run `npm run build` first), under abair's protocol:
 * 8-bit input and output, RGB PSNR / Gaussian SSIM (and skimage-default uniform-7 SSIM).
 *
 * MAXIM's graph uses 464 Einsum ops in three patterns ('abcg,gf->abcf', 'abgd,gf->abdf',
 * 'gb,cgef->bcef'). The wasm backend has no Einsum kernel, so --backend wasm (default) registers
 * a converter op (tfconv.registerOp overrides the graph's own) doing any two-operand einsum
 * with contracted labels and no batch labels as transpose → reshape → matMul → reshape → transpose; --backend cpu uses tfjs's own Einsum kernel.
 * The package also needs 'ScaleAndTranslate' (a resize); it is registered as nearest-neighbour
 * resizing, as UpscalerJS itself does.
 *
 * The same crops are also restored by abair's default model (bench/peers/abair-crops.mjs, in its
 * own process), and with --json <file> both sides are recorded for docs/results.md
 * (`abair eval --results-md … --json-in … <file>`).
 *
 * Usage: nice -n 19 node bench/peers/maxim.mjs [--images 2] [--crop 256] [--backend wasm|cpu] [--data <bench dir>] [--json <file>]
 *          [--peer-from <earlier --json file>]   (reuse MAXIM's rows for the same crops; re-measure abair only)
 * CPU-heavy (25–100 s per 256² crop on wasm here, 400–730 s/MP, depending on the load): run it by hand, never from tests.
 */
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';

const here = path.dirname(fileURLToPath(import.meta.url));
const repo = path.resolve(here, '..', '..');
const { values: args } = parseArgs({
  options: {
    images: { type: 'string', default: '2' },
    crop: { type: 'string', default: '256' },
    backend: { type: 'string', default: 'wasm' },
    data: { type: 'string' },
    threads: { type: 'string' },
    json: { type: 'string' },
    'peer-from': { type: 'string' },
  },
});
const VERSIONS = {
  '@upscalerjs/maxim-deraining': '0.1.0',
  '@tensorflow/tfjs-core': '4.22.0',
  '@tensorflow/tfjs-converter': '4.22.0',
  '@tensorflow/tfjs-backend-cpu': '4.22.0',
  '@tensorflow/tfjs-backend-wasm': '4.22.0',
};
const scratch = process.env.ABAIR_PEERS_DIR ?? path.join(os.tmpdir(), 'abair-peers');

function ensureInstalled() {
  if (Object.keys(VERSIONS).every((name) => existsSync(path.join(scratch, 'node_modules', name, 'package.json')))) return;
  mkdirSync(scratch, { recursive: true });
  if (!existsSync(path.join(scratch, 'package.json'))) writeFileSync(path.join(scratch, 'package.json'), '{"name":"abair-peers","private":true}\n');
  const specs = Object.entries(VERSIONS).map(([name, version]) => `${name}@${version}`);
  console.error(`installing into ${scratch}: ${specs.join(' ')}`);
  // --legacy-peer-deps: the model declares @tensorflow/tfjs ~4.11 as a peer; we bring the parts we use
  execFileSync('npm', ['install', '--no-save', '--legacy-peer-deps', '--no-audit', '--no-fund', ...specs], { cwd: scratch, stdio: 'inherit' });
}

// TensorFlow.js and the model, loaded only when the peer runs (not with --peer-from)
let tf, tfconv, wasm;
function loadPeerRuntime() {
  ensureInstalled();
  // everything TensorFlow.js from the scratch folder, so the converter and the backends share one core
  const requirePeer = createRequire(path.join(scratch, 'package.json'));
  tf = requirePeer('@tensorflow/tfjs-core');
  tfconv = requirePeer('@tensorflow/tfjs-converter');
  requirePeer('@tensorflow/tfjs-backend-cpu');
  wasm = requirePeer('@tensorflow/tfjs-backend-wasm');
}
// sharp (an abair dependency) reads the PNGs; abair's image-io would load abair's own tfjs copy too
const sharp = createRequire(path.join(repo, 'package.json'))('sharp');
const { psnr, ssim, centerCrop } = await import(path.join(repo, 'dist', 'metrics', 'index.js'));

/** Two-operand einsum without batch labels: contract the shared labels with one matMul. */
function einsumByMatMul(equation, a, b) {
  const [lhs, out] = equation.split('->');
  const [la, lb] = lhs.split(',');
  const contracted = [...la].filter((l) => lb.includes(l) && !out.includes(l));
  const batch = [...la].filter((l) => lb.includes(l) && out.includes(l));
  if (batch.length > 0 || contracted.length === 0) throw new Error(`einsum '${equation}' has batch labels or no contraction: not supported here`);
  const size = {};
  [...la].forEach((l, i) => (size[l] = a.shape[i]));
  [...lb].forEach((l, i) => (size[l] = b.shape[i]));
  const freeA = [...la].filter((l) => !contracted.includes(l));
  const freeB = [...lb].filter((l) => !contracted.includes(l));
  const prod = (labels) => labels.reduce((p, l) => p * size[l], 1);
  return tf.tidy(() => {
    const at = tf.reshape(tf.transpose(a, [...freeA, ...contracted].map((l) => la.indexOf(l))), [prod(freeA), prod(contracted)]);
    const bt = tf.reshape(tf.transpose(b, [...contracted, ...freeB].map((l) => lb.indexOf(l))), [prod(contracted), prod(freeB)]);
    const product = tf.reshape(tf.matMul(at, bt), [...freeA, ...freeB].map((l) => size[l]));
    const order = [...freeA, ...freeB];
    return tf.transpose(product, [...out].map((l) => order.indexOf(l)));
  });
}

function registerMissingOps(backend) {
  tfconv.registerOp('ScaleAndTranslate', ({ inputs }) => {
    const [input, sizeTensor] = inputs;
    const [height, width] = Array.from(sizeTensor.dataSync());
    return tf.image.resizeNearestNeighbor(input, [height, width]);
  });
  if (backend === 'wasm') {
    // a converter op (not a backend kernel): the graph executor calls it like any other op
    tfconv.registerOp('Einsum', (node) => {
      if (node.inputs.length !== 2) throw new Error(`einsum with ${node.inputs.length} operands is not supported here`);
      return einsumByMatMul(String(node.attrs.equation), node.inputs[0], node.inputs[1]);
    });
  }
}

/** A tfjs IOHandler over the package's model.json and weight shards (loadGraphModel needs no fetch). */
function packageModel() {
  const dir = path.join(scratch, 'node_modules', '@upscalerjs', 'maxim-deraining', 'models');
  return {
    async load() {
      const json = JSON.parse(readFileSync(path.join(dir, 'model.json'), 'utf8'));
      const weightSpecs = json.weightsManifest.flatMap((group) => group.weights);
      const buffers = json.weightsManifest.flatMap((group) => group.paths.map((p) => readFileSync(path.join(dir, p))));
      const weightData = new Uint8Array(Buffer.concat(buffers)).buffer;
      return { modelTopology: json.modelTopology, format: json.format, generatedBy: json.generatedBy, convertedBy: json.convertedBy, signature: json.signature, weightSpecs, weightData };
    },
  };
}

async function readPng(file) {
  const { data, info } = await sharp(file).removeAlpha().raw().toBuffer({ resolveWithObject: true });
  return { width: info.width, height: info.height, data: Float32Array.from(data, (v) => v / 255) };
}

function quantise8(img) {
  const data = Float32Array.from(img.data, (v) => (v > 0 ? (v >= 1 ? 1 : Math.round(v * 255) / 255) : 0));
  return { width: img.width, height: img.height, data };
}

const cropLabel = (i, crop) => `Rain100H/${i}.png (centre ${crop}²)`;

/**
 * The peer's rows from an earlier report of the same crops. MAXIM does not change between runs,
 * and it costs ~2.5 min per crop here, so when only abair's model changed, only abair is re-run.
 */
function earlierPeerRun(file, count, crop) {
  const earlier = JSON.parse(readFileSync(file, 'utf8'));
  if (earlier.format !== 'abair-peer-comparison') throw new Error(`${file}: not a peer comparison`);
  const pkg = `@upscalerjs/maxim-deraining@${VERSIONS['@upscalerjs/maxim-deraining']}`;
  if (earlier.peer?.package !== pkg) throw new Error(`${file}: its peer is ${earlier.peer?.package}, not ${pkg}`);
  if (earlier.rows.length !== count || earlier.rows.some((r, i) => r.image !== cropLabel(i + 1, crop))) {
    throw new Error(`${file}: its crops are not Rain100H 1..${count} centre ${crop}² (rerun without --peer-from)`);
  }
  const rows = earlier.rows.map((r) => ({ image: r.image, inputPsnr: r.inputPsnr, inputSsim: r.inputSsim, psnr: r.peer.psnr, ssim: r.peer.ssim, seconds: r.peer.seconds }));
  // the run that measured the peer, carried through any chain of reuses
  const measuredIn = earlier.peer.measuredIn ?? { createdAt: earlier.createdAt, command: earlier.command, machine: earlier.machine };
  return { rows, runtime: earlier.peer.runtime, measuredIn };
}

async function main() {
  const backend = args.backend;
  if (backend !== 'wasm' && backend !== 'cpu') throw new Error(`--backend must be wasm or cpu, got ${backend}`);
  const bench = args.data ?? path.join(process.env.ABAIR_DATA ?? path.resolve(repo, '..', 'shared', 'data'), 'bench');
  const crop = Number(args.crop);
  const count = Number(args.images);
  const reused = args['peer-from'] ? earlierPeerRun(args['peer-from'], count, crop) : null;
  const rows = reused ? reused.rows : await runPeer(backend, bench, crop, count);

  await report(rows, { backend, crop, count, reused });
}

async function runPeer(backend, bench, crop, count) {
  loadPeerRuntime();
  if (backend === 'wasm' && args.threads) wasm.setThreadsCount(Number(args.threads));
  await tf.setBackend(backend);
  await tf.ready();
  registerMissingOps(backend);
  const loadStart = performance.now();
  const model = await tfconv.loadGraphModel(packageModel());
  console.log(`MAXIM deraining ${VERSIONS['@upscalerjs/maxim-deraining']} loaded on ${tf.getBackend()} in ${((performance.now() - loadStart) / 1000).toFixed(1)} s`);

  const rows = [];
  for (let i = 1; i <= count; i++) {
    const input = quantise8(centerCrop(await readPng(path.join(bench, 'Rain100H', 'input', `${i}.png`)), crop, crop));
    const target = quantise8(centerCrop(await readPng(path.join(bench, 'Rain100H', 'target', `${i}.png`)), crop, crop));
    const x = tf.tensor4d(input.data, [1, crop, crop, 3]);
    const started = performance.now();
    const y = await model.executeAsync(x);
    const output = Array.isArray(y) ? y[0] : y;
    const data = await output.data();
    const seconds = (performance.now() - started) / 1000;
    tf.dispose([x, y]);
    const restored = quantise8({ width: crop, height: crop, data: Float32Array.from(data) });
    const row = {
      image: cropLabel(i, crop),
      inputPsnr: psnr(input, target),
      inputSsim: ssim(input, target),
      psnr: psnr(restored, target),
      ssim: ssim(restored, target),
      ssimUniform7: ssim(restored, target, { ssimWindow: 'uniform7' }),
      seconds,
      secondsPerMegapixel: seconds / ((crop * crop) / 1e6),
    };
    rows.push(row);
    console.log(`${row.image}: input ${row.inputPsnr.toFixed(2)} dB / ${row.inputSsim.toFixed(4)} → MAXIM ${row.psnr.toFixed(2)} dB / ${row.ssim.toFixed(4)} (uniform7 ${row.ssimUniform7.toFixed(4)}), ${seconds.toFixed(1)} s = ${row.secondsPerMegapixel.toFixed(1)} s/MP`);
  }
  const mean = (key) => rows.reduce((s, r) => s + r[key], 0) / rows.length;
  console.log(`mean over ${rows.length}: input ${mean('inputPsnr').toFixed(2)} dB → MAXIM ${mean('psnr').toFixed(2)} dB / SSIM ${mean('ssim').toFixed(4)}, ${mean('secondsPerMegapixel').toFixed(1)} s/MP (${backend})`);
  return rows;
}

async function report(rows, { backend, crop, count, reused }) {
  if (reused) console.log(`MAXIM rows reused from ${args['peer-from']} (measured ${reused.measuredIn.createdAt})`);

  // abair on the same crops, in its own process (see abair-crops.mjs for why)
  const abairArgs = [path.join(here, 'abair-crops.mjs'), '--images', String(count), '--crop', String(crop), ...(args.data ? ['--data', args.data] : [])];
  const abair = JSON.parse(execFileSync(process.execPath, abairArgs, { encoding: 'utf8', maxBuffer: 1 << 24 }));
  abair.rows.forEach((r, i) => console.log(`${r.image}: abair ${r.psnr.toFixed(2)} dB / ${r.ssim.toFixed(4)}, ${r.seconds.toFixed(2)} s (MAXIM ${rows[i].psnr.toFixed(2)} dB, ${rows[i].seconds.toFixed(1)} s)`));
  if (args.json) {
    const report = {
      format: 'abair-peer-comparison',
      version: 1,
      createdAt: new Date().toISOString(),
      command: `node bench/peers/maxim.mjs ${process.argv.slice(2).join(' ')}`.trim(),
      machine: { cpu: os.cpus()[0]?.model ?? 'unknown', cores: os.cpus().length, memoryGiB: os.totalmem() / 2 ** 30, node: process.version, loadAverageEnd: os.loadavg() },
      protocol: `Rain100H inputs 1..${count}, centre ${crop}×${crop} crop, 8-bit input and output, RGB PSNR, Gaussian SSIM; one image at a time, wall seconds after loading (abair after a warm-up restore)`,
      peer: {
        name: 'MAXIM deraining',
        package: `@upscalerjs/maxim-deraining@${VERSIONS['@upscalerjs/maxim-deraining']}`,
        trainedOn: 'Rain13k',
        runtime: reused ? reused.runtime : `TensorFlow.js ${VERSIONS['@tensorflow/tfjs-core']} (${backend})`,
        ...(reused ? { measuredIn: reused.measuredIn } : {}),
      },
      abair: { model: abair.model, modelDigest: abair.modelDigest, engine: abair.engine, mode: abair.mode },
      rows: rows.map((r, i) => ({ image: r.image, inputPsnr: r.inputPsnr, inputSsim: r.inputSsim, peer: { psnr: r.psnr, ssim: r.ssim, seconds: r.seconds }, abair: { psnr: abair.rows[i].psnr, ssim: abair.rows[i].ssim, seconds: abair.rows[i].seconds } })),
    };
    writeFileSync(args.json + '.tmp', JSON.stringify(report, null, 2) + '\n');
    renameSync(args.json + '.tmp', args.json);
    console.log(`wrote ${args.json}`);
  }
}

main().catch((err) => {
  console.error(`maxim peer: ${process.env.DEBUG ? err?.stack : err?.message ?? err}`);
  process.exit(1);
});
