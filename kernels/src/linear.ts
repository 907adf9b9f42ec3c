import { KernelArgs, optTensorArg, tensorArg } from './args';
import { atenInplace, atenOp } from './autograd';
import { atenBase } from './catalog';
import { AutocastOp, autocastInputs, isTensor, showShape } from './common';
import { atenTensor } from './dispatch';
import { expand, permute, reshape, squeeze, transpose, view } from './shapeops';
import { broadcastShapes, isContiguous, normDim } from './shape';
import { Graph, KernelError, KResult, OpCall, Tensor, isComplex, numel } from './types';

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
 * mm saves); otherwise both sides are expanded and reshaped to 3-D for bmm. `autocastAs`: the
 * autocast list entry of the op the user called (`dot`, `mv` run this too), null inside an op that
 * autocast already cast (SDPA's math path).
 */
export function matmul(g: Graph, a0: Tensor, b0: Tensor, autocastAs: AutocastOp | null = 'matmul'): Tensor {
  const [a, b] = autocastAs ? autocastInputs(g, autocastAs, [a0, b0]) : [a0, b0];
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
  const [x, w, ...rest] = autocastInputs(g, 'linear', bias0 ? [x0, w0, bias0] : [x0, w0]);
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

/** The product operands and output shape of each `self + product` op (schema names). */
const PRODUCT: Readonly<Record<string, (a: KernelArgs) => { names: [string, string]; shape: (x: Tensor, y: Tensor) => number[] | null }>> = {
  addmm: () => ({ names: ['mat1', 'mat2'], shape: (x, y) => (x.shape.length === 2 && y.shape.length === 2 && x.shape[1] === y.shape[0] ? [x.shape[0], y.shape[1]] : null) }),
  addmv: () => ({ names: ['mat', 'vec'], shape: (x, y) => (x.shape.length === 2 && y.shape.length === 1 && x.shape[1] === y.shape[0] ? [x.shape[0]] : null) }),
  addr: () => ({ names: ['vec1', 'vec2'], shape: (x, y) => (x.shape.length === 1 && y.shape.length === 1 ? [x.shape[0], y.shape[0]] : null) }),
  addbmm: () => ({ names: ['batch1', 'batch2'], shape: (x, y) => (x.shape.length === 3 && y.shape.length === 3 && x.shape[0] === y.shape[0] && x.shape[2] === y.shape[1] ? [x.shape[1], y.shape[2]] : null) }),
  baddbmm: () => ({ names: ['batch1', 'batch2'], shape: (x, y) => (x.shape.length === 3 && y.shape.length === 3 && x.shape[0] === y.shape[0] && x.shape[2] === y.shape[1] ? [x.shape[0], x.shape[1], y.shape[2]] : null) }),
};

/**
 * `addmv`, `addr`, `addbmm` and the in-place `addmm_`, `addmv_`, `addr_`, `addbmm_`, `baddbmm_`:
 * beta·self + alpha·(product). self broadcasts to the product's shape (in place it must have
 * it); each product operand is saved when the other needs grad (derivatives.yaml).
 */
export function addProduct(g: Graph, a: KernelArgs, call: OpCall): KResult {
  const overload = call.aten ?? call.name;
  const base = atenBase(overload);
  const inplace = base.endsWith('_');
  const op = inplace ? base.slice(0, -1) : base;
  const spec = PRODUCT[op]?.(a);
  if (!spec) throw new KernelError(base, 'not a self + product op');
  const self = tensorArg(base, a, 'self');
  const x = tensorArg(base, a, spec.names[0]);
  const y = tensorArg(base, a, spec.names[1]);
  const shape = spec.shape(x, y);
  if (!shape) throw new KernelError(base, `cannot multiply ${showShape(x.shape)} by ${showShape(y.shape)}`);
  const k = op === 'addr' ? 1 : x.shape[x.shape.length - 1];
  const flops = 2 * numel(shape) * k * (op === 'addbmm' ? x.shape[0] : 1);
  if (inplace) {
    const same = self.shape.length === shape.length && self.shape.every((d, i) => d === shape[i]);
    // addbmm_ writes through its out= variant, which resizes a broadcastable self: a new tensor (measured).
    if (!same && op === 'addbmm' && broadcastShapes(base, self.shape, shape).every((d, i) => d === shape[i])) return atenOp(g, overload, a, [{ shape, dtype: x.dtype }], { flops })[0];
    if (!same) throw new KernelError(base, `the input tensor must have size ${showShape(shape)}, got ${showShape(self.shape)}`);
    return atenInplace(g, overload, a, flops);
  }
  if (broadcastShapes(base, self.shape, shape).some((d, i) => d !== shape[i])) throw new KernelError(base, `input ${showShape(self.shape)} does not broadcast to ${showShape(shape)}`);
  return atenOp(g, overload, a, [{ shape, dtype: x.dtype }], { flops })[0];
}

/** `vdot(self, other)`: two 1-D tensors of one length; each is saved when the other needs grad. */
function vdot(g: Graph, a: KernelArgs): KResult {
  const x = tensorArg('vdot', a, 'self');
  const y = tensorArg('vdot', a, 'other');
  if (x.shape.length !== 1 || y.shape.length !== 1) throw new KernelError('vdot', `1D tensors expected, but got ${x.shape.length}D and ${y.shape.length}D tensors`);
  if (x.shape[0] !== y.shape[0]) throw new KernelError('vdot', `inconsistent tensor size, expected tensor [${x.shape[0]}] and src [${y.shape[0]}] to have the same number of elements, but got ${x.shape[0]} and ${y.shape[0]} elements respectively`);
  return atenOp(g, 'vdot', { self: x, other: y }, [{ shape: [], dtype: x.dtype }], { flops: 2 * x.shape[0] })[0];
}

/** `trace(self)`: the sum of a 2-D tensor's diagonal; its backward needs only the sizes. */
function trace(g: Graph, a: KernelArgs): KResult {
  const x = tensorArg('trace', a, 'self');
  if (x.shape.length !== 2) throw new KernelError('trace', `expected a matrix, but got tensor with dim ${x.shape.length}`);
  return atenOp(g, 'trace', { self: x }, [{ shape: [], dtype: ['float32', 'float64', 'float16', 'bfloat16'].includes(x.dtype) || isComplex(x.dtype) ? x.dtype : 'int64' }], { flops: Math.min(x.shape[0], x.shape[1]) })[0];
}

/**
 * `kron(self, other)`: both `_unsafe_view`ed with their dims interleaved with ones (a view, or an
 * error as PyTorch's when the strides do not allow it), `mul`, and the product viewed to
 * [a0·b0, a1·b1, …].
 */
function kron(g: Graph, a: KernelArgs): KResult {
  const x = tensorArg('kron', a, 'self');
  const y = tensorArg('kron', a, 'other');
  const n = Math.max(x.shape.length, y.shape.length);
  const px = n - x.shape.length;
  const py = n - y.shape.length;
  const xs: number[] = [];
  const ys: number[] = [];
  const out: number[] = [];
  for (let i = 0; i < n; i++) {
    const xi = i >= px ? x.shape[i - px] : 1;
    const yi = i >= py ? y.shape[i - py] : 1;
    xs.push(xi, 1);
    ys.push(1, yi);
    out.push(xi * yi);
  }
  const prod = atenTensor(g, 'mul.Tensor', { self: view(g, x, xs, '_unsafe_view'), other: view(g, y, ys, '_unsafe_view') });
  return view(g, prod, out, '_unsafe_view');
}

/**
 * `tensordot(self, other, dims_self, dims_other)`: a contracted dim of size 1 on one side is summed
 * away on the other (`sum(keepdim)`); both are permuted (contracted dims last / first) and reshaped
 * to matrices for one `mm`, then reshaped to the free dims. 2.x, with nothing left uncontracted,
 * takes `dot` of flat views when both permuted operands are contiguous, else
 * `sum(squeeze(self) * squeeze(other))`.
 */
export function tensordot(g: Graph, x: Tensor, y: Tensor, dims1: readonly number[], dims2: readonly number[]): Tensor {
  if (dims1.length !== dims2.length) throw new KernelError('tensordot', 'both dimension lists should have same length');
  const d1 = dims1.map((d) => normDim('tensordot', d, x.shape.length));
  const d2 = dims2.map((d) => normDim('tensordot', d, y.shape.length));
  let t1 = x;
  let t2 = y;
  let csize = 1;
  d1.forEach((da, i) => {
    const db = d2[i];
    const s1 = x.shape[da];
    const s2 = y.shape[db];
    if (s2 === 1) t1 = atenTensor(g, 'sum.dim_IntList', { self: t1, dim: [da], keepdim: true, dtype: null });
    else if (s1 === 1) t2 = atenTensor(g, 'sum.dim_IntList', { self: t2, dim: [db], keepdim: true, dtype: null });
    else {
      if (s1 !== s2) throw new KernelError('tensordot', `contracted dimensions need to match, but first has size ${s1} in dim ${da} and second has size ${s2} in dim ${db}`);
      csize *= s1;
    }
  });
  const free1 = x.shape.map((_, i) => i).filter((i) => !d1.includes(i));
  const free2 = y.shape.map((_, i) => i).filter((i) => !d2.includes(i));
  const rsizes = [...free1.map((i) => t1.shape[i]), ...free2.map((i) => t2.shape[i])];
  const size1 = numel(free1.map((i) => t1.shape[i]));
  const size2 = numel(free2.map((i) => t2.shape[i]));
  const p1 = permute(g, t1, [...free1, ...d1]);
  const p2 = permute(g, t2, [...d2, ...free2]);
  if (g.ctx.torch[0] >= 2 && size1 === 1 && size2 === 1) {
    if (isContiguous(p1) && isContiguous(p2)) {
      const flat = (t: Tensor) => (t.shape.length === 1 ? t : view(g, t, [csize]));
      const f2 = flat(p2);
      const f1 = flat(p1);
      return view(g, atenOp(g, 'dot', { self: f1, tensor: f2 }, [{ shape: [], dtype: x.dtype }], { flops: 2 * csize })[0], rsizes);
    }
    const s2 = squeeze(g, p2);
    const s1 = squeeze(g, p1);
    const sum = atenTensor(g, 'sum', { self: atenTensor(g, 'mul.Tensor', { self: s1, other: s2 }), dtype: { dtype: x.dtype } });
    return view(g, sum, rsizes);
  }
  const m1 = reshape(g, p1, [size1, csize]);
  const m2 = reshape(g, p2, [csize, size2]);
  return reshape(g, mm(g, m1, m2), rsizes);
}

/** `inner(self, other)`: a 0-dim operand multiplies; else `tensordot` over both last dims. */
function inner(g: Graph, a: KernelArgs): KResult {
  const x = tensorArg('inner', a, 'self');
  const y = tensorArg('inner', a, 'other');
  if (x.shape.length === 0 || y.shape.length === 0) return atenTensor(g, 'mul.Tensor', { self: x, other: y });
  if (x.shape[x.shape.length - 1] !== y.shape[y.shape.length - 1]) throw new KernelError('inner', `the last dimension must match on both input tensors but got shapes ${showShape(x.shape)} and ${showShape(y.shape)}`);
  return tensordot(g, x, y, [-1], [-1]);
}

const dimList = (v: unknown): number[] => (typeof v === 'number' ? [v] : Array.isArray(v) ? (v as number[]) : []);

/** `torch.tensordot(a, b, dims)` (Python): dims an int n (last n of a, first n of b) or two lists. */
function pythonTensordot(g: Graph, a: KernelArgs): KResult {
  const x = tensorArg('tensordot', a, 'a');
  const y = tensorArg('tensordot', a, 'b');
  const dims = a.dims === undefined ? 2 : a.dims;
  if (typeof dims === 'number') {
    if (dims < 0) throw new KernelError('tensordot', `tensordot expects dims >= 0, but got dims=${dims}`);
    if (dims > Math.min(x.shape.length, y.shape.length)) throw new KernelError('tensordot', `tensordot expects dims < ndim_a or ndim_b, but got dims=${dims}`);
    return tensordot(g, x, y, Array.from({ length: dims }, (_, i) => i - dims), Array.from({ length: dims }, (_, i) => i));
  }
  if (Array.isArray(dims) && dims.length === 2) return tensordot(g, x, y, dimList(dims[0]), dimList(dims[1]));
  if (isTensor(dims)) throw new KernelError('tensordot', 'dims given as a tensor are not modelled');
  throw new KernelError('tensordot', `tensordot expects dims to be int or tuple[list[int], list[int]] or list[list[int]] containing two lists, but got dims=${JSON.stringify(dims)}`);
}

export const linearPython = { tensordot: pythonTensordot };

/** `smm(self, mat2)`: a sparse × dense product; PyTorch refuses a dense self (measured, 1.13 and 2.14). */
function smm(_g: Graph, a: KernelArgs): KResult {
  tensorArg('smm', a, 'self');
  throw new KernelError('smm', 'tensor.sspaddmm(...) can only be called on sparse tensors');
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
  addProduct,
  inner,
  kron,
  smm,
  tensordot: (g: Graph, a: KernelArgs): KResult => tensordot(g, tensorArg('tensordot', a, 'self'), tensorArg('tensordot', a, 'other'), dimList(a.dims_self), dimList(a.dims_other)),
  trace,
  vdot,
  addmm: (g: Graph, a: KernelArgs, call: OpCall): KResult => {
    if (atenBase(call.aten ?? call.name).endsWith('_')) return addProduct(g, a, call);
    const [bias, m1, m2] = autocastInputs(g, 'addmm', [tensorArg('addmm', a, 'self'), tensorArg('addmm', a, 'mat1'), tensorArg('addmm', a, 'mat2')]);
    if (m1.shape.length !== 2 || m2.shape.length !== 2) throw new KernelError('addmm', `mat1 and mat2 must be 2-D, got ${showShape(m1.shape)} and ${showShape(m2.shape)}`);
    return addmm(g, bias, m1, m2);
  },
  baddbmm: (g: Graph, a: KernelArgs, call: OpCall): KResult => {
    if (atenBase(call.aten ?? call.name).endsWith('_')) return addProduct(g, a, call);
    const [x, m1, m2] = autocastInputs(g, 'baddbmm', [tensorArg('baddbmm', a, 'self'), tensorArg('baddbmm', a, 'batch1'), tensorArg('baddbmm', a, 'batch2')]);
    return baddbmm(g, x, m1, m2);
  },
  bmm: (g: Graph, a: KernelArgs): KResult => {
    const [x, y] = autocastInputs(g, 'bmm', [tensorArg('bmm', a, 'self'), tensorArg('bmm', a, 'mat2')]);
    return bmm(g, x, y);
  },
  dot: (g: Graph, a: KernelArgs): KResult => matmul(g, tensorArg('dot', a, 'self'), tensorArg('dot', a, 'tensor'), 'dot'),
  linear: (g: Graph, a: KernelArgs): KResult => linear(g, tensorArg('linear', a, 'input'), tensorArg('linear', a, 'weight'), optTensorArg('linear', a, 'bias')),
  matmul: (g: Graph, a: KernelArgs): KResult => matmul(g, tensorArg('matmul', a, 'self'), tensorArg('matmul', a, 'other')),
  mm: (g: Graph, a: KernelArgs): KResult => {
    const [x, y] = autocastInputs(g, 'mm', [tensorArg('mm', a, 'self'), tensorArg('mm', a, 'mat2')]);
    return mm(g, x, y);
  },
  mv: (g: Graph, a: KernelArgs): KResult => matmul(g, tensorArg('mv', a, 'self'), tensorArg('mv', a, 'vec'), 'mv'),
  /** `outer(self, vec2)` = `self.reshape(-1, 1) * vec2` (CompositeImplicitAutograd). */
  outer: (g: Graph, a: KernelArgs): KResult => {
    const x = tensorArg('outer', a, 'self');
    const y = tensorArg('outer', a, 'vec2');
    return atenOp(g, 'mul.Tensor', { self: reshape(g, x, [-1, 1]), other: y }, [{ shape: [numel(x.shape), numel(y.shape)], dtype: x.dtype }], { flops: numel(x.shape) * numel(y.shape) })[0];
  },
};
