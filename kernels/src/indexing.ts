// Indexing: views (`select`, `slice`, `narrow`, basic `x[…]`), gathers that copy (`index`,
// `index_select`, `gather`), and writes into a tensor (`x[…] = v`). Views share storage and save
// nothing; copies save what derivatives.yaml names (the index tensors).
import { KernelArgs, intArg, tensorArg } from './args';
import { atenInplace, atenOp } from './autograd';
import { isTensor, showShape } from './common';
import { broadcastShapes, normDim } from './shape';
import { Graph, KernelError, KResult, SliceValue, Tensor, numel } from './types';

/** `x.select(dim, i)`: the dimension is dropped; a view. */
export function select(g: Graph, t: Tensor, dim: number, index: number, op = 'select'): Tensor {
  const d = normDim(op, dim, t.shape.length);
  const size = t.shape[d];
  const i = index < 0 ? index + size : index;
  if (!Number.isInteger(i) || i < 0 || i >= size) throw new KernelError(op, `index ${index} is out of bounds for dimension ${d} with size ${size}`);
  return g.view(t, t.shape.filter((_, k) => k !== d), t.strides.filter((_, k) => k !== d), t.offset + i * t.strides[d]);
}

/** `x[start:end:step]` along `dim` (Python's clamping of out-of-range bounds); a view. */
export function slice(g: Graph, t: Tensor, dim: number, start: number | null, end: number | null, step: number, op = 'slice'): Tensor {
  const d = normDim(op, dim, t.shape.length);
  if (!Number.isInteger(step) || step <= 0) throw new KernelError(op, `slice step must be positive, got ${step}`);
  const size = t.shape[d];
  const clamp = (v: number | null, dflt: number) => (v === null ? dflt : Math.min(Math.max(v < 0 ? v + size : v, 0), size));
  const s = clamp(start, 0);
  const e = clamp(end, size);
  const shape = [...t.shape];
  const strides = [...t.strides];
  shape[d] = Math.max(0, Math.ceil((e - s) / step));
  strides[d] = t.strides[d] * step;
  return g.view(t, shape, strides, t.offset + s * t.strides[d]);
}

/** `x.narrow(dim, start, length)`; a view. */
export function narrow(g: Graph, t: Tensor, dim: number, start: number, length: number): Tensor {
  const d = normDim('narrow', dim, t.shape.length);
  const s = start < 0 ? start + t.shape[d] : start;
  if (s < 0 || length < 0 || s + length > t.shape[d]) throw new KernelError('narrow', `start (${start}) + length (${length}) exceeds dimension size (${t.shape[d]})`);
  return slice(g, t, d, s, s + length, 1, 'narrow');
}

function indexTensor(op: string, v: unknown): Tensor {
  if (!isTensor(v)) throw new KernelError(op, 'index must be a tensor');
  if (v.dtype === 'bool' || v.dtype === 'uint8') throw new KernelError(op, 'indexing with a mask has a data-dependent shape (how many elements are set); not modelled');
  if (v.dtype.startsWith('float') || v.dtype === 'bfloat16') throw new KernelError(op, `tensors used as indices must be long or int, got ${v.dtype}`);
  return v;
}

/** `index_select(self, dim, index)`: the selected dimension takes the index's length. */
export function indexSelect(g: Graph, t: Tensor, dim: number, index: Tensor): Tensor {
  const d = normDim('index_select', dim, Math.max(t.shape.length, 1));
  if (index.shape.length > 1) throw new KernelError('index_select', `index must be 1-D, got ${showShape(index.shape)}`);
  const shape = [...t.shape];
  if (shape.length) shape[d] = numel(index.shape);
  return atenOp(g, 'index_select', { self: t, dim, index: indexTensor('index_select', index) }, [{ shape, dtype: t.dtype }])[0];
}

/** `gather(self, dim, index)`: the output has the index's shape. */
export function gather(g: Graph, t: Tensor, dim: number, index: Tensor): Tensor {
  normDim('gather', dim, Math.max(t.shape.length, 1));
  if (Math.max(index.shape.length, 1) !== Math.max(t.shape.length, 1)) throw new KernelError('gather', `index ${showShape(index.shape)} must have the same number of dimensions as input ${showShape(t.shape)}`);
  return atenOp(g, 'gather', { self: t, dim, index: indexTensor('gather', index) }, [{ shape: index.shape, dtype: t.dtype }])[0];
}

/**
 * `index.Tensor(self, indices)`, advanced indexing: the indexed dimensions are replaced by the
 * broadcast shape of the index tensors — in place when those dimensions are adjacent, else first
 * (NumPy's rule).
 */
export function advancedIndex(g: Graph, t: Tensor, indices: readonly (Tensor | null)[]): Tensor {
  if (indices.length > t.shape.length) throw new KernelError('index', `too many indices for a tensor of dimension ${t.shape.length}`);
  const used = indices.map((ix, d) => (ix ? d : -1)).filter((d) => d >= 0);
  if (used.length === 0) return t;
  let bshape: number[] = [];
  for (const d of used) bshape = broadcastShapes('index', bshape, indexTensor('index', indices[d]).shape);
  const adjacent = used[used.length - 1] - used[0] === used.length - 1;
  const rest = t.shape.map((s, d) => (used.includes(d) ? -1 : s));
  const shape = adjacent
    ? [...t.shape.slice(0, used[0]), ...bshape, ...rest.slice(used[used.length - 1] + 1)]
    : [...bshape, ...rest.filter((s) => s >= 0)];
  return atenOp(g, 'index.Tensor', { self: t, indices: [...indices] }, [{ shape, dtype: t.dtype }])[0];
}

/** One element of a Python subscript, as the interpreter hands it over. */
export type IndexItem = number | boolean | null | SliceValue | '...' | Tensor;

const isSlice = (v: unknown): v is SliceValue => typeof v === 'object' && v !== null && 'slice' in v;

/**
 * `x[items]` (`Tensor.__getitem__`): ints, slices, None and `...` make a view; index tensors then
 * gather a copy (`index.Tensor`) over the dimensions that remain.
 */
export function getitem(g: Graph, t: Tensor, items0: readonly IndexItem[]): Tensor {
  if (items0.some((it) => typeof it === 'boolean')) throw new KernelError('index', 'indexing with True/False is not modelled');
  const items = items0 as readonly Exclude<IndexItem, boolean>[];
  const consumes = (it: Exclude<IndexItem, boolean>) => it !== null && it !== '...';
  const explicit = items.filter(consumes).length;
  if (explicit > t.shape.length) throw new KernelError('index', `too many indices for tensor of dimension ${t.shape.length}`);
  let x = t;
  let dim = 0;
  const advanced: (Tensor | null)[] = [];
  for (const it of items) {
    if (it === '...') {
      const skip = t.shape.length - explicit;
      for (let i = 0; i < skip; i++) advanced.push(null);
      dim += skip;
    } else if (it === null) {
      x = g.view(x, [...x.shape.slice(0, dim), 1, ...x.shape.slice(dim)], [...x.strides.slice(0, dim), dim < x.shape.length ? x.strides[dim] * x.shape[dim] : 1, ...x.strides.slice(dim)], x.offset);
      advanced.push(null);
      dim++;
    } else if (typeof it === 'number') {
      x = select(g, x, dim, it, 'index');
    } else if (isSlice(it)) {
      const [s, e, step] = it.slice;
      x = slice(g, x, dim, s, e, step ?? 1, 'index');
      advanced.push(null);
      dim++;
    } else if (isTensor(it)) {
      advanced.push(it);
      dim++;
    } else throw new KernelError('index', 'unsupported index');
  }
  return advanced.some((a) => a !== null) ? advancedIndex(g, x, advanced) : x;
}

/**
 * `x[items] = value` (`Tensor.__setitem__`): a write into x's storage. A view target takes
 * `copy_` (or `fill_` for a number); index tensors take `index_put_`.
 */
export function setitem(g: Graph, t: Tensor, items: readonly IndexItem[], value: Tensor | number | boolean): Tensor {
  const advanced = items.some(isTensor);
  if (advanced) {
    const v = isTensor(value) ? value : null;
    return atenInplace(g, 'index_put_', { self: t, indices: items.filter(isTensor), values: v ?? value, accumulate: false });
  }
  const target = getitem(g, t, items);
  if (isTensor(value)) {
    broadcastShapes('copy_', target.shape, value.shape);
    return atenInplace(g, 'copy_', { self: target, src: value, non_blocking: false });
  }
  return atenInplace(g, 'fill_.Scalar', { self: target, value });
}

const dimOf = (a: KernelArgs, op: string) => intArg(op, a, 'dim', 0);

export const indexingRules = {
  gather: (g: Graph, a: KernelArgs): KResult => gather(g, tensorArg('gather', a, 'self'), dimOf(a, 'gather'), tensorArg('gather', a, 'index')),
  index: (g: Graph, a: KernelArgs): KResult => {
    const ix = a.indices;
    if (!Array.isArray(ix)) throw new KernelError('index', 'indices must be a list');
    return advancedIndex(g, tensorArg('index', a, 'self'), ix.map((v) => (isTensor(v) ? v : null)));
  },
  index_select: (g: Graph, a: KernelArgs): KResult => indexSelect(g, tensorArg('index_select', a, 'self'), dimOf(a, 'index_select'), tensorArg('index_select', a, 'index')),
  narrow: (g: Graph, a: KernelArgs): KResult => narrow(g, tensorArg('narrow', a, 'self'), intArg('narrow', a, 'dim'), intArg('narrow', a, 'start'), intArg('narrow', a, 'length')),
  select: (g: Graph, a: KernelArgs): KResult => select(g, tensorArg('select', a, 'self'), intArg('select', a, 'dim'), intArg('select', a, 'index')),
  slice: (g: Graph, a: KernelArgs): KResult => {
    const opt = (v: unknown) => (typeof v === 'number' ? v : null);
    return slice(g, tensorArg('slice', a, 'self'), intArg('slice', a, 'dim', 0), opt(a.start), opt(a.end), intArg('slice', a, 'step', 1));
  },
};
