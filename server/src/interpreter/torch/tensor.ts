import { DType, KernelError, Tensor, binary, binaryInplace, chunk, contiguousStrides, isFloating, neg, normDim, split } from '../../../../kernels/src';
import { Args, Loc, NONE, TensorV, Value, bool, builtin, int, str, tensorV, tensorWithValues, tuple } from '../values';
import { DTYPES, UnknownArgument, shapeFrom, sizeValue } from './convert';
import { CONSTANT_METHODS, castValues, combineValues, constantMethod, toList } from './constants';
import type { TorchLibrary } from './library';

type Method = (lib: TorchLibrary, x: TensorV, a: Args, at: Loc) => Value;

const arg = (a: Args, i: number, name: string): Value | undefined => a.pos[i] ?? a.kw.get(name);

/** A method that forwards to a kernel with `input` = self and the listed parameters. */
function kernelMethod(kernelName: string, params: string[], varShape?: string): Method {
  return (lib, x, a, at) => {
    const bound = new Map<string, Value>([['input', x]]);
    if (varShape) {
      const shape = shapeFrom(a.pos, at);
      if (!Array.isArray(shape)) return shape;
      bound.set(varShape, tuple(shape.map(int)));
    } else {
      params.forEach((p, i) => {
        const v = arg(a, i, p);
        if (v !== undefined) bound.set(p, v);
      });
    }
    return lib.runKernelWith(kernelName, bound, at);
  };
}

function toDtype(lib: TorchLibrary, x: TensorV, dtype: DType, at: Loc): Value {
  if (x.t.dtype === dtype) return x;
  const out = lib.tracer.op({ kind: '_to_copy', inputs: [x.t], outputs: [{ shape: x.t.shape, dtype }] })[0];
  void at;
  return tensorWithValues(out, x.values && castValues(x.values, dtype));
}

function dtypeArg(v: Value | undefined): DType | undefined {
  if (v?.k === 'dtype') return v.v;
  return undefined;
}

function detached(lib: TorchLibrary, x: TensorV): Value {
  const t = lib.tracer.view(x.t, x.t.shape, x.t.strides, x.t.offset);
  return tensorV({ ...t, requiresGrad: false });
}

/**
 * `torch.chunk`/`split` and the tensor methods: a tuple of views (no op recorded, nothing saved;
 * measured: `x.chunk(2, 1)` pieces are views of x's storage).
 */
export function splitValue(lib: TorchLibrary, name: string, self: Value, a: Args, at: Loc): Value {
  if (self.k === 'unknown') return self;
  if (self.k !== 'tensor') return lib.interp.fail(`${name}() needs a tensor`, at);
  const first = arg(a, 0, name === 'chunk' ? 'chunks' : 'split_size_or_sections') ?? a.kw.get('split_size');
  const dim = arg(a, 1, 'dim') ?? int(0);
  if (first?.k === 'unknown') return first;
  if (dim.k === 'unknown') return dim;
  if (dim.k !== 'num') return lib.interp.fail(`${name}(): dim must be an int`, at);
  try {
    let parts: Tensor[];
    if (name === 'chunk') {
      if (first?.k !== 'num') return lib.interp.fail('chunk(): chunks must be an int', at);
      parts = chunk(lib.tracer, self.t, first.v, dim.v);
    } else {
      const sizes = first?.k === 'num' ? first.v : shapeFrom(first ? [first] : [], at);
      if (typeof sizes !== 'number' && !Array.isArray(sizes)) return sizes;
      parts = split(lib.tracer, self.t, sizes, dim.v);
    }
    return tuple(parts.map(tensorV));
  } catch (e) {
    if (e instanceof KernelError) return lib.interp.fail(e.message, at);
    throw e;
  }
}

/** `Tensor.masked_fill(mask, value)` (and `_`): the kernel keeps the mask. */
function maskedFillMethod(inplace: boolean): Method {
  return (lib, x, a, at) => lib.runKernelWith(inplace ? 'masked_fill_' : 'masked_fill', new Map<string, Value>([['input', x], ['mask', arg(a, 0, 'mask') ?? NONE]]), at);
}

const METHODS: Record<string, Method> = {
  add: (lib, x, a, at) => tensorBinary(lib, '+', x, arg(a, 0, 'other') ?? NONE, at) ?? NONE,
  add_: (lib, x, a, at) => tensorBinary(lib, '+=', x, arg(a, 0, 'other') ?? NONE, at) ?? NONE,
  // In-place random fill of a tensor that needs no grad (stochastic depth's noise): no new memory.
  bernoulli_: (_l, x) => x,
  bfloat16: (lib, x, _a, at) => toDtype(lib, x, 'bfloat16', at),
  bmm: kernelMethod('bmm', ['mat2']),
  chunk: (lib, x, a, at) => splitValue(lib, 'chunk', x, a, at),
  clone: (lib, x) => tensorV(lib.tracer.op({ kind: 'clone', inputs: [x.t], outputs: [{ shape: x.t.shape, dtype: x.t.dtype }] })[0]),
  contiguous: kernelMethod('contiguous', []),
  cpu: (_l, x) => x,
  cuda: (_l, x) => x,
  detach: (lib, x) => detached(lib, x),
  dim: (_l, x) => int(x.t.shape.length),
  div: (lib, x, a, at) => tensorBinary(lib, '/', x, arg(a, 0, 'other') ?? NONE, at) ?? NONE,
  div_: (lib, x, a, at) => tensorBinary(lib, '/=', x, arg(a, 0, 'other') ?? NONE, at) ?? NONE,
  double: (lib, x, _a, at) => toDtype(lib, x, 'float64', at),
  expand: kernelMethod('expand', [], 'size'),
  expand_as: (lib, x, a, at) => {
    const o = arg(a, 0, 'other');
    return o?.k === 'tensor' ? lib.runKernelWith('expand', new Map<string, Value>([['input', x], ['size', sizeValue(o.t.shape)]]), at) : lib.interp.fail('expand_as() needs a tensor', at);
  },
  fill_: (_l, x) => x,
  flatten: kernelMethod('flatten', ['start_dim', 'end_dim']),
  float: (lib, x, _a, at) => toDtype(lib, x, 'float32', at),
  half: (lib, x, _a, at) => toDtype(lib, x, 'float16', at),
  int: (lib, x, _a, at) => toDtype(lib, x, 'int32', at),
  item: (lib, x, _a, at) => (x.values?.length === 1 ? toList(lib, { ...x, t: { ...x.t, shape: [] } }, at) : lib.interp.fail('Tensor.item() on a tensor whose value is not known is not modelled yet', at)),
  log_softmax: kernelMethod('log_softmax', ['dim']),
  long: (lib, x, _a, at) => toDtype(lib, x, 'int64', at),
  masked_fill: maskedFillMethod(false),
  masked_fill_: maskedFillMethod(true),
  matmul: kernelMethod('matmul', ['other']),
  mean: kernelMethod('mean', ['dim', 'keepdim']),
  mm: kernelMethod('mm', ['mat2']),
  mul: (lib, x, a, at) => tensorBinary(lib, '*', x, arg(a, 0, 'other') ?? NONE, at) ?? NONE,
  mul_: (lib, x, a, at) => tensorBinary(lib, '*=', x, arg(a, 0, 'other') ?? NONE, at) ?? NONE,
  new_empty: newFactory(),
  new_full: newFactory(true),
  new_ones: newFactory(),
  new_zeros: newFactory(),
  normal_: (_l, x) => x,
  numel: (_l, x) => int(x.t.shape.reduce((p, d) => p * d, 1)),
  permute: kernelMethod('permute', [], 'dims'),
  relu: kernelMethod('relu', []),
  relu_: kernelMethod('relu_', []),
  repeat: kernelMethod('repeat', [], 'repeats'),
  requires_grad_: (_l, x) => x,
  reshape: kernelMethod('reshape', [], 'shape'),
  reshape_as: (lib, x, a, at) => {
    const o = arg(a, 0, 'other');
    return o?.k === 'tensor' ? lib.runKernelWith('reshape', new Map<string, Value>([['input', x], ['shape', sizeValue(o.t.shape)]]), at) : lib.interp.fail('reshape_as() needs a tensor', at);
  },
  sigmoid: kernelMethod('sigmoid', []),
  sigmoid_: kernelMethod('sigmoid_', []),
  size: (lib, x, a, at) => {
    const d = arg(a, 0, 'dim');
    if (d === undefined || d.k === 'none') return sizeValue(x.t.shape);
    if (d.k !== 'num') return lib.interp.fail('size(dim) needs an int', at);
    try {
      return int(x.t.shape[normDim('size', d.v, x.t.shape.length)]);
    } catch (e) {
      return lib.interp.fail((e as Error).message, at);
    }
  },
  softmax: kernelMethod('softmax', ['dim']),
  split: (lib, x, a, at) => splitValue(lib, 'split', x, a, at),
  squeeze: kernelMethod('squeeze', ['dim']),
  sub: (lib, x, a, at) => tensorBinary(lib, '-', x, arg(a, 0, 'other') ?? NONE, at) ?? NONE,
  sub_: (lib, x, a, at) => tensorBinary(lib, '-=', x, arg(a, 0, 'other') ?? NONE, at) ?? NONE,
  sum: kernelMethod('sum', ['dim', 'keepdim']),
  t: kernelMethod('t', []),
  tolist: (lib, x, _a, at) => toList(lib, x, at),
  tanh: kernelMethod('tanh', []),
  tanh_: kernelMethod('tanh_', []),
  to: (lib, x, a, at) => {
    const dt = dtypeArg(a.pos.find((v) => v.k === 'dtype')) ?? dtypeArg(a.kw.get('dtype'));
    const other = a.pos[0]?.k === 'tensor' ? a.pos[0].t.dtype : undefined;
    const target = dt ?? other;
    return target ? toDtype(lib, x, target, at) : x;
  },
  transpose: kernelMethod('transpose', ['dim0', 'dim1']),
  type_as: (lib, x, a, at) => {
    const o = arg(a, 0, 'other');
    return o?.k === 'tensor' ? toDtype(lib, x, o.t.dtype, at) : x;
  },
  uniform_: (_l, x) => x,
  unsqueeze: kernelMethod('unsqueeze', ['dim']),
  view: (lib, x, a, at) => {
    const d = a.pos[0];
    if (a.pos.length === 1 && d?.k === 'dtype') return lib.interp.fail('view(dtype) is not modelled', at);
    return kernelMethod('view', [], 'size')(lib, x, a, at);
  },
  view_as: (lib, x, a, at) => {
    const o = arg(a, 0, 'other');
    return o?.k === 'tensor' ? lib.runKernelWith('view', new Map<string, Value>([['input', x], ['size', sizeValue(o.t.shape)]]), at) : lib.interp.fail('view_as() needs a tensor', at);
  },
  zero_: (_l, x) => x,
};

/** `x.new_zeros(*size, dtype=None)` and friends: a fresh tensor with x's dtype unless told otherwise. */
function newFactory(withFill = false): Method {
  return (lib, x, a, at) => {
    const sizeArgs = withFill ? a.pos.slice(0, 1) : a.pos;
    const shape = shapeFrom(sizeArgs.length ? sizeArgs : [a.kw.get('size') ?? tuple([])], at);
    if (!Array.isArray(shape)) return shape;
    const d = a.kw.get('dtype');
    const rg = a.kw.get('requires_grad');
    return lib.factory(shape, d?.k === 'dtype' ? d.v : x.t.dtype, rg?.k === 'bool' && rg.v);
  };
}

/** Attributes and methods of a tensor value. */
export function tensorAttr(lib: TorchLibrary, x: TensorV, name: string, at: Loc): Value | undefined {
  const t = x.t;
  switch (name) {
    case 'shape': return sizeValue(t.shape);
    case 'ndim': return int(t.shape.length);
    case 'dtype': return { k: 'dtype', v: t.dtype };
    case 'device': return str(lib.tracer.ctx.device);
    case 'is_cuda': return bool(lib.tracer.ctx.device === 'cuda');
    case 'requires_grad': return bool(t.requiresGrad);
    case 'grad': return NONE;
    case 'data': return detached(lib, x);
    case 'T': case 'mT':
      return lib.runKernelWith('permute', new Map<string, Value>([['input', x], ['dims', tuple(t.shape.map((_, i) => int(t.shape.length - 1 - i)))]]), at);
  }
  const m = METHODS[name];
  if (!m) {
    if (!CONSTANT_METHODS.has(name)) return undefined;
    return builtin(`Tensor.${name}`, (a, where) => constantMethod(lib, x, name, a, where) ?? NONE);
  }
  return builtin(`Tensor.${name}`, (a, where) => m(lib, x, a, where));
}

const OPS: Record<string, 'add' | 'sub' | 'mul' | 'div'> = { '+': 'add', '-': 'sub', '*': 'mul', '/': 'div' };

const VALUE_OPS: Record<'add' | 'sub' | 'mul' | 'div', (x: number, y: number) => number> = {
  add: (x, y) => x + y, sub: (x, y) => x - y, mul: (x, y) => x * y, div: (x, y) => x / y,
};

function operand(v: Value): Tensor | number | undefined {
  if (v.k === 'tensor') return v.t;
  if (v.k === 'num') return v.v;
  if (v.k === 'bool') return v.v ? 1 : 0;
  return undefined;
}

/** `a op b` where an operand is a tensor; `op=` forms are in place on `a`. */
export function tensorBinary(lib: TorchLibrary, op: string, a: Value, b: Value, at: Loc): Value | undefined {
  if (a.k === 'unknown') return a;
  if (b.k === 'unknown') return b;
  const inplace = op.endsWith('=') && !['==', '!=', '<=', '>='].includes(op);
  const bare = inplace ? op.slice(0, -1) : op;
  const x = operand(a);
  const y = operand(b);
  if (x === undefined || y === undefined) return lib.interp.fail(`operator ${op} between ${a.k} and ${b.k} is not modelled`, at);
  try {
    if (bare === '@') {
      if (typeof x === 'number' || typeof y === 'number') return lib.interp.fail('@ needs two tensors', at);
      return lib.runKernel('matmul', { input: x, other: y }, at);
    }
    const kind = OPS[bare];
    if (kind) {
      if (inplace && typeof x !== 'number') return tensorV(binaryInplace(lib.tracer, kind, x, y));
      const out = binary(lib.tracer, kind, x, y);
      return tensorWithValues(out, combineValues(a, b, VALUE_OPS[kind], out.dtype));
    }
    if (['==', '!=', '<', '<=', '>', '>='].includes(bare)) {
      const ref = typeof x === 'number' ? (y as Tensor) : x;
      const shape = typeof x !== 'number' && typeof y !== 'number' ? broadcast(x.shape, y.shape) : ref.shape;
      return tensorV(lib.tracer.op({ kind: 'compare', inputs: [x, y].filter((v): v is Tensor => typeof v !== 'number'), outputs: [{ shape, dtype: 'bool', differentiable: false }] })[0]);
    }
    if (bare === '**' && typeof x !== 'number' && combineValues(a, b, Math.pow, x.dtype)) return constantMethod(lib, a as TensorV, 'pow', { pos: [b], kw: new Map() }, at);
    if (bare === '**' && typeof x !== 'number') {
      // pow(Tensor, Scalar) keeps its input for backward (derivatives.yaml: pow_backward(grad, self, exponent)).
      return tensorV(lib.tracer.op({ kind: 'pow', inputs: [x], outputs: [{ shape: x.shape, dtype: x.dtype }], save: () => [x], flops: 2 * x.shape.reduce((p, d) => p * d, 1) })[0]);
    }
  } catch (e) {
    if (e instanceof UnknownArgument) return e.value;
    return lib.interp.fail((e as Error).message, at);
  }
  return lib.interp.fail(`operator ${op} on tensors is not modelled yet`, at);
}

function broadcast(a: readonly number[], b: readonly number[]): number[] {
  const n = Math.max(a.length, b.length);
  return Array.from({ length: n }, (_, i) => Math.max(a[a.length - n + i] ?? 1, b[b.length - n + i] ?? 1));
}

export function tensorUnary(lib: TorchLibrary, op: string, a: Value, at: Loc): Value | undefined {
  if (a.k !== 'tensor') return undefined;
  if (op === '-') return tensorV(neg(lib.tracer, a.t));
  if (op === '+') return a;
  if (op === '~') return tensorV(lib.tracer.op({ kind: 'bitwise_not', inputs: [a.t], outputs: [{ shape: a.t.shape, dtype: a.t.dtype, differentiable: false }] })[0]);
  return lib.interp.fail(`unary ${op} on tensors is not modelled`, at);
}

/** Basic indexing (ints, slices, None, Ellipsis): a view, which saves nothing. */
export function tensorSubscript(lib: TorchLibrary, x: TensorV, index: Value, at: Loc): Value | undefined {
  const items = index.k === 'tuple' ? index.items : [index];
  if (items.some((v) => v.k === 'tensor' || v.k === 'list')) return lib.interp.fail('advanced (tensor or list) indexing is not modelled yet', at);
  const t = x.t;
  const shape: number[] = [];
  const strides: number[] = [];
  let offset = t.offset;
  const explicit = items.filter((v) => v.k !== 'none' && !(v.k === 'str' && v.v === '...')).length;
  let dim = 0;
  for (const it of items) {
    if (it.k === 'str' && it.v === '...') {
      const skip = t.shape.length - explicit;
      for (let i = 0; i < skip; i++, dim++) {
        shape.push(t.shape[dim]);
        strides.push(t.strides[dim]);
      }
      continue;
    }
    if (it.k === 'none') {
      shape.push(1);
      strides.push(dim < t.shape.length ? t.strides[dim] * t.shape[dim] : 1);
      continue;
    }
    if (dim >= t.shape.length) return lib.interp.fail(`too many indices for a tensor of rank ${t.shape.length}`, at);
    const size = t.shape[dim];
    if (it.k === 'num' || it.k === 'bool') {
      const i = it.k === 'num' ? it.v : it.v ? 1 : 0;
      const j = i < 0 ? i + size : i;
      if (j < 0 || j >= size) return lib.interp.fail(`index ${i} is out of bounds for dimension ${dim} with size ${size}`, at);
      offset += j * t.strides[dim];
      dim++;
      continue;
    }
    if (it.k === 'slice') {
      const step = it.step.k === 'num' ? it.step.v : 1;
      const clamp = (v: Value, dflt: number): number => {
        if (v.k !== 'num') return dflt;
        const j = v.v < 0 ? v.v + size : v.v;
        return Math.min(Math.max(j, 0), size);
      };
      const start = clamp(it.start, 0);
      const stop = clamp(it.stop, size);
      const len = Math.max(0, Math.ceil((stop - start) / step));
      offset += start * t.strides[dim];
      shape.push(len);
      strides.push(t.strides[dim] * step);
      dim++;
      continue;
    }
    return lib.interp.fail(`index of type ${it.k} is not modelled`, at);
  }
  for (; dim < t.shape.length; dim++) {
    shape.push(t.shape[dim]);
    strides.push(t.strides[dim]);
  }
  return tensorV(lib.tracer.view(t, shape, strides, offset));
}

export { DTYPES, contiguousStrides, isFloating };
