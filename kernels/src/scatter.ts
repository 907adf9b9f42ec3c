// Writes of values into positions of a tensor (`scatter`, `index_add`, `index_put`, `put`,
// `masked_scatter`, the `*_scatter` view inverses) and reads that gather by index or mask
// (`take`, `take_along_dim`, `masked_select`, `nonzero`). The functional forms make a new tensor
// of self's shape; the in-place forms (`scatter_`, `index_add_`, …) write into self. What each
// keeps for backward comes from derivatives.yaml: the index (`scatter`, `index_*`, `put`, `take`),
// the mask (`masked_*`), and for the reductions (`scatter_reduce`, `index_reduce`) self, the
// source and the result too (in place: a copy of self from before the write). Measured on
// 1.13, 2.13 and 2.14 CPU (test/fixtures/ops/probes-*.json).
import { KernelArgs, intArg, tensorArg } from './args';
import { atenInplace, atenOp } from './autograd';
import { atenBase } from './catalog';
import { isTensor, showShape } from './common';
import { atenTensor, callAten } from './dispatch';
import { broadcastShapes, contiguousStrides, normDim } from './shape';
import { expand, view } from './shapeops';
import { Graph, KernelError, KResult, OpCall, Tensor, numel } from './types';

const overloadOf = (call: OpCall) => call.aten ?? call.name;
const isInplace = (overload: string) => atenBase(overload).endsWith('_');

/**
 * An index tensor: int64, or int32 where the op takes it — `index_add`/`index_reduce` always,
 * `scatter*`/`index_put` from 2.0 (measured: 1.13 refuses int32 there); `index_copy`/`index_fill`/
 * `put`/`take` never.
 */
function indexArg(g: Graph, op: string, a: KernelArgs, name: string, int32: 'always' | '2.x' | 'never' = 'never'): Tensor {
  const t = tensorArg(op, a, name);
  const ok = t.dtype === 'int64' || (t.dtype === 'int32' && (int32 === 'always' || (int32 === '2.x' && g.ctx.torch[0] >= 2)));
  if (!ok) throw new KernelError(op, `Expected dtype int64 for ${name}, got ${t.dtype}`);
  return t;
}

/**
 * An op whose result has self's shape and dtype: a new tensor, or self written in place (the
 * overload ends in `_`); `args` by schema name so that derivatives.yaml finds what it saves.
 */
function intoSelf(g: Graph, overload: string, args: KernelArgs, self: Tensor): Tensor {
  if (isInplace(overload)) return atenInplace(g, overload, args, numel(self.shape));
  return atenOp(g, overload, args, [{ shape: self.shape, dtype: self.dtype }], { flops: numel(self.shape) })[0];
}

/** scatter's shape rule: index has self's rank, no larger than src and (off `dim`) than self. */
function checkScatter(op: string, self: Tensor, dim: number, index: Tensor, src: Tensor | null): void {
  if (numel(index.shape) === 0) return;
  const rank = Math.max(self.shape.length, 1);
  const d = normDim(op, dim, rank);
  const ir = Math.max(index.shape.length, 1);
  if (ir !== rank || (src && Math.max(src.shape.length, 1) !== rank)) {
    throw new KernelError(op, `Index tensor must have the same number of dimensions as self tensor${src ? ' and src tensor' : ''}`);
  }
  index.shape.forEach((s, i) => {
    if (i !== d && s > (self.shape[i] ?? 1)) throw new KernelError(op, `Expected index ${showShape(index.shape)} to be smaller than self ${showShape(self.shape)} apart from dimension ${d}`);
    if (src && s > (src.shape[i] ?? 1)) throw new KernelError(op, `Expected index ${showShape(index.shape)} to be smaller than src ${showShape(src.shape)}`);
  });
}

/** `scatter(self, dim, index, src | value, reduce?)` and `scatter_`: saves the index. */
export function scatter(g: Graph, a: KernelArgs, call: OpCall): KResult {
  const overload = overloadOf(call);
  const op = atenBase(overload);
  const self = tensorArg(op, a, 'self');
  const index = indexArg(g, op, a, 'index', '2.x');
  const src = isTensor(a.src) ? a.src : null;
  checkScatter(op, self, intArg(op, a, 'dim'), index, src);
  return intoSelf(g, overload, a, self);
}

/** `scatter_reduce(self, dim, index, src, reduce, include_self)`: keeps self, index, src and the result. */
export function scatterReduce(g: Graph, a: KernelArgs, call: OpCall): KResult {
  const overload = overloadOf(call);
  const op = atenBase(overload);
  const self = tensorArg(op, a, 'self');
  const reduce = a.reduce;
  if (!['sum', 'prod', 'mean', 'amax', 'amin'].includes(String(reduce))) throw new KernelError(op, `reduce argument must be either sum, prod, mean, amax or amin, got ${String(reduce)}`);
  checkScatter(op, self, intArg(op, a, 'dim'), indexArg(g, op, a, 'index', '2.x'), tensorArg(op, a, 'src'));
  return intoSelf(g, overload, { ...a, include_self: a.include_self ?? true }, self);
}

/** `index_add`/`index_copy`/`index_fill`/`index_reduce` (and in place): a 1-D index along `dim`. */
export function indexWrite(g: Graph, a: KernelArgs, call: OpCall): KResult {
  const overload = overloadOf(call);
  const op = atenBase(overload);
  const self = tensorArg(op, a, 'self');
  const d = normDim(op, intArg(op, a, 'dim'), Math.max(self.shape.length, 1));
  const index = indexArg(g, op, a, 'index', op.startsWith('index_add') || op.startsWith('index_reduce') ? 'always' : 'never');
  if (index.shape.length > 1) throw new KernelError(op, `Index is supposed to be a vector, got ${showShape(index.shape)}`);
  const source = isTensor(a.source) ? a.source : null;
  if (source && source.shape.length > 0 && (source.shape.length !== self.shape.length || source.shape.some((s, i) => (i === d ? s !== numel(index.shape) : s !== self.shape[i])))) {
    throw new KernelError(op, `source ${showShape(source.shape)} must have self's shape ${showShape(self.shape)} with ${numel(index.shape)} (the index's length) at dimension ${d}`);
  }
  if (op.startsWith('index_reduce') && !['prod', 'mean', 'amax', 'amin'].includes(String(a.reduce))) throw new KernelError(op, `reduce argument must be either prod, mean, amax or amin, got ${String(a.reduce)}`);
  const args = op.startsWith('index_add') ? { ...a, alpha: a.alpha ?? 1 } : op.startsWith('index_reduce') ? { ...a, include_self: a.include_self ?? true } : a;
  return intoSelf(g, overload, args, self);
}

/** An index of `index_put`/`index_put_`: an integer tensor, a bool/uint8 mask, or None. */
function putIndex(g: Graph, v: unknown): Tensor | null {
  if (v === null || v === undefined) return null;
  if (!isTensor(v)) throw new KernelError('index_put', 'indices must be tensors or None');
  const ok = ['int64', 'bool', 'uint8'].includes(v.dtype) || (v.dtype === 'int32' && g.ctx.torch[0] >= 2);
  if (!ok) throw new KernelError('index_put', `tensors used as indices must be long, int, byte or bool tensors, got ${v.dtype}`);
  return v;
}

/**
 * `index_put(self, indices, values, accumulate)` and `index_put_`: self's shape whatever the
 * indices select (a mask too: its count only decides how many values are read); keeps the
 * indices as given (measured: a bool mask is saved itself).
 */
export function indexPut(g: Graph, a: KernelArgs, call: OpCall): KResult {
  const overload = overloadOf(call);
  const op = atenBase(overload);
  const self = tensorArg(op, a, 'self');
  const ix = a.indices;
  if (!Array.isArray(ix)) throw new KernelError(op, 'indices must be a list');
  const indices = ix.map((v) => putIndex(g, v));
  const dims = indices.reduce((n, t) => n + (t && (t.dtype === 'bool' || t.dtype === 'uint8') ? Math.max(t.shape.length, 1) : 1), 0);
  if (dims > Math.max(self.shape.length, 1)) throw new KernelError(op, `too many indices for tensor of dimension ${self.shape.length} (got ${dims})`);
  return intoSelf(g, overload, { self, indices: ix, values: a.values, accumulate: a.accumulate ?? false }, self);
}

/** `put(self, index, source, accumulate)` / `put_`: flat indices into self; keeps index and source. */
export function put(g: Graph, a: KernelArgs, call: OpCall): KResult {
  const overload = overloadOf(call);
  const op = atenBase(overload);
  const self = tensorArg(op, a, 'self');
  const index = indexArg(g, op, a, 'index');
  const source = tensorArg(op, a, 'source');
  if (numel(index.shape) !== numel(source.shape)) throw new KernelError(op, `Expected source and index to have the same number of elements, but got ${numel(source.shape)} and ${numel(index.shape)}`);
  return intoSelf(g, overload, { ...a, accumulate: a.accumulate ?? false }, self);
}

/**
 * `masked_scatter(self, mask, source)`: self and the mask broadcast (ATen expands both, clones
 * and scatters in place: one new tensor); keeps the mask. In place the mask must broadcast to self.
 */
export function maskedScatter(g: Graph, a: KernelArgs, call: OpCall): KResult {
  const overload = overloadOf(call);
  const op = atenBase(overload);
  const self = tensorArg(op, a, 'self');
  const mask = tensorArg(op, a, 'mask');
  const source = tensorArg(op, a, 'source');
  if (mask.dtype !== 'bool' && mask.dtype !== 'uint8') throw new KernelError(op, `masked_scatter_ only supports boolean masks, but got mask with dtype ${mask.dtype}`);
  if (source.dtype !== self.dtype) throw new KernelError(op, `masked_scatter: expected self and source to have same dtypes but got ${self.dtype} and ${source.dtype}`);
  if (isInplace(overload)) {
    if (mask.shape.length > self.shape.length) throw new KernelError(op, `expand(${showShape(mask.shape)}, size=${showShape(self.shape)}): the number of sizes provided (${self.shape.length}) must be greater or equal to the number of dimensions in the tensor (${mask.shape.length})`);
    const shape = broadcastShapes(op, self.shape, mask.shape);
    if (shape.join() !== self.shape.join()) throw new KernelError(op, `mask ${showShape(mask.shape)} does not broadcast to self's shape ${showShape(self.shape)}`);
    return atenInplace(g, overload, a, numel(self.shape));
  }
  const shape = broadcastShapes(op, self.shape, mask.shape);
  return atenOp(g, overload, a, [{ shape, dtype: self.dtype }], { flops: numel(shape) })[0];
}

/** Known elements of `t` broadcast to `shape` (row-major), or undefined. */
function broadcastValues(t: Tensor, shape: readonly number[]): number[] | undefined {
  if (!t.values || t.values.length !== numel(t.shape)) return undefined;
  const src = contiguousStrides(t.shape);
  const lead = shape.length - t.shape.length;
  const out: number[] = [];
  const idx = new Array<number>(shape.length).fill(0);
  for (let k = 0; k < numel(shape); k++) {
    let off = 0;
    for (let d = lead; d < shape.length; d++) if (t.shape[d - lead] !== 1) off += idx[d] * src[d - lead];
    out.push(t.values[off]);
    for (let d = shape.length - 1; d >= 0; d--) {
      if (++idx[d] < shape[d]) break;
      idx[d] = 0;
    }
  }
  return out;
}

/**
 * `masked_select(self, mask)`: the elements where the (broadcast) mask is set, 1-D; its length
 * is the mask's count, known only for a mask of known values. Keeps self and the mask.
 */
export function maskedSelect(g: Graph, a: KernelArgs): KResult {
  const self = tensorArg('masked_select', a, 'self');
  const mask = tensorArg('masked_select', a, 'mask');
  if (mask.dtype !== 'bool') throw new KernelError('masked_select', `masked_select: expected BoolTensor for mask, got ${mask.dtype}`);
  const shape = broadcastShapes('masked_select', self.shape, mask.shape);
  const values = broadcastValues(mask, shape);
  if (!values) throw new KernelError('masked_select', "the output's length is the mask's count of set elements, which is data-dependent (the mask's values are not known); not modelled");
  const count = values.filter((v) => v !== 0).length;
  return atenOp(g, 'masked_select', { self, mask }, [{ shape: [count], dtype: self.dtype }], { flops: numel(shape) })[0];
}

/** Indices of the non-zero elements of a tensor of known values, row-major. */
function nonzeroIndices(op: string, t: Tensor): number[][] {
  const values = numel(t.shape) === 0 ? [] : t.values && t.values.length === numel(t.shape) ? t.values : undefined;
  if (!values) throw new KernelError(op, "the output's length is the count of non-zero elements, which is data-dependent (the tensor's values are not known); not modelled");
  const strides = contiguousStrides(t.shape);
  const out: number[][] = [];
  values.forEach((v, k) => {
    if (v !== 0) out.push(t.shape.map((s, d) => Math.floor(k / strides[d]) % s));
  });
  return out;
}

/**
 * `nonzero(self)` (`argwhere`): an int64 `[count, rank]` tensor, known for a tensor of known
 * values; non-differentiable. `as_tuple=True` (Python) unbinds its columns (a 0-dim tensor is
 * first made 1-D).
 */
export function nonzero(g: Graph, a: KernelArgs, call: OpCall): KResult {
  const op = call.name.endsWith('argwhere') ? 'argwhere' : 'nonzero';
  let t = tensorArg(op, a, 'self');
  const asTuple = a.as_tuple === true;
  if (asTuple && t.shape.length === 0) t = atenTensor(g, 'unsqueeze', { self: t, dim: 0 });
  const idx = nonzeroIndices(op, t);
  const rank = t.shape.length;
  const out = atenOp(g, 'nonzero', { self: t }, [{ shape: [idx.length, rank], dtype: 'int64' }])[0];
  const result = { ...out, values: idx.flat() };
  if (!asTuple) return result;
  return callAten(g, 'unbind.int', { self: result, dim: 1 });
}

/** `take(self, index)`: flat indices; the output has the index's shape; keeps self and the index. */
export function take(g: Graph, a: KernelArgs): KResult {
  const self = tensorArg('take', a, 'self');
  const index = indexArg(g, 'take', a, 'index');
  return atenOp(g, 'take', { self, index }, [{ shape: index.shape, dtype: self.dtype }])[0];
}

/**
 * `take_along_dim(self, indices, dim)` (CompositeImplicitAutograd): without a dim, `gather` of the
 * flattened views; with one, self and the indices broadcast to each other off `dim` (expand
 * views), then from 2.0 the indices wrapped (`remainder`, a new int64 tensor), then `gather`.
 */
export function takeAlongDim(g: Graph, a: KernelArgs): KResult {
  const self = tensorArg('take_along_dim', a, 'self');
  const indices = tensorArg('take_along_dim', a, 'indices');
  if (indices.dtype !== 'int64') throw new KernelError('take_along_dim', `torch.take_along_dim(): dtype of indices should be Long but got ${indices.dtype}`);
  if (a.dim === null || a.dim === undefined) {
    return atenTensor(g, 'gather', { self: view(g, self, [-1]), dim: 0, index: view(g, indices, [-1]) });
  }
  if (self.shape.length !== indices.shape.length) throw new KernelError('take_along_dim', `torch.take_along_dim(): input and indices should have the same number of dimensions, but got ${self.shape.length} dimensions for input, and ${indices.shape.length} dimensions for indices`);
  const d = normDim('take_along_dim', intArg('take_along_dim', a, 'dim'), self.shape.length);
  const selfSizes = self.shape.map((s, i) => (i === d ? indices.shape[d] : s));
  const ib = expand(g, indices, broadcastShapes('take_along_dim', selfSizes, indices.shape));
  const indexSizes = indices.shape.map((s, i) => (i === d ? self.shape[d] : s));
  const sb = expand(g, self, broadcastShapes('take_along_dim', indexSizes, self.shape));
  const index = g.ctx.torch[0] >= 2 ? atenTensor(g, 'remainder.Scalar', { self: ib, other: self.shape[d] }) : ib;
  return atenTensor(g, 'gather', { self: sb, dim: d, index });
}

/** `select_scatter`/`slice_scatter`/`diagonal_scatter`/`as_strided_scatter`: a new tensor of self's shape; nothing kept. */
export function viewScatter(g: Graph, a: KernelArgs, call: OpCall): KResult {
  const overload = overloadOf(call);
  const op = atenBase(overload);
  const self = tensorArg(op, a, 'self');
  const src = tensorArg(op, a, 'src');
  if (src.dtype !== self.dtype && op !== 'as_strided_scatter') throw new KernelError(op, `expected src to have dtype ${self.dtype}, got ${src.dtype}`);
  return atenOp(g, overload, a, [{ shape: self.shape, dtype: self.dtype }], { flops: numel(self.shape) })[0];
}
