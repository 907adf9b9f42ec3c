// Indexing: views (`select`, `slice`, `narrow`, basic `x[…]`), gathers that copy (`index`,
// `index_select`, `gather`), and writes into a tensor (`x[…] = v`). Views share storage and save
// nothing; copies save what derivatives.yaml names (the index tensors).
import { KernelArgs, intArg, tensorArg } from './args';
import { atenInplace, atenOp } from './autograd';
import { isTensor, showShape } from './common';
import { broadcastShapes, normDim } from './shape';
import { Graph, KernelError, KResult, SliceValue, Tensor, isFloating, numel } from './types';

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

/** narrow's start: an int, or (`narrow.Tensor`) a 0-dim integer tensor, read with `item()`. */
function narrowStart(v: unknown): number {
  if (!isTensor(v)) return intArg('narrow', { start: v }, 'start');
  if (v.shape.length !== 0 || isFloating(v.dtype) || v.dtype === 'bool') throw new KernelError('narrow', 'start must be an 0-dim integral Tensor.');
  if (!v.values) throw new KernelError('narrow', 'a start tensor whose value is not known (only constants are) is not modelled');
  return v.values[0];
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

/** `gather(self, dim, index)`: the output has the index's shape (a 0-dim tensor counts as 1-D). */
export function gather(g: Graph, t: Tensor, dim: number, index: Tensor): Tensor {
  const d = normDim('gather', dim, Math.max(t.shape.length, 1));
  if (Math.max(index.shape.length, 1) !== Math.max(t.shape.length, 1)) throw new KernelError('gather', `index ${showShape(index.shape)} must have the same number of dimensions as input ${showShape(t.shape)}`);
  index.shape.forEach((n, i) => {
    if (i !== d && t.shape.length > 0 && n > t.shape[i]) throw new KernelError('gather', `Size does not match at dimension ${i} expected index ${showShape(index.shape)} to be smaller than self ${showShape(t.shape)} apart from dimension ${d}`);
  });
  return atenOp(g, 'gather', { self: t, dim, index: indexTensor('gather', index) }, [{ shape: index.shape, dtype: t.dtype }])[0];
}

const isMask = (ix: Tensor) => ix.dtype === 'bool' || ix.dtype === 'uint8';

/** How many dimensions an index consumes: a k-D mask k, an index tensor one. */
const indexDims = (ix: Tensor) => (isMask(ix) ? ix.shape.length : 1);

/**
 * The index shape one index tensor stands for at dimension `dim` of `t`: its own shape, or for a
 * mask the number of its set elements (ATen runs `nonzero` on it; known only for constant masks).
 */
function indexShape(t: Tensor, ix: Tensor, dim: number): number[] {
  if (!isMask(ix)) return [...indexTensor('index', ix).shape];
  if (!ix.values || ix.shape.length === 0) indexTensor('index', ix);
  ix.shape.forEach((s, i) => {
    if (s !== t.shape[dim + i]) throw new KernelError('index', `The shape of the mask ${showShape(ix.shape)} at index ${i} does not match the shape of the indexed tensor ${showShape(t.shape)} at index ${dim + i}`);
  });
  return [ix.values!.filter((v) => v !== 0).length];
}

/**
 * `index.Tensor(self, indices)`, advanced indexing: the indexed dimensions are replaced by the
 * broadcast shape of the index tensors — in place when those dimensions are adjacent, else first
 * (NumPy's rule). A k-D mask indexes k dimensions by its set positions (constant masks only);
 * the `nonzero` indices it becomes live while the op runs, and the backward keeps the mask.
 */
export function advancedIndex(g: Graph, t: Tensor, indices: readonly (Tensor | null)[]): Tensor {
  const groups: { start: number; end: number; shape: number[]; at: number }[] = [];
  let dim = 0;
  let workspaceBytes = 0;
  indices.forEach((ix, at) => {
    if (!ix) {
      dim++;
      return;
    }
    if (dim + indexDims(ix) > t.shape.length) throw new KernelError('index', `too many indices for a tensor of dimension ${t.shape.length}`);
    const shape = indexShape(t, ix, dim);
    if (isMask(ix)) workspaceBytes += shape[0] * ix.shape.length * 8;
    groups.push({ start: dim, end: dim + indexDims(ix), shape, at });
    dim += indexDims(ix);
  });
  if (dim > t.shape.length) throw new KernelError('index', `too many indices for a tensor of dimension ${t.shape.length}`);
  if (groups.length === 0) return t;
  let bshape: number[] = [];
  for (const gr of groups) bshape = broadcastShapes('index', bshape, gr.shape);
  const [first, last] = [groups[0], groups[groups.length - 1]];
  const adjacent = last.at - first.at === groups.length - 1;
  const indexed = (d: number) => groups.some((gr) => d >= gr.start && d < gr.end);
  const shape = adjacent
    ? [...t.shape.slice(0, first.start), ...bshape, ...t.shape.slice(last.end)]
    : [...bshape, ...t.shape.filter((_, d) => !indexed(d))];
  return atenOp(g, 'index.Tensor', { self: t, indices: [...indices] }, [{ shape, dtype: t.dtype }], workspaceBytes ? { workspaceBytes } : {})[0];
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
  const consumes = (it: Exclude<IndexItem, boolean>) => (it === null || it === '...' ? 0 : isTensor(it) ? indexDims(it) : 1);
  const explicit = items.reduce<number>((n, it) => n + consumes(it), 0);
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
      dim += indexDims(it);
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
  narrow: (g: Graph, a: KernelArgs): KResult => narrow(g, tensorArg('narrow', a, 'self'), intArg('narrow', a, 'dim'), narrowStart(a.start), intArg('narrow', a, 'length')),
  select: (g: Graph, a: KernelArgs): KResult => select(g, tensorArg('select', a, 'self'), intArg('select', a, 'dim'), intArg('select', a, 'index')),
  slice: (g: Graph, a: KernelArgs): KResult => {
    const opt = (v: unknown) => (typeof v === 'number' ? v : null);
    return slice(g, tensorArg('slice', a, 'self'), intArg('slice', a, 'dim', 0), opt(a.start), opt(a.end), intArg('slice', a, 'step', 1));
  },
};
