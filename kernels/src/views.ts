// Views with their own geometry (`diagonal`, `as_strided`, `unfold`), the in-place view ops
// (`t_`, `squeeze_`, `transpose_`: self takes the view's geometry, nothing allocated), the
// `*_copy` forms of view ops (one new contiguous tensor of the view's shape, nothing saved:
// derivatives.yaml keeps sizes only), the diagonal family (`diag`, `diag_embed`, `diagflat`,
// `fill_diagonal_`) and the split/stack compositions (`tensor_split`, `hsplit`, `hstack`,
// `column_stack`, …) as ATen runs them: slices of self, `atleast_Nd` views, then `cat`.
// Measured on 1.13, 2.13 and 2.14 CPU (test/fixtures/ops/probes-*.json).
import { KernelArgs, intArg, intsArg, tensorArg, tensorListArg } from './args';
import { atenInplace, atenOp } from './autograd';
import { atenBase } from './catalog';
import { isTensor, showShape } from './common';
import { atenTensor, callAten } from './dispatch';
import { slice } from './indexing';
import { normDim } from './shape';
import { cat, contiguous, expand, reshape, splitSizes, view } from './shapeops';
import { DTYPE_BYTES, Graph, KernelError, KResult, OpCall, Tensor, numel } from './types';

const overloadOf = (call: OpCall) => call.aten ?? call.name;

function ints(op: string, a: KernelArgs, name: string, dflt?: number | readonly number[]): number[] {
  const v = intsArg(op, a, name, dflt);
  return typeof v === 'number' ? [v] : v;
}

/** The geometry of `diagonal(offset, dim1, dim2)`: both dims dropped, the diagonal appended. */
export function diagonalView(g: Graph, t: Tensor, offset: number, dim1: number, dim2: number, op = 'diagonal'): Tensor {
  const d1 = normDim(op, dim1, t.shape.length);
  const d2 = normDim(op, dim2, t.shape.length);
  if (d1 === d2) throw new KernelError(op, `diagonal dimensions cannot be identical ${dim1}, ${dim2}`);
  const len = Math.max(0, offset >= 0 ? Math.min(t.shape[d1], t.shape[d2] - offset) : Math.min(t.shape[d1] + offset, t.shape[d2]));
  const start = len === 0 ? t.offset : t.offset + (offset >= 0 ? offset * t.strides[d2] : -offset * t.strides[d1]);
  const keep = (_: number, i: number) => i !== d1 && i !== d2;
  return g.view(t, [...t.shape.filter(keep), len], [...t.strides.filter(keep), t.strides[d1] + t.strides[d2]], start);
}

/** `as_strided(size, stride, storage_offset)`: a view anywhere in self's storage, bounds checked. */
export function asStrided(g: Graph, t: Tensor, size: readonly number[], stride: readonly number[], storageOffset: number | null, op = 'as_strided'): Tensor {
  if (size.length !== stride.length) throw new KernelError(op, `mismatch in length of strides and shape`);
  if (size.some((s) => s < 0) || stride.some((s) => s < 0)) throw new KernelError(op, 'sizes and strides must be non-negative');
  const offset = storageOffset ?? t.offset;
  const itemsize = DTYPE_BYTES[t.dtype];
  const needed = numel(size) === 0 ? 0 : (offset + size.reduce((n, s, i) => n + (s - 1) * stride[i], 0) + 1) * itemsize;
  if (needed > t.storage.bytes) {
    throw new KernelError(op, `setStorage: sizes ${showShape(size)}, strides ${showShape(stride)}, storage offset ${offset}, and itemsize ${itemsize} requiring a storage size of ${needed} are out of bounds for storage of size ${t.storage.bytes}`);
  }
  return g.view(t, size, stride, offset);
}

/** `unfold(dimension, size, step)`: windows along a dimension, the window appended; a view. */
export function unfoldView(g: Graph, t: Tensor, dimension: number, size: number, step: number): Tensor {
  if (step <= 0) throw new KernelError('unfold', `step is ${step} but must be > 0`);
  if (t.shape.length === 0) {
    if (size > 1) throw new KernelError('unfold', `maximum size for tensor at dimension 0 is 1 but size is ${size}`);
    return g.view(t, [size], [1], t.offset);
  }
  const d = normDim('unfold', dimension, t.shape.length);
  if (size > t.shape[d]) throw new KernelError('unfold', `maximum size for tensor at dimension ${d} is ${t.shape[d]} but size is ${size}`);
  const shape = [...t.shape, size];
  const strides = [...t.strides, t.strides[d]];
  shape[d] = Math.floor((t.shape[d] - size) / step) + 1;
  strides[d] = t.strides[d] * step;
  return g.view(t, shape, strides, t.offset);
}

/**
 * An in-place view op (`t_`, `transpose_`, `swapaxes_`, `squeeze_`, `unsqueeze_`, `as_strided_`):
 * self takes the functional view's geometry (its storage unchanged, nothing saved); the
 * interpreter rebinds the receiver to it.
 */
export function inplaceView(functional: string) {
  return (g: Graph, a: KernelArgs, call: OpCall): KResult => {
    const overload = overloadOf(call);
    const suffix = overload.slice(atenBase(overload).length);
    return callAten(g, `${functional}${suffix}`, a);
  };
}

/**
 * `X_copy(...)` (`transpose_copy`, `split_copy`, `view_copy`, …): the view `X` computed for its
 * shapes (and errors), then one new contiguous tensor per view; nothing is saved.
 */
export function viewCopy(g: Graph, a: KernelArgs, call: OpCall): KResult {
  const overload = overloadOf(call);
  const base = atenBase(overload);
  if (!base.endsWith('_copy')) throw new KernelError(base, 'not a view copy');
  const self = tensorArg(base, a, 'self');
  const functional = `${base.slice(0, -'_copy'.length)}${overload.slice(base.length)}`;
  const r = functional === 'alias' ? self : callAten(g, functional, a);
  const views = Array.isArray(r) ? r : [r];
  if (!views.every(isTensor)) throw new KernelError(base, 'expected tensor views');
  const outs = atenOp(g, overload, a, (views as Tensor[]).map((v) => ({ shape: v.shape, dtype: v.dtype })), { flops: numel(self.shape) });
  return Array.isArray(r) ? outs : outs[0];
}

/** `narrow_copy(self, dim, start, length)`: a new tensor of the narrowed shape; nothing saved. */
export function narrowCopy(g: Graph, a: KernelArgs): KResult {
  const self = tensorArg('narrow_copy', a, 'self');
  const v = callAten(g, 'narrow', a) as Tensor;
  return atenOp(g, 'narrow_copy', a, [{ shape: v.shape, dtype: self.dtype }])[0];
}

// ── diagonals ────────────────────────────────────────────────────────────────

/** `diag_embed(self, offset, dim1, dim2)`: the last dim laid on a diagonal of a new square pair of dims. */
export function diagEmbed(g: Graph, a: KernelArgs): KResult {
  const self = tensorArg('diag_embed', a, 'self');
  const offset = intArg('diag_embed', a, 'offset', 0);
  const rank = self.shape.length + 1;
  const d1 = normDim('diag_embed', intArg('diag_embed', a, 'dim1', -2), rank);
  const d2 = normDim('diag_embed', intArg('diag_embed', a, 'dim2', -1), rank);
  if (d1 === d2) throw new KernelError('diag_embed', `diagonal dimensions cannot be identical ${d1}, ${d2}`);
  const n = (self.shape[self.shape.length - 1] ?? 1) + Math.abs(offset);
  const shape = self.shape.slice(0, -1);
  for (const d of [Math.min(d1, d2), Math.max(d1, d2)]) shape.splice(d, 0, n);
  return atenOp(g, 'diag_embed', { self, offset, dim1: d1, dim2: d2 }, [{ shape, dtype: self.dtype }])[0];
}

/**
 * `diag(self, diagonal)`: a vector becomes a square matrix, a matrix gives its diagonal (a copy).
 * 1.13 runs its own `diag` op; 2.x runs `diag_embed` or `diagonal_copy`.
 */
export function diag(g: Graph, a: KernelArgs): KResult {
  const self = tensorArg('diag', a, 'self');
  const k = intArg('diag', a, 'diagonal', 0);
  if (self.shape.length !== 1 && self.shape.length !== 2) throw new KernelError('diag', `diag(): Supports 1D or 2D tensors. Got ${self.shape.length}D`);
  if (g.ctx.torch[0] >= 2) return self.shape.length === 1 ? callAten(g, 'diag_embed', { self, offset: k }) : callAten(g, 'diagonal_copy', { self, offset: k });
  const shape = self.shape.length === 1 ? [self.shape[0] + Math.abs(k), self.shape[0] + Math.abs(k)] : diagonalView(g, self, k, 0, 1, 'diag').shape;
  return atenOp(g, 'diag', { self, diagonal: k }, [{ shape, dtype: self.dtype }])[0];
}

/** `diagflat(self, offset)` = `self.contiguous().view(-1).diag(offset)`. */
export function diagflat(g: Graph, a: KernelArgs): KResult {
  const self = tensorArg('diagflat', a, 'self');
  return callAten(g, 'diag', { self: view(g, contiguous(g, self), [-1]), diagonal: intArg('diagflat', a, 'offset', 0) });
}

/**
 * `fill_diagonal_(fill_value, wrap)` (CompositeImplicitAutograd): `fill_` on an `as_strided` view
 * of the main diagonal (and, for a tall matrix with wrap, on one of the wrapped rest).
 */
export function fillDiagonal(g: Graph, a: KernelArgs): KResult {
  const self = tensorArg('fill_diagonal_', a, 'self');
  const n = self.shape.length;
  if (n < 2) throw new KernelError('fill_diagonal_', 'dimensions must larger than 1');
  const [height, width] = self.shape;
  if (n > 2 && self.shape.some((s) => s !== height)) throw new KernelError('fill_diagonal_', 'all dimensions of input must be of equal length');
  const stride = self.strides.reduce((x, y) => x + y, 0);
  const size = Math.min(height, width);
  atenInplace(g, 'fill_.Scalar', { self: asStrided(g, self, [size], [stride], self.offset, 'fill_diagonal_'), value: a.fill_value });
  if (a.wrap === true && n === 2 && height > width + 1) {
    const step = width + 1;
    const wrapSize = Math.floor((numel(self.shape) + step - 1) / step) - size;
    atenInplace(g, 'fill_.Scalar', { self: asStrided(g, self, [wrapSize], [stride], self.offset + self.strides[0] * (width + 1), 'fill_diagonal_'), value: a.fill_value });
  }
  return { ...self, values: undefined };
}

/** `rot90(self, k, dims)`: its own op, a new tensor (the two dims swap sizes for odd k); nothing saved. */
export function rot90(g: Graph, a: KernelArgs): KResult {
  const self = tensorArg('rot90', a, 'self');
  const k = intArg('rot90', a, 'k', 1);
  const dims = ints('rot90', a, 'dims', [0, 1]);
  if (dims.length !== 2) throw new KernelError('rot90', `expected total rotation dims == 2, but got dims = ${dims.length}`);
  if (self.shape.length < 2) throw new KernelError('rot90', `expected total dims >= 2, but got total dims = ${self.shape.length}`);
  const [d0, d1] = dims.map((d) => normDim('rot90', d, self.shape.length));
  if (d0 === d1) throw new KernelError('rot90', `expected rotation dims to be different, but got dim0 = ${d0} and dim1 = ${d1}`);
  const shape = [...self.shape];
  if (((k % 4) + 4) % 2 === 1) [shape[d0], shape[d1]] = [shape[d1], shape[d0]];
  return atenOp(g, 'rot90', { self, k, dims }, [{ shape, dtype: self.dtype }], { flops: numel(shape) })[0];
}

/** `fliplr` = `flip(self, [1])`, `flipud` = `flip(self, [0])`. */
export function flipSide(g: Graph, a: KernelArgs, call: OpCall): KResult {
  const lr = atenBase(overloadOf(call)) === 'fliplr';
  const self = tensorArg(lr ? 'fliplr' : 'flipud', a, 'self');
  if (self.shape.length < (lr ? 2 : 1)) throw new KernelError(lr ? 'fliplr' : 'flipud', `Input must be >= ${lr ? 2 : 1}-d.`);
  return callAten(g, 'flip', { self, dims: [lr ? 1 : 0] });
}

/** `ravel` = `self.contiguous().view(-1)`. */
export function ravel(g: Graph, a: KernelArgs): KResult {
  return view(g, contiguous(g, tensorArg('ravel', a, 'self')), [-1]);
}

/** `broadcast_to(self, size)` = `expand(size)`: a view. */
export function broadcastTo(g: Graph, a: KernelArgs): KResult {
  return expand(g, tensorArg('broadcast_to', a, 'self'), ints('broadcast_to', a, 'size'));
}

// ── splits ───────────────────────────────────────────────────────────────────

/** Slices of `t` along `d` between the given boundaries (Python's clamping); views. */
function sliceAt(g: Graph, t: Tensor, d: number, bounds: readonly number[]): Tensor[] {
  const out: Tensor[] = [];
  let start = 0;
  for (const b of [...bounds, t.shape[d]]) {
    out.push(slice(g, t, d, start, b, 1));
    start = b;
  }
  return out;
}

function tensorSplitOf(g: Graph, op: string, t: Tensor, spec: number | readonly number[], dim: number): Tensor[] {
  if (t.shape.length === 0) throw new KernelError(op, 'torch.tensor_split expected at least a 1-dimensional tensor, but got a tensor with 0 dims');
  const d = normDim(op, dim, t.shape.length);
  if (typeof spec !== 'number') return sliceAt(g, t, d, spec.map((b) => (b < 0 ? b + t.shape[d] : b)));
  if (spec <= 0) throw new KernelError(op, `number of sections must be larger than 0, got ${spec}`);
  const n = t.shape[d];
  const each = Math.floor(n / spec);
  const extra = n % spec;
  const bounds: number[] = [];
  let at = 0;
  for (let i = 0; i < spec - 1; i++) bounds.push((at += each + (i < extra ? 1 : 0)));
  return sliceAt(g, t, d, bounds);
}

/** `tensor_split(self, sections | indices | tensor, dim)`: slices (views), sections of near-equal size. */
export function tensorSplit(g: Graph, a: KernelArgs): KResult {
  const self = tensorArg('tensor_split', a, 'self');
  const dim = intArg('tensor_split', a, 'dim', 0);
  const v = a.sections ?? a.indices ?? a.tensor_indices_or_sections;
  if (isTensor(v)) {
    if (v.dtype !== 'int64') throw new KernelError('tensor_split', `tensor_indices_or_sections must have long dtype, got ${v.dtype}`);
    if (v.shape.length > 1) throw new KernelError('tensor_split', `tensor_indices_or_sections must be a zero-dimensional or one-dimensional tensor, got ${v.shape.length} dims`);
    if (!v.values) throw new KernelError('tensor_split', 'the split points are a tensor of unknown values; not modelled');
    return tensorSplitOf(g, 'tensor_split', self, v.shape.length === 0 ? v.values[0] : v.values, dim);
  }
  if (typeof v === 'number') return tensorSplitOf(g, 'tensor_split', self, v, dim);
  if (Array.isArray(v) && v.every((x) => typeof x === 'number')) return tensorSplitOf(g, 'tensor_split', self, v as number[], dim);
  throw new KernelError('tensor_split', 'expected an int, a sequence of ints or a tensor');
}

/** `hsplit`/`vsplit`/`dsplit`: `tensor_split` along dim 1 (0 for 1-D), 0 or 2; sections must divide. */
export function directionalSplit(g: Graph, a: KernelArgs, call: OpCall): KResult {
  const op = atenBase(overloadOf(call));
  const self = tensorArg(op, a, 'self');
  const need = op === 'hsplit' ? 1 : op === 'vsplit' ? 2 : 3;
  if (self.shape.length < need) throw new KernelError(op, `torch.${op} requires a tensor with at least ${need} dimension, but got a tensor with ${self.shape.length} dimensions!`);
  const d = op === 'hsplit' ? (self.shape.length === 1 ? 0 : 1) : op === 'vsplit' ? 0 : 2;
  const v = a.sections ?? a.indices;
  if (typeof v === 'number') {
    if (v === 0 || self.shape[d] % v !== 0) throw new KernelError(op, `torch.${op} attempted to split along dimension ${d}, but the size of the dimension ${self.shape[d]} is not divisible by the split_size ${v}!`);
    return tensorSplitOf(g, op, self, v, d);
  }
  return tensorSplitOf(g, op, self, ints(op, a, 'indices'), d);
}

/** `unsafe_split`/`unsafe_chunk`/`unsafe_split_with_sizes`: pieces sharing self's storage, like `split`. */
export function unsafeSplit(g: Graph, a: KernelArgs, call: OpCall): KResult {
  const op = atenBase(overloadOf(call));
  const self = tensorArg(op, a, 'self');
  const dim = intArg(op, a, 'dim', 0);
  if (op === 'unsafe_split_with_sizes') return splitSizes(g, self, ints(op, a, 'split_sizes'), dim, op);
  if (op === 'unsafe_chunk') return callAten(g, 'chunk', { self, chunks: a.chunks, dim });
  return callAten(g, 'split.Tensor', { self, split_size: a.split_size, dim });
}

// ── stacks ───────────────────────────────────────────────────────────────────

/** `atleast_1d/2d/3d` as `hstack`/`vstack`/`dstack` run them: reshapes of 0-dim, unsqueezes of 1-D/2-D (views). */
function atLeast(g: Graph, t: Tensor, n: 1 | 2 | 3): Tensor {
  const r = t.shape.length;
  if (r >= n) return t;
  if (r === 0) return reshape(g, t, new Array<number>(n).fill(1));
  if (n === 2) return atenTensor(g, 'unsqueeze', { self: t, dim: 0 });
  if (r === 1) return atenTensor(g, 'unsqueeze', { self: atenTensor(g, 'unsqueeze', { self: t, dim: 0 }), dim: -1 });
  return atenTensor(g, 'unsqueeze', { self: t, dim: -1 });
}

/** `hstack`, `vstack` (`row_stack`), `dstack`, `column_stack`: each input made at least N-D, then `cat`. */
export function stackFamily(g: Graph, a: KernelArgs, call: OpCall): KResult {
  const op = atenBase(overloadOf(call));
  const ts = tensorListArg(op, a, 'tensors');
  if (ts.length === 0) throw new KernelError(op, `${op} expects a non-empty TensorList`);
  if (op === 'hstack') {
    const xs = ts.map((t) => atLeast(g, t, 1));
    return cat(g, xs, xs[0].shape.length === 1 ? 0 : 1);
  }
  if (op === 'vstack' || op === 'row_stack') return cat(g, ts.map((t) => atLeast(g, t, 2)), 0);
  if (op === 'dstack') return cat(g, ts.map((t) => atLeast(g, t, 3)), 2);
  // column_stack: vectors and scalars become columns.
  return cat(g, ts.map((t) => (t.shape.length <= 1 ? reshape(g, t, [numel(t.shape), 1]) : t)), 1);
}


/** The view rows with their own geometry, by schema argument names. */
export const viewRules = {
  as_strided: (g: Graph, a: KernelArgs): KResult => {
    const t = tensorArg('as_strided', a, 'self');
    return asStrided(g, t, ints('as_strided', a, 'size'), ints('as_strided', a, 'stride'), typeof a.storage_offset === 'number' ? a.storage_offset : null);
  },
  diagonal: (g: Graph, a: KernelArgs): KResult =>
    diagonalView(g, tensorArg('diagonal', a, 'self'), intArg('diagonal', a, 'offset', 0), intArg('diagonal', a, 'dim1', 0), intArg('diagonal', a, 'dim2', 1)),
  unfold: (g: Graph, a: KernelArgs): KResult =>
    unfoldView(g, tensorArg('unfold', a, 'self'), intArg('unfold', a, 'dimension'), intArg('unfold', a, 'size'), intArg('unfold', a, 'step')),
};
