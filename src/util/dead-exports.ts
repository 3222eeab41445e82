/**
 * Dead exports: names a source file exports that nothing outside it uses. An export is a promise
 * to other files; one no file takes up is either dead code or a name that should be private, and
 * both make the layers look more connected than they are. Checked by src/dead-exports.test.ts.
 *
 * Liveness is reachability, not mere mention: every name a root exposes (the package's public
 * entries, the command line, scripts, modules loaded by URL) is live; a name another counted file
 * imports is live; a re-export (`export { a } from`, `export *`) passes liveness on to its source
 * only when the re-exported name is itself live, so a barrel nobody imports keeps nothing alive.
 *
 * Who counts as a user: library code, the scripts and the app. Tests and the files that exist only
 * for them (test support) do not, since an export only a test imports is an export the product does
 * not need; the exception is a deliberate test seam, marked by `@testSeam` in the comment right
 * above the export. Exports of test-support files themselves are live when anything, tests
 * included, imports them.
 *
 * The parser reads statements at the start of a line (how this codebase writes them) and throws on
 * an `export` or `import` line of a form it does not know, so a new form fails loudly instead of
 * being silently skipped.
 */
import { readdirSync, readFileSync, statSync } from 'node:fs';
import path from 'node:path';

/** One file of the tree: its path relative to the repo root ('/'-separated) and its text. */
export interface TreeFile {
  path: string;
  text: string;
}

export type FileRole =
  /** An ordinary source file: its exports must have users. */
  | 'library'
  /** Every export is used from outside the tree (public entry, CLI, script). */
  | 'root'
  /** Tests and test support: its imports keep only test seams and test-support exports alive. */
  | 'test'
  /** Test support: imports count as test imports, its exports live when anything imports them. */
  | 'test-support';

interface DeadExport {
  file: string;
  name: string;
}

interface Binding {
  /** File the binding comes from (repo-relative), or null for a package import. */
  from: string | null;
  /** Name in the source file; '*' for a namespace import. */
  name: string;
}

interface ParsedFile {
  path: string;
  role: FileRole;
  /** Names declared and exported here, with whether a `@testSeam` mark sits above them. */
  own: Map<string, { seam: boolean }>;
  /** Exported name → where it really comes from (`export { a as b } from`, or `export { imported }`). */
  reexports: Map<string, Binding & { seam: boolean }>;
  /** Files this one `export * from`s. */
  stars: string[];
  /** What this file takes from other files: (file, name), name '*' meaning all of them. */
  uses: Binding[];
  /** Files this one names as `new URL('./x.js', import.meta.url)`: loaded by URL, so roots. */
  urlLoads: string[];
}

const IDENT = '[A-Za-z_$][\\w$]*';
const DECLARATION = new RegExp(`^export\\s+(?:declare\\s+)?(?:async\\s+)?(?:function\\*?|const|let|class|abstract\\s+class|interface|type|enum|namespace)\\s+(${IDENT})`);
const EXPORT_LIST = /^export\s+(type\s+)?\{([^}]*)\}\s*(?:from\s*['"]([^'"]+)['"])?\s*;?/;
const EXPORT_STAR = /^export\s+(?:type\s+)?\*\s+(?:as\s+([A-Za-z_$][\w$]*)\s+)?from\s*['"]([^'"]+)['"]\s*;?/;
const IMPORT = new RegExp(
  `^import\\s+(?:type\\s+)?(${IDENT}\\s*,\\s*\\{[^}]*\\}|${IDENT}\\s*,\\s*\\*\\s*as\\s+${IDENT}|\\{[^}]*\\}|\\*\\s*as\\s+${IDENT}|${IDENT})\\s*from\\s*['"]([^'"]+)['"]\\s*;?`,
);
const SIDE_EFFECT_IMPORT = /^import\s*['"][^'"]+['"]\s*;?/;

/** Path of `specifier` imported from `from`, as a repo-relative .ts path, or null for a package. */
function resolve(from: string, specifier: string, known: Set<string>): string | null {
  if (!specifier.startsWith('.')) return null;
  const joined = path.posix.normalize(path.posix.join(path.posix.dirname(from), specifier));
  for (const candidate of [joined.replace(/\.js$/, '.ts'), joined, `${joined}.ts`]) if (known.has(candidate)) return candidate;
  return null;
}

/**
 * A dynamic import written against the built tree from outside src (`import(path.join(root,
 * 'dist', 'io', 'image-io.js'))`, `import(dist('metrics/index.js'))`): the quoted segments after
 * 'dist', joined, name a file of src.
 */
function resolveBuilt(expression: string, known: Set<string>): string | null {
  const parts = [...expression.matchAll(/['"]([^'"]+)['"]/g)].map((m) => m[1]!);
  const distAt = parts.findIndex((p) => p === 'dist' || p.endsWith('/dist'));
  const rest = (distAt >= 0 ? parts.slice(distAt + 1) : parts).join('/').replace(/^(\.\.?\/)+/, '').replace(/^dist\//, '');
  if (!rest.endsWith('.js')) return null;
  const candidate = `src/${rest.replace(/\.js$/, '.ts')}`;
  return known.has(candidate) ? candidate : null;
}

/** Names of a `{ a, type b, c as d }` list: [name in the source, name here]. */
function listItems(list: string): [string, string][] {
  return list
    .split(',')
    .map((item) => item.trim().replace(/^type\s+/, ''))
    .filter((item) => item.length > 0)
    .map((item) => {
      const m = new RegExp(`^(${IDENT})(?:\\s+as\\s+(${IDENT}))?$`).exec(item);
      if (!m) throw new Error(`cannot read the list item '${item}'`);
      return [m[1]!, m[2] ?? m[1]!];
    });
}

/** Whether the comment block right above line `index` carries the `@testSeam` mark. */
function seamAbove(lines: string[], index: number): boolean {
  for (let i = index - 1; i >= 0; i--) {
    const line = lines[i]!.trim();
    if (!/^(\/\/|\/\*|\*)/.test(line)) return false;
    if (line.includes('@testSeam')) return true;
    if (line.startsWith('/*')) return false;
  }
  return false;
}

/** Index of the ')' closing the '(' at `open`, skipping quoted strings. */
function closingParen(text: string, open: number): number {
  let depth = 0;
  for (let i = open; i < text.length; i++) {
    const c = text[i]!;
    if (c === "'" || c === '"' || c === '`') {
      const end = text.indexOf(c, i + 1);
      if (end < 0) return -1;
      i = end;
    } else if (c === '(') depth++;
    else if (c === ')' && --depth === 0) return i;
  }
  return -1;
}

function parse(file: TreeFile, role: FileRole, known: Set<string>): ParsedFile {
  const parsed: ParsedFile = { path: file.path, role, own: new Map(), reexports: new Map(), stars: [], uses: [], urlLoads: [] };
  const text = file.text;
  const lines = text.split('\n');
  const offsets: number[] = [];
  let offset = 0;
  for (const line of lines) {
    offsets.push(offset);
    offset += line.length + 1;
  }
  /** Local name → binding, for `export { imported }` and namespace imports. */
  const imported = new Map<string, Binding>();
  const namespaces: string[] = [];
  const where = (i: number) => `${file.path}:${i + 1}`;

  lines.forEach((line, i) => {
    if (/^export\b/.test(line)) {
      const rest = text.slice(offsets[i]);
      const seam = seamAbove(lines, i);
      let m: RegExpExecArray | null;
      if (/^export\s+default\b/.test(line)) parsed.own.set('default', { seam });
      else if ((m = DECLARATION.exec(line))) parsed.own.set(m[1]!, { seam: seam || parsed.own.get(m[1]!)?.seam === true });
      else if ((m = EXPORT_STAR.exec(rest))) {
        const target = resolve(file.path, m[2]!, known);
        if (m[1]) {
          parsed.own.set(m[1], { seam });
          if (target) parsed.uses.push({ from: target, name: '*' });
        } else if (target) parsed.stars.push(target);
      } else if ((m = EXPORT_LIST.exec(rest))) {
        const source = m[3] === undefined ? null : resolve(file.path, m[3], known);
        for (const [name, as] of listItems(m[2]!)) {
          if (source) parsed.reexports.set(as, { from: source, name, seam });
          else if (m[3] !== undefined) parsed.own.set(as, { seam }); // handed on from a package: this file's to answer for
          else parsed.reexports.set(as, { from: file.path, name, seam });
        }
      } else throw new Error(`${where(i)}: an export of a form the dead-export check does not read: ${line.trim()}`);
    } else if (/^import\b/.test(line) && !/^import\s*\(/.test(line)) {
      const rest = text.slice(offsets[i]);
      const m = IMPORT.exec(rest);
      if (!m) {
        if (SIDE_EFFECT_IMPORT.test(rest)) return;
        throw new Error(`${where(i)}: an import of a form the dead-export check does not read: ${line.trim()}`);
      }
      const source = resolve(file.path, m[2]!, known);
      const clause = m[1]!;
      const ns = new RegExp(`\\*\\s*as\\s+(${IDENT})`).exec(clause);
      if (ns) {
        imported.set(ns[1]!, { from: source, name: '*' });
        if (source) namespaces.push(ns[1]!);
      }
      const braces = /\{([^}]*)\}/.exec(clause);
      if (braces) {
        for (const [name, as] of listItems(braces[1]!)) {
          imported.set(as, { from: source, name });
          if (source) parsed.uses.push({ from: source, name });
        }
      }
      const def = new RegExp(`^(${IDENT})\\s*(?:,|$)`).exec(clause.trim());
      if (def && source) parsed.uses.push({ from: source, name: 'default' });
    }
  });

  // `export { local }`: a name declared here, or one imported and handed on.
  for (const [as, binding] of [...parsed.reexports]) {
    if (binding.from !== file.path) continue;
    const via = imported.get(binding.name);
    if (via?.from) parsed.reexports.set(as, { ...via, seam: binding.seam });
    else {
      parsed.reexports.delete(as);
      parsed.own.set(as, { seam: binding.seam });
    }
  }

  // A namespace import uses the members it names; handed on bare, it uses them all.
  for (const ns of namespaces) {
    const binding = imported.get(ns)!;
    const mentions = [...text.matchAll(new RegExp(`(?<![\\w$.])${ns.replace(/\$/g, '\\$')}(?![\\w$])(\\s*\\.\\s*(${IDENT}))?`, 'g'))];
    // the first mention is the import itself
    const after = mentions.filter((m) => !/^import\b/.test(lines[lineOf(offsets, m.index)]!));
    if (after.some((m) => m[2] === undefined)) parsed.uses.push({ from: binding.from, name: '*' });
    else for (const m of after) if (m[2]) parsed.uses.push({ from: binding.from, name: m[2] });
  }

  // Dynamic imports: `const { a, b: c } = await import(x)` and `(await import(x)).a` use what they
  // name; any other (`import(x).then((m) => …)`) uses all of x.
  for (const m of text.matchAll(/(?<![\w$.])import\(/g)) {
    if (/^\s*(\*|\/\/|\/\*)/.test(lines[lineOf(offsets, m.index)]!)) continue; // a comment
    const open = m.index + 'import'.length;
    const close = closingParen(text, open);
    if (close < 0) continue;
    const expr = text.slice(open + 1, close);
    const literal = /^\s*['"]([^'"]+)['"]\s*$/.exec(expr);
    const url = /^\s*new URL\(\s*['"]([^'"]+)['"]\s*,\s*import\.meta\.url\s*\)\.href\s*$/.exec(expr);
    let source = literal ? resolve(file.path, literal[1]!, known) : url ? resolve(file.path, url[1]!, known) : null;
    if (!source && !file.path.startsWith('src/')) source = resolveBuilt(expr, known);
    if (!source) continue;
    const before = text.slice(Math.max(0, m.index - 400), m.index);
    const destructured = /\{([^{}]*)\}\s*=\s*\(?\s*await\s+$/.exec(before);
    const member = /\(\s*await\s+$/.test(before) ? new RegExp(`^\\s*\\)\\s*\\.\\s*(${IDENT})`).exec(text.slice(close + 1, close + 200)) : null;
    if (destructured) {
      for (const item of destructured[1]!.split(',')) {
        const name = item.trim().split(/\s*:\s*/)[0]!;
        if (name) parsed.uses.push({ from: source, name });
      }
    } else if (member) parsed.uses.push({ from: source, name: member[1]! });
    else parsed.uses.push({ from: source, name: '*' });
  }

  for (const m of text.matchAll(/new URL\(\s*['"](\.[^'"]+)['"]\s*,\s*import\.meta\.url\s*\)/g)) {
    const source = resolve(file.path, m[1]!, known);
    if (source) parsed.urlLoads.push(source);
  }
  return parsed;
}

function lineOf(offsets: number[], index: number): number {
  let lo = 0;
  let hi = offsets.length - 1;
  while (lo < hi) {
    const mid = (lo + hi + 1) >> 1;
    if (offsets[mid]! <= index) lo = mid;
    else hi = mid - 1;
  }
  return lo;
}

/**
 * The exports of `files` nobody uses, sorted by file and name. `role` says what each file is (see
 * FileRole); files it gives no role are left out of the tree (neither checked nor counted).
 */
export function findDeadExports(files: TreeFile[], role: (file: string) => FileRole | null): DeadExport[] {
  const roles = new Map<string, FileRole>();
  for (const f of files) {
    const r = role(f.path);
    if (r) roles.set(f.path, r);
  }
  const known = new Set(roles.keys());
  const parsed = new Map<string, ParsedFile>();
  for (const f of files) if (roles.has(f.path)) parsed.set(f.path, parse(f, roles.get(f.path)!, known));

  /** Every name `file` exports, own, re-exported or through `export *` (not 'default'). */
  const exportsOf = new Map<string, Set<string>>();
  const namesOf = (file: string, seen = new Set<string>()): Set<string> => {
    const cached = exportsOf.get(file);
    if (cached) return cached;
    const p = parsed.get(file);
    const names = new Set<string>();
    if (!p || seen.has(file)) return names;
    seen.add(file);
    for (const n of p.own.keys()) names.add(n);
    for (const n of p.reexports.keys()) names.add(n);
    for (const s of p.stars) for (const n of namesOf(s, seen)) if (n !== 'default') names.add(n);
    exportsOf.set(file, names);
    return names;
  };

  const live = new Set<string>(); // `${file}\0${name}`
  /** Mark `name` of `file` used by a file of role `by`. */
  const use = (file: string, name: string, by: FileRole, seen = new Set<string>()): void => {
    const p = parsed.get(file);
    if (!p) return;
    if (name === '*') {
      for (const n of namesOf(file)) use(file, n, by, seen);
      return;
    }
    const key = `${file}\0${name}`;
    if (seen.has(key)) return;
    seen.add(key);
    const fromTests = by === 'test' || by === 'test-support';
    const own = p.own.get(name);
    if (own) {
      if (!fromTests || own.seam || p.role === 'test-support') live.add(key);
      return;
    }
    const re = p.reexports.get(name);
    if (re) {
      if (!fromTests || re.seam || p.role === 'test-support') live.add(key);
      if (re.from) use(re.from, re.name, by, seen);
      return;
    }
    for (const s of p.stars) if (namesOf(s).has(name)) use(s, name, by, seen);
  };

  for (const p of parsed.values()) {
    if (p.role === 'root') for (const n of namesOf(p.path)) use(p.path, n, 'library');
    for (const u of p.uses) if (u.from) use(u.from, u.name, p.role);
    for (const target of p.urlLoads) for (const n of namesOf(target)) use(target, n, p.role === 'test' || p.role === 'test-support' ? 'test-support' : 'library');
  }

  const dead: DeadExport[] = [];
  for (const p of parsed.values()) {
    if (p.role === 'test') continue;
    for (const name of [...p.own.keys(), ...p.reexports.keys()]) if (!live.has(`${p.path}\0${name}`)) dead.push({ file: p.path, name });
  }
  return dead.sort((a, b) => (a.file === b.file ? a.name.localeCompare(b.name) : a.file.localeCompare(b.file)));
}

/** The files of `dirs` (repo-relative) under `root` whose names end in one of `extensions`. */
export function readTree(root: string, dirs: string[], extensions = ['.ts', '.mjs', '.js']): TreeFile[] {
  const out: TreeFile[] = [];
  const walk = (rel: string): void => {
    const full = path.join(root, rel);
    let stat;
    try {
      stat = statSync(full);
    } catch {
      return;
    }
    if (stat.isDirectory()) {
      for (const name of readdirSync(full).sort()) if (name !== 'node_modules' && name !== 'dist') walk(rel === '' ? name : `${rel}/${name}`);
    } else if (extensions.some((e) => rel.endsWith(e)) && !rel.endsWith('.d.ts')) out.push({ path: rel, text: readFileSync(full, 'utf8') });
  };
  for (const d of dirs) walk(d);
  return out;
}
