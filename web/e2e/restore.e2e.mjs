/**
 * End-to-end test of the browser app: serves dist-web/ with `vite preview` (the repo's
 * vite.config.ts, so with its COOP/COEP headers), drives Debian's Chromium headless through
 * playwright-core, uploads a degraded bench image, waits for the restoration, downloads the PNG
 * and checks in Node that it is closer to the clean image than the input (RGB PSNR), then saves a
 * screenshot to docs/web-app.png. Also: forcing an adapter, Cancel, EXIF orientation, and the
 * message for a dropped file that is not an image.
 *
 * Run by `npm run test:e2e` (which builds dist-web/ first). Settings, all optional:
 *   ABAIR_E2E_INPUT / ABAIR_E2E_TARGET  degraded / clean pair (default Rain100H 1.png from the shared bench)
 *   ABAIR_E2E_CANCEL_IMAGE              image for the cancel check (default Kodak24 kodim23.png: many tiles)
 *   ABAIR_E2E_SCREENSHOT                where to save the screenshot (default docs/web-app.png)
 *   ABAIR_E2E_URL                       test this running app (e.g. `npm run web`'s dev server) instead of serving dist-web/
 *   CHROMIUM                            browser executable (default /usr/bin/chromium)
 */
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { chromium } from 'playwright-core';
import sharp from 'sharp';
import { preview } from 'vite';

const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');
const { readImage } = await import(path.join(repoRoot, 'dist', 'io', 'image-io.js'));
const { psnr } = await import(path.join(repoRoot, 'dist', 'metrics', 'index.js'));
const { sharedDataDir } = await import(path.join(repoRoot, 'dist', 'util', 'paths.js'));

const bench = path.join(sharedDataDir(), 'bench');
const inputFile = process.env.ABAIR_E2E_INPUT ?? path.join(bench, 'Rain100H', 'input', '1.png');
const targetFile = process.env.ABAIR_E2E_TARGET ?? path.join(bench, 'Rain100H', 'target', '1.png');
const cancelFile = process.env.ABAIR_E2E_CANCEL_IMAGE ?? path.join(bench, 'Kodak24', 'target', 'kodim23.png');
const screenshotFile = process.env.ABAIR_E2E_SCREENSHOT ?? path.join(repoRoot, 'docs', 'web-app.png');
const chromiumPath = process.env.CHROMIUM ?? '/usr/bin/chromium';

const LOAD_TIMEOUT_MS = 60_000;
const RESTORE_TIMEOUT_MS = 120_000;

// The machine may have no network at all: nothing in the browser may try to reach outside.
const CHROMIUM_FLAGS = [
  '--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-quic',
  '--no-first-run', '--disable-component-update', '--disable-sync',
];

function requireFile(file, hint) {
  if (!existsSync(file)) throw new Error(`${file} not found: ${hint}`);
}

const requestNumber = (page) => page.evaluate(() => Number(document.body.dataset.request ?? 0));

/**
 * Waits until the page has started a restoration after number `after` and that one has ended
 * (body[data-state] done, cancelled or error); throws unless it ended as `wanted`.
 */
async function expectOutcome(page, after, wanted, timeout) {
  const handle = await page.waitForFunction(
    (after) => {
      const { request, state } = document.body.dataset;
      if (state === 'error') return state; // also a failure before any restoration starts (decoding, loading)
      return Number(request ?? 0) > after && ['done', 'cancelled'].includes(state) && state;
    },
    after,
    { timeout },
  );
  const state = await handle.jsonValue();
  if (state !== wanted) {
    const error = await page.textContent('#error');
    throw new Error(`page state '${state}', expected '${wanted}'${error ? `: ${error}` : ''}`);
  }
}

describe('browser app (dist-web/ in headless Chromium)', () => {
  let server;
  let context;
  let page;
  let userDataDir;
  let baseUrl;
  const consoleErrors = [];

  before(async () => {
    requireFile(chromiumPath, 'install Chromium (apt-get install -y chromium) or set CHROMIUM to a Chromium executable');
    for (const file of [inputFile, targetFile, cancelFile]) requireFile(file, 'the shared bench data is missing (set ABAIR_DATA or ABAIR_E2E_INPUT/ABAIR_E2E_TARGET)');
    if (process.env.ABAIR_E2E_URL) {
      baseUrl = process.env.ABAIR_E2E_URL;
    } else {
      requireFile(path.join(repoRoot, 'dist-web', 'index.html'), 'build the app first (npm run build:web)');
      requireFile(path.join(repoRoot, 'dist-web', 'model', 'model.json'), 'dist-web/ has no model: npm run build:web exports one');
      server = await preview({
        configFile: path.join(repoRoot, 'vite.config.ts'),
        logLevel: 'warn',
        preview: { host: '127.0.0.1', port: 0, strictPort: true, open: false },
      });
      const { port } = server.httpServer.address();
      baseUrl = `http://127.0.0.1:${port}/`;
    }

    userDataDir = mkdtempSync(path.join(tmpdir(), 'abair-e2e-chromium-'));
    context = await chromium.launchPersistentContext(userDataDir, {
      executablePath: chromiumPath,
      headless: true,
      args: CHROMIUM_FLAGS,
      viewport: { width: 1280, height: 860 },
      acceptDownloads: true,
    });
    page = context.pages()[0] ?? (await context.newPage());
    page.on('console', (message) => message.type() === 'error' && consoleErrors.push(message.text()));
    page.on('pageerror', (error) => consoleErrors.push(error.message));
    page.on('response', (response) => response.status() >= 400 && consoleErrors.push(`HTTP ${response.status()} ${response.url()}`));
    await page.goto(baseUrl);
    const state = await (await page.waitForFunction(() => ['ready', 'error'].includes(document.body.dataset.state) && document.body.dataset.state, null, { timeout: LOAD_TIMEOUT_MS })).jsonValue();
    if (state !== 'ready') throw new Error(`the app did not load: ${await page.textContent('#error')}`);
  });

  after(async () => {
    await context?.close();
    await server?.close();
    if (userDataDir) rmSync(userDataDir, { recursive: true, force: true });
  });

  test('loads the model in a cross-origin-isolated page', async () => {
    const info = await page.textContent('#model-info');
    assert.match(info, /classes: /);
    assert.equal(await page.evaluate(() => crossOriginIsolated), true, 'COOP/COEP headers missing: onnxruntime-web would run single-threaded');
    const modes = await page.$$eval('#mode-select option', (options) => options.map((o) => o.value));
    assert.deepEqual(modes.slice(0, 2), ['sw', 'oh']);
    assert.ok(modes.slice(2).every((m) => m.startsWith('adapter:')), `unexpected modes ${modes.join(', ')}`);
  });

  test('restores an uploaded image: the download is closer to the clean image than the input', async () => {
    const before = await requestNumber(page);
    const started = Date.now();
    await page.setInputFiles('#file-input', inputFile);
    // The page must stay responsive while the worker restores: time round trips to the main thread.
    let slowest = 0;
    let finished = false;
    const progressSeen = new Set();
    while (!finished && Date.now() - started < RESTORE_TIMEOUT_MS) {
      const asked = Date.now();
      finished = await page.evaluate((before) => Number(document.body.dataset.request ?? 0) > before && document.body.dataset.state !== 'running', before);
      slowest = Math.max(slowest, Date.now() - asked);
      progressSeen.add(await page.textContent('#progress-text'));
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
    await expectOutcome(page, before, 'done', 1000);
    const seconds = (Date.now() - started) / 1000;
    assert.ok(slowest < 2000, `the page was unresponsive for ${slowest} ms during restoration`);

    const downloadDir = mkdtempSync(path.join(tmpdir(), 'abair-e2e-download-'));
    try {
      const [download] = await Promise.all([page.waitForEvent('download'), page.click('#download-button')]);
      assert.equal(download.suggestedFilename(), `${path.parse(inputFile).name}.restored.png`);
      const restoredFile = path.join(downloadDir, download.suggestedFilename());
      await download.saveAs(restoredFile);

      const [restored, input, target] = await Promise.all([restoredFile, inputFile, targetFile].map((f) => readImage(f)));
      assert.equal(`${restored.image.width}×${restored.image.height}`, `${target.image.width}×${target.image.height}`);
      const psnrInput = psnr(input.image, target.image);
      const psnrRestored = psnr(restored.image, target.image);
      const caption = await page.textContent('#result-caption');
      const bars = await page.$$eval('#chart .chart-row', (rows) => rows.map((row) => row.getAttribute('aria-label')));
      console.log(`# e2e: ${path.basename(inputFile)}: input ${psnrInput.toFixed(2)} dB → restored ${psnrRestored.toFixed(2)} dB (RGB PSNR vs ${path.basename(targetFile)}); ${caption}; ${seconds.toFixed(1)} s from upload to result; slowest main-thread round trip ${slowest} ms`);
      console.log(`# e2e: estimator: ${bars.join('; ')}`);
      assert.ok(bars.length > 0, 'no probability bars');
      assert.ok(progressSeen.size > 1, `no progress shown while restoring (saw ${[...progressSeen].join(' | ')})`);
      assert.ok(psnrRestored > psnrInput, `restored ${psnrRestored.toFixed(2)} dB is not above the input's ${psnrInput.toFixed(2)} dB`);
    } finally {
      rmSync(downloadDir, { recursive: true, force: true });
    }

    assert.equal(await page.isHidden('#map-canvas'), false, 'the degradation map is not shown');
    await page.fill('#compare-slider', '50');
    // A 256-colour PNG keeps the committed screenshot near 350 kB instead of 1 MB, with no visible loss at this size.
    const screenshot = await page.screenshot({ fullPage: true });
    await sharp(screenshot).png({ palette: true, quality: 90, effort: 10, compressionLevel: 9 }).toFile(screenshotFile);
    console.log(`# e2e: screenshot ${path.relative(repoRoot, screenshotFile)}`);
  });

  test('fits a 390 px wide phone screen without sideways scrolling; the chart is sorted, its labels plain', async () => {
    const bars = await page.$$eval('#chart .chart-row .chart-value', (values) => values.map((v) => Number.parseInt(v.textContent ?? '0', 10)));
    assert.deepEqual(bars, [...bars].sort((a, b) => b - a), `the probability chart is not sorted: ${bars.join(', ')}`);
    const labels = await page.$$eval('#mode-select option', (options) => options.map((o) => o.textContent ?? ''));
    assert.ok(labels.every((l) => !/\b(SW|OH|adapter)\b/.test(l)), `jargon in the mode labels: ${labels.join(' | ')}`);
    assert.doesNotMatch(await page.textContent('#model-info'), /steps/);
    await page.setViewportSize({ width: 390, height: 844 });
    try {
      await page.waitForTimeout(200);
      const overflow = await page.evaluate(() => document.documentElement.scrollWidth - document.documentElement.clientWidth);
      assert.ok(overflow <= 0, `the page is ${overflow} px wider than a 390 px screen`);
    } finally {
      await page.setViewportSize({ width: 1280, height: 860 });
    }
  });

  test('the mode select forces one adapter', async () => {
    const adapter = await page.$eval('#mode-select option[value^="adapter:"]', (option) => option.value);
    await page.selectOption('#mode-select', adapter);
    const before = await requestNumber(page);
    await page.click('#restore-button');
    await expectOutcome(page, before, 'done', RESTORE_TIMEOUT_MS);
    assert.match(await page.textContent('#result-caption'), new RegExp(`mode ${adapter}( |$)`));
    const name = adapter.slice('adapter:'.length);
    assert.match(await page.getAttribute(`#chart .chart-row[data-class="${name}"]`, 'aria-label'), /adapter weight 1\.00$/);
    await page.selectOption('#mode-select', 'sw');
  });

  test('Cancel stops a restoration between tiles', async () => {
    await page.selectOption('#tile-select', '128');
    const before = await requestNumber(page);
    await page.setInputFiles('#file-input', cancelFile);
    await page.waitForFunction(() => /^\d+ \/ \d+ tiles$/.test(document.getElementById('progress-text')?.textContent ?? ''), null, { timeout: RESTORE_TIMEOUT_MS });
    await page.click('#cancel-button');
    await expectOutcome(page, before, 'cancelled', RESTORE_TIMEOUT_MS);
    assert.match(await page.textContent('#status'), /Cancelled/);
    await page.selectOption('#tile-select', '256');
  });

  test('a JPEG with an EXIF rotation is restored upright, as the browser shows it', async () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'abair-e2e-exif-'));
    try {
      const file = path.join(dir, 'rotated.jpg');
      // Stored 40×24; orientation 6 = rotate 90° clockwise for display, so the page must see 24×40.
      await sharp({ create: { width: 40, height: 24, channels: 3, background: '#7a8896' } }).jpeg().withMetadata({ orientation: 6 }).toFile(file);
      const before = await requestNumber(page);
      await page.setInputFiles('#file-input', file);
      await expectOutcome(page, before, 'done', RESTORE_TIMEOUT_MS);
      assert.match(await page.textContent('#file-name'), /rotated\.jpg — 24×40$/);
      assert.match(await page.textContent('#result-caption'), /^24×40 /);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  test('a dropped file that is not an image is reported on the page', async () => {
    await page.evaluate(() => {
      const transfer = new DataTransfer();
      transfer.items.add(new File(['not a png'], 'notes.png', { type: 'image/png' }));
      document.getElementById('drop-zone').dispatchEvent(new DragEvent('drop', { dataTransfer: transfer, bubbles: true, cancelable: true }));
    });
    await page.waitForSelector('#error:not([hidden])', { timeout: 10_000 });
    assert.match(await page.textContent('#error'), /cannot decode 'notes\.png'/);
    assert.deepEqual(consoleErrors, [], 'errors in the browser console');
  });
});
