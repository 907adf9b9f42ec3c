import { KernelError, Tensor, numel } from './types';

/** Row-major strides (in elements) of a contiguous tensor of this shape. */
export function contiguousStrides(shape: readonly number[]): number[] {
  const strides = new Array<number>(shape.length);
  let s = 1;
  for (let i = shape.length - 1; i >= 0; i--) {
    strides[i] = s;
    s *= Math.max(shape[i], 1);
  }
  return strides;
}

/**
 * Dense strides for `shape` laid out in the memory order of `like` (`empty_like` with
 * `preserve_format`): dimensions sorted by `like`'s strides, outermost first, ties by position.
 */
export function stridesLike(shape: readonly number[], like: Pick<Tensor, 'shape' | 'strides'>): number[] {
  const order = shape.map((_, i) => i).sort((a, b) => (like.strides[b] ?? 0) - (like.strides[a] ?? 0) || a - b);
  const strides = new Array<number>(shape.length);
  let s = 1;
  for (let j = order.length - 1; j >= 0; j--) {
    strides[order[j]] = s;
    s *= Math.max(shape[order[j]], 1);
  }
  return strides;
}

/**
 * The strides TensorIterator gives the output of a pointwise op (`reorder_dimensions`): when every
 * operand is contiguous, contiguous; otherwise the dimensions are ordered by the operands' strides
 * (broadcast ones skipped, the first operand that tells deciding, equal strides putting the smaller
 * dimension inside), so `x.transpose(1, 2) * 2` keeps `x`'s memory order and is not contiguous.
 */
export function iteratorStrides(shape: readonly number[], operands: readonly Pick<Tensor, 'shape' | 'strides'>[]): number[] {
  const n = shape.length;
  if (operands.every((t) => isContiguous(t))) return contiguousStrides(shape);
  const strides = operands.map((t) => {
    const off = n - t.shape.length;
    return shape.map((d, i) => (i < off || (t.shape[i - off] === 1 && d !== 1) ? 0 : t.strides[i - off]));
  });
  const shouldSwap = (d0: number, d1: number): number => {
    for (const st of strides) {
      const [a, b] = [st[d0], st[d1]];
      if (a === 0 || b === 0) continue;
      if (a < b) return -1;
      if (a > b) return 1;
      if (shape[d0] > shape[d1]) return 1;
    }
    return 0;
  };
  const perm = Array.from({ length: n }, (_, i) => n - 1 - i); // innermost first
  for (let i = 1; i < n; i++) {
    let d1 = i;
    for (let d0 = i - 1; d0 >= 0; d0--) {
      const c = shouldSwap(perm[d0], perm[d1]);
      if (c > 0) {
        [perm[d0], perm[d1]] = [perm[d1], perm[d0]];
        d1 = d0;
      } else if (c < 0) break;
    }
  }
  const out = new Array<number>(n);
  let acc = 1;
  for (const d of perm) {
    out[d] = acc;
    acc *= Math.max(shape[d], 1);
  }
  return out;
}

/** torch's `is_contiguous()`: size-1 dimensions may have any stride. */
export function isContiguous(t: Pick<Tensor, 'shape' | 'strides'>): boolean {
  let expected = 1;
  for (let i = t.shape.length - 1; i >= 0; i--) {
    const size = t.shape[i];
    if (size === 0) return true;
    if (size !== 1 && t.strides[i] !== expected) return false;
    expected *= size;
  }
  return true;
}

/** Python-style dimension index (negative counts from the end), checked against `rank`. */
export function normDim(op: string, dim: number, rank: number): number {
  const r = Math.max(rank, 1);
  if (!Number.isInteger(dim) || dim < -r || dim >= r) {
    throw new KernelError(op, `dimension ${dim} out of range for a tensor of rank ${rank}`);
  }
  return dim < 0 ? dim + r : dim;
}

/** Resolve a single -1 in a requested shape against the element count. */
export function inferShape(op: string, requested: readonly number[], total: number): number[] {
  const shape = [...requested];
  const free = shape.indexOf(-1);
  if (shape.filter((d) => d === -1).length > 1) throw new KernelError(op, 'only one dimension can be inferred');
  if (free >= 0) {
    const known = numel(shape.filter((_, i) => i !== free));
    if (known === 0 || total % known !== 0) {
      throw new KernelError(op, `shape [${requested.join(', ')}] is invalid for input of size ${total}`);
    }
    shape[free] = total / known;
  }
  if (numel(shape) !== total) {
    throw new KernelError(op, `shape [${requested.join(', ')}] is invalid for input of size ${total}`);
  }
  return shape;
}

/**
 * Strides that let `newShape` view a tensor of `oldShape`/`oldStrides` without copying, or null
 * when no such view exists (then `reshape` copies). Same rule as ATen's `computeStride`: each run
 * of old dimensions that is contiguous in memory may be split or merged freely.
 */
export function viewStrides(oldShape: readonly number[], oldStrides: readonly number[], newShape: readonly number[]): number[] | null {
  if (numel(oldShape) === 0) return contiguousStrides(newShape);
  const newStrides = new Array<number>(newShape.length).fill(0);
  if (oldShape.length === 0) return newShape.map(() => 1);
  let viewD = newShape.length - 1;
  let chunkBase = oldStrides[oldShape.length - 1];
  let tensorElems = 1;
  let viewElems = 1;
  for (let d = oldShape.length - 1; d >= 0; d--) {
    tensorElems *= oldShape[d];
    // A chunk ends where the next-outer old dimension is not laid out right after this one.
    if (d === 0 || (oldShape[d - 1] !== 1 && oldStrides[d - 1] !== tensorElems * chunkBase)) {
      while (viewD >= 0 && (viewElems < tensorElems || newShape[viewD] === 1)) {
        newStrides[viewD] = viewElems * chunkBase;
        viewElems *= newShape[viewD];
        viewD--;
      }
      if (viewElems !== tensorElems) return null;
      if (d > 0) {
        chunkBase = oldStrides[d - 1];
        tensorElems = 1;
        viewElems = 1;
      }
    }
  }
  if (viewD !== -1) return null;
  return newStrides;
}

/** NumPy broadcasting of two shapes. */
export function broadcastShapes(op: string, a: readonly number[], b: readonly number[]): number[] {
  const n = Math.max(a.length, b.length);
  const out = new Array<number>(n);
  for (let i = 0; i < n; i++) {
    const da = a[a.length - n + i] ?? 1;
    const db = b[b.length - n + i] ?? 1;
    if (da !== db && da !== 1 && db !== 1) {
      throw new KernelError(op, `shapes [${a.join(', ')}] and [${b.join(', ')}] cannot be broadcast`);
    }
    out[i] = da === 1 ? db : da;
  }
  return out;
}

/** Output length of a sliding window (convolution, pooling) along one dimension. */
export function windowOut(size: number, kernel: number, stride: number, padding: number, dilation: number, ceilMode = false): number {
  const span = size + 2 * padding - dilation * (kernel - 1) - 1;
  let out = (ceilMode ? Math.ceil(span / stride) : Math.floor(span / stride)) + 1;
  // PyTorch drops a last window that would start inside the right padding.
  if (ceilMode && (out - 1) * stride >= size + padding) out--;
  return out;
}

/** Expand an int-or-tuple argument to `n` values. */
export function tupleN(op: string, name: string, v: number | readonly number[], n: number): number[] {
  if (typeof v === 'number') return new Array<number>(n).fill(v);
  if (v.length === 1) return new Array<number>(n).fill(v[0]);
  if (v.length !== n) throw new KernelError(op, `${name} must have ${n} values, got ${v.length}`);
  return [...v];
}
