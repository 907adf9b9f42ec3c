// The analyzed model's forward pass as an ONNX graph, for a real profiling pass in ONNX Runtime:
// one node per traced op (its ONNX rule below), parameters as initializers of the right shapes and
// dtypes (random values), the inputs as graph inputs, and every tensor autograd saves for backward
// made a graph output, so the forward holds what a training forward holds. Views (a transpose, a
// slice, a reshape) become ONNX ops that make a tensor of that shape (Reshape, Transpose, Slice,
// Expand): ONNX Runtime materializes what PyTorch keeps as a view, so those nodes are marked views
// and left out of the comparison. An op without a rule stops the lowering, named with its line:
// the profile is of the whole model or not at all.

import { DTYPE_BYTES, DType, Tensor, numel } from '../../../kernels/src';
import { ONNX_DTYPES, OnnxAttribute, OnnxModel, OnnxNode, OnnxTensor, OnnxValueInfo } from '../../../kernels/src/onnx/proto';
import type { OpRecord } from '../interpreter/tracer';
import { namedBuffers, namedParameters } from '../interpreter/torch/nn';
import type { RunResult } from '../engine/run';

export class LoweringError extends Error {}

/** What the lowering made: the model (node `op<i>` is the traced op at position i) and its inputs. */
export interface Lowered {
  model: OnnxModel;
  inputs: { name: string; dtype: string; shape: number[] }[];
}

const OPSET = 21;

function onnxType(dtype: DType): number {
  const code = (ONNX_DTYPES as Record<string, number>)[dtype];
  if (!code) throw new LoweringError(`tensors of dtype ${dtype} have no ONNX type`);
  return code;
}

function contiguousStrides(shape: readonly number[]): number[] {
  const out = new Array<number>(shape.length);
  let s = 1;
  for (let i = shape.length - 1; i >= 0; i--) {
    out[i] = s;
    s *= shape[i];
  }
  return out;
}

function randomRaw(dtype: DType, n: number): Uint8Array {
  const bytes = n * DTYPE_BYTES[dtype];
  if (dtype === 'float32') {
    const a = new Float32Array(n);
    for (let i = 0; i < n; i++) a[i] = (Math.random() - 0.5) * 0.1;
    return new Uint8Array(a.buffer);
  }
  // Integers and others: zeros (valid indices, valid masks).
  return new Uint8Array(bytes);
}

function int64Raw(values: readonly number[]): Uint8Array {
  return new Uint8Array(BigInt64Array.from(values.map((v) => BigInt(v))).buffer);
}

class Builder {
  readonly nodes: OnnxNode[] = [];
  readonly initializers: OnnxTensor[] = [];
  readonly valueInfo: OnnxValueInfo[] = [];
  private next = 0;
  /** The current value of each storage (an in-place op makes a new one) and the tensor laid out contiguously in it. */
  readonly storages = new Map<number, { name: string; base: Tensor }>();
  private flat = new Map<string, string>();

  fresh(prefix: string): string {
    return `${prefix}${this.next++}`;
  }

  node(opType: string, inputs: string[], outputs: string[], attributes: Record<string, number | number[] | string | { float: number }> = {}, name = this.fresh('n')): string {
    const attrs: OnnxAttribute[] = Object.entries(attributes).map(([k, v]) => ({ name: k, value: v }));
    this.nodes.push({ name, opType, domain: '', inputs, outputs, attributes: attrs });
    return name;
  }

  constant(values: readonly number[], dims: number[] = [values.length]): string {
    const name = this.fresh('c');
    this.initializers.push({ name, dims, dataType: ONNX_DTYPES.int64, raw: int64Raw(values) });
    return name;
  }

  /** An int64 scalar (Trilu's diagonal). */
  scalarInt(value: number): string {
    const name = this.fresh('k');
    this.initializers.push({ name, dims: [], dataType: ONNX_DTYPES.int64, raw: int64Raw([value]) });
    return name;
  }

  scalar(value: number, dtype: DType): string {
    const name = this.fresh('k');
    const raw = dtype === 'int64' ? int64Raw([value]) : dtype === 'int32' ? new Uint8Array(new Int32Array([value]).buffer) : dtype === 'bool' ? new Uint8Array([value ? 1 : 0]) : dtype === 'float64' ? new Uint8Array(new Float64Array([value]).buffer) : new Uint8Array(new Float32Array([Math.max(-3.4e38, Math.min(3.4e38, value))]).buffer);
    const type = ['int64', 'int32', 'bool', 'float64'].includes(dtype) ? dtype : 'float32';
    this.initializers.push({ name, dims: [], dataType: onnxType(type), raw });
    return name;
  }

  info(name: string, t: { shape: readonly number[]; dtype: DType }): void {
    this.valueInfo.push({ name, elemType: onnxType(t.dtype), shape: [...t.shape] });
  }

  /** The ONNX value holding tensor `t` as the op sees it (a view made explicit). */
  value(t: Tensor): string {
    const s = this.storages.get(t.storage.id);
    if (!s) throw new LoweringError(`a tensor (shape [${t.shape.join(', ')}]) that no lowered op made`);
    const { name, base } = s;
    const same = t.shape.length === base.shape.length && t.shape.every((d, i) => d === base.shape[i]) && (t.offset ?? 0) === (base.offset ?? 0) && t.strides.every((st, i) => st === base.strides[i] || t.shape[i] === 1);
    if (same && t.dtype === base.dtype) return name;
    if (t.dtype !== base.dtype) throw new LoweringError(`a view of a ${base.dtype} tensor as ${t.dtype}`);
    const offset = (t.offset ?? 0) - (base.offset ?? 0);
    const contiguous = contiguousStrides(t.shape);
    if (offset === 0 && numel(t.shape) === numel(base.shape) && t.strides.every((st, i) => st === contiguous[i] || t.shape[i] === 1)) {
      const out = this.fresh('v');
      this.node('Reshape', [name, this.constant(t.shape)], [out]);
      return out;
    }
    // A permutation of the base's dimensions (a transpose, a permute).
    if (offset === 0 && t.shape.length === base.shape.length && numel(t.shape) === numel(base.shape)) {
      const perm = t.strides.map((st, i) => base.strides.findIndex((bs, j) => bs === st && base.shape[j] === t.shape[i]));
      if (perm.every((p) => p >= 0) && new Set(perm).size === perm.length) {
        const out = this.fresh('v');
        this.node('Transpose', [name], [out], { perm });
        return out;
      }
    }
    // Any other view (a slice, a strided or expanded view): a tensor of its shape made from the base's
    // elements (expanded dimensions expanded after).
    const squeezed = t.shape.map((d, i) => (t.strides[i] === 0 ? 1 : d));
    const shaped = this.standIn(name, numel(base.shape), squeezed, `a view of [${t.shape.join(', ')}] larger than its base [${base.shape.join(', ')}]`);
    if (squeezed.every((d, i) => d === t.shape[i])) return shaped;
    const out = this.fresh('v');
    this.node('Expand', [shaped, this.constant(t.shape)], [out]);
    return out;
  }

  /** `name` reshaped to `shape` (into `out`, with the node named `nodeName` when given). */
  reshape(name: string, shape: readonly number[], out = this.fresh('v'), nodeName?: string): string {
    this.node('Reshape', [name, this.constant(shape)], [out], {}, nodeName);
    return out;
  }

  /**
   * A tensor of `shape` made from the first elements of `name` (which has `available` of them):
   * what stands in where the values do not matter to a memory profile, only the shape and its
   * bytes. `tooLarge` is the refusal when the shape needs more elements than there are.
   */
  standIn(name: string, available: number, shape: readonly number[], tooLarge: string, out?: string, nodeName?: string): string {
    const n = numel(shape);
    if (n > available) throw new LoweringError(tooLarge);
    let flat = this.flat.get(name);
    if (!flat) {
      flat = this.reshape(name, [-1], this.fresh('f'));
      this.flat.set(name, flat);
    }
    const part = this.fresh('v');
    this.node('Slice', [flat, this.constant([0]), this.constant([n])], [part]);
    return this.reshape(part, shape, out, nodeName);
  }

  /**
   * Names `t` (an op's output) as ONNX value `name`. An in-place op on part of a tensor (a slice
   * assignment) leaves the whole tensor's value as it was: its own node has the part's shape.
   */
  define(t: Tensor, name: string): void {
    this.info(name, t);
    const old = this.storages.get(t.storage.id);
    if (old && !(old.base.shape.length === t.shape.length && old.base.shape.every((d, i) => d === t.shape[i]) && (old.base.offset ?? 0) === (t.offset ?? 0))) return;
    this.storages.set(t.storage.id, { name, base: t });
  }
}

const UNARY: Record<string, string> = { relu: 'Relu', tanh: 'Tanh', sigmoid: 'Sigmoid', exp: 'Exp', neg: 'Neg', abs: 'Abs', sqrt: 'Sqrt', clone: 'Identity', erf: 'Erf', log: 'Log', sin: 'Sin', cos: 'Cos', floor: 'Floor', ceil: 'Ceil', round: 'Round', bitwise_not: 'Not', logical_not: 'Not', sign: 'Sign', reciprocal: 'Reciprocal' };
const BINARY: Record<string, string> = { 'add.Tensor': 'Add', 'sub.Tensor': 'Sub', 'mul.Tensor': 'Mul', 'div.Tensor': 'Div', 'pow.Tensor_Tensor': 'Pow', maximum: 'Max', minimum: 'Min', 'eq.Tensor': 'Equal', 'lt.Tensor': 'Less', 'gt.Tensor': 'Greater', 'le.Tensor': 'LessOrEqual', 'ge.Tensor': 'GreaterOrEqual', 'logical_and': 'And', 'logical_or': 'Or', 'bitwise_and.Tensor': 'And', 'bitwise_or.Tensor': 'Or' };
const COMPARISONS = new Set(['Equal', 'Less', 'Greater', 'LessOrEqual', 'GreaterOrEqual', 'And', 'Or']);
const SCALAR: Record<string, string> = { 'add.Scalar': 'Add', 'sub.Scalar': 'Sub', 'mul.Scalar': 'Mul', 'div.Scalar': 'Div', 'pow.Tensor_Scalar': 'Pow', 'eq.Scalar': 'Equal', 'lt.Scalar': 'Less', 'gt.Scalar': 'Greater', 'le.Scalar': 'LessOrEqual', 'ge.Scalar': 'GreaterOrEqual' };

/** A reduction's `dim` (a number, a list, none = all) as ONNX axes. */
function dimsOf(dim: unknown, rank: number): number[] {
  const dims = typeof dim === 'number' ? [dim] : Array.isArray(dim) && dim.length ? (dim as number[]) : [...Array(rank).keys()];
  return dims.map((d) => (d < 0 ? d + rank : d));
}

/** One traced op as ONNX nodes; the last node's outputs are the op's outputs. */
function lowerOp(b: Builder, op: OpRecord, index: number): void {
  const name = `op${index}`;
  const kind = op.kind.replace(/^aten\./, '');
  const base = kind.replace(/_$/, '').replace(/_\./, '.');
  const a = op.attrs ?? {};
  const ins = op.inputs.map((t) => b.value(t));
  const outs = op.outputs.map((t) => (op.inplace ? b.fresh('w') : `t${t.storage.id}`));
  const emit = (opType: string, inputs: string[], outputs: string[], attributes: Record<string, number | number[] | string | { float: number }> = {}) => b.node(opType, inputs, outputs, attributes, name);
  const at = op.line ? ` (line ${op.line.line})` : '';
  const unary = UNARY[base.split('.')[0]];
  if (unary) emit(unary, [ins[0]], [outs[0]]);
  else if (base === 'rsqrt') {
    const root = b.fresh('v');
    b.node('Sqrt', [ins[0]], [root]);
    emit('Reciprocal', [root], [outs[0]]);
  } else if (base === '_to_copy') emit('Cast', [ins[0]], [outs[0]], { to: onnxType(op.outputs[0].dtype) });
  else if (BINARY[base]) {
    // Operands of another dtype than the op computes in (an int64 index tensor divided by a float): cast first.
    const compare = COMPARISONS.has(BINARY[base]);
    const wide: DType = op.inputs.some((t) => t.dtype === 'float32') ? 'float32' : op.inputs[0].dtype;
    const computeIn = compare ? wide : op.outputs[0].dtype;
    const cast = (name: string, t: Tensor) => {
      if (t.dtype === computeIn) return name;
      const c = b.fresh('v');
      b.node('Cast', [name], [c], { to: onnxType(computeIn) });
      return c;
    };
    ins[0] = cast(ins[0], op.inputs[0]);
    if (op.inputs[1]) ins[1] = cast(ins[1], op.inputs[1]);
    // A Python number as the other operand (`x * 0.5` as mul.Tensor): a constant of that dtype.
    let rhs = ins[1] ?? b.scalar(Number(a.other ?? 1), computeIn);
    if (base === 'add.Tensor' || base === 'sub.Tensor') {
      const alpha = Number(a.alpha ?? 1);
      if (alpha !== 1) {
        rhs = b.fresh('v');
        b.node('Mul', [rhs, b.scalar(alpha, op.inputs[0].dtype)], [rhs = b.fresh('v')]);
      }
    }
    emit(BINARY[base], [ins[0], rhs], [outs[0]]);
  } else if (SCALAR[base]) {
    const computeIn = COMPARISONS.has(SCALAR[base]) ? op.inputs[0].dtype : op.outputs[0].dtype;
    const x = op.inputs[0].dtype === computeIn ? ins[0] : b.fresh('v');
    if (x !== ins[0]) b.node('Cast', [ins[0]], [x], { to: onnxType(computeIn) });
    emit(SCALAR[base], [x, b.scalar(Number(a.other ?? a.exponent ?? 1), computeIn)], [outs[0]]);
  } else if (base === 'rsub.Scalar') emit('Sub', [b.scalar(Number(a.other ?? 0), op.inputs[0].dtype), ins[0]], [outs[0]]);
  else if (base === 'triu' || base === 'tril') emit('Trilu', [ins[0], b.scalarInt(Number(a.diagonal ?? 0))], [outs[0]], { upper: base === 'triu' ? 1 : 0 });
  else if (base === 'masked_fill.Scalar') emit('Where', [ins[1], b.scalar(Number(a.value ?? 0), op.inputs[0].dtype), ins[0]], [outs[0]]);
  else if (base === 'hardtanh' || base === 'clamp') {
    const lo = Number(a.min_val ?? a.min ?? -3.4e38);
    const hi = Number(a.max_val ?? a.max ?? 3.4e38);
    emit('Clip', [ins[0], b.scalar(lo, op.inputs[0].dtype), b.scalar(hi, op.inputs[0].dtype)], [outs[0]]);
  } else if (base === 'amax') {
    const rank = op.inputs[0].shape.length;
    const dims = dimsOf(a.dim, rank);
    emit('ReduceMax', [ins[0], b.constant(dims.map((d) => (d < 0 ? d + rank : d)))], [outs[0]], { keepdims: a.keepdim ? 1 : 0 });
  } else if (base === 'native_group_norm') {
    emit('GroupNormalization', [ins[0], ins[1], ins[2]], [outs[0]], { num_groups: Number(a.group ?? a.groups ?? 1), epsilon: { float: Number(a.eps ?? 1e-5) } });
    for (let k = 1; k < op.outputs.length; k++) outs[k] = '';
  } else if (base === 'upsample_bilinear2d' || base === 'upsample_nearest2d') {
    emit('Resize', [ins[0], '', '', b.constant(op.outputs[0].shape)], [outs[0]], { mode: base === 'upsample_nearest2d' ? 'nearest' : 'linear' });
  } else if (base === 'zero' || base === 'zeros_like' || base === 'ones_like' || base === 'fill.Scalar' || base === 'full_like' || base === 'empty_like' || base === 'new_empty' || base === 'new_zeros') {
    // A new tensor of self's shape and the op's dtype (the values do not matter to the profile).
    emit('Cast', [ins[0]], [outs[0]], { to: onnxType(op.outputs[0].dtype) });
  } else if (base === 'where.self') emit('Where', ins, [outs[0]]);
  else if (base === 'copy' || base === 'roll') emit('Cast', [ins[0]], [outs[0]], { to: onnxType(op.outputs[0].dtype) });
  else if (base === 'mish') emit('Mish', [ins[0]], [outs[0]]);
  else if (base === '_adaptive_avg_pool2d' || base === 'adaptive_avg_pool2d') {
    const [h, w] = op.inputs[0].shape.slice(-2);
    const [oh, ow] = op.outputs[0].shape.slice(-2);
    if (oh === 1 && ow === 1) emit('GlobalAveragePool', [ins[0]], [outs[0]]);
    else if (h % oh === 0 && w % ow === 0) emit('AveragePool', [ins[0]], [outs[0]], { kernel_shape: [h / oh, w / ow], strides: [h / oh, w / ow] });
    else {
      // Windows of PyTorch's adaptive pooling differ in size; a fixed window and stride that give
      // the same output shape stand in for them (the profile measures shapes, not values).
      const sh = Math.max(1, Math.floor(h / oh));
      const sw = Math.max(1, Math.floor(w / ow));
      emit('AveragePool', [ins[0]], [outs[0]], { kernel_shape: [h - (oh - 1) * sh, w - (ow - 1) * sw], strides: [sh, sw] });
    }
  } else if (base.startsWith('_scaled_dot_product')) {
    // Attention as ONNX Runtime runs it unfused: scores, softmax, weighted sum (the scores are its
    // own nodes, not compared); the log-sum-exp the fused kernel keeps for backward beside it.
    const [q, k, v] = ins;
    const kt = b.fresh('v');
    b.node('Transpose', [k], [kt], { perm: [...op.inputs[1].shape.keys()].map((d, _, all) => (d === all.length - 2 ? all.length - 1 : d === all.length - 1 ? all.length - 2 : d)) });
    const scores = b.fresh('v');
    b.node('MatMul', [q, kt], [scores]);
    const probs = b.fresh('v');
    b.node('Softmax', [scores], [probs], { axis: -1 });
    emit('MatMul', [probs, v], [outs[0]]);
    if (op.outputs[1]) {
      b.node('ReduceLogSumExp', [scores, b.constant([op.inputs[0].shape.length - 1])], [outs[1]], { keepdims: 0 });
    }
    for (let k2 = 2; k2 < op.outputs.length; k2++) outs[k2] = '';
  } else if (base === 'mkldnn_rnn_layer') {
    // One layer and direction of an LSTM (mode 2) or GRU (mode 3) as ONNX's LSTM/GRU: weights
    // reshaped to ONNX's [directions, gates·hidden, …], the output and states back to PyTorch's shapes.
    const mode = Number(a.mode);
    if (mode !== 2 && mode !== 3) throw new LoweringError(`recurrent mode ${mode} has no ONNX rule yet${at}`);
    const [x, wIh, wHh, bIh, bHh, hx, cx] = op.inputs;
    const hidden = Number(a.hidden_size);
    const gates = mode === 2 ? 4 : 3;
    const W = b.reshape(ins[1], [1, ...wIh.shape]);
    const R = b.reshape(ins[2], [1, ...wHh.shape]);
    let B = '';
    if (bIh && bHh && a.has_biases !== false) {
      const both = b.fresh('v');
      b.node('Concat', [ins[3], ins[4]], [both], { axis: 0 });
      B = b.reshape(both, [1, 2 * gates * hidden]);
    }
    const batch = x.shape[1];
    const h0 = hx ? b.reshape(ins[5], [1, batch, hidden]) : '';
    const c0 = mode === 2 && cx ? b.reshape(ins[6], [1, batch, hidden]) : '';
    const y = b.fresh('v');
    const yh = b.fresh('v');
    const yc = b.fresh('v');
    const direction = a.reverse ? 'reverse' : 'forward';
    if (mode === 2) b.node('LSTM', [ins[0], W, R, B, '', h0, c0], [y, yh, yc], { hidden_size: hidden, direction });
    else b.node('GRU', [ins[0], W, R, B, '', h0], [y, yh], { hidden_size: hidden, direction, linear_before_reset: 1 });
    emit('Reshape', [y, b.constant(op.outputs[0].shape)], [outs[0]]);
    if (op.outputs[1]) b.node('Reshape', [yh, b.constant(op.outputs[1].shape)], [outs[1]]);
    if (mode === 2 && op.outputs[2]) b.node('Reshape', [yc, b.constant(op.outputs[2].shape)], [outs[2]]);
    for (let k = mode === 2 ? 3 : 2; k < op.outputs.length; k++) outs[k] = '';
  } else if (base === 'rnn_layer' || base === 'gru_layer' || (base === 'lstm_layer' && op.inputs.length === 7)) {
    // The CPU RNN (tanh), GRU or LSTM of one layer: input [T·B, in] (T and B from the output
    // [T, B, hidden]), weights, biases, the states (a layer's slice of h0/c0 taken from the front).
    const [T, B, hidden] = op.outputs[0].shape;
    const kind = base === 'lstm_layer' ? 'LSTM' : base === 'gru_layer' ? 'GRU' : 'RNN';
    const gates = { LSTM: 4, GRU: 3, RNN: 1 }[kind];
    const state = (k: number) => {
      const first = b.fresh('v');
      b.node('Slice', [ins[k], b.constant([0]), b.constant([1]), b.constant([0])], [first]);
      return b.reshape(first, [1, B, hidden]);
    };
    const both = b.fresh('v');
    b.node('Concat', [ins[3], ins[4]], [both], { axis: 0 });
    const x = b.reshape(ins[0], [T, B, op.inputs[0].shape[op.inputs[0].shape.length - 1]]);
    const W = b.reshape(ins[1], [1, ...op.inputs[1].shape]);
    const R = b.reshape(ins[2], [1, ...op.inputs[2].shape]);
    const bias = b.reshape(both, [1, 2 * gates * hidden]);
    const y = b.fresh('v');
    const states = kind === 'LSTM' ? [state(5), state(6)] : [state(5)];
    b.node(kind, [x, W, R, bias, '', ...states], [y, ...states.map(() => b.fresh('v'))], { hidden_size: hidden, ...(kind === 'GRU' ? { linear_before_reset: 1 } : {}) });
    emit('Reshape', [y, b.constant(op.outputs[0].shape)], [outs[0]]);
    for (let k = 1; k < op.outputs.length; k++) outs[k] = '';
  } else if (base === 'lstm_layer') {
    // An LSTM with a projection (proj_size): ONNX's LSTM has none. A tensor of the output's shape
    // stands in (its bytes are the layer's; its time is not).
    b.standIn(ins[0], numel(op.inputs[0].shape), op.outputs[0].shape, `an LSTM with a projection whose output is larger than its input has no ONNX rule yet${at}`, outs[0], name);
    for (let k = 1; k < op.outputs.length; k++) outs[k] = '';
  } else if (base === 'leaky_relu') emit('LeakyRelu', [ins[0]], [outs[0]], { alpha: { float: Number(a.negative_slope ?? 0.01) } });
  else if (base === 'elu') emit('Elu', [ins[0]], [outs[0]], { alpha: { float: Number(a.alpha ?? 1) } });
  else if (base === 'baddbmm') {
    const prod = b.fresh('v');
    b.node('MatMul', [ins[1], ins[2]], [prod]);
    emit('Add', [prod, ins[0]], [outs[0]]);
  } else if (base === 'repeat') {
    const reps = a.repeats as number[];
    const x = op.inputs[0];
    let src = ins[0];
    if (reps.length > x.shape.length) {
      src = b.fresh('v');
      b.node('Reshape', [ins[0], b.constant([...new Array<number>(reps.length - x.shape.length).fill(1), ...x.shape])], [src]);
    }
    emit('Tile', [src, b.constant(reps)], [outs[0]]);
  } else if (base === 'index.Tensor' && op.inputs.length === 2) emit('Gather', [ins[0], ins[1]], [outs[0]], { axis: 0 });
  else if (base === 'hardswish') emit('HardSwish', [ins[0]], [outs[0]]);
  else if (base === 'hardsigmoid') emit('HardSigmoid', [ins[0]], [outs[0]]);
  else if (base === 'reflection_pad2d' || base === 'replication_pad2d' || base === 'constant_pad_nd') {
    const pad = (a.padding ?? a.pad) as number[];
    const rank = op.inputs[0].shape.length;
    const begin = new Array<number>(rank).fill(0);
    const end = new Array<number>(rank).fill(0);
    // torch: (left, right, top, bottom, …) from the last dimension backwards.
    for (let k = 0; k < pad.length / 2; k++) {
      begin[rank - 1 - k] = pad[2 * k];
      end[rank - 1 - k] = pad[2 * k + 1];
    }
    emit('Pad', [ins[0], b.constant([...begin, ...end])], [outs[0]], { mode: base === 'reflection_pad2d' ? 'reflect' : base === 'replication_pad2d' ? 'edge' : 'constant' });
  } else if (base === 'pixel_unshuffle') emit('SpaceToDepth', [ins[0]], [outs[0]], { blocksize: Number(a.downscale_factor ?? 2) });
  else if (base === 'pixel_shuffle') emit('DepthToSpace', [ins[0]], [outs[0]], { blocksize: Number(a.upscale_factor ?? 2) });
  else if (base === 'linalg_vector_norm') {
    const rank = op.inputs[0].shape.length;
    emit('ReduceL2', [ins[0], b.constant(dimsOf(a.dim, rank))], [outs[0]], { keepdims: a.keepdim ? 1 : 0 });
  } else if (base === 'gelu') emit('Gelu', [ins[0]], [outs[0]], { approximate: String(a.approximate ?? 'none') });
  else if (base === 'silu') {
    const sig = b.fresh('v');
    b.node('Sigmoid', [ins[0]], [sig]);
    emit('Mul', [ins[0], sig], [outs[0]]);
  } else if (base === 'convolution') {
    const pads = a.padding as number[];
    const common = { strides: a.stride as number[], pads: [...pads, ...pads], dilations: a.dilation as number[], group: Number(a.groups ?? 1) };
    if (a.transposed) emit('ConvTranspose', ins, [outs[0]], { ...common, output_padding: (a.output_padding as number[] | undefined) ?? pads.map(() => 0) });
    else emit('Conv', ins, [outs[0]], common);
  } else if (base === 'addmm') emit('Gemm', [ins[1], ins[2], ins[0]], [outs[0]]);
  else if (base === 'mm' || base === 'bmm' || base === 'matmul') emit('MatMul', ins, [outs[0]]);
  else if (base === '_batch_norm_with_update' || base === 'native_batch_norm' || base === 'batch_norm') {
    // The normalized output (what the layer returns); the saved batch statistics are [C] each.
    const c = op.inputs[0].shape[1];
    const stat = () => {
      const nm = b.fresh('s');
      b.initializers.push({ name: nm, dims: [c], dataType: ONNX_DTYPES.float32, raw: new Uint8Array(new Float32Array(c).fill(1).buffer) });
      return nm;
    };
    const scale = op.inputs[1] ? ins[1] : stat();
    const bias = op.inputs[2] ? ins[2] : stat();
    emit('BatchNormalization', [ins[0], scale, bias, stat(), stat()], [outs[0]], { epsilon: { float: Number(a.eps ?? 1e-5) } });
    for (let k = 1; k < op.outputs.length; k++) outs[k] = '';
  } else if (base === 'native_layer_norm') {
    const axis = op.inputs[0].shape.length - (a.normalized_shape as number[]).length;
    emit('LayerNormalization', ins, outs, { axis, epsilon: { float: Number(a.eps ?? 1e-5) } });
  } else if (base === 'max_pool2d_with_indices' || base === 'max_pool2d' || base === 'avg_pool2d') {
    const pads = a.padding as number[];
    const attrs = { kernel_shape: a.kernel as number[], strides: a.stride as number[], pads: [...pads, ...pads], ceil_mode: a.ceil ? 1 : 0 };
    if (base === 'avg_pool2d') emit('AveragePool', [ins[0]], [outs[0]], { ...attrs, count_include_pad: 1 });
    else emit('MaxPool', [ins[0]], outs, { ...attrs, dilations: a.dilation as number[] });
  } else if (base === 'mean.dim' || base === 'sum.dim_IntList' || base === 'sum' || base === 'mean') {
    const rank = op.inputs[0].shape.length;
    const dims = dimsOf(a.dim, rank);
    const keep = a.keepdim ? 1 : 0;
    emit(base.startsWith('mean') ? 'ReduceMean' : 'ReduceSum', [ins[0], b.constant(dims.map((d) => (d < 0 ? d + rank : d)))], [outs[0]], { keepdims: keep });
  } else if (base === '_softmax' || base === '_safe_softmax' || base === 'softmax.int') emit('Softmax', [ins[0]], [outs[0]], { axis: Number(a.dim ?? -1) });
  else if (base === '_log_softmax') emit('LogSoftmax', [ins[0]], [outs[0]], { axis: Number(a.dim ?? -1) });
  else if (base === 'cat') emit('Concat', ins, [outs[0]], { axis: Number(a.dim ?? 0) });
  else if (base === 'stack' && op.inputs.length === 1 && op.outputs[0].shape[0] === 1 && op.inputs[0].shape.length === op.outputs[0].shape.length) {
    // An RNN's final states stacked from its output (h_n, or an LSTM's c_n of another width): a
    // tensor of that shape made from the output's elements (the values do not matter here).
    b.standIn(ins[0], numel(op.inputs[0].shape), op.outputs[0].shape, `a stacked state larger than its RNN's output${at}`, outs[0], name);
  } else if (base === 'stack') {
    const rank = op.outputs[0].shape.length;
    const dim = Number(a.dim ?? 0) < 0 ? Number(a.dim) + rank : Number(a.dim ?? 0);
    const axes = b.constant([dim]);
    const parts = ins.map((name) => {
      const u = b.fresh('v');
      b.node('Unsqueeze', [name, axes], [u]);
      return u;
    });
    emit('Concat', parts, [outs[0]], { axis: dim });
  }
  else if (base === 'embedding') emit('Gather', [ins[0], ins[1]], [outs[0]], { axis: 0 });
  else if (base === 'nll_loss_forward') {
    emit('NegativeLogLikelihoodLoss', [ins[0], ins[1]], [outs[0]], { reduction: 'mean' });
    for (let k = 1; k < op.outputs.length; k++) outs[k] = '';
  }
  else if (base === 'bernoulli' || base === 'bernoulli.float') {
    // Dropout's mask: a float tensor of the input's shape (random, as bernoulli's).
    emit('RandomUniformLike', [ins[0] ?? b.value(op.outputs[0])], [outs[0]]);
  } else throw new LoweringError(`no ONNX rule for ${op.kind}${at}`);
  op.outputs.forEach((t, k) => {
    if (outs[k]) b.define(t, outs[k]);
  });
}

/**
 * The forward of `run` (its first pass: model and loss) as an ONNX model. Throws LoweringError
 * naming the first op without a rule.
 */
export function lowerForward(run: RunResult): Lowered {
  const b = new Builder();
  const inputs: Lowered['inputs'] = [];
  const seen = new Set<number>();
  for (const [path, t] of [...namedParameters(run.model), ...namedBuffers(run.model)]) {
    if (seen.has(t.storage.id)) continue;
    seen.add(t.storage.id);
    const name = `p_${path}`;
    b.initializers.push({ name, dims: [...t.shape], dataType: onnxType(t.dtype), raw: randomRaw(t.dtype, numel(t.shape)) });
    b.storages.set(t.storage.id, { name, base: { ...t, strides: contiguousStrides(t.shape), offset: 0 } });
  }
  run.inputTensors.forEach((t, i) => {
    if (b.storages.has(t.storage.id)) return;
    const name = `x${i}_${run.inputs[i]?.name ?? 'input'}`.replace(/[^A-Za-z0-9_]/g, '_');
    inputs.push({ name, dtype: t.dtype, shape: [...t.shape] });
    b.storages.set(t.storage.id, { name, base: t });
  });
  const saved = new Map<number, string>();
  const ops = run.tracer.ops;
  ops.forEach((op, i) => {
    // Ops that only make a tensor from nothing (arange, zeros, a causal mask): a constant of that shape.
    if (!op.inputs.length) {
      for (const t of op.outputs) {
        const name = `t${t.storage.id}`;
        b.initializers.push({ name, dims: [...t.shape], dataType: onnxType(t.dtype), raw: new Uint8Array(numel(t.shape) * DTYPE_BYTES[t.dtype]) });
        b.storages.set(t.storage.id, { name, base: t });
      }
      return;
    }
    lowerOp(b, op, i);
    // What autograd saves stays alive to the end: a graph output (its value as saved, now).
    for (const s of op.saved) {
      const cur = b.storages.get(s.id);
      if (cur && !cur.name.startsWith('p_')) saved.set(s.id, cur.name);
    }
  });
  const outputNames = new Set<string>();
  const outputs: OnnxValueInfo[] = [];
  const addOutput = (t: Tensor | undefined, name: string | undefined) => {
    if (!name || outputNames.has(name) || name.startsWith('p_') || inputs.some((i) => i.name === name)) return;
    const info = b.valueInfo.find((v) => v.name === name);
    if (!info && !t) return;
    outputNames.add(name);
    outputs.push(info ?? { name, elemType: onnxType(t!.dtype), shape: [...t!.shape] });
  };
  for (const t of run.outputs) addOutput(t, b.storages.get(t.storage.id)?.name);
  if (run.loss) addOutput(run.loss, b.storages.get(run.loss.storage.id)?.name);
  for (const name of saved.values()) addOutput(undefined, name);
  if (!outputs.length) throw new LoweringError('the forward returns no tensor');
  const model: OnnxModel = {
    irVersion: 10,
    producer: 'memlens',
    opsets: [{ domain: '', version: OPSET }],
    graph: { name: 'forward', nodes: b.nodes, initializers: b.initializers, inputs: inputs.map((i) => ({ name: i.name, elemType: onnxType(i.dtype as DType), shape: i.shape })), outputs, valueInfo: b.valueInfo.filter((v) => !outputNames.has(v.name)) },
  };
  return { model, inputs };
}
