/**
 * Where the estimator's samples of each class come from: a built-in type is synthesised; a type
 * added to the model with `abair add-degradation` comes from what the model folder records for it
 * (degradations.json): its generator module (copied into the folder, checked against its digest,
 * then registered) and/or its pairs (checked against their digest, the held-out ones left out).
 */
import path from 'node:path';
import { UserError } from '../util/errors.js';
import { loadGenerator, type LoadedGenerator } from '../degrade/custom.js';
import { isBuiltinDegradation, isDegradationName, registerDegradation } from '../degrade/registry.js';
import type { DegradationName } from '../degrade/types.js';
import { generatorFile, readCustomDegradations } from '../model/custom-degradations.js';
import { openCheckedPairs, pairsDigest, splitPairs, type PairSource } from './data/index.js';

/** Share of a type's pairs held out from training (its adapter's validation, its own check). */
export const PAIR_HOLDOUT = 0.2;

/** The type being added, not yet recorded in the model folder. */
export interface NewClassSource {
  generator?: LoadedGenerator;
  pairs?: { train: PairSource; digest: string };
}

interface ClassSources {
  classes: DegradationName[];
  /** classes with real pairs (their training pairs) */
  pairClasses: Map<string, PairSource>;
  /** per added class, the digests of its sources (part of an estimator run's identity) */
  digests: Record<string, string>;
}

/**
 * Resolves every class of an estimator of `modelDir` (a built-in type, a type the folder records,
 * or one of `added`) and registers the generators. Fails with one line naming the first class
 * that has no source, or whose recorded source changed.
 */
export async function resolveClassSources(modelDir: string, names: readonly string[], added: Record<string, NewClassSource> = {}): Promise<ClassSources> {
  const record = await readCustomDegradations(modelDir);
  const pairClasses = new Map<string, PairSource>();
  const digests: Record<string, string> = {};
  for (const name of names) {
    const fresh = added[name];
    if (fresh) {
      if (fresh.generator) {
        registerDegradation(fresh.generator.degradation);
        digests[name] = fresh.generator.digest;
      }
      if (fresh.pairs) {
        pairClasses.set(name, fresh.pairs.train);
        digests[name] = [digests[name], fresh.pairs.digest].filter(Boolean).join('+');
      }
      continue;
    }
    const entry = record.types[name];
    if (isBuiltinDegradation(name) && (!entry || entry.builtin || !entry.pairs)) continue;
    if (!entry || (!entry.generator && !entry.pairs)) {
      throw new UserError(
        `estimator class '${name}' is not a built-in degradation type and ${path.join(modelDir, 'degradations.json')} records no generator or pairs for it, so its samples cannot be made; add it with abair add-degradation ${name} --generator <module.mjs> or --pairs <dir>`,
      );
    }
    const parts: string[] = [];
    if (entry.generator) {
      const file = path.join(modelDir, generatorFile(name));
      const loaded = await loadGenerator(file, name);
      if (loaded.digest !== entry.generator.sha256_16) {
        throw new UserError(`${file}: changed since '${name}' was added (sha256 ${loaded.digest}, recorded ${entry.generator.sha256_16}); add the type again with --force`);
      }
      registerDegradation(loaded.degradation);
      parts.push(loaded.digest);
    }
    if (entry.pairs) {
      const pairs = await openCheckedPairs(entry.pairs.input, entry.pairs.target).catch((err: unknown) => {
        throw new UserError(`estimator class '${name}' learns from the pairs in ${entry.pairs!.input} and ${entry.pairs!.target}, which cannot be read: ${(err as Error).message}`);
      });
      const digest = await pairsDigest(pairs);
      if (digest !== entry.pairs.digest) throw new UserError(`the pairs of '${name}' (${entry.pairs.input}) changed since it was added (digest ${digest}, recorded ${entry.pairs.digest}); add the type again with --force`);
      pairClasses.set(name, splitPairs(pairs, PAIR_HOLDOUT).train);
      parts.push(digest);
    }
    digests[name] = parts.join('+');
  }
  for (const name of names) {
    if (!pairClasses.has(name) && !isDegradationName(name)) throw new Error(`class '${name}' resolved to no source`);
  }
  return { classes: [...names], pairClasses, digests };
}
