// What an ONNX graph holds, read without running it: its initializers, every node's output shapes
// (the file's own value infos first, then shape rules for the common operators), per-node output
// bytes, and the forward's live bytes node by node (a value lives from the node that makes it to
// its last consumer; graph outputs to the end; initializers throughout). What cannot be inferred
// is named, and the figures it reaches are lower bounds.

import * as path from 'path';
import { ONNX_DTYPE_BYTES, ONNX_LIMITS, OnnxDim, OnnxFormatError, OnnxModel, OnnxNode, OnnxTensor, onnxDTypeName } from './proto';

export interface OnnxValueReport {
  name: string;
  dtype: string;
  shape: number[] | null;
  bytes: number | null;
}

export interface OnnxNodeReport {
  index: number;
  name: string;
  opType: string;
  outputs: OnnxValueReport[];
  /** Sum of the outputs' bytes; null when a shape is unknown. */
  outputBytes: number | null;
  /** Live bytes once the node ran (initializers included), before its dead inputs are freed. */
  liveBytes: number;
  /** Of those, the bytes nodes made (what ONNX Runtime's arena holds: not the initializers, not the caller's inputs). */
  madeBytes: number;
}

export interface OnnxGraphReport {
  producer: string;
  opset: number | null;
  initializerBytes: number;
  initializers: number;
  inputs: OnnxValueReport[];
  outputs: OnnxValueReport[];
  nodes: OnnxNodeReport[];
  peakBytes: number;
  /** Index of the node after which the peak is reached (-1: before any node). */
  peakNode: number;
  /** The largest `madeBytes`: the forward's peak of what nodes make. */
  peakMadeBytes: number;
  /** Values whose shape could not be inferred, with why (the figures leave them out). */
  unknowns: string[];
}

export interface OnnxReadOptions {
  /** The model file's folder: external data must stay inside it. */
  folder: string;
  /** Binds symbolic dimensions (a `batch`, `N`, `?`) of the graph inputs; default 1. */
  batch?: number;
}

type Shape = number[];
interface Value {
  type: number;
  shape: Shape | null;
}

function numel(shape: readonly number[]): number {
  return shape.reduce((a, b) => a * b, 1);
}

function checkElements(name: string, shape: readonly number[]): void {
  const n = numel(shape);
  if (!(n <= ONNX_LIMITS.elements)) throw new OnnxFormatError(`absurd dimensions: ${name || 'a value'} has shape [${shape.join(', ')}] (${n.toExponential(1)} elements)`);
}

function bytesOf(v: Value): number | null {
  if (!v.shape) return null;
  const per = ONNX_DTYPE_BYTES[v.type];
  return per === undefined || per === 0 ? null : numel(v.shape) * per;
}

/** External data must be a relative path that stays inside the model's folder. */
function checkExternal(t: OnnxTensor, folder: string): void {
  if (!t.external) return;
  const loc = t.external.location;
  const resolved = path.resolve(folder, loc);
  const rel = path.relative(path.resolve(folder), resolved);
  if (!loc || path.isAbsolute(loc) || rel.startsWith('..') || path.isAbsolute(rel)) {
    throw new OnnxFormatError(`external data path escapes the model's folder: ${JSON.stringify(loc)} (initializer ${t.name || 'unnamed'})`);
  }
}

function attr(node: OnnxNode, name: string): unknown {
  return node.attributes.find((a) => a.name === name)?.value;
}

function intsAttr(node: OnnxNode, name: string, fallback: number[]): number[] {
  const v = attr(node, name);
  return Array.isArray(v) && v.every((x) => typeof x === 'number') ? (v as number[]) : fallback;
}

function intAttr(node: OnnxNode, name: string, fallback: number): number {
  const v = attr(node, name);
  return typeof v === 'number' ? v : fallback;
}

function broadcast(a: Shape, b: Shape): Shape | null {
  const n = Math.max(a.length, b.length);
  const out: number[] = [];
  for (let i = 0; i < n; i++) {
    const x = a[a.length - n + i] ?? 1;
    const y = b[b.length - n + i] ?? 1;
    if (x !== y && x !== 1 && y !== 1) return null;
    out.push(x === 1 ? y : x);
  }
  return out;
}

const UNARY = new Set(['Relu', 'Sigmoid', 'Tanh', 'Exp', 'Log', 'Neg', 'Abs', 'Sqrt', 'Erf', 'Gelu', 'LeakyRelu', 'Elu', 'Selu', 'HardSigmoid', 'HardSwish', 'Softplus', 'Softsign', 'Identity', 'Cast', 'Softmax', 'LogSoftmax', 'BatchNormalization', 'LayerNormalization', 'InstanceNormalization', 'Dropout', 'Clip', 'Reciprocal', 'Floor', 'Ceil', 'Round', 'Sin', 'Cos', 'Not', 'Mish', 'PRelu']);
const BINARY = new Set(['Add', 'Sub', 'Mul', 'Div', 'Pow', 'Max', 'Min', 'Equal', 'Less', 'Greater', 'And', 'Or', 'Where', 'Sum', 'Mean']);
const BOOL_OUT = new Set(['Equal', 'Less', 'Greater', 'And', 'Or', 'Not']);

/** Output types and shapes of one node from its inputs', or why not. */
function inferNode(node: OnnxNode, input: (k: number) => Value | undefined, constant: (name: string) => number[] | undefined): Value[] | string {
  const x = input(0);
  if (!x) return `its input ${node.inputs[0] ?? ''} is not known`;
  const op = node.opType;
  if (UNARY.has(op)) {
    const out: Value[] = [{ type: op === 'Cast' ? intAttr(node, 'to', x.type) : BOOL_OUT.has(op) ? 9 : x.type, shape: x.shape }];
    // Dropout's optional mask; BatchNormalization in training mode has running stats outputs (not modelled).
    if (op === 'Dropout' && node.outputs.length > 1) out.push({ type: 9, shape: x.shape });
    return out;
  }
  if (!x.shape) return `the shape of ${node.inputs[0]} is not known`;
  const xs = x.shape;
  if (BINARY.has(op)) {
    let shape: Shape | null = xs;
    let type = x.type;
    for (let k = 1; k < node.inputs.length; k++) {
      const v = input(k);
      if (!v?.shape || !shape) return `the shape of ${node.inputs[k]} is not known`;
      shape = broadcast(shape, v.shape);
      if (op === 'Where' && k === 1) type = v.type;
      if (!shape) return `inputs that do not broadcast`;
    }
    return [{ type: BOOL_OUT.has(op) ? 9 : type, shape }];
  }
  switch (op) {
    case 'Conv': {
      const w = input(1)?.shape;
      if (!w) return 'the weight shape is not known';
      if (xs.length < 3 || w.length !== xs.length) return `a ${xs.length}-D input and a ${w.length}-D weight`;
      const spatial = xs.length - 2;
      const kernel = intsAttr(node, 'kernel_shape', w.slice(2));
      const strides = intsAttr(node, 'strides', Array(spatial).fill(1));
      const dil = intsAttr(node, 'dilations', Array(spatial).fill(1));
      const pads = intsAttr(node, 'pads', Array(2 * spatial).fill(0));
      const autoPad = attr(node, 'auto_pad');
      const out = [xs[0], w[0]];
      for (let d = 0; d < spatial; d++) {
        const eff = dil[d] * (kernel[d] - 1) + 1;
        if (autoPad === 'SAME_UPPER' || autoPad === 'SAME_LOWER') out.push(Math.ceil(xs[2 + d] / strides[d]));
        else out.push(Math.floor((xs[2 + d] + pads[d] + pads[d + spatial] - eff) / strides[d]) + 1);
      }
      return [{ type: x.type, shape: out }];
    }
    case 'MaxPool': case 'AveragePool': {
      if (xs.length < 3) return `a ${xs.length}-D input`;
      const spatial = xs.length - 2;
      const kernel = intsAttr(node, 'kernel_shape', []);
      if (kernel.length !== spatial) return 'no kernel_shape';
      const strides = intsAttr(node, 'strides', Array(spatial).fill(1));
      const pads = intsAttr(node, 'pads', Array(2 * spatial).fill(0));
      const ceil = intAttr(node, 'ceil_mode', 0) === 1;
      const out = xs.slice(0, 2);
      for (let d = 0; d < spatial; d++) {
        const v = (xs[2 + d] + pads[d] + pads[d + spatial] - kernel[d]) / strides[d];
        out.push((ceil ? Math.ceil(v) : Math.floor(v)) + 1);
      }
      const outs: Value[] = [{ type: x.type, shape: out }];
      if (node.outputs.length > 1) outs.push({ type: 7, shape: out });
      return outs;
    }
    case 'GlobalAveragePool': case 'GlobalMaxPool':
      return [{ type: x.type, shape: [...xs.slice(0, 2), ...xs.slice(2).map(() => 1)] }];
    case 'Flatten': {
      let axis = intAttr(node, 'axis', 1);
      if (axis < 0) axis += xs.length;
      return [{ type: x.type, shape: [numel(xs.slice(0, axis)), numel(xs.slice(axis))] }];
    }
    case 'Reshape': {
      const target = constant(node.inputs[1]);
      if (!target) return 'its target shape is not a constant';
      const out = target.map((d, i) => (d === 0 ? xs[i] : d));
      const known = numel(out.filter((d) => d !== -1));
      const k = out.indexOf(-1);
      if (k >= 0) out[k] = known ? numel(xs) / known : 0;
      return [{ type: x.type, shape: out }];
    }
    case 'Transpose': {
      const perm = intsAttr(node, 'perm', xs.map((_, i) => xs.length - 1 - i));
      return [{ type: x.type, shape: perm.map((p) => xs[p]) }];
    }
    case 'MatMul': {
      const w = input(1)?.shape;
      if (!w) return 'the second operand\'s shape is not known';
      const a = xs.length === 1 ? [1, xs[0]] : xs;
      const b = w.length === 1 ? [w[0], 1] : w;
      const batch = broadcast(a.slice(0, -2), b.slice(0, -2));
      if (!batch) return 'batch dimensions that do not broadcast';
      const out = [...batch, ...(xs.length === 1 ? [] : [a[a.length - 2]]), ...(w.length === 1 ? [] : [b[b.length - 1]])];
      return [{ type: x.type, shape: out }];
    }
    case 'Gemm': {
      const w = input(1)?.shape;
      if (!w) return 'the weight shape is not known';
      const m = intAttr(node, 'transA', 0) ? xs[1] : xs[0];
      const n = intAttr(node, 'transB', 0) ? w[0] : w[1];
      return [{ type: x.type, shape: [m, n] }];
    }
    case 'Concat': {
      let axis = intAttr(node, 'axis', 0);
      if (axis < 0) axis += xs.length;
      const out = [...xs];
      for (let k = 1; k < node.inputs.length; k++) {
        const v = input(k)?.shape;
        if (!v) return `the shape of ${node.inputs[k]} is not known`;
        out[axis] += v[axis];
      }
      return [{ type: x.type, shape: out }];
    }
    default:
      return `no shape rule for ${op}`;
  }
}

/** Unknown shapes listed by name (the rest counted). */
const MAX_UNKNOWNS = 1000;

/**
 * Reads the graph of a decoded model: shapes, bytes and the forward's live bytes. Anything a
 * hostile graph makes go wrong inside is an OnnxFormatError (one line), never another exception.
 */
export function readOnnxGraph(model: OnnxModel, options: OnnxReadOptions): OnnxGraphReport {
  try {
    return readGraph(model, options);
  } catch (e) {
    if (e instanceof OnnxFormatError) throw e;
    throw new OnnxFormatError(`a graph Memlens cannot read: ${(e as Error).message}`);
  }
}

function readGraph(model: OnnxModel, options: OnnxReadOptions): OnnxGraphReport {
  const g = model.graph;
  const batch = options.batch ?? 1;
  const values = new Map<string, Value>();
  const constants = new Map<string, number[]>();
  let initializerBytes = 0;
  for (const t of g.initializers) {
    checkExternal(t, options.folder);
    checkElements(t.name, t.dims);
    const v: Value = { type: t.dataType, shape: [...t.dims] };
    values.set(t.name, v);
    initializerBytes += bytesOf(v) ?? 0;
    // Small int64 initializers are shapes (Reshape's target).
    if (t.dataType === 7 && t.raw && t.dims.length === 1 && t.dims[0] <= 16 && t.raw.length === 8 * t.dims[0]) {
      const view = new DataView(t.raw.buffer, t.raw.byteOffset, t.raw.length);
      constants.set(t.name, Array.from({ length: t.dims[0] }, (_, i) => Number(view.getBigInt64(8 * i, true))));
    }
  }
  const bind = (name: string, shape: OnnxDim[] | null): Shape | null => {
    if (!shape) return null;
    const out = shape.map((d) => (typeof d === 'number' && d >= 0 ? d : batch));
    checkElements(name, out);
    return out;
  };
  const declared = new Map<string, Value>();
  for (const v of [...g.valueInfo, ...g.outputs]) declared.set(v.name, { type: v.elemType, shape: bind(v.name, v.shape) });
  const inputs = g.inputs.filter((v) => !values.has(v.name));
  for (const v of inputs) values.set(v.name, { type: v.elemType, shape: bind(v.name, v.shape) });

  const unknowns: string[] = [];
  // Each value listed once (a Set, not a scan: a hostile graph has a million unknown outputs), at most 1,000 kept.
  const listed = new Set<string>();
  let unknownCount = 0;
  const unknown = (name: string, why: string) => {
    if (listed.has(name)) return;
    listed.add(name);
    unknownCount++;
    if (unknowns.length < MAX_UNKNOWNS) unknowns.push(`${name} ${why}`);
  };
  const lastUse = new Map<string, number>();
  g.nodes.forEach((n, i) => n.inputs.forEach((name) => name && lastUse.set(name, i)));
  const graphOutputs = new Set(g.outputs.map((o) => o.name));
  const report = (name: string, v: Value | undefined): OnnxValueReport => ({ name, dtype: onnxDTypeName(v?.type ?? 0), shape: v?.shape ?? null, bytes: v ? bytesOf(v) : null });

  const liveOf = new Map<string, number>();
  let live = initializerBytes;
  for (const v of inputs) {
    const b = bytesOf(values.get(v.name)!) ?? 0;
    liveOf.set(v.name, b);
    live += b;
  }
  let peak = live;
  let peakNode = -1;
  // Bytes of values nodes made that are alive.
  let made = 0;
  let peakMade = 0;
  const madeBy = new Set<string>();
  const nodes: OnnxNodeReport[] = g.nodes.map((node, i) => {
    const inferred = inferNode(node, (k) => (node.inputs[k] ? values.get(node.inputs[k]) : undefined), (name) => constants.get(name));
    const outs: OnnxValueReport[] = node.outputs.map((name, k) => {
      if (!name) return report(name, undefined);
      let v = declared.get(name);
      if (!v?.shape && Array.isArray(inferred)) {
        const guess = inferred[k];
        // A rule applied to inputs it does not fit (a 2-D weight for a Conv) gives no shape, not a wrong one.
        if (guess?.shape && !guess.shape.every((d) => Number.isSafeInteger(d) && d >= 0)) unknown(name, `(${node.opType}${node.name ? ` ${node.name}` : ''}): its inputs do not fit ${node.opType}`);
        else v = guess ?? v;
      }
      if (v?.shape) checkElements(name, v.shape);
      if (!v?.shape) unknown(name, `(${node.opType}${node.name ? ` ${node.name}` : ''}): ${typeof inferred === 'string' ? inferred : 'no shape'}`);
      if (v) values.set(name, v);
      return report(name, v);
    });
    let outputBytes: number | null = 0;
    for (const o of outs) {
      if (o.bytes === null) outputBytes = null;
      else if (outputBytes !== null) outputBytes += o.bytes;
      if (o.bytes !== null && o.name) {
        liveOf.set(o.name, o.bytes);
        live += o.bytes;
        made += o.bytes;
        madeBy.add(o.name);
      }
    }
    const here = live;
    const madeHere = made;
    peakMade = Math.max(peakMade, made);
    if (here > peak) {
      peak = here;
      peakNode = i;
    }
    // Values no later node reads (and not graph outputs) are freed after this node.
    for (const name of new Set([...node.inputs, ...node.outputs])) {
      if (!name || graphOutputs.has(name) || !liveOf.has(name)) continue;
      if ((lastUse.get(name) ?? -1) <= i) {
        live -= liveOf.get(name)!;
        if (madeBy.has(name)) made -= liveOf.get(name)!;
        liveOf.delete(name);
      }
    }
    return { index: i, name: node.name, opType: node.opType, outputs: outs, outputBytes, liveBytes: here, madeBytes: madeHere };
  });
  return {
    producer: model.producer,
    opset: model.opsets.find((o) => o.domain === '' || o.domain === 'ai.onnx')?.version ?? null,
    initializerBytes,
    initializers: g.initializers.length,
    inputs: inputs.map((v) => report(v.name, values.get(v.name))),
    outputs: g.outputs.map((v) => report(v.name, values.get(v.name) ?? declared.get(v.name))),
    nodes,
    peakBytes: peak,
    peakNode,
    peakMadeBytes: peakMade,
    unknowns: unknownCount > unknowns.length ? [...unknowns, `… and ${unknownCount - unknowns.length} more`] : unknowns,
  };
}
