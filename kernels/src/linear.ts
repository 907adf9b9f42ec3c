import { KernelArgs, optTensorArg, tensorArg } from './args';
import { atenInplace, atenOp } from './autograd';
import { castLowPrecision, showShape } from './common';
import { atenTensor } from './dispatch';
import { expand, reshape, transpose, view } from './shapeops';
import { broadcastShapes, isContiguous } from './shape';
import { Graph, KernelError, KResult, Tensor, numel } from './types';

// mm/bmm/addmm save each operand only when the *other* one needs grad (derivatives.yaml:
// `self: mm_mat1_backward(grad, mat2, …)`, `mat2: mm_mat2_backward(grad, self, …)`, and the
// codegen's should_compute_output guard); kernels/src/autograd.ts reads that per release.

/** `torch.mm`: [n,k] @ [k,m]. */
export function mm(g: Graph, a: Tensor, b: Tensor, kind = 'mm'): Tensor {
  if (a.shape.length !== 2 || b.shape.length !== 2 || a.shape[1] !== b.shape[0]) {
    throw new KernelError(kind, `cannot multiply ${showShape(a.shape)} by ${showShape(b.shape)}`);
  }
  const [n, k] = a.shape;
  const m = b.shape[1];
  const args = kind === 'mv' ? { self: a, vec: b } : { self: a, mat2: b };
  return atenOp(g, kind, args, [{ shape: [n, m], dtype: a.dtype }], { flops: 2 * n * k * m })[0];
}

/** `torch.addmm(bias, a, b)`: the bias's gradient needs nothing saved. */
function addmm(g: Graph, bias: Tensor, a: Tensor, b: Tensor): Tensor {
  const [n, k] = a.shape;
  const m = b.shape[1];
  if (k !== b.shape[0]) throw new KernelError('linear', `cannot multiply ${showShape(a.shape)} by ${showShape(b.shape)}`);
  return atenOp(g, 'addmm', { self: bias, mat1: a, mat2: b }, [{ shape: [n, m], dtype: a.dtype }], { flops: 2 * n * k * m })[0];
}

/** `torch.bmm`: [b,n,k] @ [b,k,m]. */
export function bmm(g: Graph, a: Tensor, b: Tensor): Tensor {
  if (a.shape.length !== 3 || b.shape.length !== 3 || a.shape[0] !== b.shape[0] || a.shape[2] !== b.shape[1]) {
    throw new KernelError('bmm', `cannot multiply ${showShape(a.shape)} by ${showShape(b.shape)}`);
  }
  const [bs, n, k] = a.shape;
  const m = b.shape[2];
  return atenOp(g, 'bmm', { self: a, mat2: b }, [{ shape: [bs, n, m], dtype: a.dtype }], { flops: 2 * bs * n * k * m })[0];
}

/** `torch.baddbmm(input, a, b)` = input + a @ b (input broadcasts to `[b,n,m]`); input's gradient needs nothing saved. */
export function baddbmm(g: Graph, input: Tensor, a: Tensor, b: Tensor): Tensor {
  if (a.shape.length !== 3 || b.shape.length !== 3 || a.shape[0] !== b.shape[0] || a.shape[2] !== b.shape[1]) {
    throw new KernelError('baddbmm', `cannot multiply ${showShape(a.shape)} by ${showShape(b.shape)}`);
  }
  const [bs, n, k] = a.shape;
  const m = b.shape[2];
  const shape = [bs, n, m];
  if (broadcastShapes('baddbmm', input.shape, shape).some((d, i) => d !== shape[i])) {
    throw new KernelError('baddbmm', `input ${showShape(input.shape)} does not broadcast to ${showShape(shape)}`);
  }
  return atenOp(g, 'baddbmm', { self: input, batch1: a, batch2: b }, [{ shape, dtype: a.dtype }], { flops: 2 * bs * n * k * m })[0];
}

/**
 * `torch.matmul` as ATen dispatches it: 2-D uses mm; an N-D left operand with a 2-D right one is
 * folded to mm by `reshape` (a copy when the left operand is not viewable, and the copy is what
 * mm saves); otherwise both sides are expanded and reshaped to 3-D for bmm.
 */
export function matmul(g: Graph, a0: Tensor, b0: Tensor): Tensor {
  const [a, b] = castLowPrecision(g, [a0, b0]);
  const ra = a.shape.length;
  const rb = b.shape.length;
  if (ra === 0 || rb === 0) throw new KernelError('matmul', 'both arguments need at least 1 dimension');
  // Check the contracted dimension here so the error names `matmul` (what the user called), not
  // the `mm`/`bmm` it dispatches to.
  if (a.shape[ra - 1] !== b.shape[rb === 1 ? 0 : rb - 2]) throw new KernelError('matmul', `cannot multiply ${showShape(a.shape)} by ${showShape(b.shape)}`);
  if (ra === 1 && rb === 1) {
    if (a.shape[0] !== b.shape[0]) throw new KernelError('matmul', `cannot multiply ${showShape(a.shape)} by ${showShape(b.shape)}`);
    return atenOp(g, 'dot', { self: a, tensor: b }, [{ shape: [], dtype: a.dtype }], { flops: 2 * a.shape[0] })[0];
  }
  if (ra <= 2 && rb <= 2) {
    const a2 = ra === 1 ? view(g, a, [1, a.shape[0]]) : a;
    const b2 = rb === 1 ? view(g, b, [b.shape[0], 1]) : b;
    const out = mm(g, a2, b2, rb === 1 && ra === 2 ? 'mv' : 'mm');
    const shape = [...(ra === 2 ? [a.shape[0]] : []), ...(rb === 2 ? [b.shape[1]] : [])];
    return shape.length === 2 ? out : view(g, out, shape);
  }
  if (ra >= 3 && rb <= 2) {
    const k = a.shape[ra - 1];
    const folded = reshape(g, a, [-1, k]);
    const b2 = rb === 1 ? view(g, b, [b.shape[0], 1]) : b;
    const out = mm(g, folded, b2);
    const shape = [...a.shape.slice(0, -1), ...(rb === 2 ? [b.shape[1]] : [])];
    return view(g, out, shape);
  }
  // Batched: broadcast the batch dimensions, then bmm on [batch, n, k] @ [batch, k, m].
  const aMat = ra === 1 ? [1, a.shape[0]] : a.shape.slice(-2);
  const bMat = rb === 1 ? [b.shape[0], 1] : b.shape.slice(-2);
  if (aMat[1] !== bMat[0]) throw new KernelError('matmul', `cannot multiply ${showShape(a.shape)} by ${showShape(b.shape)}`);
  const aBatch = ra > 2 ? a.shape.slice(0, -2) : [];
  const bBatch = rb > 2 ? b.shape.slice(0, -2) : [];
  const n = Math.max(aBatch.length, bBatch.length);
  const batch: number[] = [];
  for (let i = 0; i < n; i++) {
    const x = aBatch[aBatch.length - n + i] ?? 1;
    const y = bBatch[bBatch.length - n + i] ?? 1;
    if (x !== y && x !== 1 && y !== 1) throw new KernelError('matmul', `batch dimensions of ${showShape(a.shape)} and ${showShape(b.shape)} do not broadcast`);
    batch.push(x === 1 ? y : x);
  }
  const nb = numel(batch);
  const a3src = ra === 1 ? view(g, a, aMat) : a;
  const b3src = rb === 1 ? view(g, b, bMat) : b;
  const a3 = reshape(g, expand(g, a3src, [...batch, ...aMat]), [nb, aMat[0], aMat[1]]);
  const b3 = reshape(g, expand(g, b3src, [...batch, ...bMat]), [nb, bMat[0], bMat[1]]);
  const out = bmm(g, a3, b3);
  const shape = [...batch, ...(ra === 1 ? [] : [aMat[0]]), ...(rb === 1 ? [] : [bMat[1]])];
  return view(g, out, shape);
}

/**
 * `F.linear` as ATen implements it: 2-D input with bias → addmm; contiguous 3-D input with bias →
 * addmm on a flattened view; anything else → matmul then an in-place bias add.
 */
export function linear(g: Graph, x0: Tensor, w0: Tensor, bias0: Tensor | null): Tensor {
  const [x, w, ...rest] = castLowPrecision(g, bias0 ? [x0, w0, bias0] : [x0, w0]);
  const bias = rest[0] ?? null;
  if (w.shape.length !== 2) throw new KernelError('linear', `weight must be 2-D, got ${showShape(w.shape)}`);
  const k = x.shape[x.shape.length - 1];
  if (k !== w.shape[1]) {
    throw new KernelError('linear', `input's last dimension ${k} does not match in_features ${w.shape[1]} (input ${showShape(x.shape)}, weight ${showShape(w.shape)})`);
  }
  const wt = transpose(g, w, 0, 1);
  if (bias && x.shape.length === 2) return addmm(g, bias, x, wt);
  if (bias && x.shape.length === 3 && isContiguous(x)) {
    const out = addmm(g, bias, view(g, x, [-1, k]), wt);
    return view(g, out, [...x.shape.slice(0, -1), w.shape[0]]);
  }
  const out = matmul(g, x, wt);
  return bias ? atenInplace(g, 'add_.Tensor', { self: out, other: bias, alpha: 1 }, numel(out.shape)) : out;
}

/**
 * `torch._grouped_mm(self, mat2, offs, bias, out_dtype)` (`F.grouped_mm`, 2.x; CPU fallback
 * measured on 2.13/2.14): 3-D × 3-D is a batched matmul `[G, M, N]`; with `offs` (G group ends),
 * 2-D × 3-D gives `[M, N]`, 3-D × 2-D `[M, N]` and 2-D × 2-D (groups along K) `[G, M, N]`. Its
 * backward keeps each operand for the other's gradient, and the offsets.
 */
export function groupedMm(g: Graph, a: Tensor, b: Tensor, offs: Tensor | null, bias: Tensor | null, outDtype: Tensor['dtype'] | null): Tensor {
  const op = '_grouped_mm';
  const [ra, rb] = [a.shape.length, b.shape.length];
  if ((ra !== 2 && ra !== 3) || (rb !== 2 && rb !== 3)) throw new KernelError(op, `mat_a and mat_b must be 2-D or 3-D, got ${showShape(a.shape)} and ${showShape(b.shape)}`);
  const k = a.shape[ra - 1];
  if (k !== b.shape[rb - 2]) throw new KernelError(op, `contraction dimension of mat_a and mat_b must match, got ${showShape(a.shape)} and ${showShape(b.shape)}`);
  if ((ra === 2 || rb === 2) && !offs) throw new KernelError(op, 'offs needs to be set when either input is 2-D');
  if (ra === 3 && rb === 3 && a.shape[0] !== b.shape[0]) throw new KernelError(op, `batch sizes of mat_a and mat_b must match, got ${a.shape[0]} and ${b.shape[0]}`);
  let shape: number[];
  if (ra === 3 && rb === 3) shape = [a.shape[0], a.shape[1], b.shape[2]];
  else if (ra === 2 && rb === 3) shape = [a.shape[0], b.shape[2]];
  else if (ra === 3) shape = [a.shape[1], b.shape[1]];
  else shape = [offs!.shape[0], a.shape[0], b.shape[1]];
  return atenOp(g, op, { self: a, mat2: b, offs, bias }, [{ shape, dtype: outDtype ?? a.dtype }], { flops: 2 * numel(shape) * (ra === 2 && rb === 2 ? k / Math.max(1, offs!.shape[0]) : k) })[0];
}

/** aten rows: schema argument names. */
/**
 * `bilinear(x1, x2, weight, bias)` (CompositeImplicitAutograd): both inputs reshaped to 2-D,
 * `_trilinear(x1, weight, x2, [1,3], [0], [1,2], [2,3])` → `[B, out]` reshaped to the batch dims,
 * `+ bias`. `_trilinear` keeps its three inputs (2.x: each only for the others' gradients).
 */
export function bilinear(g: Graph, x1: Tensor, x2: Tensor, w: Tensor, bias: Tensor | null): Tensor {
  const op = 'bilinear';
  if (x1.shape.length !== x2.shape.length) throw new KernelError(op, `bilinear(): input dimensions do not match: got ${x1.shape.length} and ${x2.shape.length}`);
  for (let i = 0; i < x1.shape.length - 1; i++) {
    if (x1.shape[i] !== x2.shape[i]) throw new KernelError(op, `bilinear(): input batch dimensions do not match at dim ${i}: got ${x1.shape[i]} and ${x2.shape[i]}`);
  }
  if (w.shape.length !== 3) throw new KernelError(op, `weight must be 3-D, got ${showShape(w.shape)}`);
  const [out, in1, in2] = w.shape;
  if (x1.shape[x1.shape.length - 1] !== in1) throw new KernelError(op, `bilinear(): input1 size does not match weight size: got ${x1.shape[x1.shape.length - 1]} but expected ${in1}`);
  if (x2.shape[x2.shape.length - 1] !== in2) throw new KernelError(op, `bilinear(): input2 size does not match weight size: got ${x2.shape[x2.shape.length - 1]} but expected ${in2}`);
  if (bias && bias.shape[0] !== out) throw new KernelError(op, `bilinear(): bias size does not match weight size: got ${bias.shape[0]} but expected ${out}`);
  const f1 = reshape(g, x1, [-1, in1]);
  const f2 = reshape(g, x2, [-1, in2]);
  const b = f1.shape[0];
  const y = atenOp(g, '_trilinear', { i1: f1, i2: w, i3: f2, expand1: [1, 3], expand2: [0], expand3: [1, 2], sumdim: [2, 3], unroll_dim: 1 }, [{ shape: [b, out], dtype: x1.dtype }], { flops: 2 * b * out * in1 * in2 })[0];
  const shaped = reshape(g, y, [...x1.shape.slice(0, -1), out]);
  return bias ? atenTensor(g, 'add.Tensor', { self: shaped, other: bias, alpha: 1 }) : shaped;
}

export const linearAten = {
  bilinear: (g: Graph, a: KernelArgs): KResult => bilinear(g, tensorArg('bilinear', a, 'input1'), tensorArg('bilinear', a, 'input2'), tensorArg('bilinear', a, 'weight'), optTensorArg('bilinear', a, 'bias')),
  addmm: (g: Graph, a: KernelArgs): KResult => {
    const [bias, m1, m2] = castLowPrecision(g, [tensorArg('addmm', a, 'self'), tensorArg('addmm', a, 'mat1'), tensorArg('addmm', a, 'mat2')]);
    if (m1.shape.length !== 2 || m2.shape.length !== 2) throw new KernelError('addmm', `mat1 and mat2 must be 2-D, got ${showShape(m1.shape)} and ${showShape(m2.shape)}`);
    return addmm(g, bias, m1, m2);
  },
  baddbmm: (g: Graph, a: KernelArgs): KResult => {
    const [x, m1, m2] = castLowPrecision(g, [tensorArg('baddbmm', a, 'self'), tensorArg('baddbmm', a, 'batch1'), tensorArg('baddbmm', a, 'batch2')]);
    return baddbmm(g, x, m1, m2);
  },
  bmm: (g: Graph, a: KernelArgs): KResult => {
    const [x, y] = castLowPrecision(g, [tensorArg('bmm', a, 'self'), tensorArg('bmm', a, 'mat2')]);
    return bmm(g, x, y);
  },
  dot: (g: Graph, a: KernelArgs): KResult => matmul(g, tensorArg('dot', a, 'self'), tensorArg('dot', a, 'tensor')),
  linear: (g: Graph, a: KernelArgs): KResult => linear(g, tensorArg('linear', a, 'input'), tensorArg('linear', a, 'weight'), optTensorArg('linear', a, 'bias')),
  matmul: (g: Graph, a: KernelArgs): KResult => matmul(g, tensorArg('matmul', a, 'self'), tensorArg('matmul', a, 'other')),
  mm: (g: Graph, a: KernelArgs): KResult => {
    const [x, y] = castLowPrecision(g, [tensorArg('mm', a, 'self'), tensorArg('mm', a, 'mat2')]);
    return mm(g, x, y);
  },
  mv: (g: Graph, a: KernelArgs): KResult => matmul(g, tensorArg('mv', a, 'self'), tensorArg('mv', a, 'vec')),
  /** `outer(self, vec2)` = `self.reshape(-1, 1) * vec2` (CompositeImplicitAutograd). */
  outer: (g: Graph, a: KernelArgs): KResult => {
    const x = tensorArg('outer', a, 'self');
    const y = tensorArg('outer', a, 'vec2');
    return atenOp(g, 'mul.Tensor', { self: reshape(g, x, [-1, 1]), other: y }, [{ shape: [numel(x.shape), numel(y.shape)], dtype: x.dtype }], { flops: numel(x.shape) * numel(y.shape) })[0];
  },
};
