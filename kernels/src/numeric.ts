// Numerical compositions (CompositeImplicitAutograd: they run other ops, whose saved tensors
// follow): `trapezoid`/`trapz`/`cumulative_trapezoid`, `gradient`, `vander`, `combinations`,
// `msort`, `sum_to_size`; and the random draws (`bernoulli`, `multinomial`, `normal`, `poisson`,
// `randperm`), which keep nothing for backward. Op sequences as the dispatcher logs them on 1.13,
// 2.13 and 2.14 CPU (TorchDispatchMode under the measured probes).
import { KernelArgs, intArg, tensorArg } from './args';
import { atenInplace, atenOp } from './autograd';
import { atenBase } from './catalog';
import { isTensor, showShape } from './common';
import { atenTensor, callAten } from './dispatch';
import { factory } from './factories';
import { advancedIndex, select, slice } from './indexing';
import { promoteTypes } from './promotion';
import { broadcastShapes, normDim } from './shape';
import { cat, expand, stack, view } from './shapeops';
import { DType, DTypeValue, Graph, KernelError, KResult, OpCall, Tensor, isFloating, numel } from './types';

const overloadOf = (call: OpCall) => call.aten ?? call.name;
const dtypeOf = (v: unknown): DType | null => (typeof v === 'object' && v !== null && 'dtype' in v ? (v as DTypeValue).dtype : null);

// ── trapezoid ────────────────────────────────────────────────────────────────

/** `x`'s spacing along `dim` (`x[1:] - x[:-1]`, a 1-D x viewed to broadcast against y). */
function spacing(g: Graph, op: string, y: Tensor, x: Tensor, d: number): Tensor {
  let xv = x;
  if (x.shape.length === 1) {
    if (x.shape[0] !== y.shape[d]) throw new KernelError(op, `${op}: There must be one \`x\` value for each sample point`);
    xv = view(g, x, y.shape.map((_, i) => (i === d ? x.shape[0] : 1)));
  } else if (x.shape.length < y.shape.length) {
    xv = view(g, x, [...new Array<number>(y.shape.length - x.shape.length).fill(1), ...x.shape]);
  }
  const left = slice(g, xv, d, 0, -1, 1, op);
  const right = slice(g, xv, d, 1, null, 1, op);
  return atenTensor(g, 'sub.Tensor', { self: right, other: left, alpha: 1 });
}

/**
 * `trapezoid(y, x | dx, dim)` (`trapz`) and `cumulative_trapezoid`: with sample points x,
 * `(y[1:] + y[:-1]) · dx` summed (cumulatively) then halved — `mul` keeps both factors; with a
 * constant dx, `(sum(y) - (y[0] + y[-1]) / 2) · dx` (cumulative: `dx/2 · (y[:-1] + y[1:])` summed).
 */
export function trapezoid(g: Graph, a: KernelArgs, call: OpCall): KResult {
  const overload = overloadOf(call);
  const op = atenBase(overload);
  const cumulative = op === 'cumulative_trapezoid';
  const y = tensorArg(op, a, 'y');
  if (y.dtype === 'bool') throw new KernelError(op, `${op}: received a bool input for \`y\`, but bool is not supported`);
  if (y.shape.length === 0) throw new KernelError(op, `dimension specified as -1 but tensor has no dimensions`);
  const d = normDim(op, intArg(op, a, 'dim', -1), y.shape.length);
  const x = isTensor(a.x) ? a.x : null;
  if (x?.dtype === 'bool') throw new KernelError(op, `${op}: received a bool input for \`x\`, but bool is not supported`);
  if (y.shape[d] === 0) {
    const shape = y.shape.filter((_, i) => i !== d);
    if (cumulative) return callAten(g, 'zeros_like', { self: y });
    return callAten(g, 'zeros', { size: shape, dtype: { dtype: y.dtype } });
  }
  if (x) {
    const dx = spacing(g, op, y, x, d);
    const sum = atenTensor(g, 'add.Tensor', { self: slice(g, y, d, 0, -1, 1, op), other: slice(g, y, d, 1, null, 1, op), alpha: 1 });
    const prod = atenTensor(g, 'mul.Tensor', { self: sum, other: dx });
    const total = cumulative ? atenTensor(g, 'cumsum', { self: prod, dim: d }) : atenTensor(g, 'sum.dim_IntList', { self: prod, dim: [d], keepdim: false });
    return callAten(g, 'div.Scalar', { self: total, other: 2 });
  }
  const dx = typeof a.dx === 'number' ? a.dx : 1;
  if (cumulative) {
    const sum = atenTensor(g, 'add.Tensor', { self: slice(g, y, d, 0, -1, 1, op), other: slice(g, y, d, 1, null, 1, op), alpha: 1 });
    return callAten(g, 'cumsum', { self: atenTensor(g, 'mul.Scalar', { self: sum, other: dx / 2 }), dim: d });
  }
  const ends = atenTensor(g, 'mul.Scalar', { self: atenTensor(g, 'add.Tensor', { self: select(g, y, d, -1), other: select(g, y, d, 0), alpha: 1 }), other: 0.5 });
  const total = atenTensor(g, 'sum.dim_IntList', { self: y, dim: [d], keepdim: false });
  return callAten(g, 'mul.Scalar', { self: atenTensor(g, 'sub.Tensor', { self: total, other: ends, alpha: 1 }), other: dx });
}

// ── gradient ─────────────────────────────────────────────────────────────────

/** One dimension of `torch.gradient` with uniform spacing `h`: central differences, one-sided at the edges. */
function gradientAlong(g: Graph, t: Tensor, d: number, h: number, edgeOrder: number): Tensor {
  const sl = (s: number | null, e: number | null) => slice(g, t, d, s, e, 1, 'gradient');
  const sub = (x: Tensor, y: Tensor) => atenTensor(g, 'sub.Tensor', { self: x, other: y, alpha: 1 });
  const add = (x: Tensor, y: Tensor) => atenTensor(g, 'add.Tensor', { self: x, other: y, alpha: 1 });
  const scale = (x: Tensor, s: number) => atenTensor(g, 'mul.Scalar', { self: x, other: s });
  const div = (x: Tensor, s: number) => atenTensor(g, 'div.Scalar', { self: x, other: s });
  const center = div(sub(sl(2, null), sl(0, -2)), h);
  let first: Tensor;
  let last: Tensor;
  if (edgeOrder === 1) {
    first = div(sub(sl(1, 2), sl(0, 1)), h);
    last = div(sub(sl(-1, null), sl(-2, -1)), h);
  } else {
    const a2 = scale(sl(2, 3), 0.5);
    const a1 = scale(sl(1, 2), 2);
    first = div(sub(add(scale(sl(0, 1), -1.5), a1), a2), h);
    const b2 = scale(sl(-1, null), 1.5);
    const b1 = scale(sl(-2, -1), 2);
    last = div(add(sub(scale(sl(-3, -2), 0.5), b1), b2), h);
  }
  return cat(g, [first, div(center, 2), last], d);
}

/**
 * `torch.gradient(input, spacing, dim, edge_order)` with uniform spacing (a number, or one per
 * dim): a tuple with one tensor per dim. Coordinate tensors as spacing are not modelled.
 */
export function gradient(g: Graph, a: KernelArgs): KResult {
  const t = tensorArg('gradient', a, 'self');
  const edgeOrder = intArg('gradient', a, 'edge_order', 1);
  if (edgeOrder !== 1 && edgeOrder !== 2) throw new KernelError('gradient', 'torch.gradient only supports edge_order=1 and edge_order=2.');
  const dimArg = a.dim;
  const dims = dimArg === null || dimArg === undefined ? t.shape.map((_, i) => i) : (typeof dimArg === 'number' ? [dimArg] : (dimArg as number[])).map((d) => normDim('gradient', d, t.shape.length));
  const sp = a.spacing;
  let hs: number[];
  if (sp === null || sp === undefined) hs = dims.map(() => 1);
  else if (typeof sp === 'number') hs = dims.map(() => sp);
  else if (Array.isArray(sp) && sp.every((v) => typeof v === 'number')) {
    if (sp.length !== dims.length) throw new KernelError('gradient', `torch.gradient expected spacing to be unspecified, a scalar or it's spacing and dim arguments to have the same length, but got a spacing argument of length ${sp.length} and a dim argument of length ${dims.length}.`);
    hs = sp as number[];
  } else throw new KernelError('gradient', 'spacing given as coordinate tensors is not modelled');
  for (const d of dims) if (t.shape[d] < edgeOrder + 1) throw new KernelError('gradient', `torch.gradient expected each dimension size to be at least edge_order+1`);
  return dims.map((d, i) => gradientAlong(g, t, d, hs[i], edgeOrder));
}

// ── vander, combinations ─────────────────────────────────────────────────────

/**
 * `vander(x, N, increasing)`: an `empty` [n, N] result; column 0 filled with 1, the rest `copy_` of
 * x then `cumprod` along dim 1 (which keeps its input — a view of the result — and its output),
 * copied back; flipped unless increasing. Integral x gives int64.
 */
export function vander(g: Graph, a: KernelArgs): KResult {
  const x = tensorArg('vander', a, 'x');
  if (x.shape.length !== 1) throw new KernelError('vander', 'x must be a one-dimensional tensor.');
  const n = typeof a.N === 'number' ? a.N : x.shape[0];
  if (n < 0) throw new KernelError('vander', 'N must be non-negative.');
  const dtype = promoteTypes(x.dtype, 'int64');
  let result = factory(g, 'empty', [x.shape[0], n], dtype, {});
  if (n > 0) {
    atenInplace(g, 'fill_.Scalar', { self: select(g, result, 1, 0), value: 1 });
    if (n > 1) {
      const written = atenInplace(g, 'copy_', { self: slice(g, result, 1, 1, null, 1), src: atenTensor(g, 'unsqueeze', { self: x, dim: 1 }), non_blocking: false });
      if (written.requiresGrad) result = { ...result, requiresGrad: true };
      const powers = atenTensor(g, 'cumprod', { self: slice(g, result, 1, 1, null, 1), dim: 1 });
      atenInplace(g, 'copy_', { self: slice(g, result, 1, 1, null, 1), src: powers, non_blocking: false });
    }
  }
  return a.increasing === true ? result : callAten(g, 'flip', { self: result, dims: [1] });
}

const choose = (n: number, k: number): number => {
  let r = 1;
  for (let i = 1; i <= k; i++) r = (r * (n - k + i)) / i;
  return Math.round(r);
};

/**
 * `combinations(input, r, with_replacement)`: the r-subsets of a vector's elements, `[count, r]`.
 * ATen builds an index grid (`arange`, views), a triangular bool mask (`full`, `lt`/`le`, `mul_`);
 * up to 2.13 it `masked_select`s each `meshgrid` view of the input (keeping the input and the mask)
 * and `stack`s them; from 2.14 it gathers `input[nonzero_static(mask)]` (keeping the indices).
 */
export function combinations(g: Graph, a: KernelArgs): KResult {
  const x = tensorArg('combinations', a, 'self');
  const r = intArg('combinations', a, 'r', 2);
  const repl = a.with_replacement === true;
  if (x.shape.length !== 1) throw new KernelError('combinations', `Expect a 1D vector, but got shape ${showShape(x.shape)}`);
  if (r < 0) throw new KernelError('combinations', `Expect a non-negative number, but got ${r}`);
  if (r === 0) return factory(g, 'empty', [0], x.dtype, {});
  const n = x.shape[0];
  const count = repl ? choose(n + r - 1, r) : choose(n, r);
  const grid = Array.from({ length: r }, () => n);
  const meshgrid = (t: Tensor) => Array.from({ length: r }, (_, i) => expand(g, view(g, t, grid.map((_, j) => (j === i ? -1 : 1))), grid));
  const newer = g.ctx.torch[0] > 2 || (g.ctx.torch[0] === 2 && g.ctx.torch[1] >= 14);
  const grids = newer ? [] : meshgrid(x);
  const index = factory(g, 'arange', [n], 'int64', {});
  const indexGrids = meshgrid(index);
  let mask = callAten(g, 'full', { size: grid, fill_value: true, dtype: { dtype: 'bool' } }) as Tensor;
  for (let i = 0; i + 1 < r; i++) {
    const cmp = atenTensor(g, repl ? 'le.Tensor' : 'lt.Tensor', { self: indexGrids[i], other: indexGrids[i + 1] });
    mask = atenInplace(g, 'mul_.Tensor', { self: mask, other: cmp });
  }
  if (newer) {
    const nz = atenOp(g, 'nonzero_static', { self: mask, size: count, fill_value: -1 }, [{ shape: [count, r], dtype: 'int64' }])[0];
    return advancedIndex(g, x, [nz]);
  }
  const picked = grids.map((t) => atenOp(g, 'masked_select', { self: t, mask }, [{ shape: [count], dtype: x.dtype }])[0]);
  return stack(g, picked, 1);
}

/** `msort(self)` = `sort(self, dim=0)` values (sort keeps its indices). */
export function msort(g: Graph, a: KernelArgs): KResult {
  const r = callAten(g, 'sort', { self: tensorArg('msort', a, 'self'), dim: 0, descending: false });
  return (r as Tensor[])[0];
}

/**
 * `sum_to_size(size)`: `sum(dims, keepdim=True)` over the leading dims and the dims `size` has as
 * 1, then a view dropping the leading ones; self itself when nothing is summed.
 */
export function sumToSize(g: Graph, a: KernelArgs): KResult {
  const t = tensorArg('sum_to_size', a, 'self');
  const size = a.size;
  if (!Array.isArray(size) || !size.every((s) => typeof s === 'number')) throw new KernelError('sum_to_size', 'size must be a sequence of ints');
  const target = size as number[];
  const lead = t.shape.length - target.length;
  if (lead < 0 || target.some((s, i) => s !== t.shape[lead + i] && s !== 1)) throw new KernelError('sum_to_size', `size {${target.join(', ')}} is not expandable to size {${t.shape.join(', ')}}.`);
  if (target.length === 0) return callAten(g, 'sum', { self: t });
  const dims = [...Array.from({ length: lead }, (_, i) => i), ...target.map((s, i) => (s === 1 && t.shape[lead + i] !== 1 ? lead + i : -1)).filter((d) => d >= 0)];
  const summed = dims.length ? atenTensor(g, 'sum.dim_IntList', { self: t, dim: dims, keepdim: true }) : t;
  return lead > 0 ? view(g, summed, target) : summed;
}

// ── random draws ─────────────────────────────────────────────────────────────

/**
 * `bernoulli(self)` / `bernoulli(self, p)`, `poisson(self)`: a new tensor of self's shape; nothing
 * kept. 1.13 runs `bernoulli(self, p)` as `empty_like` + `bernoulli_` (no grad); 2.x as its own op.
 */
export function randomLike(g: Graph, a: KernelArgs, call: OpCall): KResult {
  const overload = overloadOf(call);
  const op = atenBase(overload);
  const t = tensorArg(op, a, 'self');
  if (op === 'bernoulli' && typeof a.p === 'number' && g.ctx.torch[0] < 2) {
    const e = callAten(g, 'empty_like', { self: t }) as Tensor;
    return atenInplace(g, 'bernoulli_.float', { self: e, p: a.p });
  }
  return atenOp(g, overload, a, [{ shape: t.shape, dtype: t.dtype }], { flops: numel(t.shape) })[0];
}

/** `multinomial(self, num_samples, replacement)`: int64 draws per row of probabilities. */
export function multinomial(g: Graph, a: KernelArgs): KResult {
  const t = tensorArg('multinomial', a, 'self');
  const k = intArg('multinomial', a, 'num_samples');
  if (t.shape.length < 1 || t.shape.length > 2) throw new KernelError('multinomial', 'prob_dist must be 1 or 2 dim');
  if (k <= 0) throw new KernelError('multinomial', 'cannot sample n_sample <= 0 samples');
  const cats = t.shape[t.shape.length - 1];
  if (a.replacement !== true && k > cats) throw new KernelError('multinomial', 'cannot sample n_sample > prob_dist.size(-1) samples without replacement');
  return atenOp(g, 'multinomial', a, [{ shape: [...t.shape.slice(0, -1), k], dtype: 'int64' }])[0];
}

/** `normal(mean, std)`: the (broadcast) shape of the tensor operands, or `size` for two numbers. */
export function normal(g: Graph, a: KernelArgs, call: OpCall): KResult {
  const overload = overloadOf(call);
  const mean = isTensor(a.mean) ? a.mean : null;
  const std = isTensor(a.std) ? a.std : null;
  if (!mean && !std) {
    const size = a.size;
    if (!Array.isArray(size)) throw new KernelError('normal', 'normal(mean, std, size) needs a size');
    return factory(g, 'normal', size as number[], dtypeOf(a.dtype) ?? g.ctx.defaultFloat ?? 'float32', a);
  }
  const shape = mean && std ? broadcastShapes('normal', mean.shape, std.shape) : (mean ?? std)!.shape;
  const dtype = (mean ?? std)!.dtype;
  if (!isFloating(dtype)) throw new KernelError('normal', `normal expects floating-point mean and std, got ${dtype}`);
  return atenOp(g, overload, a, [{ shape, dtype }], { flops: numel(shape) })[0];
}

/** `randperm(n)`: a permutation of 0..n-1, int64 unless told otherwise. */
export function randperm(g: Graph, a: KernelArgs): KResult {
  const n = intArg('randperm', a, 'n');
  if (n < 0) throw new KernelError('randperm', `n must be non-negative, got${n}`);
  return factory(g, 'randperm', [n], dtypeOf(a.dtype) ?? 'int64', a);
}

/** `fill(self, value)`: a new tensor of self's shape holding value; nothing kept. */
export function fill(g: Graph, a: KernelArgs, call: OpCall): KResult {
  const t = tensorArg('fill', a, 'self');
  const v = a.value;
  if (isTensor(v) && v.shape.length !== 0) throw new KernelError('fill', `fill only supports 0-dimension value tensor but got tensor with ${v.shape.length} dimensions.`);
  const out = atenOp(g, overloadOf(call), a, [{ shape: t.shape, dtype: t.dtype }], { flops: numel(t.shape) })[0];
  const x = typeof v === 'boolean' ? Number(v) : typeof v === 'number' ? v : isTensor(v) && v.values ? v.values[0] : undefined;
  return x === undefined || numel(t.shape) > 1 << 16 ? out : { ...out, values: new Array<number>(numel(t.shape)).fill(x) };
}
