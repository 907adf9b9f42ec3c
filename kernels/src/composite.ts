// aten ops that PyTorch implements as compositions of other ops (CompositeImplicitAutograd) or
// that need a shape rule of their own: what each runs, so that the saved tensors are those of
// the ops it decomposes into.
import { KernelArgs, intArg, tensorArg, tensorListArg } from './args';
import { atenOp } from './autograd';
import { atenBase } from './catalog';
import { isTensor, showShape } from './common';
import { atenRow, atenTensor, callAten } from './dispatch';
import { einsum } from './einsum';
import { normDim } from './shape';
import { cat, expand } from './shapeops';
import { narrow } from './indexing';
import { pointwise } from './pointwise';
import { reduction } from './reduce';
import { DTypeValue, Graph, KernelError, KResult, OpCall, isComplex, isFloating, numel } from './types';

/** An alias (`absolute` → `abs`, `divide.Tensor` → `div.Tensor`): the target op, same overload suffix. */
export function aliasOf(target: string) {
  return (g: Graph, a: KernelArgs, call: OpCall): KResult => {
    const overload = call.aten ?? call.name;
    const base = atenBase(overload);
    const suffix = overload.slice(base.length);
    const name = `${target}${base.endsWith('_') ? '_' : ''}${suffix}`;
    const row = atenRow(name);
    if (!row) throw new KernelError(base, `aten::${name} is not modelled yet`);
    return row.run(g, a, { name: call.name, aten: name });
  };
}

/** `max`/`min`: the whole tensor (a reduction), along a dim (values, indices), or elementwise with another tensor (`maximum`). */
export function minmax(g: Graph, a: KernelArgs, call: OpCall): KResult {
  const overload = call.aten ?? call.name;
  const base = atenBase(overload);
  if (overload.endsWith('.other')) return callAten(g, base === 'max' ? 'maximum' : 'minimum', a);
  return reduction(g, a, call);
}

/** `where(condition, self, other)`: scalars become wrapped numbers of `where.self` (ATen's composite). */
export function where(g: Graph, a: KernelArgs, call: OpCall): KResult {
  const overload = call.aten ?? call.name;
  if (overload === 'where') throw new KernelError('where', 'where(condition) returns the indices of the set elements: a data-dependent shape, not modelled');
  return pointwise(g, { condition: a.condition, self: a.self, other: a.other }, { name: call.name, aten: 'where.self' });
}

/** Ops whose output has self's shape (`cumsum`, `cumprod`, `logcumsumexp`): what they keep from derivatives.yaml. */
export function sameShape(g: Graph, a: KernelArgs, call: OpCall): KResult {
  const overload = call.aten ?? call.name;
  const x = tensorArg(atenBase(overload), a, 'self');
  if (typeof a.dim === 'number') normDim(atenBase(overload), a.dim, x.shape.length);
  const d = a.dtype as DTypeValue | null | undefined;
  // cumsum and cumprod of integers and bools accumulate in int64.
  const integral = !isFloating(x.dtype) && !isComplex(x.dtype);
  const dtype = d && typeof d === 'object' && 'dtype' in d ? d.dtype : ['cumsum', 'cumprod'].includes(atenBase(overload)) && integral ? 'int64' : x.dtype;
  return atenOp(g, overload, a, [{ shape: x.shape, dtype }], { flops: numel(x.shape) })[0];
}

/** `glu(self, dim)`: the dimension is halved; its backward keeps the input. */
export function glu(g: Graph, a: KernelArgs): KResult {
  const x = tensorArg('glu', a, 'self');
  const d = normDim('glu', intArg('glu', a, 'dim', -1), x.shape.length);
  if (x.shape[d] % 2 !== 0) throw new KernelError('glu', `halving dimension must be even, but dimension ${d} is size ${x.shape[d]}`);
  const shape = [...x.shape];
  shape[d] /= 2;
  return atenOp(g, 'glu', { self: x, dim: d }, [{ shape, dtype: x.dtype }], { flops: 4 * numel(shape) })[0];
}

/** `topk(self, k, dim)` / `sort` / `argsort`: values and int64 indices along `dim`. */
export function topk(g: Graph, a: KernelArgs, call: OpCall): KResult {
  const overload = call.aten ?? call.name;
  const base = atenBase(overload);
  const x = tensorArg(base, a, 'self');
  const d = x.shape.length ? normDim(base, typeof a.dim === 'number' ? a.dim : -1, x.shape.length) : 0;
  const shape = [...x.shape];
  if (base === 'topk') {
    const k = intArg('topk', a, 'k');
    if (x.shape.length && (k < 0 || k > x.shape[d])) throw new KernelError('topk', `k (${k}) is out of range for dimension ${d} of size ${x.shape[d]}`);
    if (shape.length) shape[d] = k;
  }
  const outs = atenOp(g, base === 'argsort' ? 'sort' : overload, a, [{ shape, dtype: x.dtype }, { shape, dtype: 'int64', differentiable: false }], { flops: numel(x.shape) });
  return base === 'argsort' ? outs[1] : outs;
}

/** `log_sigmoid` = `log_sigmoid_forward`, which returns the output and a buffer its backward keeps. */
export function logSigmoid(g: Graph, a: KernelArgs): KResult {
  const x = tensorArg('log_sigmoid', a, 'self');
  const buffer = g.ctx.device === 'cpu' ? x.shape : [0];
  return atenOp(g, 'log_sigmoid_forward', { self: x }, [{ shape: x.shape, dtype: x.dtype }, { shape: buffer, dtype: x.dtype, differentiable: false }], { flops: 4 * numel(x.shape) })[0];
}

/**
 * `rms_norm` (2.4+), composite off the GPU: `x * rsqrt(mean(x²) + eps)`, then `* weight`.
 * Reductions over the normalized dims, in float32 for lower-precision inputs.
 */
export function rmsNorm(g: Graph, a: KernelArgs): KResult {
  const x = tensorArg('rms_norm', a, 'input');
  const ns = a.normalized_shape;
  const k = Array.isArray(ns) ? ns.length : 1;
  const dims = Array.from({ length: k }, (_, i) => -k + i);
  const eps = typeof a.eps === 'number' ? a.eps : 1.1920928955078125e-7;
  const sq = atenTensor(g, 'pow.Tensor_Scalar', { self: x, exponent: 2 });
  const ms = atenTensor(g, 'mean.dim', { self: sq, dim: dims, keepdim: true });
  const r = atenTensor(g, 'rsqrt', { self: atenTensor(g, 'add_.Scalar', { self: ms, other: eps, alpha: 1 }) });
  const y = atenTensor(g, 'mul.Tensor', { self: x, other: r });
  return isTensor(a.weight) ? callAten(g, 'mul.Tensor', { self: y, other: a.weight }) : y;
}

/** `cosine_similarity(x1, x2, dim, eps)`: a reduction over `dim` of the broadcast inputs. */
export function cosineSimilarity(g: Graph, a: KernelArgs): KResult {
  const x1 = tensorArg('cosine_similarity', a, 'x1');
  const x2 = tensorArg('cosine_similarity', a, 'x2');
  const prod = atenTensor(g, 'mul.Tensor', { self: x1, other: x2 });
  const dim = intArg('cosine_similarity', a, 'dim', 1);
  const n1 = atenTensor(g, 'linalg_vector_norm', { self: x1, ord: 2, dim: [dim], keepdim: false });
  const n2 = atenTensor(g, 'linalg_vector_norm', { self: x2, ord: 2, dim: [dim], keepdim: false });
  const num = atenTensor(g, 'sum.dim_IntList', { self: prod, dim: [dim], keepdim: false });
  return callAten(g, 'div.Tensor', { self: num, other: atenTensor(g, 'mul.Tensor', { self: n1, other: n2 }) });
}

/** `einsum(equation, tensors)`. */
export function einsumRule(g: Graph, a: KernelArgs): KResult {
  const eq = a.equation;
  if (typeof eq !== 'string') throw new KernelError('einsum', 'equation must be a string');
  return einsum(g, eq, tensorListArg('einsum', a, 'tensors'));
}

/** `broadcast_tensors(tensors)`: each expanded (a view) to the common shape. */
export function broadcastTensors(g: Graph, a: KernelArgs): KResult {
  const ts = tensorListArg('broadcast_tensors', a, 'tensors');
  const n = Math.max(0, ...ts.map((t) => t.shape.length));
  const shape = Array.from({ length: n }, (_, i) => Math.max(...ts.map((t) => t.shape[t.shape.length - n + i] ?? 1)));
  for (const t of ts) t.shape.forEach((s, i) => {
    if (s !== 1 && s !== shape[n - t.shape.length + i]) throw new KernelError('broadcast_tensors', `shapes ${ts.map((x) => showShape(x.shape)).join(', ')} cannot be broadcast`);
  });
  return ts.map((t) => expand(g, t, shape));
}

/** `meshgrid(tensors, indexing)`: 1-D inputs viewed and expanded to the grid (views, nothing allocated). */
export function meshgrid(g: Graph, a: KernelArgs): KResult {
  const ts = tensorListArg('meshgrid', a, 'tensors').map((t) => (t.shape.length === 0 ? atenTensor(g, 'view', { self: t, size: [1] }) : t));
  const xy = a.indexing === 'xy' && ts.length >= 2;
  const sizes = ts.map((t) => numel(t.shape));
  if (xy) [sizes[0], sizes[1]] = [sizes[1], sizes[0]];
  return ts.map((t, i) => {
    const pos = xy && i < 2 ? 1 - i : i;
    const shape = sizes.map((_, j) => (j === pos ? numel(t.shape) : 1));
    return expand(g, atenTensor(g, 'view', { self: t, size: shape }), sizes);
  });
}

/** `channel_shuffle(self, groups)`: a permuted copy of self's shape. */
export function channelShuffle(g: Graph, a: KernelArgs): KResult {
  const x = tensorArg('channel_shuffle', a, 'self');
  const groups = intArg('channel_shuffle', a, 'groups');
  if (x.shape.length < 3 || x.shape[1] % groups !== 0) throw new KernelError('channel_shuffle', `number of channels must be divisible by groups, got ${showShape(x.shape)} and ${groups}`);
  return atenOp(g, 'channel_shuffle', { self: x }, [{ shape: x.shape, dtype: x.dtype }])[0];
}

/** `prelu(self, weight)`: one slope per channel (or one for all); its backward keeps both. */
export function prelu(g: Graph, a: KernelArgs): KResult {
  const x = tensorArg('prelu', a, 'self');
  const w = tensorArg('prelu', a, 'weight');
  return atenOp(g, '_prelu_kernel', { self: x, weight: w }, [{ shape: x.shape, dtype: x.dtype }], { flops: numel(x.shape) })[0];
}


/** `selu` = `elu(x, α, λ)` and `celu(x, α)` = `elu(x, α, 1, 1/α)` (CompositeImplicitAutograd); in place too. */
export function eluFamily(g: Graph, a: KernelArgs, call: OpCall): KResult {
  const overload = call.aten ?? call.name;
  const base = atenBase(overload);
  const inplace = base.endsWith('_');
  const self = tensorArg(base, a, 'self');
  const alpha = typeof a.alpha === 'number' ? a.alpha : 1;
  const args = base.startsWith('selu')
    ? { self, alpha: 1.6732632423543772, scale: 1.0507009873554805, input_scale: 1 }
    : { self, alpha, scale: 1, input_scale: 1 / alpha };
  return callAten(g, inplace ? 'elu_' : 'elu', args);
}

/** `square(x)` = `pow(x, 2)`; `float_power` = `pow` in float64; `positive(x)` is x. */
export function powFamily(g: Graph, a: KernelArgs, call: OpCall): KResult {
  const overload = call.aten ?? call.name;
  const base = atenBase(overload);
  if (base === 'positive') return tensorArg('positive', a, 'self');
  if (base.startsWith('square')) return callAten(g, base.endsWith('_') ? 'pow_.Scalar' : 'pow.Tensor_Scalar', { self: a.self, exponent: 2 });
  const f64 = (v: unknown) => (isTensor(v) ? atenTensor(g, '_to_copy', { self: v, dtype: { dtype: 'float64' } }) : v);
  const [self, exponent] = [f64(a.self), f64(a.exponent)];
  if (isTensor(self)) return callAten(g, isTensor(exponent) ? 'pow.Tensor_Tensor' : 'pow.Tensor_Scalar', { self, exponent });
  return callAten(g, 'pow.Scalar', { self, exponent });
}

/**
 * `diff(self, n=1, dim=-1, prepend=None, append=None)` (CompositeImplicitAutograd): prepend and
 * append `cat` along dim, then n times `narrow(dim, 1, len-1) - narrow(dim, 0, len-1)`. The
 * elements of a 1-D constant tensor are carried (torchvision's RegNet computes stage depths so).
 */
export function diff(g: Graph, a: KernelArgs): KResult {
  let x = tensorArg('diff', a, 'self');
  const n = typeof a.n === 'number' ? a.n : 1;
  if (!Number.isInteger(n) || n < 0) throw new KernelError('diff', `order must be non-negative but got ${n}`);
  if (x.shape.length === 0) throw new KernelError('diff', 'expects input to be at least one-dimensional');
  const dim = normDim('diff', typeof a.dim === 'number' ? a.dim : -1, x.shape.length);
  const parts = [a.prepend, x, a.append].filter(isTensor);
  if (parts.length > 1) x = cat(g, parts, dim);
  let values = x.values && x.shape.length === 1 ? [...x.values] : undefined;
  for (let i = 0; i < n && x.shape[dim] > 0; i++) {
    const len = x.shape[dim] - 1;
    x = atenTensor(g, 'sub.Tensor', { self: narrow(g, x, dim, 1, len), other: narrow(g, x, dim, 0, len), alpha: 1 });
    if (values) values = values.slice(1).map((v, j) => v - values![j]);
  }
  return values && values.length === numel(x.shape) ? { ...x, values: x.dtype === 'bool' ? values.map((v) => (v !== 0 ? 1 : 0)) : values } : x;
}
