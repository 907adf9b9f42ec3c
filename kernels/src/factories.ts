// Tensors made from no tensor input: `zeros`, `ones`, `full`, `arange`, `rand*`, `linspace`,
// `eye`, `*_like`, `new_*`, `torch.tensor`. They need no grad (unless asked) and save nothing;
// in forward they are activations of the step, while the model is built they are constants.
// Small ones made from Python numbers carry their elements (kernels/src/types.ts `values`).
import { KernelArgs, isPyFloat } from './args';
import { isTensor } from './common';
import { castValues } from './pointwise';
import { DType, DTypeValue, Graph, KernelError, KResult, Tensor, isComplex, numel } from './types';

/** Constants model code computes with are small; larger tensors carry no elements. */
export const MAX_CONSTANT_ELEMENTS = 1 << 16;

function dtypeOf(v: unknown): DType | null {
  return typeof v === 'object' && v !== null && 'dtype' in v ? (v as DTypeValue).dtype : null;
}

function sizeOf(op: string, v: unknown): number[] {
  const list = typeof v === 'number' ? [v] : Array.isArray(v) ? v : null;
  if (!list || list.some((d) => typeof d !== 'number' || !Number.isInteger(d))) throw new KernelError(op, `size must be a sequence of ints, got ${JSON.stringify(v)}`);
  if (list.some((d) => (d as number) < 0)) throw new KernelError(op, `negative dimension in size ${JSON.stringify(list)}`);
  return list as number[];
}

/** The default floating dtype (float32; bf16 while a pure-bf16 model runs forward). */
function defaultFloat(g: Graph): DType {
  return g.ctx.defaultFloat ?? 'float32';
}

export function factory(g: Graph, op: string, shape: readonly number[], dtype: DType, a: KernelArgs, values?: readonly number[]): Tensor {
  // Known elements are real numbers; a complex tensor carries none.
  const known = values && values.length === numel(shape) && values.length <= MAX_CONSTANT_ELEMENTS && !isComplex(dtype) ? castValues(values, dtype) : undefined;
  return g.create(op, shape, dtype, { requiresGrad: a.requires_grad === true, values: known });
}

/** `zeros(size)`, `ones`, `empty`, `rand`, `randn`: float by default. */
const sized = (op: string, fill?: number) => (g: Graph, a: KernelArgs): KResult => {
  const shape = sizeOf(op, a.size);
  const dtype = dtypeOf(a.dtype) ?? defaultFloat(g);
  return factory(g, op, shape, dtype, a, fill === undefined ? undefined : new Array<number>(Math.min(numel(shape), MAX_CONSTANT_ELEMENTS + 1)).fill(fill));
};

/** `full(size, fill_value)`: the fill's type decides the dtype (int → int64, bool → bool) since 1.13. */
function full(g: Graph, a: KernelArgs): KResult {
  const shape = sizeOf('full', a.size);
  const v = a.fill_value;
  const dtype = dtypeOf(a.dtype) ?? (typeof v === 'boolean' ? 'bool' : typeof v === 'number' && !isPyFloat(a, 'fill_value') ? 'int64' : defaultFloat(g));
  const x = typeof v === 'boolean' ? Number(v) : typeof v === 'number' ? v : NaN;
  return factory(g, 'full', shape, dtype, a, Number.isNaN(x) ? undefined : new Array<number>(Math.min(numel(shape), MAX_CONSTANT_ELEMENTS + 1)).fill(x));
}

/** `arange(end)`, `arange(start, end, step)`: int64 when every bound is an int. */
function arange(g: Graph, a: KernelArgs): KResult {
  const start = typeof a.start === 'number' ? a.start : 0;
  const end = a.end;
  const step = typeof a.step === 'number' ? a.step : 1;
  if (typeof end !== 'number') throw new KernelError('arange', 'bounds must be numbers');
  if (step === 0) throw new KernelError('arange', 'step must be nonzero');
  const n = Math.max(0, Math.ceil((end - start) / step));
  const allInt = !['start', 'end', 'step'].some((k) => isPyFloat(a, k));
  const dtype = dtypeOf(a.dtype) ?? (allInt ? 'int64' : defaultFloat(g));
  return factory(g, 'arange', [n], dtype, a, n <= MAX_CONSTANT_ELEMENTS ? Array.from({ length: n }, (_, i) => start + i * step) : undefined);
}

/** A 0-dim tensor bound (2.x `linspace.Tensor_Tensor` and friends) is read with `item()`; its value may be unknown. */
function bound(v: unknown): number | undefined {
  if (typeof v === 'number') return v;
  if (typeof v === 'boolean') return Number(v);
  if (isTensor(v)) {
    if (v.shape.length !== 0) throw new KernelError('linspace', `linspace only supports 0-dimensional start and end tensors, but got a tensor with ${v.shape.length} dimension(s)`);
    return v.values?.[0];
  }
  throw new KernelError('linspace', 'start and end must be numbers or 0-dim tensors');
}

function linspace(g: Graph, a: KernelArgs): KResult {
  const [start, end, steps] = [bound(a.start), bound(a.end), a.steps];
  if (typeof steps !== 'number' || !Number.isInteger(steps)) throw new KernelError('linspace', 'steps must be an int');
  if (steps < 0) throw new KernelError('linspace', 'number of steps must be non-negative');
  const values = start !== undefined && end !== undefined && steps <= MAX_CONSTANT_ELEMENTS
    ? Array.from({ length: steps }, (_, i) => (steps === 1 ? start : start + ((end - start) * i) / (steps - 1)))
    : undefined;
  return factory(g, 'linspace', [steps], dtypeOf(a.dtype) ?? defaultFloat(g), a, values);
}

function eye(g: Graph, a: KernelArgs): KResult {
  const n = Number(a.n);
  const m = typeof a.m === 'number' ? a.m : n;
  return factory(g, 'eye', [n, m], dtypeOf(a.dtype) ?? defaultFloat(g), a);
}

/** `randint(high, size)` / `randint(low, high, size)`: int64. */
function randint(g: Graph, a: KernelArgs): KResult {
  return factory(g, 'randint', sizeOf('randint', a.size), dtypeOf(a.dtype) ?? 'int64', a);
}

/** `zeros_like(self)` and friends: self's shape and dtype unless told otherwise. */
const like = (op: string, fill?: number) => (g: Graph, a: KernelArgs): KResult => {
  const t = a.self;
  if (!isTensor(t)) throw new KernelError(op, 'expected a tensor');
  const dtype = dtypeOf(a.dtype) ?? t.dtype;
  const v = op === 'full_like' ? Number(a.fill_value) : fill;
  return factory(g, op, t.shape, dtype, a, v === undefined || Number.isNaN(v) ? undefined : new Array<number>(Math.min(numel(t.shape), MAX_CONSTANT_ELEMENTS + 1)).fill(v));
};

/** `x.new_zeros(size)` and friends: x's dtype unless told otherwise. */
const newLike = (op: string, fill?: number) => (g: Graph, a: KernelArgs): KResult => {
  const t = a.self;
  if (!isTensor(t)) throw new KernelError(op, 'expected a tensor');
  const shape = sizeOf(op, a.size);
  const v = op === 'new_full' ? Number(a.fill_value) : fill;
  return factory(g, op, shape, dtypeOf(a.dtype) ?? t.dtype, a, v === undefined || Number.isNaN(v) ? undefined : new Array<number>(Math.min(numel(shape), MAX_CONSTANT_ELEMENTS + 1)).fill(v));
};

/** The shape and elements of nested Python lists of numbers (`torch.tensor([[1, 2], [3, 4]])`). */
function nested(data: unknown): { shape: number[]; values: number[]; floating: boolean; bool: boolean } | null {
  const shape: number[] = [];
  for (let v: unknown = data; Array.isArray(v); v = v[0]) shape.push(v.length);
  const values: number[] = [];
  let floating = false;
  let bool = true;
  const walk = (v: unknown, depth: number): boolean => {
    if (Array.isArray(v)) return v.length === shape[depth] && v.every((x) => walk(x, depth + 1));
    if (depth !== shape.length) return false;
    if (typeof v === 'boolean') values.push(Number(v));
    else if (typeof v === 'number') {
      bool = false;
      if (!Number.isInteger(v)) floating = true;
      values.push(v);
    } else if (isTensor(v) && v.shape.length === 0 && v.values) {
      bool = false;
      if (v.dtype.startsWith('float')) floating = true;
      values.push(v.values[0]);
    } else return false;
    return true;
  };
  return walk(data, 0) ? { shape, values, floating, bool: bool && values.length > 0 } : null;
}

/** `torch.tensor(data)` / `torch.as_tensor(data)`: a constant from Python numbers (or a copy of a tensor). */
function tensorFromData(g: Graph, a: KernelArgs): KResult {
  const data = a.data;
  if (isTensor(data)) return factory(g, 'tensor', data.shape, dtypeOf(a.dtype) ?? data.dtype, a, data.values);
  const d = nested(data);
  if (!d) throw new KernelError('tensor', 'data must be a number or nested lists of numbers');
  const dtype = dtypeOf(a.dtype) ?? (d.bool ? 'bool' : d.floating || isPyFloat(a, 'data') ? defaultFloat(g) : 'int64');
  return factory(g, 'tensor', d.shape, dtype, a, d.values);
}

/** aten factory rows (schema argument names), and `torch.tensor`/`torch.as_tensor` (Python names). */
export const factoryAten = {
  arange,
  empty: sized('empty'),
  empty_like: like('empty_like'),
  eye,
  full,
  full_like: like('full_like'),
  linspace,
  new_empty: newLike('new_empty'),
  new_full: newLike('new_full'),
  new_ones: newLike('new_ones', 1),
  new_zeros: newLike('new_zeros', 0),
  ones: sized('ones', 1),
  ones_like: like('ones_like', 1),
  rand: sized('rand'),
  rand_like: like('rand_like'),
  randint,
  randn: sized('randn'),
  randn_like: like('randn_like'),
  scalar_tensor: (g: Graph, a: KernelArgs): KResult => factory(g, 'scalar_tensor', [], dtypeOf(a.dtype) ?? defaultFloat(g), a, typeof a.s === 'number' ? [a.s] : undefined),
  tensor: tensorFromData,
  zeros: sized('zeros', 0),
  zeros_like: like('zeros_like', 0),
};
