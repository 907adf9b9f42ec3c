// The ONNX file format (onnx.proto, IR version 8+) as far as Memlens reads and writes it: models,
// graphs, nodes, attributes, tensors (initializers) and value infos, in protobuf's wire format.
// A decoder for files of unknown origin: every length is checked against what is left, nesting
// and counts are bounded, and anything malformed is an OnnxFormatError with a one-line reason —
// never an exception from deep inside, never an allocation sized by the file's claims.

export class OnnxFormatError extends Error {}

/** ONNX TensorProto.DataType. */
export const ONNX_DTYPES = {
  float32: 1, uint8: 2, int8: 3, uint16: 4, int16: 5, int32: 6, int64: 7, string: 8, bool: 9,
  float16: 10, float64: 11, uint32: 12, uint64: 13, complex64: 14, complex128: 15, bfloat16: 16,
} as const;

export type OnnxDType = keyof typeof ONNX_DTYPES;

/** Bytes per element of each ONNX data type (strings: unknown, 0). */
export const ONNX_DTYPE_BYTES: Readonly<Record<number, number>> = {
  1: 4, 2: 1, 3: 1, 4: 2, 5: 2, 6: 4, 7: 8, 8: 0, 9: 1, 10: 2, 11: 8, 12: 4, 13: 8, 14: 8, 15: 16, 16: 2,
};

export function onnxDTypeName(code: number): string {
  return (Object.entries(ONNX_DTYPES).find(([, c]) => c === code)?.[0]) ?? `type ${code}`;
}

export type AttributeValue = number | string | number[] | string[] | OnnxTensor | { float: number };

export interface OnnxAttribute {
  name: string;
  value: AttributeValue;
}

export interface OnnxNode {
  name: string;
  opType: string;
  domain: string;
  inputs: string[];
  outputs: string[];
  attributes: OnnxAttribute[];
}

/** A dimension: a size, a symbolic name, or unknown (null). */
export type OnnxDim = number | string | null;

export interface OnnxValueInfo {
  name: string;
  /** 0 when the value's type is not a tensor or not given. */
  elemType: number;
  /** null: no shape given. */
  shape: OnnxDim[] | null;
}

export interface OnnxTensor {
  name: string;
  dims: number[];
  dataType: number;
  /** Bytes of the raw data, when given as raw_data. */
  raw?: Uint8Array;
  /** Typed data fields, when given that way (float_data, int64_data…): element count. */
  elements?: number;
  /** data_location EXTERNAL: where the data lives (the `location` entry of external_data). */
  external?: { location: string; offset: number; length: number | null };
}

export interface OnnxGraph {
  name: string;
  nodes: OnnxNode[];
  initializers: OnnxTensor[];
  inputs: OnnxValueInfo[];
  outputs: OnnxValueInfo[];
  valueInfo: OnnxValueInfo[];
}

export interface OnnxModel {
  irVersion: number;
  producer: string;
  opsets: { domain: string; version: number }[];
  graph: OnnxGraph;
}

// ---- encoding -----------------------------------------------------------------------------------

class Writer {
  private chunks: Uint8Array[] = [];
  private size = 0;

  private push(b: Uint8Array): void {
    this.chunks.push(b);
    this.size += b.length;
  }

  varint(v: number | bigint): void {
    let n = BigInt.asUintN(64, BigInt(v));
    const out: number[] = [];
    do {
      let byte = Number(n & 0x7fn);
      n >>= 7n;
      if (n) byte |= 0x80;
      out.push(byte);
    } while (n);
    this.push(Uint8Array.from(out));
  }

  tag(field: number, wire: number): void {
    this.varint((field << 3) | wire);
  }

  int(field: number, v: number): void {
    this.tag(field, 0);
    this.varint(v);
  }

  bytes(field: number, b: Uint8Array): void {
    this.tag(field, 2);
    this.varint(b.length);
    this.push(b);
  }

  string(field: number, s: string): void {
    this.bytes(field, new TextEncoder().encode(s));
  }

  float(field: number, v: number): void {
    this.tag(field, 5);
    const b = new Uint8Array(4);
    new DataView(b.buffer).setFloat32(0, v, true);
    this.push(b);
  }

  message(field: number, write: (w: Writer) => void): void {
    const inner = new Writer();
    write(inner);
    this.bytes(field, inner.finish());
  }

  finish(): Uint8Array {
    const out = new Uint8Array(this.size);
    let at = 0;
    for (const c of this.chunks) {
      out.set(c, at);
      at += c.length;
    }
    return out;
  }
}

function writeTensor(w: Writer, t: OnnxTensor): void {
  for (const d of t.dims) w.int(1, d);
  w.int(2, t.dataType);
  w.string(8, t.name);
  if (t.raw) w.bytes(9, t.raw);
  if (t.external) {
    const entry = (key: string, value: string) => w.message(13, (e) => {
      e.string(1, key);
      e.string(2, value);
    });
    entry('location', t.external.location);
    if (t.external.offset) entry('offset', String(t.external.offset));
    if (t.external.length !== null) entry('length', String(t.external.length));
    w.int(14, 1);
  }
}

function writeValueInfo(w: Writer, v: OnnxValueInfo): void {
  w.string(1, v.name);
  w.message(2, (type) =>
    type.message(1, (tensor) => {
      tensor.int(1, v.elemType);
      if (v.shape) tensor.message(2, (shape) => {
        for (const d of v.shape!) shape.message(1, (dim) => {
          if (typeof d === 'number') dim.int(1, d);
          else if (typeof d === 'string') dim.string(2, d);
        });
      });
    }),
  );
}

function writeAttribute(w: Writer, a: OnnxAttribute): void {
  w.string(1, a.name);
  const v = a.value;
  if (typeof v === 'object' && v !== null && 'float' in v) {
    w.float(2, v.float);
    w.int(20, 1);
  } else if (typeof v === 'number') {
    w.int(3, v);
    w.int(20, 2);
  } else if (typeof v === 'string') {
    w.string(4, v);
    w.int(20, 3);
  } else if (Array.isArray(v) && v.every((x) => typeof x === 'number')) {
    for (const x of v as number[]) w.int(8, x);
    w.int(20, 7);
  } else if (Array.isArray(v)) {
    for (const x of v as string[]) w.string(9, x);
    w.int(20, 8);
  } else {
    w.message(5, (t) => writeTensor(t, v as OnnxTensor));
    w.int(20, 4);
  }
}

/** The model as an .onnx file's bytes. */
export function encodeModel(m: OnnxModel): Uint8Array {
  const w = new Writer();
  w.int(1, m.irVersion);
  w.string(2, m.producer);
  w.message(7, (g) => {
    for (const n of m.graph.nodes) g.message(1, (nw) => {
      for (const i of n.inputs) nw.string(1, i);
      for (const o of n.outputs) nw.string(2, o);
      nw.string(3, n.name);
      nw.string(4, n.opType);
      for (const a of n.attributes) nw.message(5, (aw) => writeAttribute(aw, a));
      if (n.domain) nw.string(7, n.domain);
    });
    g.string(2, m.graph.name);
    for (const t of m.graph.initializers) g.message(5, (tw) => writeTensor(tw, t));
    for (const v of m.graph.inputs) g.message(11, (vw) => writeValueInfo(vw, v));
    for (const v of m.graph.outputs) g.message(12, (vw) => writeValueInfo(vw, v));
    for (const v of m.graph.valueInfo) g.message(13, (vw) => writeValueInfo(vw, v));
  });
  for (const o of m.opsets) w.message(8, (ow) => {
    if (o.domain) ow.string(1, o.domain);
    ow.int(2, o.version);
  });
  return w.finish();
}

// ---- decoding -----------------------------------------------------------------------------------

/** Bounds on what a file may claim (a model past them is refused with the reason). */
export const ONNX_LIMITS = {
  nodes: 1_000_000,
  /** Dimensions of one tensor or value. */
  rank: 64,
  /** Elements of one value: past this (2^36, 275 GB of float32; 10^12 elements…), the file is refused. */
  elements: 2 ** 36,
  depth: 16,
};

interface Field {
  field: number;
  wire: number;
  /** Varint value (wire 0), fixed32/64 bits as a number (1, 5). */
  value?: bigint;
  /** Length-delimited payload (wire 2). */
  bytes?: Uint8Array;
}

class Reader {
  private at = 0;
  constructor(private readonly buf: Uint8Array, private readonly what: string) {}

  get done(): boolean {
    return this.at >= this.buf.length;
  }

  private fail(why: string): never {
    throw new OnnxFormatError(`not a valid ONNX file: ${why} in ${this.what} at byte ${this.at}`);
  }

  varint(): bigint {
    let result = 0n;
    let shift = 0n;
    for (let i = 0; i < 10; i++) {
      if (this.at >= this.buf.length) this.fail('truncated number');
      const b = this.buf[this.at++];
      result |= BigInt(b & 0x7f) << shift;
      if (!(b & 0x80)) return result;
      shift += 7n;
    }
    return this.fail('overlong number');
  }

  next(): Field {
    const key = this.varint();
    const field = Number(key >> 3n);
    const wire = Number(key & 7n);
    if (field === 0) this.fail('field number 0');
    switch (wire) {
      case 0:
        return { field, wire, value: this.varint() };
      case 1: {
        if (this.at + 8 > this.buf.length) this.fail('truncated 64-bit value');
        const v = new DataView(this.buf.buffer, this.buf.byteOffset + this.at, 8).getBigUint64(0, true);
        this.at += 8;
        return { field, wire, value: v };
      }
      case 2: {
        const len = this.varint();
        if (len > BigInt(this.buf.length - this.at)) this.fail(`a length of ${len} bytes past the end`);
        const bytes = this.buf.subarray(this.at, this.at + Number(len));
        this.at += Number(len);
        return { field, wire, bytes };
      }
      case 5: {
        if (this.at + 4 > this.buf.length) this.fail('truncated 32-bit value');
        const v = new DataView(this.buf.buffer, this.buf.byteOffset + this.at, 4).getUint32(0, true);
        this.at += 4;
        return { field, wire, value: BigInt(v) };
      }
      default:
        return this.fail(`wire type ${wire}`);
    }
  }
}

function fields(buf: Uint8Array, what: string, each: (f: Field) => void): void {
  const r = new Reader(buf, what);
  while (!r.done) each(r.next());
}

const text = (f: Field) => new TextDecoder('utf-8', { fatal: false }).decode(f.bytes ?? new Uint8Array());
const int = (f: Field): number => {
  if (f.value === undefined) throw new OnnxFormatError('not a valid ONNX file: a number field holds bytes');
  return Number(BigInt.asIntN(64, f.value));
};

/** Packed or unpacked repeated varints. */
function ints(f: Field, into: number[]): void {
  if (f.wire === 0) into.push(int(f));
  else if (f.bytes) {
    const r = new Reader(f.bytes, 'a packed list');
    while (!r.done) into.push(Number(BigInt.asIntN(64, r.varint())));
  }
}

function decodeTensor(buf: Uint8Array): OnnxTensor {
  const t: OnnxTensor = { name: '', dims: [], dataType: 0 };
  let location: string | undefined;
  let offset = 0;
  let length: number | null = null;
  let externalData = false;
  let elements = 0;
  fields(buf, 'a tensor', (f) => {
    switch (f.field) {
      case 1: ints(f, t.dims); break;
      case 2: t.dataType = int(f); break;
      case 8: t.name = text(f); break;
      case 9: t.raw = f.bytes; break;
      case 4: case 5: case 7: case 10: case 11: {
        // float_data, int32_data, int64_data, double_data, uint64_data: count the elements.
        if (f.wire === 2 && f.bytes) elements += f.field === 4 || f.field === 5 ? Math.floor(f.bytes.length / 4) : Math.floor(f.bytes.length / 8);
        else elements++;
        break;
      }
      case 13: {
        // external_data: StringStringEntryProto { key = 1; value = 2 }
        let key = '';
        let value = '';
        fields(f.bytes ?? new Uint8Array(), 'external data', (e) => {
          if (e.field === 1) key = text(e);
          if (e.field === 2) value = text(e);
        });
        if (key === 'location') location = value;
        if (key === 'offset') offset = Number(value) || 0;
        if (key === 'length') length = Number(value) || 0;
        break;
      }
      case 14: externalData = int(f) === 1; break;
    }
  });
  if (t.dims.length > ONNX_LIMITS.rank) throw new OnnxFormatError(`a tensor with ${t.dims.length} dimensions (${t.name || 'unnamed'})`);
  if (t.dims.some((d) => d < 0)) throw new OnnxFormatError(`a tensor with a negative dimension (${t.name || 'unnamed'}: [${t.dims.join(', ')}])`);
  if (elements) t.elements = elements;
  if (externalData || location !== undefined) t.external = { location: location ?? '', offset, length };
  return t;
}

function decodeValueInfo(buf: Uint8Array): OnnxValueInfo {
  const v: OnnxValueInfo = { name: '', elemType: 0, shape: null };
  fields(buf, 'a value', (f) => {
    if (f.field === 1) v.name = text(f);
    if (f.field === 2 && f.bytes) fields(f.bytes, 'a type', (type) => {
      if (type.field !== 1 || !type.bytes) return;
      fields(type.bytes, 'a tensor type', (tt) => {
        if (tt.field === 1) v.elemType = int(tt);
        if (tt.field === 2 && tt.bytes) {
          const shape: OnnxDim[] = [];
          fields(tt.bytes, 'a shape', (d) => {
            if (d.field !== 1 || !d.bytes) return;
            let dim: OnnxDim = null;
            fields(d.bytes, 'a dimension', (x) => {
              if (x.field === 1) dim = int(x);
              if (x.field === 2) dim = text(x);
            });
            shape.push(dim);
          });
          if (shape.length > ONNX_LIMITS.rank) throw new OnnxFormatError(`a value with ${shape.length} dimensions (${v.name})`);
          v.shape = shape;
        }
      });
    });
  });
  return v;
}

function decodeAttribute(buf: Uint8Array): OnnxAttribute {
  let name = '';
  let type = 0;
  let f32: number | undefined;
  let i64: number | undefined;
  let s: string | undefined;
  let tensor: OnnxTensor | undefined;
  const list: number[] = [];
  const floats: number[] = [];
  const strings: string[] = [];
  fields(buf, 'an attribute', (f) => {
    switch (f.field) {
      case 1: name = text(f); break;
      case 2: f32 = new DataView(new Uint32Array([Number(f.value ?? 0n)]).buffer).getFloat32(0, true); break;
      case 3: i64 = int(f); break;
      case 4: s = text(f); break;
      case 5: if (f.bytes) tensor = decodeTensor(f.bytes); break;
      case 7: {
        if (f.wire === 5) floats.push(new DataView(new Uint32Array([Number(f.value ?? 0n)]).buffer).getFloat32(0, true));
        else if (f.bytes) for (let k = 0; k + 4 <= f.bytes.length; k += 4) floats.push(new DataView(f.bytes.buffer, f.bytes.byteOffset + k, 4).getFloat32(0, true));
        break;
      }
      case 8: ints(f, list); break;
      case 9: strings.push(text(f)); break;
      case 20: type = int(f); break;
    }
  });
  const value: AttributeValue =
    type === 1 || (type === 0 && f32 !== undefined) ? { float: f32 ?? 0 }
      : type === 2 || (type === 0 && i64 !== undefined) ? (i64 ?? 0)
        : type === 3 ? (s ?? '')
          : type === 4 && tensor ? tensor
            : type === 6 ? floats
              : type === 8 ? strings
                : list;
  return { name, value };
}

function decodeNode(buf: Uint8Array): OnnxNode {
  const n: OnnxNode = { name: '', opType: '', domain: '', inputs: [], outputs: [], attributes: [] };
  fields(buf, 'a node', (f) => {
    switch (f.field) {
      case 1: n.inputs.push(text(f)); break;
      case 2: n.outputs.push(text(f)); break;
      case 3: n.name = text(f); break;
      case 4: n.opType = text(f); break;
      case 5: if (f.bytes) n.attributes.push(decodeAttribute(f.bytes)); break;
      case 7: n.domain = text(f); break;
    }
  });
  return n;
}

function decodeGraph(buf: Uint8Array): OnnxGraph {
  const g: OnnxGraph = { name: '', nodes: [], initializers: [], inputs: [], outputs: [], valueInfo: [] };
  fields(buf, 'the graph', (f) => {
    if (!f.bytes && f.wire === 2) return;
    switch (f.field) {
      case 1:
        if (g.nodes.length >= ONNX_LIMITS.nodes) throw new OnnxFormatError(`more than ${ONNX_LIMITS.nodes.toLocaleString('en-US')} nodes`);
        g.nodes.push(decodeNode(f.bytes!));
        break;
      case 2: g.name = text(f); break;
      case 5: g.initializers.push(decodeTensor(f.bytes!)); break;
      case 11: g.inputs.push(decodeValueInfo(f.bytes!)); break;
      case 12: g.outputs.push(decodeValueInfo(f.bytes!)); break;
      case 13: g.valueInfo.push(decodeValueInfo(f.bytes!)); break;
    }
  });
  return g;
}

/** Reads an .onnx file's bytes; OnnxFormatError (one line) when they are not an ONNX model. */
export function decodeModel(buf: Uint8Array): OnnxModel {
  if (buf.length === 0) throw new OnnxFormatError('not a valid ONNX file: it is empty');
  const m: OnnxModel = { irVersion: 0, producer: '', opsets: [], graph: { name: '', nodes: [], initializers: [], inputs: [], outputs: [], valueInfo: [] } };
  let graph = false;
  try {
    fields(buf, 'the model', (f) => {
      switch (f.field) {
        case 1: m.irVersion = int(f); break;
        case 2: m.producer = text(f); break;
        case 7: if (f.bytes) {
          m.graph = decodeGraph(f.bytes);
          graph = true;
        } break;
        case 8: if (f.bytes) {
          const o = { domain: '', version: 0 };
          fields(f.bytes, 'an opset', (x) => {
            if (x.field === 1) o.domain = text(x);
            if (x.field === 2) o.version = int(x);
          });
          m.opsets.push(o);
        } break;
      }
    });
  } catch (e) {
    if (e instanceof OnnxFormatError) throw e;
    throw new OnnxFormatError(`not a valid ONNX file: ${(e as Error).message}`);
  }
  if (!graph || m.irVersion <= 0) throw new OnnxFormatError(`not a valid ONNX file: ${!graph ? 'no graph' : 'no IR version'}`);
  return m;
}
