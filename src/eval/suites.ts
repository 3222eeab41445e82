/**
 * The evaluation suites: which datasets each holds, how each input is made, what the true
 * degradation is (for oracle mode and estimator accuracy), and how many images `--quick` uses.
 *
 * Fixed choices (documented here because the paper does not state them):
 * - Our generators run at severity 0.5 ("medium": haze t ≈ 0.5–0.6 as SOTS-outdoor, JPEG Q35,
 *   5 bits, σ = 25 noise, 14 px motion blur, …); sub-types and per-image parameters are drawn from
 *   the image's seeded Rng.
 * - Mixed pairs (the paper's Table 5) stack both at severity 0.5 in physical order.
 * - Each σ of the denoising set has its own seed (dataset id CBSD68-sigma15 …), as independent
 *   draws would.
 */
import path from 'node:path';
import { UsageError } from '../util/errors.js';
import { applyDegradations } from '../degrade/registry.js';
import type { DegradationName, DegradationParams } from '../degrade/types.js';
import { reduceBitDepth } from '../degrade/types/bitdepth.js';
import { jpegRoundTrip } from '../degrade/types/jpeg.js';
import { noise, noiseParams } from '../degrade/types/noise.js';
import type { RGBImage } from '../image/types.js';
import { PROBE_NAMES, PROBES, type ProbeName } from '../probe/generators.js';
import type { Rng } from '../util/rng.js';

export const SUITE_NAMES = ['denoise', 'derain', 'dehaze', 'unseen', 'synthetic', 'mixed', 'clean', 'probe'] as const;
/**
 * The user's own real pairs (`--suite custom --pairs <dir> --truth <type>`), e.g. held-out pairs
 * of a type added with add-degradation. Not part of 'all': it has no fixed dataset.
 */
export const CUSTOM_SUITE = 'custom';
export type SuiteName = (typeof SUITE_NAMES)[number] | typeof CUSTOM_SUITE;

/** How a dataset's degraded inputs come about. */
export type InputSource =
  | 'real' // real degraded/clean pairs from the dataset
  | 'standard' // the benchmark's own synthesis (Gaussian noise, JPEG Q20, 4-bit), reproducible
  | 'synthetic' // our degradation generators (not a published benchmark)
  | 'probe' // the probe generators (src/probe): other formulas than training's, never trained on
  | 'none'; // the clean image itself: how much restoring changes a photo that needs nothing

/** The generator's result: the degraded image and the parameters used (logged in the JSON). */
interface Synthesis {
  image: RGBImage;
  params: DegradationParams | DegradationParams[];
}

export interface EvalDataset {
  suite: SuiteName;
  /** unique within the suite; part of the seed */
  id: string;
  /** how tables name it */
  label: string;
  /** folder under the bench root (or under `root`) */
  folder: string;
  /** the folder holding `folder`, when it is not the bench root (the custom suite) */
  root?: string;
  source: InputSource;
  /** only a few pairs of the real test set exist here */
  sample: boolean;
  /** the true degradation(s), in the registry's names; none for the clean suite */
  truth: readonly DegradationName[];
  /** images used by --quick (the first ones in natural order) */
  quickCount: number;
  /** one line: how the input is made */
  note: string;
  /** absent for real pairs (the input is read from input/) */
  synthesise?: (clean: RGBImage, rng: Rng) => Promise<Synthesis>;
}

/** Severity of every one of our generators in the suites. */
export const SUITE_SEVERITY = 0.5;

const QUICK = 3;
/** Kodak24 images are 768×512: the heaviest, so --quick takes fewer of them. */
const QUICK_KODAK = 2;

function gaussianNoise(sigma: number): EvalDataset['synthesise'] {
  return async (clean, rng) => {
    const params = noiseParams('gaussian', sigma);
    return { image: await noise.apply(clean, params, rng), params };
  };
}

function generated(names: readonly DegradationName[]): EvalDataset['synthesise'] {
  return async (clean, rng) => {
    const out = await applyDegradations(clean, names, rng, SUITE_SEVERITY);
    return { image: out.image, params: out.params.map((p) => ({ name: p.name, ...p.params })) };
  };
}

function denoise(sigma: number): EvalDataset {
  return {
    suite: 'denoise',
    id: `CBSD68-sigma${sigma}`,
    label: `CBSD68 σ=${sigma}`,
    folder: 'CBSD68',
    source: 'standard',
    sample: false,
    truth: ['noise'],
    quickCount: QUICK,
    note: `Gaussian noise N(0, ${sigma}/255) per channel added to the 8-bit image, clipped, quantised`,
    synthesise: gaussianNoise(sigma),
  };
}

function kodak(suite: SuiteName, names: readonly DegradationName[]): EvalDataset {
  const spec = names.join('+');
  return {
    suite,
    id: `Kodak24-${spec}`,
    label: `Kodak24 ${spec}`,
    folder: 'Kodak24',
    source: 'synthetic',
    sample: false,
    truth: names,
    quickCount: QUICK_KODAK,
    note: `our ${spec} generator at severity ${SUITE_SEVERITY}`,
    synthesise: generated(names),
  };
}

function probe(folder: string, name: ProbeName, quickCount: number): EvalDataset {
  return {
    suite: 'probe',
    id: `${folder}-probe-${name}`,
    label: `${folder} probe ${name}`,
    folder,
    source: 'probe',
    sample: false,
    truth: [name],
    quickCount,
    note: `the probe family's ${name} (src/probe: formulas apart from training's)`,
    synthesise: async (clean, rng) => ({ image: await PROBES[name](clean, rng), params: { probe: name } }),
  };
}

function undegraded(suite: SuiteName, folder: string, quickCount: number): EvalDataset {
  return {
    suite,
    id: `${folder}-clean`,
    label: `${folder} clean`,
    folder,
    source: 'none',
    sample: false,
    truth: [],
    quickCount,
    note: 'the clean image itself, undegraded',
    synthesise: async (clean) => ({ image: clean, params: [] }),
  };
}

/** The custom suite's one dataset: `<dir>/input` and `<dir>/target`, real pairs of the degradation(s) `truth`. */
export function customPairsDataset(dir: string, truth: readonly DegradationName[]): EvalDataset {
  const resolved = path.resolve(dir);
  const folder = path.basename(resolved);
  return {
    suite: CUSTOM_SUITE,
    id: `custom-${folder}`,
    label: `${folder} (${truth.join('+')})`,
    folder,
    root: path.dirname(resolved),
    source: 'real',
    sample: false,
    truth,
    quickCount: QUICK,
    note: `the user's pairs in ${folder}/input and ${folder}/target`,
  };
}

function suiteDatasets(suite: SuiteName): EvalDataset[] {
  switch (suite) {
    case CUSTOM_SUITE:
      throw new UsageError('the custom suite needs its pairs: --suite custom --pairs <dir> --truth <type>');
    case 'denoise':
      return [15, 25, 50].map(denoise);
    case 'derain':
      return [
        { suite, id: 'Rain100H', label: 'Rain100H', folder: 'Rain100H', source: 'real', sample: false, truth: ['rain'], quickCount: QUICK, note: 'real pairs (100)' },
        { suite, id: 'Rain100L_sample', label: 'Rain100L (sample)', folder: 'Rain100L_sample', source: 'real', sample: true, truth: ['rain'], quickCount: QUICK, note: 'real pairs, 5 of the 100: indicative only' },
      ];
    case 'dehaze':
      return [
        { suite, id: 'SOTS_outdoor_sample', label: 'SOTS-outdoor (sample)', folder: 'SOTS_outdoor_sample', source: 'real', sample: true, truth: ['haze'], quickCount: 2, note: 'real pairs, 2 of 500: indicative only' },
        kodak(suite, ['haze']),
      ];
    case 'unseen':
      return [
        {
          suite,
          id: 'LIVE1-jpeg-q20',
          label: 'LIVE1 JPEG Q20',
          folder: 'LIVE1',
          source: 'standard',
          sample: false,
          truth: ['jpeg'],
          quickCount: QUICK,
          note: 'libjpeg (sharp) quality 20, 4:2:0, encoded from the 8-bit image and decoded',
          synthesise: async (clean) => ({ image: await jpegRoundTrip(clean, 20), params: { quality: 20, chromaSubsampling: '4:2:0' } }),
        },
        {
          suite,
          id: 'Kodak24-4bit',
          label: 'Kodak24 4→8 bit',
          folder: 'Kodak24',
          source: 'standard',
          sample: false,
          truth: ['bitdepth'],
          quickCount: QUICK_KODAK,
          note: '8-bit values & 0xF0 (top 4 bits kept)',
          synthesise: async (clean) => ({ image: reduceBitDepth(clean, 4), params: { bits: 4 } }),
        },
        kodak(suite, ['snow']),
      ];
    case 'synthetic':
      return (['noise', 'blur', 'rain', 'haze', 'lowlight', 'jpeg', 'bitdepth', 'snow'] as const).map((name) => kodak(suite, [name]));
    case 'mixed':
      // the paper's Table 5 pairs
      return [kodak(suite, ['blur', 'noise']), kodak(suite, ['blur', 'jpeg']), kodak(suite, ['haze', 'snow'])];
    case 'clean':
      // Not in the paper: users also restore photos that need nothing, and a blind restorer
      // should leave those (nearly) alone. The output's PSNR against the input says how far it moved.
      return [undegraded(suite, 'Kodak24', QUICK_KODAK), undegraded(suite, 'CBSD68', QUICK)];
    case 'probe':
      // How the estimator holds up on degradations made by formulas it never trained on.
      return [...PROBE_NAMES.map((name) => probe('Kodak24', name, QUICK_KODAK)), ...PROBE_NAMES.map((name) => probe('CBSD68', name, QUICK))];
  }
}

/** 'all' → every suite; otherwise the named one(s), comma-separated. */
export function resolveSuites(spec: string): SuiteName[] {
  const parts = spec.split(',').map((s) => s.trim().toLowerCase()).filter(Boolean);
  if (parts.length === 0) throw new UsageError(`no suite given (expected all or ${SUITE_NAMES.join(', ')})`);
  const suites: SuiteName[] = [];
  if (parts.includes('all')) suites.push(...SUITE_NAMES);
  for (const part of parts) {
    if (part === 'all' || suites.includes(part as SuiteName)) continue;
    if (part !== CUSTOM_SUITE && !(SUITE_NAMES as readonly string[]).includes(part)) throw new UsageError(`unknown suite '${part}' (expected all, ${SUITE_NAMES.join(', ')} or ${CUSTOM_SUITE})`);
    if (!suites.includes(part as SuiteName)) suites.push(part as SuiteName);
  }
  return suites;
}

export function datasetsOf(suite: SuiteName): EvalDataset[] {
  return suiteDatasets(suite);
}

/** "rain", "blur+noise", or "clean" (no degradation): how a truth is named in confusion matrices. */
export function truthLabel(truth: readonly string[]): string {
  return truth.length === 0 ? 'clean' : truth.join('+');
}
