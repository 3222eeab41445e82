/**
 * The page: picks/drops an image, sends it to the restoration worker, shows progress, the result
 * (before/after slider), the estimator's probabilities, the degradation map, and offers the PNG.
 * Plain DOM; all model work is in restore.worker.ts. `document.body.dataset.state` tracks the
 * page state (loading → ready → running → done | cancelled | error) and `dataset.request` the
 * latest restoration's number, for styling and for tests (web/e2e/).
 */
import './styles.css';
import { renderChart, renderLegend } from './chart.js';
import { wireCompare } from './compare.js';
import { decodeImageFile, type DecodedImage } from './decode.js';
import { modeOptions } from './mode-options.js';
import type { ModelSummary, ResultReply, WorkerReply, WorkerRequest } from './protocol.js';

function element<T extends HTMLElement>(id: string): T {
  const found = document.getElementById(id);
  if (!found) throw new Error(`page is missing #${id}`);
  return found as T;
}

const ui = {
  modelInfo: element('model-info'),
  dropZone: element('drop-zone'),
  fileInput: element<HTMLInputElement>('file-input'),
  fileName: element('file-name'),
  modeSelect: element<HTMLSelectElement>('mode-select'),
  tileSelect: element<HTMLSelectElement>('tile-select'),
  restoreButton: element<HTMLButtonElement>('restore-button'),
  progressRow: element('progress-row'),
  progress: element<HTMLProgressElement>('progress'),
  progressText: element('progress-text'),
  cancelButton: element<HTMLButtonElement>('cancel-button'),
  status: element('status'),
  error: element('error'),
  results: element('results'),
  compareFrame: element('compare-frame'),
  compareSlider: element<HTMLInputElement>('compare-slider'),
  before: element<HTMLCanvasElement>('before-canvas'),
  after: element<HTMLCanvasElement>('after-canvas'),
  caption: element('result-caption'),
  chart: element('chart'),
  mapCanvas: element<HTMLCanvasElement>('map-canvas'),
  mapNote: element('map-note'),
  legend: element('legend'),
  downloadButton: element<HTMLButtonElement>('download-button'),
};

type PageState = 'loading' | 'ready' | 'running' | 'done' | 'cancelled' | 'error';

let model: ModelSummary | null = null;
let input: { name: string; image: DecodedImage } | null = null;
let running: { id: number; tiles: number } | null = null;
let nextRequestId = 1;

function setState(state: PageState): void {
  document.body.dataset.state = state;
  const busy = state === 'running';
  ui.restoreButton.disabled = busy || !model || !input;
  ui.fileInput.disabled = !model;
  ui.modeSelect.disabled = busy || !model;
  ui.tileSelect.disabled = busy;
  ui.progressRow.hidden = !busy;
  ui.cancelButton.disabled = !busy;
}

function showError(message: string | null): void {
  ui.error.hidden = message === null;
  ui.error.textContent = message ?? '';
}

function setStatus(message: string): void {
  ui.status.textContent = message;
}

const worker = new Worker(new URL('./restore.worker.ts', import.meta.url), { type: 'module' });

function send(request: WorkerRequest, transfer: Transferable[] = []): void {
  worker.postMessage(request, transfer);
}

function drawPixels(canvas: HTMLCanvasElement, width: number, height: number, rgba: Uint8ClampedArray): void {
  canvas.width = width;
  canvas.height = height;
  const context = canvas.getContext('2d');
  if (!context) throw new Error('this browser cannot draw on a 2D canvas');
  context.putImageData(new ImageData(new Uint8ClampedArray(rgba), width, height), 0, 0);
}

function onReady(summary: ModelSummary): void {
  model = summary;
  ui.modeSelect.replaceChildren(
    ...modeOptions(summary.classes).map(({ value, label }) => {
      const option = document.createElement('option');
      option.value = value;
      option.textContent = label;
      return option;
    }),
  );
  const parts = [summary.description ?? 'model', `classes: ${summary.classes.join(', ') || 'none'}`, `${summary.threads} thread${summary.threads === 1 ? '' : 's'}`];
  ui.modelInfo.textContent = `Model: ${parts.join(' · ')}`;
  renderLegend(ui.legend, summary.legend);
  setState('ready');
  setStatus(input ? '' : 'Ready. Choose or drop an image.');
  if (input) startRestore();
}

function onResult(result: ResultReply): void {
  if (!model || !input) return;
  drawPixels(ui.after, result.width, result.height, result.restored);
  ui.after.hidden = false;
  if (result.map) {
    drawPixels(ui.mapCanvas, result.width, result.height, result.map);
    ui.mapCanvas.hidden = false;
    ui.mapNote.hidden = true;
  } else {
    ui.mapCanvas.hidden = true;
    ui.mapNote.hidden = false;
    ui.mapNote.textContent = 'This model has no segmentation head, so there is no per-pixel map.';
  }
  // p(clean) is shown with the classes, its "weight" the share of the input kept: the same rule as abair restore
  const withClean = Number.isFinite(result.clean);
  renderChart(
    ui.chart,
    withClean ? [...model.classes, 'clean'] : model.classes,
    withClean ? [...result.probabilities, result.clean] : result.probabilities,
    withClean ? [...result.weights, result.cleanShare] : result.weights,
    model.legend,
  );
  const tiles = running?.tiles ?? 0;
  const kept = result.cleanShare > 0 ? ` · kept ${Math.round(100 * result.cleanShare)} % of the input (keep-clean)` : '';
  ui.caption.textContent = `${result.width}×${result.height} · mode ${result.mode}${kept} · ${tiles} tile${tiles === 1 ? '' : 's'} · ${result.seconds.toFixed(1)} s`;
  ui.downloadButton.disabled = false;
  running = null;
  setState('done');
  setStatus(`Restored in ${result.seconds.toFixed(1)} s.`);
}

worker.onmessage = (event: MessageEvent<WorkerReply>) => {
  const reply = event.data;
  if (reply.type === 'ready') return onReady(reply.model);
  if (reply.type === 'error' && reply.id === undefined) {
    ui.modelInfo.textContent = 'The model could not be loaded.';
    showError(reply.message);
    setState('error');
    return;
  }
  // Replies about a restoration the page no longer waits for (cancelled or replaced) are stale.
  if (!running || reply.id !== running.id) return;
  switch (reply.type) {
    case 'progress':
      running.tiles = reply.total;
      ui.progress.max = reply.total;
      ui.progress.value = reply.done;
      ui.progressText.textContent = `${reply.done} / ${reply.total} tiles`;
      break;
    case 'result':
      onResult(reply);
      break;
    case 'cancelled':
      running = null;
      setState('cancelled');
      setStatus('Cancelled.');
      break;
    case 'error':
      running = null;
      showError(`Restoration failed: ${reply.message}`);
      setState('error');
      setStatus('');
      break;
  }
};

worker.onerror = (event: ErrorEvent) => {
  event.preventDefault();
  showError(`The restoration worker stopped: ${event.message || 'it could not be started'}`);
  running = null;
  setState('error');
};

function startRestore(): void {
  if (!model || !input) return;
  const { width, height, rgba } = input.image;
  const id = nextRequestId++;
  running = { id, tiles: 0 };
  document.body.dataset.request = String(id);
  showError(null);
  ui.progress.removeAttribute('value'); // indeterminate while the estimator runs
  ui.progressText.textContent = 'Estimating degradations…';
  ui.downloadButton.disabled = true;
  setState('running');
  setStatus('Restoring…');
  const copy = rgba.slice(); // the page keeps its copy to re-run with another mode
  send({ type: 'restore', id, width, height, rgba: copy, mode: ui.modeSelect.value || 'sw', tileSize: Number(ui.tileSelect.value) }, [copy.buffer]);
}

async function openFile(file: File): Promise<void> {
  if (running) send({ type: 'cancel', id: running.id });
  running = null;
  showError(null);
  setStatus(`Reading ${file.name}…`);
  let image: DecodedImage;
  try {
    image = await decodeImageFile(file);
  } catch (error) {
    showError(error instanceof Error ? error.message : String(error));
    setStatus('');
    setState(model ? 'ready' : 'loading');
    return;
  }
  input = { name: file.name, image };
  ui.fileName.textContent = `${file.name} — ${image.width}×${image.height}`;
  drawPixels(ui.before, image.width, image.height, image.rgba);
  ui.after.hidden = true;
  ui.results.hidden = false;
  ui.caption.textContent = '';
  ui.chart.replaceChildren();
  ui.mapCanvas.hidden = true;
  if (model) startRestore();
  else setStatus('The image will be restored as soon as the model has loaded.');
}

ui.fileInput.addEventListener('change', () => {
  const file = ui.fileInput.files?.[0];
  if (file) void openFile(file);
  ui.fileInput.value = ''; // picking the same file again still fires 'change'
});

// Dropping a file anywhere must not navigate away from the page; onto the drop zone it opens it.
for (const type of ['dragover', 'drop'] as const) window.addEventListener(type, (event) => event.preventDefault());
ui.dropZone.addEventListener('dragover', (event) => {
  event.preventDefault();
  ui.dropZone.classList.add('dragging');
});
ui.dropZone.addEventListener('dragleave', () => ui.dropZone.classList.remove('dragging'));
ui.dropZone.addEventListener('drop', (event) => {
  event.preventDefault();
  ui.dropZone.classList.remove('dragging');
  const file = event.dataTransfer?.files[0];
  if (file) void openFile(file);
});

ui.restoreButton.addEventListener('click', startRestore);
ui.cancelButton.addEventListener('click', () => {
  if (!running) return;
  send({ type: 'cancel', id: running.id });
  ui.cancelButton.disabled = true;
  ui.progressText.textContent = 'Cancelling after the current tile…';
});

ui.downloadButton.addEventListener('click', () => {
  if (!input) return;
  const base = input.name.replace(/\.[^.]+$/, '') || 'image';
  ui.after.toBlob((blob) => {
    if (!blob) return showError('The browser could not encode the PNG.');
    const url = URL.createObjectURL(blob);
    const link = document.createElement('a');
    link.href = url;
    link.download = `${base}.restored.png`;
    link.click();
    setTimeout(() => URL.revokeObjectURL(url), 60_000);
  }, 'image/png');
});

wireCompare(ui.compareFrame, ui.compareSlider);
setState('loading');
send({ type: 'load', modelUrl: new URL('model/', document.baseURI).href, ortUrl: new URL('ort/', document.baseURI).href });
