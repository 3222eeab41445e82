/**
 * A peer comparison recorded by a script under bench/peers/ (e.g. `node bench/peers/maxim.mjs
 * --json <file>`): the peer and abair on the same crops, and the markdown section that
 * docs/results.md shows for it. The scripts live outside src/ because they install the peer
 * outside the package; this file only reads and renders what they recorded.
 */
export const PEER_COMPARISON_FORMAT = 'abair-peer-comparison';

interface PeerSide {
  psnr: number;
  ssim: number;
  seconds: number;
}

export interface PeerComparisonRecord {
  format: typeof PEER_COMPARISON_FORMAT;
  version: 1;
  createdAt: string;
  command: string;
  machine: { cpu: string; cores: number; memoryGiB: number; node: string; loadAverageEnd: number[] };
  protocol: string;
  peer: {
    name: string;
    package: string;
    trainedOn: string;
    runtime: string;
    /**
     * Set when the peer's rows were taken from an earlier report (`--peer-from`) instead of being
     * measured again: the peer model and the crops are the same, only abair's side was re-measured.
     */
    measuredIn?: { createdAt: string; command: string; machine: PeerComparisonRecord['machine'] };
  };
  abair: { model: string; modelDigest: string; engine: string; mode: string };
  rows: { image: string; inputPsnr: number; inputSsim: number; peer: PeerSide; abair: PeerSide }[];
}

/** Throws a one-line reason when `json` is not a usable peer comparison. */
export function checkPeerComparison(json: Record<string, unknown>): PeerComparisonRecord {
  if (json['version'] !== 1) throw new Error(`unsupported peer comparison version ${String(json['version'])}`);
  const rows = json['rows'];
  if (!Array.isArray(rows) || rows.length === 0) throw new Error('a peer comparison needs at least one row');
  for (const key of ['machine', 'peer', 'abair'] as const) {
    if (typeof json[key] !== 'object' || json[key] === null) throw new Error(`peer comparison without '${key}'`);
  }
  for (const row of rows as Record<string, unknown>[]) {
    for (const side of ['peer', 'abair'] as const) {
      const s = row[side] as Record<string, unknown> | undefined;
      if (!s || ![s['psnr'], s['ssim'], s['seconds']].every((v) => typeof v === 'number' && Number.isFinite(v))) {
        throw new Error(`peer comparison row '${String(row['image'])}' has no numeric ${side} psnr/ssim/seconds`);
      }
    }
  }
  return json as unknown as PeerComparisonRecord;
}

const mean = (xs: readonly number[]) => xs.reduce((a, b) => a + b, 0) / xs.length;

/** Pixels of one row, from its image label's "centre N²" (the scripts crop squares). */
function cropPixels(label: string): number | null {
  const m = /centre (\d+)²/.exec(label);
  return m ? Number(m[1]) ** 2 : null;
}

export function renderPeerComparison(record: PeerComparisonRecord): string {
  const { peer, abair, machine, rows } = record;
  const lines = [
    `## Peer comparison: ${peer.name} vs abair`,
    '',
    `- protocol: ${record.protocol}`,
    `- peer: ${peer.name} (\`${peer.package}\`, trained on ${peer.trainedOn}), ${peer.runtime}`,
    ...(peer.measuredIn
      ? [`- the peer's numbers are from an earlier run of the same crops (${peer.measuredIn.createdAt}, \`${peer.measuredIn.command}\`, ${peer.measuredIn.machine.cpu}); this run re-measured abair only`]
      : []),
    `- abair: \`${abair.model}\` (weights digest ${abair.modelDigest}), engine ${abair.engine}, mode ${abair.mode.toUpperCase()}`,
    `- machine: ${machine.cpu}, ${machine.cores} cores, ${machine.memoryGiB.toFixed(0)} GiB, Node ${machine.node}; load average at end ${machine.loadAverageEnd.map((l) => l.toFixed(2)).join(' ')}`,
    `- run: ${record.createdAt}, \`${record.command}\``,
    '',
    `| image | input PSNR / SSIM | ${peer.name} PSNR / SSIM | ${peer.name} s | abair PSNR / SSIM | abair s |`,
    '|---|---|---|---|---|---|',
  ];
  const f = (s: PeerSide) => `${s.psnr.toFixed(2)} / ${s.ssim.toFixed(4)}`;
  for (const r of rows) {
    lines.push(`| ${r.image} | ${r.inputPsnr.toFixed(2)} / ${r.inputSsim.toFixed(4)} | ${f(r.peer)} | ${r.peer.seconds.toFixed(1)} | ${f(r.abair)} | ${r.abair.seconds.toFixed(2)} |`);
  }
  const side = (k: 'peer' | 'abair') => ({ psnr: mean(rows.map((r) => r[k].psnr)), ssim: mean(rows.map((r) => r[k].ssim)), seconds: mean(rows.map((r) => r[k].seconds)) });
  const p = side('peer');
  const a = side('abair');
  lines.push(`| **mean of ${rows.length}** | ${mean(rows.map((r) => r.inputPsnr)).toFixed(2)} / ${mean(rows.map((r) => r.inputSsim)).toFixed(4)} | ${f(p)} | ${p.seconds.toFixed(1)} | ${f(a)} | ${a.seconds.toFixed(2)} |`);
  const pixels = rows.map((r) => cropPixels(r.image));
  if (pixels.every((n): n is number => n !== null)) {
    const perMP = (k: 'peer' | 'abair') => mean(rows.map((r, i) => r[k].seconds / (pixels[i]! / 1e6)));
    lines.push('', `Seconds per megapixel (mean over the crops): ${peer.name} ${perMP('peer').toFixed(0)} s/MP, abair ${perMP('abair').toFixed(2)} s/MP (${(perMP('peer') / perMP('abair')).toFixed(0)}× faster); PSNR difference abair − ${peer.name}: ${(a.psnr - p.psnr).toFixed(2)} dB.`);
  }
  return lines.join('\n');
}
