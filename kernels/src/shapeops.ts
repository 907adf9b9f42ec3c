import { KernelArgs, intArg, intsArg, tensorArg, tensorListArg } from './args';
import { promote, showShape } from './common';
import { broadcastShapes, contiguousStrides, inferShape, isContiguous, normDim, viewStrides } from './shape';
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

/** Views of `t` along `dim`, one per size in `sizes` (`split`, `chunk`): storage shared, nothing saved. */
export function splitSizes(g: Graph, t: Tensor, sizes: readonly number[], dim: number, op = 'split'): Tensor[] {
  const d = normDim(op, dim, t.shape.length);
  const total = sizes.reduce((x, y) => x + y, 0);
  if (total !== t.shape[d] || sizes.some((s) => s < 0)) throw new KernelError(op, `split sizes ${showShape(sizes)} do not add up to ${t.shape[d]} (dimension ${d} of ${showShape(t.shape)})`);
  let start = 0;
  return sizes.map((len) => {
    const shape = [...t.shape];
    shape[d] = len;
    const v = g.view(t, shape, t.strides, t.offset + start * t.strides[d]);
    start += len;
    return v;
  });
}

/** `Tensor.split(split_size_or_sections, dim)`: an int gives equal pieces and a shorter last one. */
export function split(g: Graph, t: Tensor, sizeOrSections: number | readonly number[], dim: number): Tensor[] {
  if (typeof sizeOrSections !== 'number') return splitSizes(g, t, sizeOrSections, dim);
  const d = normDim('split', dim, t.shape.length);
  if (sizeOrSections <= 0) throw new KernelError('split', `split_size must be positive, got ${sizeOrSections}`);
  const n = t.shape[d];
  const sizes: number[] = [];
  for (let s = 0; s < n; s += sizeOrSections) sizes.push(Math.min(sizeOrSections, n - s));
  return splitSizes(g, t, sizes.length ? sizes : [0], dim);
}

/** `torch.chunk`: ceil(n / chunks) per piece, so fewer than `chunks` pieces may come back. */
export function chunk(g: Graph, t: Tensor, chunks: number, dim: number): Tensor[] {
  if (!Number.isInteger(chunks) || chunks <= 0) throw new KernelError('chunk', `chunks must be a positive int, got ${chunks}`);
  const d = normDim('chunk', dim, t.shape.length);
  const each = Math.ceil(t.shape[d] / chunks);
  return each === 0 ? [t] : split(g, t, each, d);
}

/** `torch.stack`: a new tensor; backward only unbinds the gradient, so nothing is saved. */
export function stack(g: Graph, ts: readonly Tensor[], dim: number): Tensor {
  if (ts.length === 0) throw new KernelError('stack', 'expected a non-empty list of tensors');
  const base = ts[0].shape;
  for (const t of ts) {
    if (t.shape.length !== base.length || t.shape.some((s, i) => s !== base[i])) throw new KernelError('stack', `stack expects each tensor to be equal size, got ${showShape(base)} and ${showShape(t.shape)}`);
  }
  const d = normDim('stack', dim, base.length + 1);
  const shape = [...base];
  shape.splice(d, 0, ts.length);
  return g.op({ kind: 'stack', inputs: ts, outputs: [{ shape, dtype: ts.map((t) => t.dtype).reduce(promote) }] })[0];
}

/** `Tensor.repeat(*sizes)`: a new tensor; backward sums over the tiles (sizes only, measured: nothing saved). */
export function repeat(g: Graph, t: Tensor, reps: readonly number[]): Tensor {
  if (reps.length < t.shape.length) throw new KernelError('repeat', `number of repeat dims (${reps.length}) can not be smaller than the tensor's rank (${t.shape.length})`);
  const lead = reps.length - t.shape.length;
  const shape = reps.map((r, i) => r * (i < lead ? 1 : t.shape[i - lead]));
  return g.op({ kind: 'repeat', inputs: [t], outputs: [{ shape, dtype: t.dtype }] })[0];
}

/**
 * `Tensor.masked_fill(mask, value)`: the backward zeroes the gradient where the mask is set, so
 * it keeps the bool mask (derivatives.yaml `masked_fill.Scalar: grad.masked_fill(mask, 0)`;
 * measured on PyTorch 1.13 CPU). The mask broadcasts to the input; the in-place form keeps it too.
 */
export function maskedFill(g: Graph, t: Tensor, mask: Tensor, inplace: boolean): Tensor {
  const op = inplace ? 'masked_fill_' : 'masked_fill';
  if (mask.dtype !== 'bool' && mask.dtype !== 'uint8') throw new KernelError(op, `expected a bool mask, got ${mask.dtype}`);
  const shape = broadcastShapes(op, t.shape, mask.shape);
  if (inplace) {
    if (shape.length !== t.shape.length || shape.some((s, i) => s !== t.shape[i])) throw new KernelError(op, `mask ${showShape(mask.shape)} does not broadcast to the tensor's shape ${showShape(t.shape)}`);
    return g.inplace(op, t, [mask], () => (t.requiresGrad ? [mask] : []), numel(t.shape));
  }
  return g.op({ kind: op, inputs: [t, mask], outputs: [{ shape, dtype: t.dtype }], save: () => (t.requiresGrad ? [mask] : []), flops: numel(shape) })[0];
}

export const shapeRules = {
  cat: (g: Graph, a: KernelArgs) => cat(g, tensorListArg('cat', a, 'tensors'), intArg('cat', a, 'dim', 0)),
  contiguous: (g: Graph, a: KernelArgs) => contiguous(g, tensorArg('contiguous', a, 'input')),
  expand: (g: Graph, a: KernelArgs) => expand(g, tensorArg('expand', a, 'input'), dimsOf('expand', a, 'size')),
  flatten: (g: Graph, a: KernelArgs) =>
    flatten(g, tensorArg('flatten', a, 'input'), intArg('flatten', a, 'start_dim', 0), intArg('flatten', a, 'end_dim', -1)),
  masked_fill: (g: Graph, a: KernelArgs) => maskedFill(g, tensorArg('masked_fill', a, 'input'), tensorArg('masked_fill', a, 'mask'), false),
  masked_fill_: (g: Graph, a: KernelArgs) => maskedFill(g, tensorArg('masked_fill_', a, 'input'), tensorArg('masked_fill_', a, 'mask'), true),
  permute: (g: Graph, a: KernelArgs) => permute(g, tensorArg('permute', a, 'input'), dimsOf('permute', a, 'dims')),
  repeat: (g: Graph, a: KernelArgs) => repeat(g, tensorArg('repeat', a, 'input'), dimsOf('repeat', a, 'repeats')),
  reshape: (g: Graph, a: KernelArgs) => reshape(g, tensorArg('reshape', a, 'input'), dimsOf('reshape', a, 'shape')),
  squeeze: (g: Graph, a: KernelArgs) =>
    squeeze(g, tensorArg('squeeze', a, 'input'), a.dim === undefined || a.dim === null ? undefined : intArg('squeeze', a, 'dim')),
  stack: (g: Graph, a: KernelArgs) => stack(g, tensorListArg('stack', a, 'tensors'), intArg('stack', a, 'dim', 0)),
  t: (g: Graph, a: KernelArgs) => {
    const t = tensorArg('t', a, 'input');
    return t.shape.length < 2 ? t : transpose(g, t, 0, 1);
  },
  transpose: (g: Graph, a: KernelArgs) =>
    transpose(g, tensorArg('transpose', a, 'input'), intArg('transpose', a, 'dim0'), intArg('transpose', a, 'dim1')),
  unsqueeze: (g: Graph, a: KernelArgs) => unsqueeze(g, tensorArg('unsqueeze', a, 'input'), intArg('unsqueeze', a, 'dim')),
  view: (g: Graph, a: KernelArgs) => view(g, tensorArg('view', a, 'input'), dimsOf('view', a, 'size')),
};
