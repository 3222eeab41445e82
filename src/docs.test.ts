/**
 * The docs say only what the code does: every `abair <command> --flag` they show is an option of
 * that command, every repo path they name (src/…, docs/…, dist/… by its source) exists, every
 * relative link resolves, and no machine-local path is written down. Read from the Markdown, the
 * recipes and the weight sidecars' provenance, against the CLI's own command tree.
 */
import test from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import type { Command } from 'commander';
import { buildProgram } from './cli/main.js';
import { packageRoot } from './util/paths.js';

/** Being rewritten on other branches: findings are printed, not failed. Empty once they land. */
const PENDING: string[] = [];

const rel = (...parts: string[]) => path.join(packageRoot, ...parts);
const markdown = ['README.md', 'CHANGELOG.md', 'examples/README.md', ...readdirSync(rel('docs')).filter((f) => f.endsWith('.md')).map((f) => `docs/${f}`)].filter((f) => existsSync(rel(f)));
const sidecars = existsSync(rel('weights'))
  ? readdirSync(rel('weights'), { recursive: true, encoding: 'utf8' }).filter((f) => f.endsWith('.json')).map((f) => `weights/${f.split(path.sep).join('/')}`)
  : [];
const recipes = existsSync(rel('recipes')) ? readdirSync(rel('recipes')).filter((f) => f.endsWith('.json')).map((f) => `recipes/${f}`) : [];

const GLOBAL_OPTIONS = ['--help', '--version', '--debug'];

/** The code of a Markdown text: fenced blocks (with `\` continuations joined) and inline spans. */
function codeOf(text: string): string[] {
  const out: string[] = [];
  const prose = text.replace(/^```[^\n]*\n([\s\S]*?)^```/gm, (_all, block: string) => {
    out.push(...block.replace(/\\\n\s*/g, ' ').split('\n'));
    return '';
  });
  for (const m of prose.matchAll(/(`+)([^`]+?)\1/g)) out.push(m[2]!);
  return out;
}

/**
 * Problems of the `abair …` command lines in `code`: unknown commands, options the command lacks.
 * `program` is the CLI's command tree.
 */
function commandProblems(code: string, program: Command): string[] {
  const problems: string[] = [];
  for (const m of code.matchAll(/(?<![\w/.'"-])abair\s+([^;|&#\n]*)/g)) {
    const tokens = m[1]!.trim().split(/\s+/).filter((t) => t.length > 0);
    let command = program;
    let words = 'abair';
    let i = 0;
    for (; i < tokens.length; i++) {
      const sub = command.commands.find((c) => c.name() === tokens[i] || c.aliases().includes(tokens[i]!));
      if (!sub) break;
      command = sub;
      words += ` ${tokens[i]}`;
    }
    // `abair <word>` where the word is no command: prose like "abair 0.1.0" has no command-like word
    if (command === program && i < tokens.length && /^[a-z][a-z-]+$/.test(tokens[i]!) && tokens.slice(i + 1).some((t) => t.startsWith('-'))) problems.push(`${words} ${tokens[i]}: no such command`);
    if (command === program && i === 0) continue;
    const known = new Set([...GLOBAL_OPTIONS, ...command.options.flatMap((o) => [o.long, o.short].filter((f): f is string => !!f))]);
    for (const token of tokens.slice(i)) {
      const flag = /^\[?(--?[A-Za-z][\w-]*)/.exec(token)?.[1];
      if (flag && !known.has(flag)) problems.push(`${words}: no option ${flag}`);
    }
  }
  return problems;
}

/** Repo paths a text names that do not exist (dist/x.js counts when src/x.ts exists). */
function missingPaths(text: string, exists: (p: string) => boolean): string[] {
  const missing: string[] = [];
  for (const m of text.matchAll(/(?<![\w./~$-])((?:src|docs|bench|scripts|examples|recipes|weights|web|bin|dist)\/[\w./@-]*[\w@-])\/?(?![\w*{<$-])/g)) {
    const p = m[1]!;
    if (/[*{}<>]/.test(p)) continue;
    const source = p.startsWith('dist/') ? p.replace(/^dist\//, 'src/').replace(/\.(js|d\.ts)$/, '.ts') : p;
    if (!exists(source) && !exists(p)) missing.push(p);
  }
  return missing;
}

/** Relative Markdown links of `file` whose target does not exist. */
function brokenLinks(file: string, text: string, exists: (p: string) => boolean): string[] {
  const broken: string[] = [];
  for (const m of text.matchAll(/\]\(([^)\s]+)\)/g)) {
    const target = m[1]!.split('#')[0]!;
    if (target === '' || /^[a-z]+:/.test(target)) continue;
    const resolved = path.posix.normalize(path.posix.join(path.posix.dirname(file), target));
    if (!exists(resolved)) broken.push(m[1]!);
  }
  return broken;
}

/** The inline code spans of a Markdown text (outside fenced blocks). */
function inlineSpans(text: string): string[] {
  return [...text.replace(/^```[^\n]*\n[\s\S]*?^```/gm, '').matchAll(/(`+)([^`]+?)\1/g)].map((m) => m[2]!.trim());
}

/**
 * Code names a text puts in backticks (`mergeAdapters`, `ESTIMATOR_CROP_ALIGN`, `Foo.barBaz()`)
 * that no source file has: a renamed or deleted function the docs still describe.
 */
function unknownNames(text: string, known: Set<string>): string[] {
  const unknown: string[] = [];
  for (const span of inlineSpans(text)) {
    if (!/^[A-Za-z_$][\w$]*(\.[A-Za-z_$][\w$]*)*(\(\))?$/.test(span)) continue;
    const name = span.replace(/\(\)$/, '').split('.').pop()!;
    const codeLike = /^[a-z][a-z0-9]*[A-Z]\w*$|^[A-Z][A-Z0-9]*_[A-Z0-9_]+$|^[A-Z][a-z0-9]+[A-Z]\w*$/.test(name);
    if (codeLike && !known.has(name)) unknown.push(span);
  }
  return unknown;
}

/** Machine-local paths: a home or temp folder of the machine the text was written on. */
function machinePaths(text: string): string[] {
  return [...text.matchAll(/(?<![\w.])(?:\/work\/|\/home\/|\/Users\/|\/tmp\/|[A-Z]:\\\\Users)[^\s`'"),;]*/g)].map((m) => m[0]);
}

const exists = (p: string) => existsSync(rel(p));

/** Every word of the sources the docs describe: src (tests aside), the web app, the peer benchmarks. */
function sourceWords(): Set<string> {
  const words = new Set<string>();
  for (const dir of ['src', 'web/src', 'bench']) {
    if (!existsSync(rel(dir))) continue;
    for (const f of readdirSync(rel(dir), { recursive: true, encoding: 'utf8' })) {
      // tests left out: a name only a test has is no feature (and this file names stale ones)
      if (!/\.(ts|mjs|js)$/.test(f) || /\.test\.ts$/.test(f)) continue;
      for (const m of readFileSync(rel(dir, f), 'utf8').matchAll(/[A-Za-z_$][\w$]*/g)) words.add(m[0]);
    }
  }
  return words;
}

function findings(): { file: string; problem: string }[] {
  const program = buildProgram();
  const words = sourceWords();
  const found: { file: string; problem: string }[] = [];
  const add = (file: string, problems: string[]) => found.push(...problems.map((problem) => ({ file, problem })));
  for (const file of markdown) {
    const text = readFileSync(rel(file), 'utf8');
    // the results document is generated from run records, which name the folders they were run in
    if (file === 'docs/results.md') continue;
    for (const code of codeOf(text)) add(file, commandProblems(code, program));
    add(file, missingPaths(text, exists).map((p) => `names ${p}, which does not exist`));
    add(file, brokenLinks(file, text, exists).map((l) => `links to ${l}, which does not exist`));
    add(file, machinePaths(text).map((p) => `machine-local path ${p}`));
    // the changelog records renames, so it names what no longer exists on purpose
    if (file !== 'CHANGELOG.md') add(file, unknownNames(text, words).map((n) => `names \`${n}\`, which no source file has`));
  }
  for (const file of sidecars) {
    const text = readFileSync(rel(file), 'utf8');
    const command = (JSON.parse(text) as { provenance?: { command?: string } }).provenance?.command;
    if (command) add(file, commandProblems(command, program));
    add(file, machinePaths(text).map((p) => `machine-local path ${p}`));
  }
  for (const file of recipes) {
    const text = readFileSync(rel(file), 'utf8');
    const walk = (stages: { run?: string; flags?: Record<string, unknown>; stages?: unknown[] }[]): void => {
      for (const s of stages) {
        if (s.stages) walk(s.stages as typeof stages);
        if (s.run && s.run !== 'copy') add(file, commandProblems(`abair ${s.run} ${Object.keys(s.flags ?? {}).map((k) => `--${k}`).join(' ')}`, program));
      }
    };
    // a training recipe's stages are abair commands; other files here (a sweep's settings) have none
    const recipe = JSON.parse(text) as { format?: string; stages?: [] };
    if (recipe.format === 'abair-recipe') walk(recipe.stages ?? []);
    add(file, missingPaths(text, exists).map((p) => `names ${p}, which does not exist`));
    add(file, machinePaths(text).map((p) => `machine-local path ${p}`));
  }
  return found;
}

test('the docs, recipes and weight sidecars name only commands, options and files that exist', () => {
  const all = findings();
  assert.ok(markdown.length >= 5 && markdown.includes('README.md'), `read ${markdown.join(', ')}`);
  const pending = all.filter((f) => PENDING.includes(f.file));
  if (pending.length > 0) console.log(`doc findings in files pending a rewrite (not failed yet):\n  ${pending.map((f) => `${f.file}: ${f.problem}`).join('\n  ')}`);
  assert.deepEqual(all.filter((f) => !PENDING.includes(f.file)).map((f) => `${f.file}: ${f.problem}`), []);
});

test('the doc checks find a wrong option, a missing file, a broken link, a machine path and a stale code name', () => {
  const program = buildProgram();
  const code = codeOf('Run `abair restore in.png --tile 256 --bogus` or\n\n```\nabair train adapter --name x \\\n  --rank 8 --nope\nabair restor in.png -o x\n```\n');
  assert.deepEqual(code.flatMap((c) => commandProblems(c, program)), ['abair train adapter: no option --nope', 'abair restor: no such command', 'abair restore: no option --bogus']);
  assert.deepEqual(commandProblems('npx abair eval compare a.json b.json --decimals 2 --confusion', program), []);
  assert.deepEqual(missingPaths('see src/index.ts, dist/cli/main.js and src/nowhere.ts; runs/x is not a repo path; src/bench/*.ts', exists), ['src/nowhere.ts']);
  assert.deepEqual(brokenLinks('docs/x.md', '[model](model.md), [gone](gone.md#a), [web](https://example.org/a.md)', exists), ['gone.md#a']);
  assert.deepEqual(machinePaths('written in /home/me/abair/runs, read from ../shared/data'), ['/home/me/abair/runs']);
  const known = new Set(['mergeAdapters', 'ESTIMATOR_CROP_ALIGN']);
  assert.deepEqual(unknownNames('`mergeAdapters`, `ESTIMATOR_CROP_ALIGN`, `conv1x1OfConcat`, `lib.oldName()`, `--tile 256`, `tiny`\n```\nnotInSpans()\n```', known), ['conv1x1OfConcat', 'lib.oldName()']);
});
