import { KernelArgs, intArg, intsArg, tensorArg, tensorListArg } from './args';
import { promote, showShape } from './common';
import { contiguousStrides, inferShape, isContiguous, normDim, viewStrides } from './shape';
import { Graph, KernelError, Tensor, numel } from './types';

// Views share their base's storage and save nothing for backward (their backward needs only
// sizes). Copies (`contiguous` of a strided tensor, `reshape` that cannot view) allocate a new
// tensor and also save nothing: see derivatives.yaml (`clone`, `_reshape_alias`, `cat`).

function dimsOf(op: string, a: KernelArgs, name: string): number[] {
  const v = intsArg(op, a, name);
  return typeof v === 'number' ? [v] : v;
}

/** `Tensor.view`: fails when the geometry cannot be expressed without a copy. */
export function view(g: Graph, t: Tensor, requested: readonly number[], op = 'view'): Tensor {
  const shape = inferShape(op, requested, numel(t.shape));
  const strides = viewStrides(t.shape, t.strides, shape);
  if (!strides) {
    throw new KernelError(op, `view size ${showShape(shape)} is not compatible with input tensor's size and stride (at least one dimension spans across two contiguous subspaces); use .reshape(...) instead`);
  }
  return g.view(t, shape, strides, t.offset);
}

/** A contiguous copy (aten `clone` with contiguous memory format). */
export function copy(g: Graph, t: Tensor, kind = 'clone'): Tensor {
  return g.op({ kind, inputs: [t], outputs: [{ shape: t.shape, dtype: t.dtype }] })[0];
}

/** `Tensor.reshape`: a view when the strides allow it, else a copy. */
export function reshape(g: Graph, t: Tensor, requested: readonly number[]): Tensor {
  const shape = inferShape('reshape', requested, numel(t.shape));
  const strides = viewStrides(t.shape, t.strides, shape);
  if (strides) return g.view(t, shape, strides, t.offset);
  const c = copy(g, t, '_reshape_copy');
  return g.view(c, shape, contiguousStrides(shape), 0);
}

export function contiguous(g: Graph, t: Tensor): Tensor {
  return isContiguous(t) ? t : copy(g, t);
}

export function transpose(g: Graph, t: Tensor, d0: number, d1: number): Tensor {
  const a = normDim('transpose', d0, t.shape.length);
  const b = normDim('transpose', d1, t.shape.length);
  const shape = [...t.shape];
  const strides = [...t.strides];
  [shape[a], shape[b]] = [shape[b], shape[a]];
  [strides[a], strides[b]] = [strides[b], strides[a]];
  return g.view(t, shape, strides, t.offset);
}

export function permute(g: Graph, t: Tensor, dims: readonly number[]): Tensor {
  if (dims.length !== t.shape.length) {
    throw new KernelError('permute', `number of dims ${dims.length} does not match the tensor's rank ${t.shape.length}`);
  }
  const order = dims.map((d) => normDim('permute', d, t.shape.length));
  if (new Set(order).size !== order.length) throw new KernelError('permute', 'repeated dim');
  return g.view(t, order.map((d) => t.shape[d]), order.map((d) => t.strides[d]), t.offset);
}

export function flatten(g: Graph, t: Tensor, start = 0, end = -1): Tensor {
  if (t.shape.length === 0) return reshape(g, t, [1]);
  const s = normDim('flatten', start, t.shape.length);
  const e = normDim('flatten', end, t.shape.length);
  if (s > e) throw new KernelError('flatten', 'start_dim cannot come after end_dim');
  if (s === e) return t;
  const shape = [...t.shape.slice(0, s), numel(t.shape.slice(s, e + 1)), ...t.shape.slice(e + 1)];
  return reshape(g, t, shape);
}

export function unsqueeze(g: Graph, t: Tensor, dim: number): Tensor {
  const d = normDim('unsqueeze', dim, t.shape.length + 1);
  const shape = [...t.shape];
  const strides = [...t.strides];
  const stride = d < t.shape.length ? t.shape[d] * t.strides[d] : 1;
  shape.splice(d, 0, 1);
  strides.splice(d, 0, stride);
  return g.view(t, shape, strides, t.offset);
}

export function squeeze(g: Graph, t: Tensor, dim?: number): Tensor {
  const keep = t.shape.map((s, i) => (dim === undefined ? s !== 1 : i !== normDim('squeeze', dim, t.shape.length) || s !== 1));
  return g.view(t, t.shape.filter((_, i) => keep[i]), t.strides.filter((_, i) => keep[i]), t.offset);
}

export function expand(g: Graph, t: Tensor, sizes: readonly number[]): Tensor {
  if (sizes.length < t.shape.length) throw new KernelError('expand', `the number of sizes (${sizes.length}) must be at least the tensor's rank (${t.shape.length})`);
  const lead = sizes.length - t.shape.length;
  const shape: number[] = [];
  const strides: number[] = [];
  sizes.forEach((s, i) => {
    const j = i - lead;
    const cur = j >= 0 ? t.shape[j] : 1;
    const target = s === -1 ? cur : s;
    if (j >= 0 && cur !== 1 && cur !== target) {
      throw new KernelError('expand', `the expanded size ${target} must match the existing size ${cur} at dimension ${i}`);
    }
    shape.push(target);
    strides.push(j >= 0 && cur === target ? t.strides[j] : 0);
  });
  return g.view(t, shape, strides, t.offset);
}

/** `torch.cat`: a new tensor; backward only needs the sizes, so nothing is saved. */
export function cat(g: Graph, ts: readonly Tensor[], dim: number): Tensor {
  const parts = ts.filter((t) => !(t.shape.length === 1 && t.shape[0] === 0));
  if (parts.length === 0) throw new KernelError('cat', 'expected a non-empty list of tensors');
  const rank = parts[0].shape.length;
  const d = normDim('cat', dim, rank);
  const shape = [...parts[0].shape];
  shape[d] = 0;
  for (const t of parts) {
    if (t.shape.length !== rank || t.shape.some((s, i) => i !== d && s !== parts[0].shape[i])) {
      throw new KernelError('cat', `sizes of tensors must match except in dimension ${d}: ${showShape(parts[0].shape)} vs ${showShape(t.shape)}`);
    }
    shape[d] += t.shape[d];
  }
  const dtype = parts.map((t) => t.dtype).reduce(promote);
  return g.op({ kind: 'cat', inputs: ts, outputs: [{ shape, dtype }] })[0];
}

export const shapeRules = {
  cat: (g: Graph, a: KernelArgs) => cat(g, tensorListArg('cat', a, 'tensors'), intArg('cat', a, 'dim', 0)),
  contiguous: (g: Graph, a: KernelArgs) => contiguous(g, tensorArg('contiguous', a, 'input')),
  expand: (g: Graph, a: KernelArgs) => expand(g, tensorArg('expand', a, 'input'), dimsOf('expand', a, 'size')),
  flatten: (g: Graph, a: KernelArgs) =>
    flatten(g, tensorArg('flatten', a, 'input'), intArg('flatten', a, 'start_dim', 0), intArg('flatten', a, 'end_dim', -1)),
  permute: (g: Graph, a: KernelArgs) => permute(g, tensorArg('permute', a, 'input'), dimsOf('permute', a, 'dims')),
  reshape: (g: Graph, a: KernelArgs) => reshape(g, tensorArg('reshape', a, 'input'), dimsOf('reshape', a, 'shape')),
  squeeze: (g: Graph, a: KernelArgs) =>
    squeeze(g, tensorArg('squeeze', a, 'input'), a.dim === undefined || a.dim === null ? undefined : intArg('squeeze', a, 'dim')),
  t: (g: Graph, a: KernelArgs) => {
    const t = tensorArg('t', a, 'input');
    return t.shape.length < 2 ? t : transpose(g, t, 0, 1);
  },
  transpose: (g: Graph, a: KernelArgs) =>
    transpose(g, tensorArg('transpose', a, 'input'), intArg('transpose', a, 'dim0'), intArg('transpose', a, 'dim1')),
  unsqueeze: (g: Graph, a: KernelArgs) => unsqueeze(g, tensorArg('unsqueeze', a, 'input'), intArg('unsqueeze', a, 'dim')),
  view: (g: Graph, a: KernelArgs) => view(g, tensorArg('view', a, 'input'), dimsOf('view', a, 'size')),
};
