// aten ops that PyTorch implements as compositions of other ops (CompositeImplicitAutograd) or
// that need a shape rule of their own: what each runs, so that the saved tensors are those of
// the ops it decomposes into.
import { KernelArgs, intArg, tensorArg, tensorListArg, withPyFloats } from './args';
import { atenOp } from './autograd';
import { atenBase } from './catalog';
import { isTensor, showShape } from './common';
import { atenRow, atenTensor, callAten } from './dispatch';
import { einsum } from './einsum';
import { resultType } from './promotion';
import { broadcastShapes, normDim } from './shape';
import { cat, expand, toDtype } from './shapeops';
import { narrow } from './indexing';
import { pointwise } from './pointwise';
import { reduction } from './reduce';
import { DType, DTypeValue, Graph, KernelError, KResult, OpCall, Tensor, isComplex, isFloating, numel } from './types';

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

/**
 * `cosine_similarity(x1, x2, dim, eps)` (CompositeImplicitAutograd, Distance.cpp): each broadcast
 * input divided by its norm along dim, the product summed over dim. The norms are clamped to eps
 * in place under a NoGradGuard (nothing saved). 2.x: `linalg_vector_norm(x, 2, dim,
 * keepdim).clone()`; 1.13: `pow(x, 2).sum(dim, keepdim)` clamped to eps², then `sqrt_`. Measured
 * with a dispatch mode on 1.13 and 2.14.
 */
export function cosineSimilarity(g: Graph, a: KernelArgs): KResult {
  const op = 'cosine_similarity';
  const inputs = [tensorArg(op, a, 'x1'), tensorArg(op, a, 'x2')];
  const common = resultType(inputs);
  if (!isFloating(common)) throw new KernelError(op, `expected common dtype to be floating point, yet common dtype is ${common}`);
  const shape = broadcastShapes(op, inputs[0].shape, inputs[1].shape);
  const [x1, x2] = inputs.map((t) => (isFloating(t.dtype) ? t : toDtype(g, t, common))).map((t) => (t.shape.join() === shape.join() ? t : expand(g, t, shape)));
  const dim = intArg(op, a, 'dim', 1);
  const clampNoGrad = (t: Tensor) => g.inplace('clamp_min_', t, [], () => []);
  let norms: Tensor[];
  if (g.ctx.torch[0] >= 2) {
    norms = [x1, x2].map((x) => atenTensor(g, 'clone', { self: atenTensor(g, 'linalg_vector_norm', { self: x, ord: 2, dim: [dim], keepdim: true }) }));
    norms.forEach(clampNoGrad);
  } else {
    const squared = [x1, x2].map((x) => atenTensor(g, 'sum.dim_IntList', { self: atenTensor(g, 'pow.Tensor_Scalar', { self: x, exponent: 2 }), dim: [dim], keepdim: true }));
    squared.forEach(clampNoGrad);
    norms = squared.map((s) => atenTensor(g, 'sqrt_', { self: s }));
  }
  const q1 = atenTensor(g, 'div.Tensor', { self: x1, other: norms[0] });
  const q2 = atenTensor(g, 'div.Tensor', { self: x2, other: norms[1] });
  return callAten(g, 'sum.dim_IntList', { self: atenTensor(g, 'mul.Tensor', { self: q1, other: q2 }), dim: [dim], keepdim: false });
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

/**
 * `meshgrid(tensors, indexing)`: 1-D inputs viewed and expanded to the grid (views, nothing
 * allocated). `torch.meshgrid(*tensors)` also takes them as one list (`meshgrid([x, y])`).
 */
export function meshgrid(g: Graph, a: KernelArgs): KResult {
  const given = a.tensors;
  const list = Array.isArray(given) && given.length === 1 && Array.isArray(given[0]) ? { tensors: given[0] } : a;
  const ts = tensorListArg('meshgrid', list, 'tensors').map((t) => (t.shape.length === 0 ? atenTensor(g, 'view', { self: t, size: [1] }) : t));
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

/**
 * `prelu(self, weight)`: one slope per channel (or one for all); its backward keeps both. 2.x's
 * composite `prelu` runs `_prelu_kernel`; 1.13's `prelu` is the op itself.
 */
export function prelu(g: Graph, a: KernelArgs): KResult {
  const x = tensorArg('prelu', a, 'self');
  const w = tensorArg('prelu', a, 'weight');
  const op = g.ctx.torch[0] >= 2 ? '_prelu_kernel' : 'prelu';
  return atenOp(g, op, { self: x, weight: w }, [{ shape: x.shape, dtype: x.dtype }], { flops: numel(x.shape) })[0];
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

/** c10's ScalarType names, as PyTorch's messages print dtypes. */
const SCALAR_TYPE: Readonly<Record<DType, string>> = {
  float64: 'Double', float32: 'Float', float16: 'Half', bfloat16: 'BFloat16', int64: 'Long', int32: 'Int', int16: 'Short', int8: 'Char', uint8: 'Byte', bool: 'Bool',
  complex64: 'ComplexFloat', complex128: 'ComplexDouble',
};

/** `square(x)` = `pow(x, 2)`; `float_power` = `pow` in float64; `positive(x)` is x. */
export function powFamily(g: Graph, a: KernelArgs, call: OpCall): KResult {
  const overload = call.aten ?? call.name;
  const base = atenBase(overload);
  if (base === 'positive') return tensorArg('positive', a, 'self');
  if (base.startsWith('square')) return callAten(g, base.endsWith('_') ? 'pow_.Scalar' : 'pow.Tensor_Scalar', { self: a.self, exponent: 2 });
  // `x.to(torch.double)`: a copy unless x is float64 already.
  const f64 = (v: unknown) => (isTensor(v) ? toDtype(g, v, 'float64') : v);
  if (base === 'float_power_') {
    // In place: self must be float64 already; then `pow_` with the float64 exponent.
    const x = tensorArg(base, a, 'self');
    if (x.dtype !== 'float64') throw new KernelError(base, `the base given to float_power_ has dtype ${SCALAR_TYPE[x.dtype]} but the operation's result requires dtype Double`);
    const e = f64(a.exponent);
    return callAten(g, isTensor(e) ? 'pow_.Tensor' : 'pow_.Scalar', { self: x, exponent: e });
  }
  const [self, exponent] = [f64(a.self), f64(a.exponent)];
  if (isTensor(self)) return callAten(g, isTensor(exponent) ? 'pow.Tensor_Tensor' : 'pow.Tensor_Scalar', { self, exponent });
  return callAten(g, 'pow.Scalar', { self, exponent });
}

/**
 * `diff(self, n=1, dim=-1, prepend=None, append=None)` (CompositeImplicitAutograd): prepend and
 * append `cat` along dim, then n times `narrow(dim, 1, len-1) - narrow(dim, 0, len-1)`; n = 0
 * copies self. The
 * elements of a 1-D constant tensor are carried (torchvision's RegNet computes stage depths so).
 */
export function diff(g: Graph, a: KernelArgs): KResult {
  let x = tensorArg('diff', a, 'self');
  const n = typeof a.n === 'number' ? a.n : 1;
  if (!Number.isInteger(n) || n < 0) throw new KernelError('diff', `order must be non-negative but got ${n}`);
  if (x.shape.length === 0) throw new KernelError('diff', 'expects input to be at least one-dimensional');
  const dim = normDim('diff', typeof a.dim === 'number' ? a.dim : -1, x.shape.length);
  if (n === 0) {
    // `diff_helper` with n == 0: `zeros_like(self).copy_(self)`, prepend and append ignored.
    const out = atenTensor(g, 'zeros_like', { self: x });
    atenTensor(g, 'copy_', { self: out, src: x });
    return x.values ? { ...out, values: [...x.values] } : out;
  }
  const parts = [a.prepend, x, a.append].filter(isTensor);
  if (parts.length > 1) x = cat(g, parts, dim);
  let values = x.values && x.shape.length === 1 ? [...x.values] : undefined;
  for (let i = 0; i < n && x.shape[dim] > 0; i++) {
    const len = x.shape[dim] - 1;
    // Bool tensors differ by `logical_xor`.
    const [next, prev] = [narrow(g, x, dim, 1, len), narrow(g, x, dim, 0, len)];
    x = x.dtype === 'bool' ? atenTensor(g, 'logical_xor', { self: next, other: prev }) : atenTensor(g, 'sub.Tensor', { self: next, other: prev, alpha: 1 });
    if (values) values = values.slice(1).map((v, j) => v - values![j]);
  }
  return values && values.length === numel(x.shape) ? { ...x, values: x.dtype === 'bool' ? values.map((v) => (v !== 0 ? 1 : 0)) : values } : x;
}

/**
 * `isfinite(self)` (CompositeImplicitAutograd, TensorCompare.cpp): `ones_like(self, bool)` for
 * integral tensors, else `(self == self) * (self.abs() != inf)`, whose `abs` keeps self.
 */
export function isfinite(g: Graph, a: KernelArgs): KResult {
  const x = tensorArg('isfinite', a, 'self');
  if (!isFloating(x.dtype)) return callAten(g, 'ones_like', { self: x, dtype: { dtype: 'bool' } });
  const same = atenTensor(g, 'eq.Tensor', { self: x, other: x });
  const finite = atenTensor(g, 'ne.Scalar', { self: atenTensor(g, 'abs', { self: x }), other: Infinity });
  return callAten(g, 'mul.Tensor', { self: same, other: finite });
}

/** `frexp(self)`: the mantissa in self's floating dtype and an int32 exponent, which the backward keeps. */
export function frexp(g: Graph, a: KernelArgs): KResult {
  const x = tensorArg('frexp', a, 'self');
  if (!isFloating(x.dtype)) throw new KernelError('frexp', `torch.frexp() only supports floating-point dtypes, got ${x.dtype}`);
  return atenOp(g, 'frexp.Tensor', { self: x }, [{ shape: x.shape, dtype: x.dtype }, { shape: x.shape, dtype: 'int32', differentiable: false }], { flops: numel(x.shape) });
}

/** `conj_physical(self)` and `conj_physical_` (CompositeImplicitAutograd): a real tensor is returned as it is. */
export function conjPhysical(_g: Graph, a: KernelArgs): KResult {
  return tensorArg('conj_physical', a, 'self');
}

/**
 * `ldexp(self, other)` = self · 2^other. 2.x has the op (pointwise; its backward keeps other and
 * the result). 1.13's is composite: `mul(self, pow(2., other))`; its in-place form writes through
 * `mul_out`, which autograd refuses when an argument needs grad.
 */
export function ldexp(g: Graph, a: KernelArgs, call: OpCall): KResult {
  if (g.ctx.torch[0] >= 2) return pointwise(g, a, call);
  const inplace = atenBase(call.aten ?? call.name).endsWith('_');
  const x = tensorArg('ldexp', a, 'self');
  const other = tensorArg('ldexp', a, 'other');
  if (inplace && g.ctx.gradEnabled && (x.requiresGrad || other.requiresGrad)) {
    throw new KernelError('ldexp_', "mul(): functions with out=... arguments don't support automatic differentiation, but one of the arguments requires grad.");
  }
  const power = atenTensor(g, 'pow.Scalar', withPyFloats({ self: 2, exponent: other }, new Set(['self'])));
  return callAten(g, inplace ? 'mul_.Tensor' : 'mul.Tensor', { self: x, other: power });
}

/**
 * `one_hot(self, num_classes=-1)`: int64 `[*self.shape, num_classes]` (`zeros` then `scatter_`),
 * nothing differentiable; num_classes −1 takes max + 1 of self's values, which must be known.
 */
export function oneHot(g: Graph, a: KernelArgs): KResult {
  const x = tensorArg('one_hot', a, 'self');
  if (x.dtype !== 'int64') throw new KernelError('one_hot', 'one_hot is only applicable to index tensor of type LongTensor.');
  let classes = intArg('one_hot', a, 'num_classes', -1);
  if (classes === -1) {
    if (numel(x.shape) === 0) throw new KernelError('one_hot', 'Can not infer total number of classes from empty tensor.');
    if (!x.values) throw new KernelError('one_hot', 'num_classes=-1 takes the number of classes from the values of the input, which are not known here');
    classes = Math.max(...x.values) + 1;
  } else if (x.values && x.values.some((v) => v >= classes)) throw new KernelError('one_hot', 'Class values must be smaller than num_classes.');
  if (x.values && x.values.some((v) => v < 0)) throw new KernelError('one_hot', 'Class values must be non-negative.');
  const zeros = atenTensor(g, 'zeros', { size: [...x.shape, classes], dtype: { dtype: 'int64' } });
  return g.inplace('scatter_', zeros, [x], () => [], numel(x.shape));
}

/**
 * `native_channel_shuffle(self, groups)`: on the CPU the channel_shuffle kernel itself (a new
 * tensor); autograd has no formula for it (its backward raises), so nothing is saved.
 */
export function nativeChannelShuffle(g: Graph, a: KernelArgs): KResult {
  const x = tensorArg('native_channel_shuffle', a, 'self');
  const groups = intArg('native_channel_shuffle', a, 'groups');
  if (x.shape.length < 3 || groups <= 0 || x.shape[1] % groups !== 0) throw new KernelError('native_channel_shuffle', `number of channels must be divisible by groups, got ${showShape(x.shape)} and ${groups}`);
  return atenOp(g, 'native_channel_shuffle', { self: x }, [{ shape: x.shape, dtype: x.dtype }])[0];
}

/** `pdist(self, p)`: `_pdist_forward(self.contiguous(), p)`, `[n(n-1)/2]`; keeps the input and the result. */
export function pdist(g: Graph, a: KernelArgs): KResult {
  const x = tensorArg('pdist', a, 'self');
  if (x.shape.length !== 2) throw new KernelError('pdist', `pdist only supports 2D tensors, got: ${x.shape.length}D`);
  const p = typeof a.p === 'number' ? a.p : 2;
  if (p < 0) throw new KernelError('pdist', 'pdist only supports non-negative p values');
  const n = x.shape[0];
  const c = atenTensor(g, 'contiguous', { self: x });
  return atenOp(g, '_pdist_forward', { self: c, p }, [{ shape: [(n * (n - 1)) / 2], dtype: x.dtype }], { flops: (n * (n - 1) * x.shape[1] * 3) / 2 })[0];
}
