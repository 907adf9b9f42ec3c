// Statistics and small vector ops over tensors: cov/corrcoef, nanmean, histograms, running
// max/min, cross products, distances, renormalization, segment reductions, and the special
// functions that are compositions. The composites run the ops PyTorch's C++ runs for them (read
// from the 1.13 source and a dispatch trace of 1.13, 2.13 and 2.14), so what they save follows.
import { KernelArgs, intArg, optTensorArg, tensorArg, tensorListArg } from './args';
import { atenInplace, atenOp } from './autograd';
import { atenBase } from './catalog';
import { atenTensor, callAten } from './dispatch';
import { factory } from './factories';
import { broadcastShapes, normDim } from './shape';
import { narrow } from './indexing';
import { transpose, unsqueeze } from './shapeops';
import { Graph, KernelError, KResult, OpCall, Tensor, isComplex, isFloating, numel, realDtype } from './types';

/**
 * `cov(self, correction, fweights, aweights)`: observations along dim 1 (a 1-D input viewed as
 * one row); weights w = fweights·aweights (each checked with `min`, which keeps its input when
 * it needs grad); avg = sum(x·w, 1) / sum(w) (or / n as an int64 scalar tensor); the norm factor
 * `w_sum - correction` (`w_sum - correction·sum(w·aweights)/w_sum` with aweights; 2.x uses w_sum
 * itself when correction is 0, and without weights makes `n - correction` a scalar tensor; 1.13
 * always subtracts); then `mm(x - avg, (x·w).t()) / factor`, squeezed.
 */
function cov(g: Graph, a: KernelArgs): KResult {
  const x0 = tensorArg('cov', a, 'self');
  if (x0.shape.length > 2) throw new KernelError('cov', `expected input to have two or fewer dimensions but got an input with ${x0.shape.length} dimensions`);
  const correction = typeof a.correction === 'number' ? a.correction : 1;
  const fw = optTensorArg('cov', a, 'fweights');
  const aw = optTensorArg('cov', a, 'aweights');
  let x = x0.shape.length < 2 ? atenTensor(g, 'view', { self: x0, size: [1, -1] }) : x0;
  const n = x.shape[1];
  let w: Tensor | null = null;
  for (const [name, t] of [['fweights', fw], ['aweights', aw]] as const) {
    if (!t) continue;
    if (t.shape.length > 1) throw new KernelError('cov', `expected ${name} to have one or fewer dimensions but got ${name} with ${t.shape.length} dimensions`);
    if (numel(t.shape) !== n) throw new KernelError('cov', `expected ${name} to have the same numel as there are observations in the input but got ${numel(t.shape)} != ${n}`);
    if (name === 'fweights' && (isFloating(t.dtype) || isComplex(t.dtype))) throw new KernelError('cov', `expected fweights to have integral dtype but got fweights with ${t.dtype} dtype`);
    if (name === 'aweights' && !isFloating(t.dtype)) throw new KernelError('cov', `expected aweights to have floating point dtype but got aweights with ${t.dtype} dtype`);
    callAten(g, 'min', { self: t });
    w = w ? atenTensor(g, 'mul.Tensor', { self: w, other: t }) : t;
  }
  const wSum = w ? atenTensor(g, 'sum', { self: w, dtype: null }) : factory(g, 'scalar_tensor', [], 'int64', {}, [n]);
  const weighted = (t: Tensor) => (w ? atenTensor(g, 'mul.Tensor', { self: t, other: w }) : t);
  const avg = atenTensor(g, 'div.Tensor', { self: atenTensor(g, 'sum.dim_IntList', { self: weighted(x), dim: [1], keepdim: false, dtype: null }), other: wSum });
  let factor: Tensor;
  if (w && aw && correction !== 0) {
    const s = atenTensor(g, 'sum', { self: atenTensor(g, 'mul.Tensor', { self: w, other: aw }), dtype: null });
    factor = atenTensor(g, 'sub.Tensor', { self: wSum, other: atenTensor(g, 'div.Tensor', { self: atenTensor(g, 'mul.Scalar', { self: s, other: correction }), other: wSum }), alpha: 1 });
  } else if (w && correction === 0 && g.ctx.torch[0] >= 2) {
    factor = wSum;
  } else if (w || g.ctx.torch[0] < 2) {
    factor = atenTensor(g, 'sub.Scalar', { self: wSum, other: correction, alpha: 1 });
  } else {
    factor = factory(g, 'scalar_tensor', [], 'int64', {}, [n - correction]);
  }
  x = atenTensor(g, 'sub.Tensor', { self: x, other: unsqueeze(g, avg, 1), alpha: 1 });
  if (isComplex(x.dtype)) throw new KernelError('cov', 'complex inputs (conjugated in the product) are not modelled');
  const c = atenTensor(g, 'mm', { self: x, mat2: transpose(g, weighted(x), 0, 1) });
  return callAten(g, 'squeeze', { self: atenTensor(g, 'div.Tensor', { self: c, other: factor }) });
}

/**
 * `corrcoef(self)`: `cov`, then (a 0-dim covariance: c / c) the diagonal's square roots divide
 * rows and columns, clipped to [-1, 1]. 1.13 takes the diagonal with `diag` (a copy), 2.x with
 * `diagonal` (a view).
 */
function corrcoef(g: Graph, a: KernelArgs): KResult {
  const c0 = cov(g, { self: tensorArg('corrcoef', a, 'self') }) as Tensor;
  if (c0.shape.length === 0) return callAten(g, 'div.Tensor', { self: c0, other: c0 });
  const d = g.ctx.torch[0] >= 2 ? atenTensor(g, 'diagonal', { self: c0, offset: 0, dim1: 0, dim2: 1 }) : atenTensor(g, 'diag', { self: c0, diagonal: 0 });
  const sd = atenTensor(g, 'sqrt', { self: d });
  let c = atenTensor(g, 'div.Tensor', { self: c0, other: atenTensor(g, 'view', { self: sd, size: [-1, 1] }) });
  c = atenTensor(g, 'div.Tensor', { self: c, other: atenTensor(g, 'view', { self: sd, size: [1, -1] }) });
  return callAten(g, 'clamp', { self: c, min: -1, max: 1 });
}

/**
 * `nanmean(self, dim, keepdim, dtype)`: the count of non-NaN elements (`isnan` of a detached
 * input, `logical_not_`, `sum`), then `nansum(...) / count` — which keeps the int64 count.
 */
function nanmean(g: Graph, a: KernelArgs): KResult {
  const x = tensorArg('nanmean', a, 'self');
  if (!isFloating(x.dtype) && !isComplex(x.dtype)) throw new KernelError('nanmean', `nanmean(): expected input to have floating point or complex dtype but got ${x.dtype}`);
  const keepdim = a.keepdim === true;
  const dim = a.dim ?? null;
  const detached = { ...g.view(x, x.shape, x.strides, x.offset), requiresGrad: false };
  const notNan = atenTensor(g, 'logical_not_', { self: atenTensor(g, 'isnan', { self: detached }) });
  const count = atenTensor(g, 'sum.dim_IntList', { self: notNan, dim, keepdim, dtype: null });
  const total = atenTensor(g, 'nansum', { self: x, dim, keepdim, dtype: a.dtype ?? null });
  return callAten(g, 'div.Tensor', { self: total, other: count });
}

/** `histc(self, bins, min, max)`: [bins] of the input's dtype; not differentiable (output_differentiability False). */
function histc(g: Graph, a: KernelArgs): KResult {
  const x = tensorArg('histc', a, 'self');
  const bins = intArg('histc', a, 'bins', 100);
  if (bins <= 0) throw new KernelError('histc', 'bins must be > 0');
  if (!isFloating(x.dtype)) throw new KernelError('histc', `"histogram_cpu" not implemented for '${x.dtype}'`);
  return atenOp(g, 'histc', { self: x, bins, min: a.min ?? 0, max: a.max ?? 0 }, [{ shape: [bins], dtype: x.dtype }], { flops: numel(x.shape) })[0];
}

/**
 * `histogramdd(self, bins, range, weight, density)`: D = self.size(-1) coordinates; with counts,
 * `_histogramdd_bin_edges` makes D edge tensors [b_i + 1] and `_histogramdd_from_bin_cts` the
 * histogram [b_0, …]; with edge tensors, `_histogramdd_from_bin_tensors`. No derivative (the
 * histogram still requires grad when the input does, as measured).
 */
function histogramdd(g: Graph, a: KernelArgs, call: OpCall): KResult {
  const x = tensorArg('histogramdd', a, 'self');
  if (x.shape.length < 2 && x.shape.length !== 1) throw new KernelError('histogramdd', 'input should have at least 2 dimensions');
  const D = x.shape[x.shape.length - 1];
  const args = { self: x, range: a.range ?? null, weight: a.weight ?? null, density: a.density ?? false };
  if ((call.aten ?? call.name) === 'histogramdd.TensorList_bins') {
    const edges = tensorListArg('histogramdd', a, 'bins');
    if (edges.length !== D) throw new KernelError('histogramdd', `expected ${D} sequences of bin edges for each of the ${D} dimensions of the input, but got ${edges.length}`);
    const hist = atenOp(g, '_histogramdd_from_bin_tensors', { ...args, bins: edges }, [{ shape: edges.map((e) => e.shape[0] - 1), dtype: x.dtype }])[0];
    return [hist, edges];
  }
  const counts = typeof a.bins === 'number' ? new Array<number>(D).fill(a.bins) : (a.bins as number[]);
  if (!Array.isArray(counts) || counts.length !== D) throw new KernelError('histogramdd', `expected ${D} bin counts, got ${JSON.stringify(a.bins)}`);
  const edges = atenOp(g, '_histogramdd_bin_edges', { ...args, bins: counts }, counts.map((b) => ({ shape: [b + 1], dtype: x.dtype, differentiable: false })));
  const hist = atenOp(g, '_histogramdd_from_bin_cts', { ...args, bins: counts }, [{ shape: counts, dtype: x.dtype }])[0];
  return [hist, edges];
}

/** `histogram(self, bins, …)`: hist [bins] and bin_edges [bins + 1] (or the given edges' length - 1), not differentiable. */
function histogram(g: Graph, a: KernelArgs, call: OpCall): KResult {
  const x = tensorArg('histogram', a, 'self');
  const overload = call.aten ?? call.name;
  const edges = overload === 'histogram.bins_tensor' ? tensorArg('histogram', a, 'bins') : null;
  const bins = edges ? edges.shape[0] - 1 : intArg('histogram', a, 'bins', 100);
  return atenOp(g, overload, a, [{ shape: [bins], dtype: x.dtype, differentiable: false }, { shape: [bins + 1], dtype: x.dtype, differentiable: false }]);
}

/** `cummax(self, dim)` / `cummin`: values and int64 indices of self's shape; keeps self and the indices. */
function cumExtreme(g: Graph, a: KernelArgs, call: OpCall): KResult {
  const overload = call.aten ?? call.name;
  const base = atenBase(overload);
  const x = tensorArg(base, a, 'self');
  const dim = normDim(base, intArg(base, a, 'dim'), Math.max(1, x.shape.length));
  return atenOp(g, base, { self: x, dim }, [{ shape: x.shape, dtype: x.dtype }, { shape: x.shape, dtype: 'int64' }], { flops: numel(x.shape) });
}

/** `linalg_cross(self, other, dim)`: inputs of one rank with size 3 at dim, broadcast; each kept when the other needs grad. */
function linalgCross(g: Graph, a: KernelArgs): KResult {
  const x = tensorArg('linalg.cross', a, 'self');
  const y = tensorArg('linalg.cross', a, 'other');
  if (x.shape.length !== y.shape.length) throw new KernelError('linalg.cross', 'inputs must have the same number of dimensions.');
  const dim = normDim('linalg.cross', intArg('linalg.cross', a, 'dim', -1), x.shape.length);
  if (x.shape[dim] !== 3 || y.shape[dim] !== 3) throw new KernelError('linalg.cross', `inputs dimension ${dim} must have length 3. Got ${x.shape[dim]} and ${y.shape[dim]}`);
  const shape = broadcastShapes('linalg.cross', x.shape, y.shape);
  return atenOp(g, 'linalg_cross', { self: x, other: y, dim }, [{ shape, dtype: x.dtype }], { flops: 3 * numel(shape) })[0];
}

/** `cross(self, other, dim=None)` = `linalg_cross` along dim, by default the first dim of size 3. */
function cross(g: Graph, a: KernelArgs): KResult {
  const x = tensorArg('cross', a, 'self');
  let dim = a.dim;
  if (dim === undefined || dim === null) {
    const i = x.shape.indexOf(3);
    if (i < 0) throw new KernelError('cross', 'no dimension of size 3 in input');
    dim = i;
  }
  return linalgCross(g, { self: x, other: a.other, dim });
}

/** `dist(self, other, p)`: the p-norm of the broadcast difference, 0-dim; keeps both inputs and the result. */
function dist(g: Graph, a: KernelArgs): KResult {
  const x = tensorArg('dist', a, 'self');
  const y = tensorArg('dist', a, 'other');
  const shape = broadcastShapes('dist', x.shape, y.shape);
  return atenOp(g, 'dist', { self: x, other: y, p: a.p ?? 2 }, [{ shape: [], dtype: realDtype(x.dtype) }], { flops: 3 * numel(shape) })[0];
}

/** `renorm(self, p, dim, maxnorm)` (and `renorm_`, which keeps a copy of the original self): self's shape; keeps self. */
function renorm(g: Graph, a: KernelArgs, call: OpCall): KResult {
  const overload = call.aten ?? call.name;
  const x = tensorArg('renorm', a, 'self');
  normDim('renorm', intArg('renorm', a, 'dim'), x.shape.length);
  if (typeof a.maxnorm === 'number' && a.maxnorm < 0) throw new KernelError('renorm', `renorm: expected maxnorm to be >= 0 but got ${a.maxnorm}`);
  if (typeof a.p === 'number' && a.p <= 0) throw new KernelError('renorm', `renorm: non-positive-norm not supported`);
  if (atenBase(overload).endsWith('_')) return atenInplace(g, overload, a, 3 * numel(x.shape));
  return atenOp(g, overload, a, [{ shape: x.shape, dtype: x.dtype }], { flops: 3 * numel(x.shape) })[0];
}

/**
 * `segment_reduce(data, reduce, lengths|offsets, axis)`: data's shape with the axis holding one
 * entry per segment (lengths' size there, or offsets' minus one); keeps data, the lengths or
 * offsets, and the result.
 */
function segmentReduce(g: Graph, a: KernelArgs): KResult {
  const data = tensorArg('segment_reduce', a, 'data');
  const axis = normDim('segment_reduce', intArg('segment_reduce', a, 'axis', 0), data.shape.length);
  const lengths = optTensorArg('segment_reduce', a, 'lengths');
  const offsets = optTensorArg('segment_reduce', a, 'offsets');
  if (!lengths && !offsets) throw new KernelError('segment_reduce', 'Either lengths or offsets must be defined');
  if (!['sum', 'mean', 'max', 'min', 'prod'].includes(String(a.reduce))) throw new KernelError('segment_reduce', `unsupported reduction ${String(a.reduce)}`);
  const seg = lengths ? lengths.shape[lengths.shape.length === 1 ? 0 : axis] : offsets!.shape[offsets!.shape.length === 1 ? 0 : axis] - 1;
  const shape = [...data.shape];
  shape[axis] = seg;
  return atenOp(g, 'segment_reduce', a, [{ shape, dtype: data.dtype }], { flops: numel(data.shape) })[0];
}

/** `special_ndtr(self)` = (1 + erf(x·√½))·½: `mul.Scalar`, `erf` (keeps its input), `add.Scalar`, `mul.Scalar`. */
function ndtr(g: Graph, a: KernelArgs): KResult {
  const x = tensorArg('special_ndtr', a, 'self');
  const e = atenTensor(g, 'erf', { self: atenTensor(g, 'mul.Scalar', { self: x, other: Math.SQRT1_2 }) });
  return callAten(g, 'mul.Scalar', { self: atenTensor(g, 'add.Scalar', { self: e, other: 1, alpha: 1 }), other: 0.5 });
}

/**
 * `quantile(self, q, dim, keepdim, interpolation)` / `nanquantile` (q a tensor, or a float made a
 * 0-dim tensor of self's dtype): the values along `dim` (all, flattened, when None; other dims
 * moved last by unsqueeze + transpose) viewed as [reduced..., n], sorted; ranks q·(n-1) (for
 * nanquantile q·(count of non-NaN - 1), floored at 0; a NaN row ranks last), adjusted by the
 * interpolation, gathered below (and above, then `lerp_` with the fractional weights, for
 * linear/midpoint). 2.x computes the ranks in float64 before sorting and casts the weights to
 * self's dtype; 1.13 sorts first and ranks in self's dtype; 2.14 skips the sort when a row is
 * long enough (n >= m² for the m ranks looked up per row; measured with the profiler and the
 * autograd graph — a dispatch trace always takes the sorting path). A 1-D q leads the result's dims
 * (moved there in place, so the result is strided).
 */
function quantile(g: Graph, a: KernelArgs, call: OpCall): KResult {
  const overload = call.aten ?? call.name;
  const op = atenBase(overload);
  const ignoreNan = op === 'nanquantile';
  const x = tensorArg(op, a, 'self');
  if (!isFloating(x.dtype) || (x.dtype !== 'float32' && x.dtype !== 'float64')) throw new KernelError(op, `quantile() input tensor must be either float or double dtype`);
  const q = overload.endsWith('.scalar') ? factory(g, 'scalar_tensor', [], x.dtype, {}, typeof a.q === 'number' ? [a.q] : undefined) : tensorArg(op, a, 'q');
  if (q.shape.length > 1) throw new KernelError(op, 'quantile() q must be a scalar or 1D tensor');
  if (q.dtype !== x.dtype) throw new KernelError(op, 'quantile() q tensor must be same dtype as the input tensor');
  const interpolation = typeof a.interpolation === 'string' ? a.interpolation : 'linear';
  if (!['linear', 'lower', 'higher', 'nearest', 'midpoint'].includes(interpolation)) throw new KernelError(op, `quantile() interpolation must be one of linear, lower, higher, midpoint or nearest. Got ${interpolation}`);
  const keepdim = a.keepdim === true;
  const hasDim = typeof a.dim === 'number';
  const rank = x.shape.length;
  const dim = hasDim ? normDim(op, a.dim as number, Math.max(rank, 1)) : 0;
  if (numel(x.shape) === 0) throw new KernelError(op, 'quantile() input tensor must be non-empty');
  // Output and working shapes.
  let reduced: number[];
  if (hasDim && rank > 0) reduced = keepdim ? x.shape.map((s, i) => (i === dim ? 1 : s)) : x.shape.filter((_, i) => i !== dim);
  else reduced = keepdim ? new Array<number>(rank).fill(1) : [];
  const k = q.shape.length === 0 ? 1 : q.shape[0];
  const n = hasDim && rank > 0 ? x.shape[dim] : numel(x.shape);
  const inShape = [...reduced, n];
  // The values to sort, viewed as [reduced..., n].
  let values: Tensor;
  if (!hasDim) values = atenTensor(g, 'reshape', { self: x, shape: [-1] });
  else if (rank === 0 || dim === rank - 1) values = x;
  else values = transpose(g, unsqueeze(g, x, -1), dim, -1);
  const sortedOf = (t: Tensor) => (callAten(g, 'sort', { self: t, dim: -1, descending: false }) as Tensor[])[0];
  const v2 = g.ctx.torch[0] >= 2;
  let sorted: Tensor | null = v2 ? null : atenTensor(g, 'view', { self: sortedOf(values), size: inShape });
  const view = v2 ? atenTensor(g, 'view', { self: values, size: inShape }) : sorted!;
  // Ranks in [0, n): float64 in 2.x, self's dtype in 1.13.
  const qr = v2 ? atenTensor(g, '_to_copy', { self: q, dtype: { dtype: 'float64' } }) : q;
  let ranks: Tensor;
  if (ignoreNan) {
    const count = atenTensor(g, 'sum.dim_IntList', { self: atenTensor(g, 'logical_not_', { self: atenTensor(g, 'isnan', { self: view }) }), dim: [-1], keepdim: true, dtype: null });
    ranks = atenTensor(g, 'mul.Tensor', { self: qr, other: atenTensor(g, 'sub.Scalar', { self: count, other: 1, alpha: 1 }) });
    ranks = atenTensor(g, 'masked_fill_.Scalar', { self: ranks, mask: atenTensor(g, 'lt.Scalar', { self: ranks, other: 0 }), value: 0 });
  } else {
    const scaled = atenTensor(g, 'mul.Scalar', { self: qr, other: n - 1 });
    const nan = atenTensor(g, 'any.dim', { self: atenTensor(g, 'isnan', { self: view }), dim: -1, keepdim: true });
    const [r, m] = callAten(g, 'broadcast_tensors', { tensors: [scaled, nan] }) as Tensor[];
    ranks = atenTensor(g, 'masked_fill.Scalar', { self: r, mask: m, value: n - 1 });
  }
  if (interpolation === 'lower') ranks = atenTensor(g, 'floor_', { self: ranks });
  else if (interpolation === 'higher') ranks = atenTensor(g, 'ceil_', { self: ranks });
  else if (interpolation === 'nearest') ranks = atenTensor(g, 'round_', { self: ranks });
  const long = (t: Tensor) => atenTensor(g, '_to_copy', { self: t, dtype: { dtype: 'int64' } });
  let below = long(ranks);
  const interpolate = interpolation === 'linear' || interpolation === 'midpoint';
  let weights: Tensor | null = null;
  let above: Tensor | null = null;
  if (interpolate && v2) {
    weights = interpolation === 'midpoint' ? factory(g, 'full_like', ranks.shape, x.dtype, {}, new Array<number>(numel(ranks.shape)).fill(0.5)) : atenTensor(g, '_to_copy', { self: atenTensor(g, 'sub.Tensor', { self: ranks, other: below, alpha: 1 }), dtype: { dtype: x.dtype } });
    above = long(atenTensor(g, 'ceil_', { self: ranks }));
  }
  // 2.14 selects instead of sorting when n >= m² for the m ranks looked up per row (measured):
  // the ranks (below and above `cat` into one int64 tensor) become indices of the unsorted values
  // in place, gathered from the values themselves.
  const m = k * (interpolate ? 2 : 1);
  if (v2 && g.ctx.torch[1] >= 14 && n >= m * m) {
    if (interpolate) {
      const idx = atenTensor(g, 'cat', { tensors: [below, above!], dim: -1 });
      below = narrow(g, idx, -1, 0, k);
      above = narrow(g, idx, -1, k, k);
    }
    sorted = view;
  }
  sorted ??= sortedOf(view);
  let result = atenTensor(g, 'gather', { self: sorted, dim: -1, index: below, sparse_grad: false });
  if (interpolate) {
    if (!v2) {
      weights = interpolation === 'midpoint' ? factory(g, 'full_like', ranks.shape, ranks.dtype, {}, new Array<number>(numel(ranks.shape)).fill(0.5)) : atenTensor(g, 'sub.Tensor', { self: ranks, other: below, alpha: 1 });
      above = long(atenTensor(g, 'ceil_', { self: ranks }));
    }
    const upper = atenTensor(g, 'gather', { self: sorted, dim: -1, index: above!, sparse_grad: false });
    result = atenTensor(g, 'lerp_.Tensor', { self: result, end: upper, weight: weights! });
  }
  if (q.shape.length === 0) return g.view(result, result.shape.slice(0, -1), result.strides.slice(0, -1), result.offset);
  // unsqueeze_(0).transpose_(0, -1).squeeze_(-1): the q dim first.
  const r = result;
  return g.view(r, [k, ...r.shape.slice(0, -1)], [r.strides[r.strides.length - 1], ...r.strides.slice(0, -1)], r.offset);
}

/** aten rows (schema argument names). */
export const statisticsAten = {
  corrcoef,
  cov,
  cross,
  cumExtreme,
  dist,
  histc,
  histogram,
  histogramdd,
  linalg_cross: linalgCross,
  nanmean,
  quantile,
  renorm,
  segment_reduce: segmentReduce,
  special_ndtr: ndtr,
};

