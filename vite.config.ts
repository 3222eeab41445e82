/**
 * The browser app (web/): `npm run web` serves it, `npm run build:web` writes static files to
 * dist-web/. See README "Browser app".
 *
 * - Cross-origin isolation (COOP/COEP) on the dev and preview servers: browsers only give
 *   SharedArrayBuffer, hence onnxruntime-web's wasm threads, to isolated pages. A static host
 *   without these headers still works, single-threaded.
 * - onnxruntime-web is used unbundled (dist/ort.wasm.min.mjs) with its glue script and .wasm served
 *   under ort/ beside the page; the worker points `env.wasm.wasmPaths` there. Its "bundle" build
 *   would instead start wasm threads from `import.meta.url`, which after Vite bundles it is the
 *   worker chunk, not onnxruntime's own script.
 * - The model files are in web/public/model/ (written by web/scripts/prepare-model.mjs,
 *   git-ignored), copied as they are into the build.
 */
import { createReadStream, readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { defineConfig, type Plugin } from 'vite';

const repoRoot = path.dirname(fileURLToPath(import.meta.url));
const ortDist = path.join(repoRoot, 'node_modules', 'onnxruntime-web', 'dist');
const ORT_RUNTIME_FILES = ['ort-wasm-simd-threaded.mjs', 'ort-wasm-simd-threaded.wasm'];

const isolationHeaders = {
  'Cross-Origin-Opener-Policy': 'same-origin',
  'Cross-Origin-Embedder-Policy': 'require-corp',
};

/** Serves onnxruntime-web's glue script and wasm under ort/ in dev, and writes them there in builds. */
function onnxRuntimeFiles(): Plugin {
  return {
    name: 'abair-onnxruntime-files',
    configureServer(server) {
      server.middlewares.use((request, response, next) => {
        const match = /\/ort\/([^/?#]+)(?:[?#].*)?$/.exec(request.url ?? '');
        const file = match?.[1];
        if (!file || !ORT_RUNTIME_FILES.includes(file)) return next();
        response.setHeader('Content-Type', file.endsWith('.wasm') ? 'application/wasm' : 'text/javascript');
        for (const [name, value] of Object.entries(isolationHeaders)) response.setHeader(name, value);
        createReadStream(path.join(ortDist, file)).on('error', next).pipe(response);
      });
    },
    generateBundle() {
      for (const file of ORT_RUNTIME_FILES) {
        this.emitFile({ type: 'asset', fileName: `ort/${file}`, source: readFileSync(path.join(ortDist, file)) });
      }
    },
  };
}

export default defineConfig({
  root: path.join(repoRoot, 'web'),
  base: './', // relative URLs: dist-web/ can be served from any path
  appType: 'mpa', // a missing model file is a 404, not index.html
  publicDir: 'public',
  resolve: {
    alias: { 'onnxruntime-web/wasm': path.join(ortDist, 'ort.wasm.min.mjs') },
  },
  optimizeDeps: { exclude: ['onnxruntime-web'] },
  plugins: [onnxRuntimeFiles()],
  worker: { format: 'es' },
  server: { headers: isolationHeaders },
  preview: { headers: isolationHeaders },
  build: {
    outDir: path.join(repoRoot, 'dist-web'),
    emptyOutDir: true,
    target: 'es2022',
    chunkSizeWarningLimit: 1024,
  },
});
