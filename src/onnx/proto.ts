/**
 * A minimal protobuf writer for the subset of onnx.proto (ModelProto) the exporter emits, so no
 * protobuf dependency is needed. Field numbers are those of onnx/onnx.proto (IR version 8).
 */

export const ONNX_FLOAT = 1;
export const ONNX_INT64 = 7;

/** Growable byte buffer with protobuf primitives. */
class Writer {
  private chunks: Uint8Array[] = [];
  private length = 0;

  bytes(b: Uint8Array): void {
    this.chunks.push(b);
    this.length += b.length;
  }
  varint(value: number | bigint): void {
    let v = BigInt.asUintN(64, BigInt(value));
    const out: number[] = [];
    do {
      let byte = Number(v & 0x7fn);
      v >>= 7n;
      if (v !== 0n) byte |= 0x80;
      out.push(byte);
    } while (v !== 0n);
    this.bytes(Uint8Array.from(out));
  }
  tag(field: number, wire: 0 | 1 | 2 | 5): void {
    this.varint((field << 3) | wire);
  }
  int(field: number, value: number | bigint): void {
    this.tag(field, 0);
    this.varint(value);
  }
  float(field: number, value: number): void {
    this.tag(field, 5);
    const b = new Uint8Array(4);
    new DataView(b.buffer).setFloat32(0, value, true);
    this.bytes(b);
  }
  lengthDelimited(field: number, payload: Uint8Array): void {
    this.tag(field, 2);
    this.varint(payload.length);
    this.bytes(payload);
  }
  string(field: number, value: string): void {
    this.lengthDelimited(field, new TextEncoder().encode(value));
  }
  message(field: number, build: (w: Writer) => void): void {
    const inner = new Writer();
    build(inner);
    this.lengthDelimited(field, inner.finish());
  }
  finish(): Uint8Array {
    const out = new Uint8Array(this.length);
    let offset = 0;
    for (const c of this.chunks) {
      out.set(c, offset);
      offset += c.length;
    }
    return out;
  }
}

export type AttributeValue = number | string | number[] | { floats: number[] } | { float: number };

export interface NodeSpec {
  op: string;
  inputs: string[];
  outputs: string[];
  name?: string;
  /** Integers (INT / INTS), strings (STRING), { float } (FLOAT) or { floats } (FLOATS). */
  attributes?: Record<string, AttributeValue>;
  /** Operator set domain; absent = the default ONNX domain. Others are imported at version 1. */
  domain?: string;
}

export interface TensorSpec {
  name: string;
  dims: number[];
  dataType: typeof ONNX_FLOAT | typeof ONNX_INT64;
  /** Little-endian raw bytes (Float32Array / BigInt64Array views are written as they are). */
  data: Float32Array | BigInt64Array;
}

export interface ValueSpec {
  name: string;
  elemType: typeof ONNX_FLOAT | typeof ONNX_INT64;
  /** A number is a fixed size; a string names a dynamic dimension. */
  dims: (number | string)[];
}

export interface ModelSpec {
  graphName: string;
  nodes: NodeSpec[];
  initializers: TensorSpec[];
  inputs: ValueSpec[];
  outputs: ValueSpec[];
  opset: number;
  producer?: string;
  docString?: string;
}

const ATTR_FLOAT = 1;
const ATTR_INT = 2;
const ATTR_STRING = 3;
const ATTR_FLOATS = 6;
const ATTR_INTS = 7;

function writeAttribute(w: Writer, name: string, value: AttributeValue): void {
  w.string(1, name);
  if (typeof value === 'number') {
    w.int(3, value);
    w.int(20, ATTR_INT);
  } else if (typeof value === 'string') {
    w.lengthDelimited(4, new TextEncoder().encode(value));
    w.int(20, ATTR_STRING);
  } else if (Array.isArray(value)) {
    for (const v of value) w.int(8, v);
    w.int(20, ATTR_INTS);
  } else if ('floats' in value) {
    for (const v of value.floats) w.float(7, v);
    w.int(20, ATTR_FLOATS);
  } else {
    w.float(2, value.float);
    w.int(20, ATTR_FLOAT);
  }
}

function writeValueInfo(w: Writer, v: ValueSpec): void {
  w.string(1, v.name);
  w.message(2, (type) =>
    type.message(1, (tensor) => {
      tensor.int(1, v.elemType);
      tensor.message(2, (shape) => {
        for (const d of v.dims) shape.message(1, (dim) => (typeof d === 'number' ? dim.int(1, d) : dim.string(2, d)));
      });
    }),
  );
}

function writeTensor(w: Writer, t: TensorSpec): void {
  for (const d of t.dims) w.int(1, d);
  w.int(2, t.dataType);
  w.string(8, t.name);
  // Typed arrays are little-endian on every platform Node runs on.
  w.lengthDelimited(9, new Uint8Array(t.data.buffer, t.data.byteOffset, t.data.byteLength));
}

/** Serialises a ModelProto (IR version 8). */
export function encodeModel(model: ModelSpec): Uint8Array {
  const w = new Writer();
  w.int(1, 8); // ir_version
  w.string(2, model.producer ?? 'abair');
  if (model.docString) w.string(6, model.docString);
  w.message(7, (g) => {
    model.nodes.forEach((n, i) => {
      g.message(1, (node) => {
        for (const input of n.inputs) node.string(1, input);
        for (const output of n.outputs) node.string(2, output);
        node.string(3, n.name ?? `${n.op}_${i}`);
        node.string(4, n.op);
        for (const [name, value] of Object.entries(n.attributes ?? {})) node.message(5, (a) => writeAttribute(a, name, value));
        if (n.domain) node.string(7, n.domain);
      });
    });
    g.string(2, model.graphName);
    for (const t of model.initializers) g.message(5, (tensor) => writeTensor(tensor, t));
    for (const v of model.inputs) g.message(11, (info) => writeValueInfo(info, v));
    for (const v of model.outputs) g.message(12, (info) => writeValueInfo(info, v));
  });
  w.message(8, (op) => {
    op.string(1, '');
    op.int(2, model.opset);
  });
  // ONNX Runtime's contrib domains (com.microsoft, com.microsoft.nchwc) have one version, 1.
  for (const domain of new Set(model.nodes.flatMap((n) => (n.domain ? [n.domain] : [])))) {
    w.message(8, (op) => {
      op.string(1, domain);
      op.int(2, 1);
    });
  }
  return w.finish();
}
