/**
 * Flat layout of all trainable parameters: every buffer the workers share (params, moments,
 * gradients) is one Float32Array of `total` floats with each parameter at a fixed offset, so
 * replicas, the reduction and the optimizer all agree on where each number lives.
 */
export interface ParamSpec {
  name: string;
  shape: number[];
  decays: boolean;
}

interface ParamEntry extends ParamSpec {
  offset: number;
  size: number;
}

export interface ParamLayout {
  entries: ParamEntry[];
  total: number;
}

export function buildLayout(specs: readonly ParamSpec[]): ParamLayout {
  const entries: ParamEntry[] = [];
  let offset = 0;
  const seen = new Set<string>();
  for (const s of specs) {
    if (seen.has(s.name)) throw new Error(`duplicate parameter name '${s.name}'`);
    seen.add(s.name);
    const size = s.shape.reduce((a, b) => a * b, 1);
    entries.push({ name: s.name, shape: [...s.shape], decays: s.decays, offset, size });
    offset += size;
  }
  return { entries, total: offset };
}

/** Throws unless two workers built the same parameters (names, order, shapes). */
export function assertSameSpecs(a: readonly ParamSpec[], b: readonly ParamSpec[], who: string): void {
  const describe = (s: readonly ParamSpec[]) => s.map((p) => `${p.name}[${p.shape.join(',')}]`).join(' ');
  if (describe(a) !== describe(b)) {
    throw new Error(`${who} built different parameters than worker 0: ${describe(b)} vs ${describe(a)}`);
  }
}

/** Contiguous ranges [start, end) of the flat vector, one per worker, as equal as possible. */
export function splitRange(total: number, parts: number): Array<[number, number]> {
  const ranges: Array<[number, number]> = [];
  for (let k = 0; k < parts; k++) {
    ranges.push([Math.floor((total * k) / parts), Math.floor((total * (k + 1)) / parts)]);
  }
  return ranges;
}

/** Copies each parameter's slice of `flat` out into its own array. */
export function unpack(layout: ParamLayout, flat: Float32Array): Record<string, Float32Array> {
  const out: Record<string, Float32Array> = {};
  for (const e of layout.entries) out[e.name] = flat.slice(e.offset, e.offset + e.size);
  return out;
}

/**
 * Writes named arrays into `flat`. Unknown names and size mismatches throw before anything is
 * written; names not given keep their current values.
 */
export function pack(layout: ParamLayout, values: Record<string, ArrayLike<number>>, flat: Float32Array): void {
  const byName = new Map(layout.entries.map((e) => [e.name, e]));
  for (const [name, v] of Object.entries(values)) {
    const e = byName.get(name);
    if (!e) throw new Error(`unknown parameter '${name}'`);
    if (v.length !== e.size) throw new Error(`parameter '${name}' has ${v.length} values, expected ${e.size}`);
  }
  for (const [name, v] of Object.entries(values)) flat.set(v, byName.get(name)!.offset);
}
