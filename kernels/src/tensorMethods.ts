// torch.Tensor members that are not aten ops: properties (`x.T`, `x.shape`), Python-level
// methods (`x.size()`, `x.float()`, `x.split()`, `x.__rsub__`) and indexing. The ones that make
// tensors run aten ops through the table; the others answer from shape and dtype.
import { KernelArgs, intArg, isPyFloat, tensorArg } from './args';
import { isTensor } from './common';
import { conj, imagPart, realPart } from './fft';
import { atenTensor, callAten } from './dispatch';
import { IndexItem, getitem, setitem } from './indexing';
import { resultType } from './promotion';
import { normDim } from './shape';
import { permute, splitSizes, split } from './shapeops';
import { toDtype } from './shapeops';
import { DTYPE_BYTES, DType, Graph, KernelError, KResult, Tensor, isFloating, numel } from './types';

const self = (op: string, a: KernelArgs) => tensorArg(op, a, 'self');

/** Reversed dimensions (`x.T`; deprecated for other than 2-D, still legal). */
function reversed(g: Graph, t: Tensor): Tensor {
  return permute(g, t, t.shape.map((_, i) => t.shape.length - 1 - i));
}

/**
 * The last two dimensions swapped (`x.mT`; `x.mH` also conjugates a complex tensor, lazily): a
 * view; a 0-dim tensor is viewed as it is.
 */
function matrixTranspose(op: string) {
  return (g: Graph, t: Tensor): KResult => {
    if (t.shape.length === 0) return g.view(t, [], [], t.offset);
    if (t.shape.length === 1) throw new KernelError(op, `tensor.${op} is only supported on matrices or batches of matrices. Got ${t.shape.length}-D tensor.`);
    const v = atenTensor(g, 'transpose.int', { self: t, dim0: -2, dim1: -1 });
    return op === 'mH' ? conj(g, v) : v;
  };
}

/** Properties, by name. */
export const tensorProperties = {
  H: (g: Graph, t: Tensor): KResult => {
    if (t.shape.length !== 2 && t.shape.length !== 0) throw new KernelError('H', `tensor.H is only supported on matrices (2-D tensors). Got ${t.shape.length}-D tensor.`);
    return conj(g, reversed(g, t));
  },
  T: (g: Graph, t: Tensor): KResult => reversed(g, t),
  data: (g: Graph, t: Tensor): KResult => ({ ...g.view(t, t.shape, t.strides, t.offset), requiresGrad: false }),
  device: (g: Graph): KResult => g.ctx.device,
  dtype: (_g: Graph, t: Tensor): KResult => ({ dtype: t.dtype }),
  grad: (): KResult => null,
  is_cuda: (g: Graph): KResult => g.ctx.device === 'cuda',
  is_cpu: (g: Graph): KResult => g.ctx.device === 'cpu',
  is_mps: (g: Graph): KResult => g.ctx.device === 'mps',
  is_leaf: (_g: Graph, t: Tensor): KResult => !t.requiresGrad || t.storage.kind === 'param',
  // The engine's tensors are dense, strided, unquantized, on the chosen device.
  is_meta: (): KResult => false,
  is_mkldnn: (): KResult => false,
  is_nested: (): KResult => false,
  is_quantized: (): KResult => false,
  is_sparse: (): KResult => false,
  is_sparse_csr: (): KResult => false,
  is_vulkan: (): KResult => false,
  is_xla: (): KResult => false,
  is_xpu: (): KResult => false,
  is_ipu: (): KResult => false,
  is_maia: (): KResult => false,
  is_mtia: (): KResult => false,
  /** A tensor that is not a view of another: index 0 of its op's outputs is all the engine tracks. */
  output_nr: (): KResult => 0,
  retains_grad: (): KResult => false,
  name: (): KResult => null,
  volatile: (): KResult => false,
  itemsize: (_g: Graph, t: Tensor): KResult => DTYPE_BYTES[t.dtype],
  mH: matrixTranspose('mH'),
  mT: matrixTranspose('mT'),
  nbytes: (_g: Graph, t: Tensor): KResult => numel(t.shape) * DTYPE_BYTES[t.dtype],
  ndim: (_g: Graph, t: Tensor): KResult => t.shape.length,
  real: (g: Graph, t: Tensor): KResult => realPart(g, t),
  imag: (g: Graph, t: Tensor): KResult => imagPart(g, t),
  requires_grad: (_g: Graph, t: Tensor): KResult => t.requiresGrad,
  shape: (_g: Graph, t: Tensor): KResult => [...t.shape],
};

const convert = (dtype: DType) => (g: Graph, a: KernelArgs): KResult => toDtype(g, self(`to(${dtype})`, a), dtype);

/** `x.tolist()` / `x.item()`: Python numbers, when the elements are known constants. */
function toList(op: string, t: Tensor): KResult {
  if (!t.values) throw new KernelError(op, 'the tensor\'s values are not known (only constants built from Python numbers are)');
  const vals = t.values;
  let i = 0;
  const elem = (v: number): KResult => (t.dtype === 'bool' ? v !== 0 : v);
  const build = (d: number): KResult => (d === t.shape.length ? elem(vals[i++]) : Array.from({ length: t.shape[d] }, () => build(d + 1)));
  return build(0);
}

/**
 * `other ** x` (`x.__rpow__(other)`): 2.x runs `torch.pow(other, x)`; 1.13 first makes other a
 * new tensor (`torch.tensor(other, dtype=torch.result_type(other, x))`, untracked), then runs
 * `pow.Tensor_Tensor`, whose backward keeps that copy.
 */
function rpow(g: Graph, a: KernelArgs): KResult {
  const x = self('__rpow__', a);
  const other = a.other;
  if (!isTensor(other) && typeof other !== 'number' && typeof other !== 'boolean') throw new KernelError('__rpow__', 'the base must be a tensor or a number');
  if (g.ctx.torch[0] >= 2) return isTensor(other) ? callAten(g, 'pow.Tensor_Tensor', { self: other, exponent: x }) : callAten(g, 'pow.Scalar', { self: other, exponent: x });
  const dtype = resultType([typeof other === 'number' && isPyFloat(a, 'other') ? { float: other } : other, x]);
  const values = isTensor(other) ? other.values : [Number(other)];
  const base = g.create('tensor', isTensor(other) ? other.shape : [], dtype, values ? { values } : {});
  return callAten(g, 'pow.Tensor_Tensor', { self: base, exponent: x });
}

/** Python-level Tensor methods (no aten op of their own), by name. */
export const tensorMethods = {
  __getitem__: (g: Graph, a: KernelArgs): KResult => getitem(g, self('__getitem__', a), a.indices as IndexItem[]),
  __len__: (_g: Graph, a: KernelArgs): KResult => {
    const t = self('__len__', a);
    if (t.shape.length === 0) throw new KernelError('len', 'len() of a 0-d tensor');
    return t.shape[0];
  },
  __rdiv__: (g: Graph, a: KernelArgs): KResult => callAten(g, 'mul.Tensor', { self: atenTensor(g, 'reciprocal', { self: self('__rtruediv__', a) }), other: a.other }),
  __rfloordiv__: (g: Graph, a: KernelArgs): KResult => callAten(g, 'floor_divide', { self: atenTensor(g, 'full_like', { self: self('__rfloordiv__', a), fill_value: a.other }), other: self('__rfloordiv__', a) }),
  __rmatmul__: (g: Graph, a: KernelArgs): KResult => callAten(g, 'matmul', { self: a.other, other: self('__rmatmul__', a) }),
  __rpow__: rpow,
  __rsub__: (g: Graph, a: KernelArgs): KResult => callAten(g, 'rsub.Scalar', { self: self('__rsub__', a), other: a.other, alpha: 1 }),
  __rtruediv__: (g: Graph, a: KernelArgs): KResult => callAten(g, 'mul.Tensor', { self: atenTensor(g, 'reciprocal', { self: self('__rtruediv__', a) }), other: a.other }),
  __setitem__: (g: Graph, a: KernelArgs): KResult => {
    const v = a.value;
    if (!isTensor(v) && typeof v !== 'number' && typeof v !== 'boolean') throw new KernelError('__setitem__', 'the assigned value must be a tensor or a number');
    return setitem(g, self('__setitem__', a), a.indices as IndexItem[], v);
  },
  bfloat16: convert('bfloat16'),
  bool: convert('bool'),
  byte: convert('uint8'),
  char: convert('int8'),
  cpu: (_g: Graph, a: KernelArgs): KResult => self('cpu', a),
  cuda: (_g: Graph, a: KernelArgs): KResult => self('cuda', a),
  dim: (_g: Graph, a: KernelArgs): KResult => self('dim', a).shape.length,
  cdouble: convert('complex128'),
  cfloat: convert('complex64'),
  double: convert('float64'),
  element_size: (_g: Graph, a: KernelArgs): KResult => DTYPE_BYTES[self('element_size', a).dtype],
  float: convert('float32'),
  half: convert('float16'),
  int: convert('int32'),
  is_contiguous: (): KResult => true,
  is_floating_point: (_g: Graph, a: KernelArgs): KResult => isFloating(self('is_floating_point', a).dtype),
  item: (_g: Graph, a: KernelArgs): KResult => {
    const t = self('item', a);
    if (numel(t.shape) !== 1) throw new KernelError('item', `a Tensor with ${numel(t.shape)} elements cannot be converted to Scalar`);
    return toList('item', { ...t, shape: [] });
  },
  long: convert('int64'),
  numel: (_g: Graph, a: KernelArgs): KResult => numel(self('numel', a).shape),
  register_hook: (): KResult => null,
  requires_grad_: (_g: Graph, a: KernelArgs): KResult => ({ ...self('requires_grad_', a), requiresGrad: a.requires_grad !== false }),
  retain_grad: (): KResult => null,
  short: convert('int16'),
  size: (_g: Graph, a: KernelArgs): KResult => {
    const t = self('size', a);
    if (a.dim === undefined || a.dim === null) return [...t.shape];
    return t.shape[normDim('size', intArg('size', a, 'dim'), t.shape.length)];
  },
  split: (g: Graph, a: KernelArgs): KResult => {
    // `Tensor.split(self, …)` and `torch.split(tensor, …)` (torch/functional.py).
    const t = tensorArg('split', a, 'self' in a ? 'self' : 'tensor');
    const s = a.split_size ?? a.split_size_or_sections;
    const dim = intArg('split', a, 'dim', 0);
    if (Array.isArray(s)) return splitSizes(g, t, s as number[], dim);
    if (typeof s !== 'number') throw new KernelError('split', 'split_size must be an int or a list of ints');
    return split(g, t, s, dim);
  },
  stride: (_g: Graph, a: KernelArgs): KResult => {
    const t = self('stride', a);
    if (a.dim === undefined || a.dim === null) return [...t.strides];
    return t.strides[normDim('stride', intArg('stride', a, 'dim'), t.shape.length)];
  },
  tolist: (_g: Graph, a: KernelArgs): KResult => toList('tolist', self('tolist', a)),
  type_as: (g: Graph, a: KernelArgs): KResult => toDtype(g, self('type_as', a), tensorArg('type_as', a, 'other').dtype),
  unflatten: (g: Graph, a: KernelArgs): KResult => callAten(g, 'unflatten.int', { self: self('unflatten', a), dim: a.dim, sizes: a.sizes }),
};

/** `torch.einsum(equation, *operands)` (also `einsum(equation, [operands])`). */
export function pythonEinsum(g: Graph, a: KernelArgs): KResult {
  const args = Array.isArray(a.args) ? a.args : [];
  const [eq, ...rest] = args;
  if (typeof eq !== 'string') throw new KernelError('einsum', 'the sublist format is not modelled; pass an equation string');
  const tensors = rest.length === 1 && Array.isArray(rest[0]) ? rest[0] : rest;
  return callAten(g, 'einsum', { equation: eq, tensors });
}
