import { KernelArgs, boolArg, intArg, intsArg, tensorArg, tensorListArg } from './args';
import { atenInplace, atenOp } from './autograd';
import { isTensor, showShape } from './common';
import { promoteTypes } from './promotion';
import { broadcastShapes, contiguousStrides, inferShape, isContiguous, normDim, viewStrides } from './shape';
import { DType, Graph, KernelError, KResult, Tensor, isComplex, numel } from './types';

// Views share their base's storage and save nothing for backward (their backward needs only
// sizes). Copies (`contiguous` of a strided tensor, `reshape` that cannot view) allocate a new
// tensor and also save nothing: see derivatives.yaml (`clone`, `_reshape_alias`, `cat`).


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
export function copy(g: Graph, t: Tensor): Tensor {
  return atenOp(g, 'clone', { self: t }, [{ shape: t.shape, dtype: t.dtype }])[0];
}

/** `Tensor.reshape`: a view when the strides allow it, else a copy. */
export function reshape(g: Graph, t: Tensor, requested: readonly number[]): Tensor {
  const shape = inferShape('reshape', requested, numel(t.shape));
  const strides = viewStrides(t.shape, t.strides, shape);
  if (strides) return g.view(t, shape, strides, t.offset);
  const c = copy(g, t);
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
  const dtype = parts.map((t) => t.dtype).reduce(promoteTypes);
  return atenOp(g, 'cat', { tensors: [...ts], dim }, [{ shape, dtype }])[0];
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
  return atenOp(g, 'stack', { tensors: [...ts], dim }, [{ shape, dtype: ts.map((t) => t.dtype).reduce(promoteTypes) }])[0];
}

/** `Tensor.repeat(*sizes)`: a new tensor; backward sums over the tiles (sizes only, measured: nothing saved). */
export function repeat(g: Graph, t: Tensor, reps: readonly number[]): Tensor {
  if (reps.length < t.shape.length) throw new KernelError('repeat', `number of repeat dims (${reps.length}) can not be smaller than the tensor's rank (${t.shape.length})`);
  const lead = reps.length - t.shape.length;
  const shape = reps.map((r, i) => r * (i < lead ? 1 : t.shape[i - lead]));
  return atenOp(g, 'repeat', { self: t, repeats: [...reps] }, [{ shape, dtype: t.dtype }])[0];
}

/**
 * `Tensor.masked_fill(mask, value)`: the backward zeroes the gradient where the mask is set, so
 * it keeps the bool mask (derivatives.yaml `masked_fill.Scalar: grad.masked_fill(mask, 0)`;
 * measured on PyTorch 1.13 CPU). The mask broadcasts to the input; the in-place form keeps it too.
 */
export function maskedFill(g: Graph, t: Tensor, mask: Tensor, value: Tensor | number, inplace: boolean): Tensor {
  const op = inplace ? 'masked_fill_' : 'masked_fill';
  if (mask.dtype !== 'bool' && mask.dtype !== 'uint8') throw new KernelError(op, `expected a bool mask, got ${mask.dtype}`);
  const shape = broadcastShapes(op, t.shape, mask.shape);
  const overload = `${op}.${isTensor(value) ? 'Tensor' : 'Scalar'}`;
  const args = { self: t, mask, value };
  if (inplace) {
    if (shape.length !== t.shape.length || shape.some((s, i) => s !== t.shape[i])) throw new KernelError(op, `mask ${showShape(mask.shape)} does not broadcast to the tensor's shape ${showShape(t.shape)}`);
    return atenInplace(g, overload, args, numel(t.shape));
  }
  return atenOp(g, overload, args, [{ shape, dtype: t.dtype }], { flops: numel(shape) })[0];
}

/** `x.unflatten(dim, sizes)`: one dimension split into several (one may be -1); a view. */
export function unflatten(g: Graph, t: Tensor, dim: number, sizes: readonly number[]): Tensor {
  const d = normDim('unflatten', dim, t.shape.length);
  if (sizes.length === 0) throw new KernelError('unflatten', 'sizes must be non-empty');
  const inner = inferShape('unflatten', sizes, t.shape[d]);
  return view(g, t, [...t.shape.slice(0, d), ...inner, ...t.shape.slice(d + 1)], 'unflatten');
}

/** `x.unbind(dim)`: a tuple of views, the dimension dropped. */
export function unbind(g: Graph, t: Tensor, dim: number): Tensor[] {
  const d = normDim('unbind', dim, t.shape.length);
  return Array.from({ length: t.shape[d] }, (_, i) =>
    g.view(t, t.shape.filter((_, k) => k !== d), t.strides.filter((_, k) => k !== d), t.offset + i * t.strides[d]));
}

/** `torch.movedim(x, source, destination)`: a permutation; a view. */
export function movedim(g: Graph, t: Tensor, source: readonly number[], destination: readonly number[]): Tensor {
  if (source.length !== destination.length) throw new KernelError('movedim', 'source and destination must have the same number of dims');
  const r = t.shape.length;
  const src = source.map((d) => normDim('movedim', d, r));
  const dst = destination.map((d) => normDim('movedim', d, r));
  const order = new Array<number>(r).fill(-1);
  src.forEach((s0, i) => (order[dst[i]] = s0));
  const rest = t.shape.map((_, i) => i).filter((i) => !src.includes(i));
  for (let i = 0, k = 0; i < r; i++) if (order[i] < 0) order[i] = rest[k++];
  return permute(g, t, order);
}

/** A new tensor of `t`'s shape from an op that keeps nothing or what derivatives.yaml says (`roll`, `flip`, `tril`). */
function sameShape(g: Graph, overload: string, args: KernelArgs, t: Tensor, dtype: DType = t.dtype): Tensor {
  return atenOp(g, overload, args, [{ shape: t.shape, dtype }], { flops: numel(t.shape) })[0];
}

/** `pixel_shuffle` (`[N, C·r², H, W]` → `[N, C, H·r, W·r]`) and `pixel_unshuffle`: a copy. */
export function pixelShuffle(g: Graph, t: Tensor, r: number, inverse: boolean): Tensor {
  const op = inverse ? 'pixel_unshuffle' : 'pixel_shuffle';
  if (t.shape.length < 3) throw new KernelError(op, `expected at least 3-D input, got ${showShape(t.shape)}`);
  const [c, h, w] = t.shape.slice(-3);
  const lead = t.shape.slice(0, -3);
  let shape: number[];
  if (!inverse) {
    if (c % (r * r) !== 0) throw new KernelError(op, `channels (${c}) must be divisible by the square of upscale_factor (${r * r})`);
    shape = [...lead, c / (r * r), h * r, w * r];
  } else {
    if (h % r !== 0 || w % r !== 0) throw new KernelError(op, `height (${h}) and width (${w}) must be divisible by downscale_factor (${r})`);
    shape = [...lead, c * r * r, h / r, w / r];
  }
  return atenOp(g, op, { self: t }, [{ shape, dtype: t.dtype }])[0];
}

/**
 * `repeat_interleave(self, repeats: int, dim)`: each element repeated along dim (or the flattened
 * tensor). 1.13 runs the tensor overload: `index_select` with a repeated arange, whose backward
 * keeps that int64 index; 2.x views self unsqueezed and expanded, clones it and flattens the two
 * dims (nothing kept).
 */
export function repeatInterleave(g: Graph, t: Tensor, repeats: number, dim: number | null): Tensor {
  if (repeats < 0) throw new KernelError('repeat_interleave', 'Repeats must be non-negative');
  const x = dim === null ? reshape(g, t, [-1]) : t;
  const d = dim === null ? 0 : normDim('repeat_interleave', dim, t.shape.length);
  const shape = [...x.shape];
  shape[d] *= repeats;
  if (g.ctx.torch[0] >= 2) {
    const u = unsqueeze(g, x, d + 1);
    const sizes = [...u.shape];
    sizes[d + 1] = repeats;
    return reshape(g, copy(g, expand(g, u, sizes)), shape);
  }
  const index = g.create('repeat_interleave', [shape[d]], 'int64');
  return atenOp(g, 'index_select', { self: x, dim: d, index }, [{ shape, dtype: t.dtype }])[0];
}

/** `x.to(dtype)` / `x.float()`: a converting copy (`_to_copy`), or x itself when nothing changes. */
export function toDtype(g: Graph, t: Tensor, dtype: DType, copyAlways = false): Tensor {
  if (t.dtype === dtype && !copyAlways) return t;
  const out = atenOp(g, '_to_copy', { self: t, dtype: { dtype } }, [{ shape: t.shape, dtype }])[0];
  // Known elements are real numbers; a complex tensor carries none.
  return t.values && !isComplex(dtype) ? { ...out, values: castTo(t.values, dtype) } : out;
}

function castTo(values: readonly number[], dtype: DType): number[] {
  if (dtype === 'bool') return values.map((v) => (v !== 0 ? 1 : 0));
  if (dtype === 'float32') return values.map((v) => Math.fround(v));
  if (dtype.startsWith('float') || dtype === 'bfloat16') return [...values];
  return values.map((v) => Math.trunc(v));
}

function dims(op: string, a: KernelArgs, name: string): number[] {
  const v = intsArg(op, a, name);
  return typeof v === 'number' ? [v] : v;
}

const self = (op: string, a: KernelArgs) => tensorArg(op, a, 'self');

function dtypeArg(v: unknown): DType | null {
  return typeof v === 'object' && v !== null && 'dtype' in v ? (v as { dtype: DType }).dtype : null;
}

/** aten shape and layout ops, by schema argument names. */
export const shapeAten = {
  cat: (g: Graph, a: KernelArgs): KResult => cat(g, tensorListArg('cat', a, 'tensors'), intArg('cat', a, 'dim', 0)),
  chunk: (g: Graph, a: KernelArgs): KResult => chunk(g, self('chunk', a), intArg('chunk', a, 'chunks'), intArg('chunk', a, 'dim', 0)),
  clone: (g: Graph, a: KernelArgs): KResult => copy(g, self('clone', a)),
  contiguous: (g: Graph, a: KernelArgs): KResult => contiguous(g, self('contiguous', a)),
  detach: (g: Graph, a: KernelArgs): KResult => {
    const t = self('detach', a);
    return { ...g.view(t, t.shape, t.strides, t.offset), requiresGrad: false };
  },
  expand: (g: Graph, a: KernelArgs): KResult => expand(g, self('expand', a), dims('expand', a, 'size')),
  expand_as: (g: Graph, a: KernelArgs): KResult => expand(g, self('expand_as', a), tensorArg('expand_as', a, 'other').shape),
  flatten: (g: Graph, a: KernelArgs): KResult => flatten(g, self('flatten', a), intArg('flatten', a, 'start_dim', 0), intArg('flatten', a, 'end_dim', -1)),
  flip: (g: Graph, a: KernelArgs): KResult => {
    const t = self('flip', a);
    dims('flip', a, 'dims').forEach((d) => normDim('flip', d, t.shape.length));
    return sameShape(g, 'flip', { self: t, dims: a.dims }, t);
  },
  masked_fill: (g: Graph, a: KernelArgs, call: { aten: string | null }): KResult => {
    const value = a.value;
    if (!isTensor(value) && typeof value !== 'number' && typeof value !== 'boolean') throw new KernelError('masked_fill', 'value must be a number or a 0-dim tensor');
    const v = typeof value === 'boolean' ? Number(value) : value;
    return maskedFill(g, self('masked_fill', a), tensorArg('masked_fill', a, 'mask'), v, (call.aten ?? '').startsWith('masked_fill_'));
  },
  movedim: (g: Graph, a: KernelArgs): KResult => movedim(g, self('movedim', a), dims('movedim', a, 'source'), dims('movedim', a, 'destination')),
  permute: (g: Graph, a: KernelArgs): KResult => permute(g, self('permute', a), dims('permute', a, 'dims')),
  pixel_shuffle: (g: Graph, a: KernelArgs): KResult => pixelShuffle(g, self('pixel_shuffle', a), intArg('pixel_shuffle', a, 'upscale_factor'), false),
  pixel_unshuffle: (g: Graph, a: KernelArgs): KResult => pixelShuffle(g, self('pixel_unshuffle', a), intArg('pixel_unshuffle', a, 'downscale_factor'), true),
  repeat: (g: Graph, a: KernelArgs): KResult => repeat(g, self('repeat', a), dims('repeat', a, 'repeats')),
  repeat_interleave: (g: Graph, a: KernelArgs): KResult => {
    if (isTensor(a.repeats)) throw new KernelError('repeat_interleave', 'repeats given as a tensor have a data-dependent size; not modelled');
    return repeatInterleave(g, self('repeat_interleave', a), intArg('repeat_interleave', a, 'repeats'), typeof a.dim === 'number' ? a.dim : null);
  },
  reshape: (g: Graph, a: KernelArgs): KResult => reshape(g, self('reshape', a), dims('reshape', a, 'shape')),
  roll: (g: Graph, a: KernelArgs): KResult => sameShape(g, 'roll', { self: self('roll', a), shifts: a.shifts, dims: a.dims }, self('roll', a)),
  split: (g: Graph, a: KernelArgs): KResult => {
    const size = a.split_size ?? a.split_sizes;
    return split(g, self('split', a), typeof size === 'number' ? size : (size as number[]), intArg('split', a, 'dim', 0));
  },
  split_with_sizes: (g: Graph, a: KernelArgs): KResult => splitSizes(g, self('split_with_sizes', a), dims('split_with_sizes', a, 'split_sizes'), intArg('split_with_sizes', a, 'dim', 0)),
  squeeze: (g: Graph, a: KernelArgs): KResult => {
    const t = self('squeeze', a);
    if (a.dim === undefined || a.dim === null) return squeeze(g, t);
    return dims('squeeze', a, 'dim').map((d) => normDim('squeeze', d, t.shape.length)).sort((x, y) => y - x).reduce((x, d) => squeeze(g, x, d), t);
  },
  stack: (g: Graph, a: KernelArgs): KResult => stack(g, tensorListArg('stack', a, 'tensors'), intArg('stack', a, 'dim', 0)),
  swapaxes: (g: Graph, a: KernelArgs): KResult => transpose(g, self('swapaxes', a), intArg('swapaxes', a, 'axis0'), intArg('swapaxes', a, 'axis1')),
  swapdims: (g: Graph, a: KernelArgs): KResult => transpose(g, self('swapdims', a), intArg('swapdims', a, 'dim0'), intArg('swapdims', a, 'dim1')),
  t: (g: Graph, a: KernelArgs): KResult => {
    const t = self('t', a);
    if (t.shape.length > 2) throw new KernelError('t', `expects a tensor with <= 2 dimensions, but self is ${t.shape.length}D`);
    return t.shape.length < 2 ? t : transpose(g, t, 0, 1);
  },
  tile: (g: Graph, a: KernelArgs): KResult => {
    const t = self('tile', a);
    const reps = dims('tile', a, 'dims');
    return repeat(g, t, [...new Array<number>(Math.max(0, t.shape.length - reps.length)).fill(1), ...reps]);
  },
  to: (g: Graph, a: KernelArgs, call: { aten: string | null }): KResult => {
    const t = self('to', a);
    if (call.aten === 'to.dtype' && a.dtype === undefined) throw new KernelError('to', 'the target dtype is not given; not modelled');
    const target = dtypeArg(a.dtype) ?? (isTensor(a.other) ? a.other.dtype : null);
    return toDtype(g, t, target ?? t.dtype, boolArg(a, 'copy', false));
  },
  _to_copy: (g: Graph, a: KernelArgs): KResult => {
    const t = self('_to_copy', a);
    return toDtype(g, t, dtypeArg(a.dtype) ?? t.dtype, true);
  },
  transpose: (g: Graph, a: KernelArgs): KResult => transpose(g, self('transpose', a), intArg('transpose', a, 'dim0'), intArg('transpose', a, 'dim1')),
  tril: (g: Graph, a: KernelArgs, call: { aten: string | null }): KResult => triangle(g, a, call.aten ?? 'tril'),
  triu: (g: Graph, a: KernelArgs, call: { aten: string | null }): KResult => triangle(g, a, call.aten ?? 'triu'),
  unbind: (g: Graph, a: KernelArgs): KResult => unbind(g, self('unbind', a), intArg('unbind', a, 'dim', 0)),
  unflatten: (g: Graph, a: KernelArgs): KResult => unflatten(g, self('unflatten', a), intArg('unflatten', a, 'dim'), dims('unflatten', a, 'sizes')),
  unsqueeze: (g: Graph, a: KernelArgs): KResult => unsqueeze(g, self('unsqueeze', a), intArg('unsqueeze', a, 'dim')),
  view: (g: Graph, a: KernelArgs): KResult => {
    if (a.dtype !== undefined) throw new KernelError('view', 'view(dtype) is not modelled');
    return view(g, self('view', a), dims('view', a, 'size'));
  },
  view_as: (g: Graph, a: KernelArgs): KResult => view(g, self('view_as', a), tensorArg('view_as', a, 'other').shape),
  reshape_as: (g: Graph, a: KernelArgs): KResult => reshape(g, self('reshape_as', a), tensorArg('reshape_as', a, 'other').shape),
};

/** `tril`/`triu` (and in place): a copy of self's shape; backward keeps nothing (derivatives.yaml). */
function triangle(g: Graph, a: KernelArgs, overload: string): Tensor {
  const t = self(overload, a);
  if (t.shape.length < 2) throw new KernelError(overload, `input tensor must have at least 2 dimensions, got ${t.shape.length}`);
  if (overload.endsWith('_')) return atenInplace(g, overload, { self: t, diagonal: a.diagonal ?? 0 }, numel(t.shape));
  return sameShape(g, overload, { self: t, diagonal: a.diagonal ?? 0 }, t);
}
