/**
 * The largest Phase I batch the ONNX Runtime engine trains at each preset and patch size within a
 * memory limit: batches 4, 8, 16, … each run one step in a child process under `ulimit -v`
 * (default: 75 % of this machine's memory), until one fails or `--max` is passed.
 *
 *   node dist/bench/max-batch.js [--cases small:64,small:128] [--limit-gib N] [--max 256]
 */
import { spawnSync } from 'node:child_process';
import os from 'node:os';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';

const { values } = parseArgs({ options: { cases: { type: 'string', default: 'small:64,small:128' }, 'limit-gib': { type: 'string' }, max: { type: 'string', default: '256' } } });
const limitGiB = values['limit-gib'] ? Number(values['limit-gib']) : Math.floor((os.totalmem() / 2 ** 30) * 0.75);
const child = fileURLToPath(new URL('./max-batch-child.js', import.meta.url));
console.log(`memory limit ${limitGiB} GiB (ulimit -v), ${os.cpus()[0]?.model ?? 'cpu'} (${os.cpus().length} cores), ${Math.round(os.totalmem() / 2 ** 30)} GiB RAM`);
console.log('\n| preset | patch | largest batch that fits | its step (s) | RSS (GiB) | first that does not |');
console.log('|---|---:|---:|---:|---:|---|');
for (const c of values.cases.split(',')) {
  const [preset, patch] = c.split(':');
  let best: { batch: number; seconds: number; rssGiB: number } | null = null;
  let failed = '';
  for (let batch = 4; batch <= Number(values.max); batch *= 2) {
    const r = spawnSync('bash', ['-c', `ulimit -v ${limitGiB * 1024 * 1024}; exec "${process.execPath}" "${child}" ${preset} ${batch} ${patch}`], { encoding: 'utf8', timeout: 900_000 });
    const line = (r.stdout ?? '').trim().split('\n').pop() ?? '';
    let parsed: { ok?: boolean; seconds?: number; rssGiB?: number; error?: string } = {};
    try { parsed = JSON.parse(line) as typeof parsed; } catch { parsed = { ok: false, error: (r.stderr ?? '').trim().split('\n').pop() ?? `exit ${r.status ?? r.signal}` }; }
    if (r.status === 0 && parsed.ok) {
      best = { batch, seconds: parsed.seconds!, rssGiB: parsed.rssGiB! };
      console.error(`${preset} ${patch}² batch ${batch}: ${parsed.seconds!.toFixed(1)} s, RSS ${parsed.rssGiB!.toFixed(1)} GiB`);
    } else {
      const why = parsed.error ?? `exit ${r.status ?? r.signal}`;
      failed = `${batch} (${/alloc|memory/i.test(why) ? 'out of memory' : why})`;
      console.error(`${preset} ${patch}² batch ${batch}: does not fit (${failed})`);
      break;
    }
  }
  console.log(`| ${preset} | ${patch}² | ${best?.batch ?? 'none'} | ${best ? best.seconds.toFixed(1) : ''} | ${best ? best.rssGiB.toFixed(1) : ''} | ${failed || `none up to ${values.max}`} |`);
}
