import test from 'node:test';
import assert from 'node:assert/strict';
import { createProgress, formatDuration, formatStatus, renderBar } from './progress.js';

function fakeStream(isTTY: boolean) {
  const chunks: string[] = [];
  return { chunks, stream: { isTTY, columns: 80, write: (s: string) => chunks.push(s) } };
}

test('formatting helpers', () => {
  assert.equal(formatDuration(7), '0:07');
  assert.equal(formatDuration(723), '12:03');
  assert.equal(formatDuration(3723), '1:02:03');
  assert.equal(formatDuration(Number.NaN), '?');
  assert.equal(renderBar(1, 4, 8), '██░░░░░░');
  assert.equal(renderBar(9, 4, 4), '████');
  assert.equal(formatStatus(10, 40, 5, 'tile'), '10/40 2.0 tile/s ETA 0:15');
  assert.equal(formatStatus(1, 40, 4, 'tile'), '1/40 4.0 s/tile ETA 2:36');
  assert.equal(formatStatus(40, 40, 20, 'tile'), '40/40 2.0 tile/s in 0:20');
});

test('TTY: redraws in place, throttled, clears on finish', () => {
  let t = 0;
  const { chunks, stream } = fakeStream(true);
  const p = createProgress({ label: 'img', total: 4, unit: 'tile', stream, now: () => t });
  t = 10; p.tick(); // throttled (< 100 ms since the first draw)
  t = 1000; p.tick();
  t = 2000; p.update(4); // completion always drawn
  p.finish();
  assert.equal(chunks.length, 4);
  assert.ok(chunks.slice(0, 3).every((c) => c.startsWith('\r') && !c.includes('\n')));
  assert.match(chunks[1]!, /^\rimg [█░]+ 2\/4 2\.0 tile\/s ETA 0:01/);
  assert.match(chunks[2]!, /4\/4 .* in 0:02/);
  assert.equal(chunks[3], '\r\x1b[K');
});

test('not a TTY: periodic plain lines and a final one; silent writes nothing', () => {
  let t = 0;
  const { chunks, stream } = fakeStream(false);
  const p = createProgress({ label: 'train', total: 100, stream, now: () => t, intervalMs: 1000 });
  for (let i = 1; i <= 100; i++) { t = i * 50; p.tick(); }
  p.finish();
  p.finish();
  assert.ok(chunks.every((c) => c.endsWith('\n') && !c.includes('\r')));
  assert.equal(chunks.length, 5 + 1); // one per second for 5 s, plus the final line
  assert.match(chunks.at(-1)!, /^train 100\/100 .* in 0:05\n$/);

  const quiet = fakeStream(false);
  const s = createProgress({ label: 'x', total: 3, stream: quiet.stream, mode: 'silent' });
  s.tick(); s.finish();
  assert.equal(quiet.chunks.length, 0);
});

test('a resumed job counts only its own work in the rate and ETA', () => {
  let t = 0;
  const { chunks, stream } = fakeStream(false);
  const p = createProgress({ label: 'train', total: 1000, unit: 'step', mode: 'lines', intervalMs: 0, now: () => t, stream, initial: 900 });
  t = 10_000;
  p.update(910); // 10 steps in 10 s, not 910
  assert.match(chunks.at(-1)!, /910\/1000 1\.0 step\/s ETA 1:30/);
});
