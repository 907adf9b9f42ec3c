// torch.linalg and the legacy matrix functions (torch.det, torch.svd, torch.inverse, …): the aten
// ops with derivatives of their own (`_linalg_svd`, `_linalg_det`, `linalg_lu_factor_ex`, …) give
// their outputs the shapes and the memory layout LAPACK leaves (batches of column-major
// matrices), and save what the release's derivatives.yaml names — often outputs the caller
// drops (`LU`, `pivots` of `det`, `U`, `Vh` of `svdvals`). The CompositeImplicitAutograd
// functions run the ops they decompose into, so their saved tensors follow (measured per call
// with saved_tensors_hooks and a dispatch trace on PyTorch 1.13, 2.13 and 2.14 CPU).
import { KernelArgs, boolArg, intArg, optTensorArg, strArg, tensorArg, tensorListArg } from './args';
import { AtenOutput, atenOp } from './autograd';
import { atenEntry } from './catalog';
import { isTensor, showShape } from './common';
import { atenTensor, callAten } from './dispatch';
import { factory } from './factories';
import { narrow } from './indexing';
import { matmul, mm } from './linear';
import { contiguousStrides, normDim } from './shape';
import { contiguous, expand, permute, reshape, squeeze, toDtype, transpose, unsqueeze } from './shapeops';
import { DType, Graph, KernelError, KResult, OpCall, Tensor, isComplex, isFloating, numel, realDtype } from './types';

/**
 * Strides of a batch of column-major matrices, each matrix after the other (ATen's
 * `batched_matrix_contiguous_strides(shape, f_contig=true)`): what LAPACK writes.
 */
export function colMajorStrides(shape: readonly number[]): number[] {
  const strides = contiguousStrides(shape);
  const n = shape.length;
  if (n >= 2) {
    strides[n - 1] = Math.max(shape[n - 2], 1);
    strides[n - 2] = 1;
  }
  return strides;
}

/** A LAPACK-computed output: the shape, the dtype, column-major. */
const fortran = (shape: readonly number[], dtype: DType, differentiable?: boolean): AtenOutput => ({ shape, dtype, strides: colMajorStrides(shape), differentiable });

/** A tensor whose last two dimensions are matrices of float32, float64 or complex elements (what the CPU kernels take). */
function matrixArg(op: string, a: KernelArgs, name: string, square = false): Tensor {
  const t = tensorArg(op, a, name);
  if (t.shape.length < 2) throw new KernelError(op, `the input tensor ${name} must have at least 2 dimensions, got ${showShape(t.shape)}`);
  if (!(t.dtype === 'float32' || t.dtype === 'float64' || isComplex(t.dtype))) throw new KernelError(op, `expected a float, double, cfloat or cdouble tensor, got ${t.dtype}`);
  const [m, n] = t.shape.slice(-2);
  if (square && m !== n) throw new KernelError(op, `A must be batches of square matrices, but they are ${m} by ${n} matrices`);
  return t;
}

const batchOf = (t: Tensor): number[] => t.shape.slice(0, -2);

/** The broadcast of two batch shapes (the dimensions before the matrices). */
function broadcastBatch(op: string, a: readonly number[], b: readonly number[]): number[] {
  const n = Math.max(a.length, b.length);
  return Array.from({ length: n }, (_, i) => {
    const x = a[a.length - n + i] ?? 1;
    const y = b[b.length - n + i] ?? 1;
    if (x !== y && x !== 1 && y !== 1) throw new KernelError(op, `the batch dimensions ${showShape(a)} and ${showShape(b)} cannot be broadcast`);
    return x === 1 ? y : x;
  });
}

/**
 * Whether autograd needs what only a differentiable call computes (ATen's
 * `_may_require_fw_or_bw_grad`): `svdvals` then asks `_linalg_svd` for U and Vh, `eigvalsh` for
 * the eigenvectors, `eigvals` goes through `linalg_eig`.
 */
const mayRequireGrad = (g: Graph, t: Tensor): boolean => g.ctx.gradEnabled && t.requiresGrad;

/** A 0-dim float64 tolerance (`at::full({}, v, kDouble)` / `at::zeros`), as `get_atol_rtol` makes them. */
const tolerance = (g: Graph, v: number, op = 'full'): Tensor => factory(g, op, [], 'float64', {}, [v]);

// ---------------------------------------------------------------------------------------------
// Decompositions with derivatives of their own.

/**
 * `_linalg_svd(A, full_matrices, compute_uv)`: U [*, m, m|k], S [*, k] (real), Vh [*, n|k, n],
 * k = min(m, n); U and Vh column-major, empty when not computed. Its backward keeps U, S and Vh.
 */
function linalgSvdPrimitive(g: Graph, a: KernelArgs): KResult {
  const A = matrixArg('linalg.svd', a, 'A');
  const full = boolArg(a, 'full_matrices', false);
  const computeUv = boolArg(a, 'compute_uv', true);
  const [m, n] = A.shape.slice(-2);
  const k = Math.min(m, n);
  const batch = batchOf(A);
  const U = computeUv ? fortran([...batch, m, full ? m : k], A.dtype) : { shape: [0], dtype: A.dtype };
  const Vh = computeUv ? fortran([...batch, full ? n : k, n], A.dtype) : { shape: [0], dtype: A.dtype };
  return atenOp(g, '_linalg_svd', { A, full_matrices: full, compute_uv: computeUv, driver: a.driver ?? null }, [U, { shape: [...batch, k], dtype: realDtype(A.dtype) }, Vh], { flops: 4 * numel(A.shape) * k });
}

/** `_linalg_eigh(A, UPLO, compute_v)`: eigenvalues [*, n] (real), eigenvectors [*, n, n] column-major (empty when not computed). */
function linalgEighPrimitive(g: Graph, a: KernelArgs): KResult {
  const A = matrixArg('linalg.eigh', a, 'A', true);
  const computeV = boolArg(a, 'compute_v', true);
  const n = A.shape[A.shape.length - 1];
  const V = computeV ? fortran(A.shape, A.dtype) : { shape: [0], dtype: A.dtype };
  return atenOp(g, '_linalg_eigh', { A, UPLO: a.UPLO ?? 'L', compute_v: computeV }, [{ shape: [...batchOf(A), n], dtype: realDtype(A.dtype) }, V], { flops: 4 * n * numel(A.shape) });
}

/** `linalg_eig(self)`: complex eigenvalues [*, n] and eigenvectors [*, n, n] (column-major); its backward keeps both. */
function linalgEig(g: Graph, a: KernelArgs): KResult {
  const A = matrixArg('linalg.eig', a, 'self', true);
  const n = A.shape[A.shape.length - 1];
  const c = isComplex(A.dtype) ? A.dtype : A.dtype === 'float64' ? 'complex128' : 'complex64';
  return atenOp(g, 'linalg_eig', { self: A }, [{ shape: [...batchOf(A), n], dtype: c }, fortran(A.shape, c)], { flops: 10 * n * numel(A.shape) });
}

/** `linalg_qr(A, mode)`: reduced Q [*, m, k], R [*, k, n]; complete Q [*, m, m], R [*, m, n]; 'r' leaves Q empty. Column-major. */
function linalgQr(g: Graph, a: KernelArgs): KResult {
  const A = matrixArg('linalg.qr', a, 'A');
  const mode = strArg('linalg.qr', a, 'mode', 'reduced');
  if (mode !== 'reduced' && mode !== 'complete' && mode !== 'r') throw new KernelError('linalg.qr', `qr received unrecognized mode '${mode}' but expected one of 'reduced' (default), 'r', or 'complete'`);
  const [m, n] = A.shape.slice(-2);
  const k = Math.min(m, n);
  const batch = batchOf(A);
  const Q = mode === 'r' ? { shape: [0], dtype: A.dtype } : fortran([...batch, m, mode === 'complete' ? m : k], A.dtype);
  const R = fortran([...batch, mode === 'complete' ? m : k, n], A.dtype);
  return atenOp(g, 'linalg_qr', { A, mode }, [Q, R], { flops: 4 * numel(A.shape) * k });
}

/** `_linalg_det(A)`: det [*] with the LU factorization [*, n, n] (column-major) and int32 pivots [*, n] its backward keeps. */
function linalgDetPrimitive(g: Graph, a: KernelArgs): KResult {
  const A = matrixArg('linalg.det', a, 'A', true);
  const n = A.shape[A.shape.length - 1];
  return atenOp(g, '_linalg_det', { A }, [{ shape: batchOf(A), dtype: A.dtype }, fortran(A.shape, A.dtype), { shape: [...batchOf(A), n], dtype: 'int32' }], { flops: numel(A.shape) * n });
}

/** `_linalg_slogdet(A)`: sign and log|det| [*] (log|det| real), the LU factorization and pivots. */
function linalgSlogdetPrimitive(g: Graph, a: KernelArgs): KResult {
  const A = matrixArg('linalg.slogdet', a, 'A', true);
  const n = A.shape[A.shape.length - 1];
  const batch = batchOf(A);
  return atenOp(g, '_linalg_slogdet', { A }, [{ shape: batch, dtype: A.dtype }, { shape: batch, dtype: realDtype(A.dtype) }, fortran(A.shape, A.dtype), { shape: [...batch, n], dtype: 'int32' }], { flops: numel(A.shape) * n });
}

/** `linalg_inv_ex(A)`: the inverse (column-major) and int32 info [*]; its backward keeps the inverse. */
function linalgInvEx(g: Graph, a: KernelArgs): KResult {
  const A = matrixArg('linalg.inv', a, 'A', true);
  const n = A.shape[A.shape.length - 1];
  return atenOp(g, 'linalg_inv_ex', { A, check_errors: boolArg(a, 'check_errors', false) }, [fortran(A.shape, A.dtype), { shape: batchOf(A), dtype: 'int32' }], { flops: 2 * numel(A.shape) * n });
}

/** `linalg_cholesky_ex(self, upper)`: the factor (column-major) and int32 info; its backward keeps the factor. */
function linalgCholeskyEx(g: Graph, a: KernelArgs): KResult {
  const A = matrixArg('linalg.cholesky', a, 'self', true);
  const n = A.shape[A.shape.length - 1];
  return atenOp(g, 'linalg_cholesky_ex', { self: A, upper: boolArg(a, 'upper', false), check_errors: boolArg(a, 'check_errors', false) }, [fortran(A.shape, A.dtype), { shape: batchOf(A), dtype: 'int32' }], { flops: (numel(A.shape) * n) / 3 });
}

/** `cholesky(self, upper)` (deprecated, gone in 2.14): the factor, column-major; its backward keeps it. */
function cholesky(g: Graph, a: KernelArgs): KResult {
  const A = matrixArg('cholesky', a, 'self', true);
  const n = A.shape[A.shape.length - 1];
  return atenOp(g, 'cholesky', { self: A, upper: boolArg(a, 'upper', false) }, [fortran(A.shape, A.dtype)], { flops: (numel(A.shape) * n) / 3 })[0];
}

/**
 * Whether B is a vector (batch) right-hand side for A (ATen's `linalg_solve_is_vector_rhs`): 1-D,
 * or A's shape without its last dimension.
 */
function isVectorRhs(A: Tensor, B: Tensor): boolean {
  const expected = A.shape.slice(0, -1);
  return B.shape.length === 1 || (B.shape.length === A.shape.length - 1 && B.shape.every((s, i) => s === expected[i]));
}

/**
 * `_linalg_solve_ex(A, B, left)`: the solution (B's matrices over the broadcast batch;
 * column-major when solving on the left), the LU factorization of A and its pivots, which its
 * backward keeps with A and the solution.
 */
function linalgSolveExPrimitive(g: Graph, a: KernelArgs): KResult {
  const A = matrixArg('linalg.solve', a, 'A', true);
  const B = tensorArg('linalg.solve', a, 'B');
  const left = boolArg(a, 'left', true);
  const n = A.shape[A.shape.length - 1];
  const vector = isVectorRhs(A, B);
  if (vector && !left) throw new KernelError('linalg.solve', 'Vector broadcasting of the left hand side is not supported for left=False. In this case linalg.solve is equivalent to B / A.squeeze(-1)');
  const B2 = vector ? [...B.shape, 1] : B.shape;
  if (B2.length < 2) throw new KernelError('linalg.solve', `B must have at least 2 dimensions, got ${showShape(B.shape)}`);
  const rows = left ? B2[B2.length - 2] : B2[B2.length - 1];
  if (rows !== n) throw new KernelError('linalg.solve', `Incompatible shapes of A and B for the equation ${left ? 'AX = B' : 'XA = B'} (${A.shape.slice(-2).join('x')} and ${B2.slice(-2).join('x')})`);
  const full = [...broadcastBatch('linalg.solve', B2.slice(0, -2), batchOf(A)), ...B2.slice(-2)];
  const shape = vector ? full.slice(0, -1) : full;
  const result: AtenOutput = { shape, dtype: A.dtype, strides: left ? colMajorStrides(shape) : contiguousStrides(shape) };
  const batch = batchOf(A);
  return atenOp(g, '_linalg_solve_ex', { A, B, left, check_errors: boolArg(a, 'check_errors', false) }, [result, fortran(A.shape, A.dtype), { shape: [...batch, n], dtype: 'int32' }, { shape: batch, dtype: 'int32' }], { flops: numel(A.shape) * n + 2 * numel(shape) * n });
}

/** `linalg_lu_factor_ex(A, pivot)`: LU (column-major), int32 pivots [*, min(m, n)] and info; its backward keeps LU and pivots. */
function linalgLuFactorEx(g: Graph, a: KernelArgs): KResult {
  const A = matrixArg('linalg.lu_factor', a, 'A');
  const pivot = boolArg(a, 'pivot', true);
  if (!pivot && g.ctx.device === 'cpu') throw new KernelError('linalg.lu_factor', 'LU without pivoting is not implemented on the CPU');
  const [m, n] = A.shape.slice(-2);
  const batch = batchOf(A);
  return atenOp(g, 'linalg_lu_factor_ex', { A, pivot, check_errors: boolArg(a, 'check_errors', false) }, [fortran(A.shape, A.dtype), { shape: [...batch, Math.min(m, n)], dtype: 'int32' }, { shape: batch, dtype: 'int32' }], { flops: numel(A.shape) * Math.min(m, n) });
}

/** `linalg_lu(A, pivot)`: P [*, m, m], L [*, m, k], U [*, k, n], row-major; its backward keeps all three. */
function linalgLu(g: Graph, a: KernelArgs): KResult {
  const A = matrixArg('linalg.lu', a, 'A');
  const pivot = boolArg(a, 'pivot', true);
  if (!pivot && g.ctx.device === 'cpu') throw new KernelError('linalg.lu', 'LU without pivoting is not implemented on the CPU');
  const [m, n] = A.shape.slice(-2);
  const k = Math.min(m, n);
  const batch = batchOf(A);
  return atenOp(g, 'linalg_lu', { A, pivot }, [{ shape: [...batch, m, m], dtype: A.dtype }, { shape: [...batch, m, k], dtype: A.dtype }, { shape: [...batch, k, n], dtype: A.dtype }], { flops: numel(A.shape) * k });
}

/** `linalg_lu_solve(LU, pivots, B, left, adjoint)`: B's matrices over the broadcast batch, column-major on the left; keeps LU, pivots and the result. */
function linalgLuSolve(g: Graph, a: KernelArgs): KResult {
  const LU = matrixArg('linalg.lu_solve', a, 'LU', true);
  const pivots = tensorArg('linalg.lu_solve', a, 'pivots');
  const B = tensorArg('linalg.lu_solve', a, 'B');
  const left = boolArg(a, 'left', true);
  const n = LU.shape[LU.shape.length - 1];
  if (B.shape.length < 2) throw new KernelError('linalg.lu_solve', `B must have at least 2 dimensions, got ${showShape(B.shape)}`);
  if ((left ? B.shape[B.shape.length - 2] : B.shape[B.shape.length - 1]) !== n) throw new KernelError('linalg.lu_solve', `Incompatible shapes of A and B for the equation ${left ? 'AX = B' : 'XA = B'} (${n}x${n} and ${B.shape.slice(-2).join('x')})`);
  const shape = [...broadcastBatch('linalg.lu_solve', batchOf(B), batchOf(LU)), ...B.shape.slice(-2)];
  const out: AtenOutput = { shape, dtype: B.dtype, strides: left ? colMajorStrides(shape) : contiguousStrides(shape) };
  return atenOp(g, 'linalg_lu_solve', { LU, pivots, B, left, adjoint: boolArg(a, 'adjoint', false) }, [out], { flops: 2 * numel(shape) * n })[0];
}

/**
 * `lu_unpack(LU_data, LU_pivots, unpack_data, unpack_pivots)`: P [*, m, m] (not differentiable),
 * L [*, m, k], U [*, k, n]; an output not unpacked is empty. 1.13 keeps LU_data, 2.x only sizes.
 */
function luUnpack(g: Graph, a: KernelArgs): KResult {
  const LU = matrixArg('lu_unpack', a, 'LU_data');
  const pivots = tensorArg('lu_unpack', a, 'LU_pivots');
  const data = boolArg(a, 'unpack_data', true);
  const piv = boolArg(a, 'unpack_pivots', true);
  const [m, n] = LU.shape.slice(-2);
  const k = Math.min(m, n);
  const batch = batchOf(LU);
  const empty = { shape: [0], dtype: LU.dtype };
  return atenOp(g, 'lu_unpack', { LU_data: LU, LU_pivots: pivots, unpack_data: data, unpack_pivots: piv }, [
    piv ? { shape: [...batch, m, m], dtype: LU.dtype, differentiable: false } : { ...empty, differentiable: false },
    data ? { shape: [...batch, m, k], dtype: LU.dtype } : empty,
    data ? { shape: [...batch, k, n], dtype: LU.dtype } : empty,
  ]);
}

/** `linalg_pinv.atol_rtol_tensor(self, atol, rtol, hermitian)`: [*, n, m], row-major; its backward keeps the input and the result. */
function linalgPinvPrimitive(g: Graph, a: KernelArgs): KResult {
  const A = matrixArg('linalg.pinv', a, 'self');
  const [m, n] = A.shape.slice(-2);
  const args = { self: A, atol: optTensorArg('linalg.pinv', a, 'atol'), rtol: optTensorArg('linalg.pinv', a, 'rtol'), hermitian: boolArg(a, 'hermitian', false) };
  return atenOp(g, 'linalg_pinv.atol_rtol_tensor', args, [{ shape: [...batchOf(A), n, m], dtype: A.dtype }], { flops: 6 * numel(A.shape) * Math.min(m, n) })[0];
}

/** The solution of a triangular or Cholesky system: B's matrices over the broadcast batch, column-major. */
function solvedShape(op: string, A: Tensor, B: Tensor, left = true): number[] {
  if (B.shape.length < 2) throw new KernelError(op, `B must have at least 2 dimensions, got ${showShape(B.shape)}`);
  const n = A.shape[A.shape.length - 1];
  if ((left ? B.shape[B.shape.length - 2] : B.shape[B.shape.length - 1]) !== n) throw new KernelError(op, `Incompatible shapes of A and B for the equation ${left ? 'AX = B' : 'XA = B'} (${n}x${n} and ${B.shape.slice(-2).join('x')})`);
  return [...broadcastBatch(op, batchOf(B), batchOf(A)), ...B.shape.slice(-2)];
}

/** `linalg_solve_triangular(self, B, upper, left, unitriangular)`: column-major on the left side's matrices (measured: row-major strides only for left=False come out column-major of the result too). */
function linalgSolveTriangular(g: Graph, a: KernelArgs): KResult {
  const A = matrixArg('linalg.solve_triangular', a, 'self', true);
  const B = tensorArg('linalg.solve_triangular', a, 'B');
  const left = boolArg(a, 'left', true);
  const shape = solvedShape('linalg.solve_triangular', A, B, left);
  const n = A.shape[A.shape.length - 1];
  return atenOp(g, 'linalg_solve_triangular', { self: A, B, upper: a.upper, left, unitriangular: boolArg(a, 'unitriangular', false) }, [fortran(shape, A.dtype)], { flops: numel(shape) * n })[0];
}

/** `triangular_solve(self=B, A, upper, transpose, unitriangular)` (legacy): the solution and A's copy, both over the broadcast batch, column-major. */
function triangularSolve(g: Graph, a: KernelArgs): KResult {
  const B = tensorArg('triangular_solve', a, 'self');
  const A = matrixArg('triangular_solve', a, 'A', true);
  const shape = solvedShape('triangular_solve', A, B);
  const n = A.shape[A.shape.length - 1];
  const args = { self: B, A, upper: boolArg(a, 'upper', true), transpose: boolArg(a, 'transpose', false), unitriangular: boolArg(a, 'unitriangular', false) };
  return atenOp(g, 'triangular_solve', args, [fortran(shape, A.dtype), fortran([...shape.slice(0, -2), n, n], A.dtype)], { flops: numel(shape) * n });
}

/** `cholesky_solve(self=B, input2=L, upper)`: over the broadcast batch, column-major; keeps both inputs and the result. */
function choleskySolve(g: Graph, a: KernelArgs): KResult {
  const B = tensorArg('cholesky_solve', a, 'self');
  const L = matrixArg('cholesky_solve', a, 'input2', true);
  const shape = solvedShape('cholesky_solve', L, B);
  const n = L.shape[L.shape.length - 1];
  return atenOp(g, 'cholesky_solve', { self: B, input2: L, upper: boolArg(a, 'upper', false) }, [fortran(shape, L.dtype)], { flops: 2 * numel(shape) * n })[0];
}

/** `cholesky_inverse(self, upper)`: the inverse from a Cholesky factor, column-major; keeps the factor and the result. */
function choleskyInverse(g: Graph, a: KernelArgs): KResult {
  const L = matrixArg('cholesky_inverse', a, 'self', true);
  const n = L.shape[L.shape.length - 1];
  return atenOp(g, 'cholesky_inverse', { self: L, upper: boolArg(a, 'upper', false) }, [fortran(L.shape, L.dtype)], { flops: numel(L.shape) * n })[0];
}

/** `geqrf(self)`: the Householder reflectors in a column-major copy of the input, tau [*, min(m, n)]; not differentiable. */
function geqrf(g: Graph, a: KernelArgs): KResult {
  const A = matrixArg('geqrf', a, 'self');
  const [m, n] = A.shape.slice(-2);
  return atenOp(g, 'geqrf', { self: A }, [fortran(A.shape, A.dtype, false), { shape: [...batchOf(A), Math.min(m, n)], dtype: A.dtype, differentiable: false }], { flops: 2 * numel(A.shape) * Math.min(m, n) });
}

/** `linalg_householder_product(input, tau)` (and `orgqr`): the input's shape, column-major; keeps both inputs and the result. */
function householderProduct(g: Graph, a: KernelArgs): KResult {
  const A = matrixArg('linalg.householder_product', a, 'input' in a ? 'input' : 'self');
  const tau = tensorArg('linalg.householder_product', a, 'tau' in a ? 'tau' : 'input2');
  const [m, n] = A.shape.slice(-2);
  if (m < n) throw new KernelError('linalg.householder_product', `input.shape[-2] must be greater than or equal to input.shape[-1], got ${m} and ${n}`);
  if (tau.shape[tau.shape.length - 1] > n) throw new KernelError('linalg.householder_product', `input.shape[-1] must be greater than or equal to tau.shape[-1], got ${n} and ${tau.shape[tau.shape.length - 1]}`);
  return atenOp(g, 'linalg_householder_product', { input: A, tau }, [fortran(A.shape, A.dtype)], { flops: 4 * numel(A.shape) * n })[0];
}

/** `ormqr(self, input2=tau, input3=C, left, transpose)`: C's shape, column-major (2.x keeps all inputs and the result; 1.13 has no derivative). */
function ormqr(g: Graph, a: KernelArgs): KResult {
  const A = matrixArg('ormqr', a, 'self');
  const tau = tensorArg('ormqr', a, 'input2');
  const C = matrixArg('ormqr', a, 'input3');
  const left = boolArg(a, 'left', true);
  const rows = left ? C.shape[C.shape.length - 2] : C.shape[C.shape.length - 1];
  if (A.shape[A.shape.length - 2] !== rows) throw new KernelError('ormqr', `input.shape[-2] must be equal to other.shape[${left ? -2 : -1}], got ${A.shape[A.shape.length - 2]} and ${rows}`);
  return atenOp(g, 'ormqr', { self: A, input2: tau, input3: C, left, transpose: boolArg(a, 'transpose', false) }, [fortran(C.shape, C.dtype)], { flops: 4 * numel(C.shape) * tau.shape[tau.shape.length - 1] })[0];
}

/** `linalg_ldl_factor_ex(self, hermitian)`: LD (column-major), int32 pivots [*, n] and info; not differentiable. */
function linalgLdlFactorEx(g: Graph, a: KernelArgs): KResult {
  const A = matrixArg('linalg.ldl_factor', a, 'self', true);
  const n = A.shape[A.shape.length - 1];
  const batch = batchOf(A);
  return atenOp(g, 'linalg_ldl_factor_ex', { self: A, hermitian: boolArg(a, 'hermitian', false), check_errors: boolArg(a, 'check_errors', false) }, [fortran(A.shape, A.dtype, false), { shape: [...batch, n], dtype: 'int32' }, { shape: batch, dtype: 'int32' }], { flops: (numel(A.shape) * n) / 3 });
}

/** `linalg_ldl_solve(LD, pivots, B, hermitian)`: column-major; not differentiable. */
function linalgLdlSolve(g: Graph, a: KernelArgs): KResult {
  const LD = matrixArg('linalg.ldl_solve', a, 'LD', true);
  const B = tensorArg('linalg.ldl_solve', a, 'B');
  const shape = solvedShape('linalg.ldl_solve', LD, B);
  return atenOp(g, 'linalg_ldl_solve', { LD, pivots: a.pivots, B, hermitian: boolArg(a, 'hermitian', false) }, [fortran(shape, B.dtype, false)], { flops: 2 * numel(shape) * LD.shape[LD.shape.length - 1] })[0];
}

/**
 * `linalg_lstsq(self, b, rcond, driver)`: solution [*, n, k] (the first n rows of a column-major
 * [*, max(m, n), k] buffer, which is what the backward keeps; [*, n] for a vector b), residuals, rank and singular values as the driver computes them (CPU default `gelsy`:
 * rank only). With `gelsd`/`gelss` and m > n the residuals exist only when every matrix has full
 * rank, a fact of the values: refused.
 */
function linalgLstsq(g: Graph, a: KernelArgs): KResult {
  const A = matrixArg('linalg.lstsq', a, 'self');
  const B = tensorArg('linalg.lstsq', a, 'b');
  const driver = typeof a.driver === 'string' ? a.driver : g.ctx.device === 'cpu' ? 'gelsy' : 'gels';
  if (!['gels', 'gelsy', 'gelsd', 'gelss'].includes(driver)) throw new KernelError('linalg.lstsq', `parameter \`driver\` should be one of (gels, gelsy, gelsd, gelss), got ${driver}`);
  const [m, n] = A.shape.slice(-2);
  const vector = B.shape.length === A.shape.length - 1;
  const B2 = vector ? [...B.shape, 1] : B.shape;
  if (B2[B2.length - 2] !== m) throw new KernelError('linalg.lstsq', `input.size(-2) should match other.size(-${vector ? 1 : 2})`);
  const batch = broadcastBatch('linalg.lstsq', batchOf(A), B2.slice(0, -2));
  const k = B2[B2.length - 1];
  // The solution is the first n rows of a column-major [*, max(m, n), k] buffer (LAPACK solves in place in B).
  const rows = Math.max(m, n);
  if (m > n && (driver === 'gelsd' || driver === 'gelss')) throw new KernelError('linalg.lstsq', `with driver '${driver}' the residuals exist only when every matrix has full rank, which depends on the values`);
  const real = realDtype(A.dtype);
  const residuals = m > n && driver === 'gels' ? { shape: vector ? batch : [...batch, k], dtype: real } : { shape: [0], dtype: real };
  const rank = { shape: driver === 'gels' ? [0] : batch, dtype: 'int64' as DType };
  const sv = { shape: driver === 'gelsd' || driver === 'gelss' ? [...batch, Math.min(m, n)] : [0], dtype: real };
  const [buffer, ...rest] = atenOp(g, 'linalg_lstsq', { self: A, b: B, rcond: a.rcond ?? null, driver: a.driver ?? null }, [fortran([...batch, rows, k], A.dtype), residuals, rank, sv], { flops: 2 * numel(A.shape) * Math.max(n, k) });
  const sol = narrow(g, buffer, -2, 0, n);
  return [vector ? g.view(sol, sol.shape.slice(0, -1), sol.strides.slice(0, -1), sol.offset) : sol, ...rest];
}

/** `linalg_matrix_exp(self)`: the input's shape, row-major; its backward keeps the input. */
function linalgMatrixExp(g: Graph, a: KernelArgs): KResult {
  const A = matrixArg('linalg.matrix_exp', a, 'self', true);
  const n = A.shape[A.shape.length - 1];
  return atenOp(g, 'linalg_matrix_exp', { self: A }, [{ shape: A.shape, dtype: A.dtype }], { flops: 20 * numel(A.shape) * n })[0];
}

/** `linalg_matrix_sqrth(self)` (2.14): the input's shape; its backward keeps the input. */
function linalgMatrixSqrth(g: Graph, a: KernelArgs): KResult {
  const A = matrixArg('linalg.matrix_sqrth', a, 'self', true);
  const n = A.shape[A.shape.length - 1];
  return atenOp(g, 'linalg_matrix_sqrth', { self: A }, [{ shape: A.shape, dtype: A.dtype }], { flops: 10 * numel(A.shape) * n })[0];
}

/** `linalg_polar(A)` (2.14): U [*, m, n] and H [*, n, n]; its backward keeps A, U and H. */
function linalgPolar(g: Graph, a: KernelArgs): KResult {
  const A = matrixArg('linalg.polar', a, 'A');
  const [m, n] = A.shape.slice(-2);
  if (m < n) throw new KernelError('linalg.polar', `expected a tall or square matrix (m >= n), got ${m} by ${n}`);
  return atenOp(g, 'linalg_polar', { A }, [{ shape: A.shape, dtype: A.dtype }, { shape: [...batchOf(A), n, n], dtype: A.dtype }], { flops: 10 * numel(A.shape) * n });
}

// ---------------------------------------------------------------------------------------------
// CompositeImplicitAutograd functions: what each runs.

const first = (r: KResult): Tensor => (r as Tensor[])[0];

/** `linalg_svd(A, full_matrices=True)` = `_linalg_svd(A, full_matrices, compute_uv=True)`. */
function linalgSvd(g: Graph, a: KernelArgs): KResult {
  return callAten(g, '_linalg_svd', { A: a.A, full_matrices: boolArg(a, 'full_matrices', true), compute_uv: true, driver: a.driver ?? null });
}

/**
 * `svd(self, some, compute_uv)` (legacy): `linalg_svd(full_matrices=!some)` with V = Vh.mH (a
 * view); without U and V, `linalg_svdvals` and zero-filled U [*, m, m] and V [*, n, n].
 */
function svd(g: Graph, a: KernelArgs): KResult {
  const A = matrixArg('svd', a, 'self');
  const some = boolArg(a, 'some', true);
  if (boolArg(a, 'compute_uv', true)) {
    const [U, S, Vh] = callAten(g, 'linalg_svd', { A, full_matrices: !some }) as Tensor[];
    return [U, S, transpose(g, Vh, -2, -1)];
  }
  const S = atenTensor(g, 'linalg_svdvals', { A });
  const [m, n] = A.shape.slice(-2);
  const U = factory(g, 'zeros', [...batchOf(A), m, m], A.dtype, {});
  const Vh = factory(g, 'zeros', [...batchOf(A), n, n], A.dtype, {});
  return [U, S, transpose(g, Vh, -2, -1)];
}

/** `linalg_svdvals(A)` = `_linalg_svd(A, full_matrices=False, compute_uv=<needs grad>)`'s S. */
function linalgSvdvals(g: Graph, a: KernelArgs): KResult {
  const A = tensorArg('linalg.svdvals', a, 'A');
  return (callAten(g, '_linalg_svd', { A, full_matrices: false, compute_uv: mayRequireGrad(g, A), driver: a.driver ?? null }) as Tensor[])[1];
}

/** `linalg_eigh(self, UPLO)` = `_linalg_eigh(self, UPLO, compute_v=True)`. */
function linalgEigh(g: Graph, a: KernelArgs): KResult {
  return callAten(g, '_linalg_eigh', { A: a.self, UPLO: a.UPLO ?? 'L', compute_v: true });
}

/** `linalg_eigvalsh(self, UPLO)` = `_linalg_eigh(compute_v=<needs grad>)`'s eigenvalues. */
function linalgEigvalsh(g: Graph, a: KernelArgs): KResult {
  const A = tensorArg('linalg.eigvalsh', a, 'self');
  return first(callAten(g, '_linalg_eigh', { A, UPLO: a.UPLO ?? 'L', compute_v: mayRequireGrad(g, A) }));
}

/**
 * `linalg_eigvals(self)`: through `linalg_eig` (keeping the eigenvectors for the backward) when
 * the input needs grad; else `linalg_eigvals`' own kernel, which returns only the eigenvalues.
 */
function linalgEigvals(g: Graph, a: KernelArgs): KResult {
  const A = matrixArg('linalg.eigvals', a, 'self', true);
  if (mayRequireGrad(g, A)) return first(callAten(g, 'linalg_eig', { self: A }));
  const n = A.shape[A.shape.length - 1];
  return atenOp(g, 'linalg_eigvals', { self: A }, [{ shape: [...batchOf(A), n], dtype: A.dtype === 'float64' || A.dtype === 'complex128' ? 'complex128' : 'complex64' }])[0];
}

/** `qr(self, some)` (legacy, gone in 2.14) = `linalg_qr(mode='reduced'|'complete')`. */
function qr(g: Graph, a: KernelArgs): KResult {
  return callAten(g, 'linalg_qr', { A: a.self, mode: boolArg(a, 'some', true) ? 'reduced' : 'complete' });
}

/** `linalg_det(A)` / `det(self)` = `_linalg_det(A)`'s result. */
function linalgDet(g: Graph, a: KernelArgs): KResult {
  return first(callAten(g, '_linalg_det', { A: 'A' in a ? a.A : a.self }));
}

/** `linalg_slogdet(A)` / `slogdet(self)` = `_linalg_slogdet(A)`'s sign and log|det|. */
function linalgSlogdet(g: Graph, a: KernelArgs): KResult {
  const [sign, logabsdet] = callAten(g, '_linalg_slogdet', { A: 'A' in a ? a.A : a.self }) as Tensor[];
  return [sign, logabsdet];
}

/** `logdet(self)`: `linalg_slogdet`, then `where(sign == -1, nan, logabsdet)` (complex: `sign.log() + logabsdet`). */
function logdet(g: Graph, a: KernelArgs): KResult {
  const A = matrixArg('logdet', a, 'self', true);
  const [sign, logabsdet] = linalgSlogdet(g, { A }) as Tensor[];
  if (isComplex(A.dtype)) return callAten(g, 'add.Tensor', { self: atenTensor(g, 'log', { self: sign }), other: logabsdet, alpha: 1 });
  const neg = atenTensor(g, 'eq.Scalar', { self: sign, other: -1 });
  const nan = factory(g, 'scalar_tensor', [], A.dtype, {}, [NaN]);
  return callAten(g, 'where.self', { condition: neg, self: nan, other: logabsdet });
}

/** `linalg_inv(A)` / `inverse(self)` = `linalg_inv_ex(A)`'s inverse (the info is checked, not kept). */
function linalgInv(g: Graph, a: KernelArgs): KResult {
  return first(callAten(g, 'linalg_inv_ex', { A: 'A' in a ? a.A : a.self, check_errors: false }));
}

/** `linalg_cholesky(self, upper)` = `linalg_cholesky_ex`'s factor. */
function linalgCholesky(g: Graph, a: KernelArgs): KResult {
  return first(callAten(g, 'linalg_cholesky_ex', { self: a.self, upper: boolArg(a, 'upper', false), check_errors: false }));
}

/** `linalg_solve_ex(A, B, left)` = `_linalg_solve_ex`'s result and info; `linalg_solve` its result. */
function linalgSolveEx(g: Graph, a: KernelArgs): KResult {
  const [result, , , info] = callAten(g, '_linalg_solve_ex', { A: a.A, B: a.B, left: boolArg(a, 'left', true), check_errors: boolArg(a, 'check_errors', false) }) as Tensor[];
  return [result, info];
}

function linalgSolve(g: Graph, a: KernelArgs): KResult {
  return first(linalgSolveEx(g, a));
}

/** `linalg_lu_factor(A, pivot)` = `linalg_lu_factor_ex`'s LU and pivots. */
function linalgLuFactor(g: Graph, a: KernelArgs): KResult {
  const [LU, pivots] = callAten(g, 'linalg_lu_factor_ex', { A: a.A, pivot: boolArg(a, 'pivot', true), check_errors: false }) as Tensor[];
  return [LU, pivots];
}

/** `_lu_with_info(self, pivot, check_errors)` = `linalg_lu_factor_ex` (what Python's `torch.lu` calls). */
function luWithInfo(g: Graph, a: KernelArgs): KResult {
  return callAten(g, 'linalg_lu_factor_ex', { A: a.self, pivot: boolArg(a, 'pivot', true), check_errors: boolArg(a, 'check_errors', true) });
}

/** `torch.lu(A, pivot, get_infos)` / `Tensor.lu` (Python): `_lu_with_info`, with the infos only when asked. */
function pythonLu(g: Graph, a: KernelArgs): KResult {
  const A = tensorArg('lu', a, 'A' in a ? 'A' : 'self');
  const infos = boolArg(a, 'get_infos', false);
  const [LU, pivots, info] = luWithInfo(g, { self: A, pivot: boolArg(a, 'pivot', true), check_errors: !infos }) as Tensor[];
  return infos ? [LU, pivots, info] : [LU, pivots];
}

/** `lu_solve(self=B, LU_data, LU_pivots)` (legacy) = `linalg_lu_solve(LU, pivots, B)`. */
function luSolve(g: Graph, a: KernelArgs): KResult {
  return callAten(g, 'linalg_lu_solve', { LU: a.LU_data, pivots: a.LU_pivots, B: a.self, left: true, adjoint: false });
}

/** `linalg_ldl_factor(self, hermitian)` = `linalg_ldl_factor_ex`'s LD and pivots. */
function linalgLdlFactor(g: Graph, a: KernelArgs): KResult {
  const [LD, pivots] = callAten(g, 'linalg_ldl_factor_ex', { self: a.self, hermitian: boolArg(a, 'hermitian', false), check_errors: false }) as Tensor[];
  return [LD, pivots];
}

/** `orgqr(self, input2)` = `linalg_householder_product(self, input2)`. */
function orgqr(g: Graph, a: KernelArgs): KResult {
  return callAten(g, 'linalg_householder_product', { input: a.self, tau: a.input2 });
}

/**
 * `linalg_pinv` with float tolerances (`atol_rtol_float`, `pinv(rcond: float)`, `pinverse`):
 * `get_atol_rtol` makes 0-dim float64 tensors (`full`), then the tensor overload. rtol defaults
 * to eps·max(m, n), or 0 when a positive atol is given.
 */
function floatTolerances(g: Graph, A: Tensor, atol: number | null, rtol: number | null): [Tensor, Tensor] {
  const [m, n] = A.shape.slice(-2);
  const eps = realDtype(A.dtype) === 'float64' ? 2.220446049250313e-16 : 1.1920928955078125e-7;
  const r = rtol ?? (atol !== null && atol > 0 ? 0 : eps * Math.max(m, n));
  return [tolerance(g, atol ?? 0), tolerance(g, r)];
}

const optNum = (v: unknown): number | null => (typeof v === 'number' ? v : null);

function linalgPinv(g: Graph, a: KernelArgs, call: OpCall): KResult {
  const overload = call.aten ?? call.name;
  const A = matrixArg('linalg.pinv', a, 'self');
  const hermitian = boolArg(a, 'hermitian', false);
  if (overload === 'linalg_pinv.atol_rtol_tensor') return linalgPinvPrimitive(g, a);
  if (overload === 'linalg_pinv.rcond_tensor') {
    return linalgPinvPrimitive(g, { self: A, atol: tolerance(g, 0, 'zeros'), rtol: tensorArg('linalg.pinv', a, 'rcond'), hermitian });
  }
  // atol_rtol_float, and pinv(self, float rcond) = atol_rtol_float(atol=0, rtol=rcond).
  const [atol, rtol] = overload === 'linalg_pinv' ? floatTolerances(g, A, 0, optNum(a.rcond)) : floatTolerances(g, A, optNum(a.atol), optNum(a.rtol));
  return linalgPinvPrimitive(g, { self: A, atol, rtol, hermitian });
}

/** `pinverse(self, rcond=1e-15)` = `linalg_pinv(self, rcond, hermitian=False)`. */
function pinverse(g: Graph, a: KernelArgs): KResult {
  return linalgPinv(g, { self: a.self, rcond: optNum(a.rcond) ?? 1e-15, hermitian: false }, { name: 'pinverse', aten: 'linalg_pinv' });
}

/**
 * `linalg_matrix_rank` (every overload): tolerances as 0-dim float64 tensors, then for a
 * non-empty input the singular values (`svdvals`, or `eigvalsh(...).abs()` when hermitian), the
 * threshold `maximum(atol[..., None], rtol[..., None] * max(S))` and `sum(S > tol, -1)` — int64
 * [*]. The differentiable steps keep their inputs although the rank has no gradient.
 */
function linalgMatrixRank(g: Graph, a: KernelArgs, call: OpCall): KResult {
  const overload = call.aten ?? call.name;
  const A = matrixArg('linalg.matrix_rank', a, 'input' in a ? 'input' : 'self');
  const hermitian = boolArg(a, 'hermitian', false);
  const result = factory(g, 'empty', batchOf(A), 'int64', {});
  let atol: Tensor;
  let rtol: Tensor;
  if (overload === 'linalg_matrix_rank.atol_rtol_tensor') {
    const given = optTensorArg('linalg.matrix_rank', a, 'atol');
    atol = given ?? tolerance(g, 0, 'zeros');
    const r = optTensorArg('linalg.matrix_rank', a, 'rtol');
    if (r) rtol = r;
    else {
      const [m, n] = A.shape.slice(-2);
      const eps = realDtype(A.dtype) === 'float64' ? 2.220446049250313e-16 : 1.1920928955078125e-7;
      const dflt = tolerance(g, eps * Math.max(m, n));
      rtol = given ? atenTensor(g, 'where.self', { condition: atenTensor(g, 'gt.Scalar', { self: given, other: 0 }), self: tolerance(g, 0, 'zeros'), other: dflt }) : dflt;
    }
  } else if (overload === 'linalg_matrix_rank.tol_tensor') {
    atol = tensorArg('linalg.matrix_rank', a, 'tol');
    rtol = factory(g, 'zeros', [], atol.dtype, {});
  } else if (overload === 'linalg_matrix_rank') {
    [atol, rtol] = floatTolerances(g, A, optNum(a.tol), 0);
  } else {
    [atol, rtol] = floatTolerances(g, A, optNum(a.atol), optNum(a.rtol));
  }
  if (numel(A.shape) === 0) return result;
  let S: Tensor;
  let maxS: Tensor;
  if (!hermitian) {
    S = atenTensor(g, 'linalg_svdvals', { A });
    maxS = narrow(g, S, -1, 0, 1);
  } else {
    S = atenTensor(g, 'abs', { self: atenTensor(g, 'linalg_eigvalsh', { self: A, UPLO: 'L' }) });
    maxS = atenTensor(g, 'amax', { self: S, dim: [-1], keepdim: true });
  }
  const tol = atenTensor(g, 'maximum', { self: unsqueeze(g, atol, -1), other: atenTensor(g, 'mul.Tensor', { self: unsqueeze(g, rtol, -1), other: maxS }) });
  const above = atenTensor(g, 'gt.Tensor', { self: S, other: tol });
  return callAten(g, 'sum.dim_IntList', { self: above, dim: [-1], keepdim: false, dtype: null });
}

// ---------------------------------------------------------------------------------------------
// Norms and the condition number.

/** Sorts two dims to the end (`create_dim_backshift_permutation`). */
function backshift(d0: number, d1: number, rank: number): number[] {
  const out: number[] = [];
  for (let i = 0; i < rank; i++) if (i !== d0 && i !== d1) out.push(i);
  return [...out, d0, d1];
}

function inversePermutation(p: readonly number[]): number[] {
  const out = new Array<number>(p.length);
  p.forEach((d, i) => (out[d] = i));
  return out;
}

function matrixDims(op: string, A: Tensor, dim: unknown): [number, number] {
  const d = Array.isArray(dim) ? (dim as number[]) : [-2, -1];
  if (d.length !== 2) throw new KernelError(op, `dim must be a 2-tuple. Got ${JSON.stringify(dim)}`);
  if (A.shape.length < 2) throw new KernelError(op, `The input tensor A must have at least 2 dimensions.`);
  const [d0, d1] = d.map((x) => normDim(op, x, A.shape.length));
  if (d0 === d1) throw new KernelError(op, `dims must be different. Got (${d0}, ${d1})`);
  return [d0, d1];
}

/**
 * Singular values over dims (d0, d1): the input permuted so they come last (a view), `svdvals`,
 * reduced by `reduce` over the last dim; with keepdim unsqueezed back and permuted into place.
 */
function svdvalsNorm(g: Graph, A: Tensor, d0: number, d1: number, keepdim: boolean, reduce: (S: Tensor) => Tensor, unsqueezeInPlace = false): Tensor {
  const p = backshift(d0, d1, A.shape.length);
  let r = reduce(atenTensor(g, 'linalg_svdvals', { A: permute(g, A, p) }));
  if (keepdim) {
    r = unsqueezeInPlace ? g.view(r, [...r.shape, 1], [...r.strides, 1], r.offset) : unsqueeze(g, r, -1);
    r = permute(g, r, inversePermutation(p));
  }
  return r;
}

/**
 * `linalg_matrix_norm(A, ord, dim, keepdim, dtype)`: 'fro' is `vector_norm(2)` over the dims; 'nuc'
 * and ±2 take the singular values (sum, max, min); ±1 and ±inf are a 1-norm over one dim then
 * max/min over the other.
 */
function linalgMatrixNorm(g: Graph, a: KernelArgs): KResult {
  const A = tensorArg('linalg.matrix_norm', a, 'self');
  const ord = a.ord ?? 'fro';
  let [d0, d1] = matrixDims('linalg.matrix_norm', A, a.dim);
  const keepdim = boolArg(a, 'keepdim', false);
  const dtype = a.dtype ?? null;
  if (!isFloating(A.dtype) && !isComplex(A.dtype)) throw new KernelError('linalg.matrix_norm', `Expected a floating point or complex tensor as input. Got ${A.dtype}`);
  const cast = (t: Tensor) => (dtype && typeof dtype === 'object' && 'dtype' in dtype ? toDtype(g, t, (dtype as { dtype: DType }).dtype) : t);
  if (ord === 'fro') return callAten(g, 'linalg_vector_norm', { self: A, ord: 2, dim: [d0, d1], keepdim, dtype });
  if (ord === 'nuc') return svdvalsNorm(g, cast(A), d0, d1, keepdim, (S) => atenTensor(g, 'sum.dim_IntList', { self: S, dim: [-1], keepdim, dtype: null }));
  if (typeof ord !== 'number') throw new KernelError('linalg.matrix_norm', `Order ${String(ord)} not supported.`);
  const abs = Math.abs(ord);
  if (abs !== 1 && abs !== 2 && abs !== Infinity) throw new KernelError('linalg.matrix_norm', `Order ${ord} not supported.`);
  const maxMin = (t: Tensor, d: number) => atenTensor(g, ord > 0 ? 'amax' : 'amin', { self: t, dim: [d], keepdim });
  if (abs === 2) return svdvalsNorm(g, cast(A), d0, d1, keepdim, (S) => maxMin(S, -1));
  if (abs === Infinity) [d0, d1] = [d1, d0];
  if (!keepdim && d0 < d1) d1--;
  return maxMin(atenTensor(g, 'linalg_vector_norm', { self: A, ord: 1, dim: [d0], keepdim, dtype }), d1);
}

/**
 * `linalg_norm(self, ord, dim, keepdim, dtype)`: a matrix norm when ord is given and the dims are
 * two (2-D input without dim), else `vector_norm(ord or 2)`.
 */
function linalgNorm(g: Graph, a: KernelArgs): KResult {
  const X = tensorArg('linalg.norm', a, 'self');
  const ord = a.ord ?? null;
  const dim = a.dim === undefined || a.dim === null ? null : typeof a.dim === 'number' ? [a.dim] : (a.dim as number[]);
  if (dim && dim.length !== 1 && dim.length !== 2) throw new KernelError('linalg.norm', `If dim is specified, it must be of length 1 or 2. Got ${JSON.stringify(dim)}`);
  if (!dim && ord !== null && X.shape.length !== 1 && X.shape.length !== 2) throw new KernelError('linalg.norm', `If dim is not specified but ord is, the input must be 1D or 2D. Got ${X.shape.length}D.`);
  const keepdim = boolArg(a, 'keepdim', false);
  if (typeof ord === 'string' || (ord !== null && ((dim && dim.length === 2) || (!dim && X.shape.length === 2)))) {
    return linalgMatrixNorm(g, { self: X, ord, dim: dim ?? [0, 1], keepdim, dtype: a.dtype ?? null });
  }
  return callAten(g, 'linalg_vector_norm', { self: X, ord: ord ?? 2, dim, keepdim, dtype: a.dtype ?? null });
}

/**
 * `frobenius_norm.dim(self, dim, keepdim)`: 1.13 takes `norm(2)` over at most one dim and
 * `sqrt(sum(self * self))` over two; 2.x always `norm(self, 2, dim)`.
 */
function frobeniusNorm(g: Graph, a: KernelArgs): KResult {
  const x = tensorArg('frobenius_norm', a, 'self');
  const dim = Array.isArray(a.dim) ? (a.dim as number[]) : typeof a.dim === 'number' ? [a.dim] : [];
  const keepdim = boolArg(a, 'keepdim', false);
  if (dim.length > 2) throw new KernelError('frobenius_norm', `Expected at most 2 dimensions, but got ${dim.length} dimensions instead.`);
  if (g.ctx.torch[0] >= 2 || dim.length < 2) return callAten(g, 'norm.ScalarOpt_dim', { self: x, p: 2, dim, keepdim });
  const [d0, d1] = dim.map((d) => normDim('frobenius_norm', d, x.shape.length));
  if (d0 === d1) throw new KernelError('frobenius_norm', `Expected dims to be different, got ${JSON.stringify(dim)} instead`);
  if (isComplex(x.dtype)) throw new KernelError('frobenius_norm', 'the Frobenius norm of a complex tensor is not modelled');
  const sq = atenTensor(g, 'mul.Tensor', { self: x, other: x });
  return callAten(g, 'sqrt', { self: atenTensor(g, 'sum.dim_IntList', { self: sq, dim: [d0, d1], keepdim, dtype: null }) });
}

/** `nuclear_norm(self, keepdim)` (2-D) / `nuclear_norm.dim(self, dim, keepdim)`: the singular values summed (1.13 unsqueezes in place). */
function nuclearNorm(g: Graph, a: KernelArgs): KResult {
  const x = tensorArg('nuclear_norm', a, 'self');
  if (a.dim === undefined && x.shape.length !== 2) throw new KernelError('nuclear_norm', `Expected a tensor with 2 dimensions, but got a tensor with ${x.shape.length} dimensions instead.`);
  const dim = Array.isArray(a.dim) ? (a.dim as number[]) : [0, 1];
  if (dim.length !== 2) throw new KernelError('nuclear_norm', "nuclear norm requires a 'dim' argument of size 2");
  const [d0, d1] = dim.map((d) => normDim('nuclear_norm', d, x.shape.length));
  const keepdim = boolArg(a, 'keepdim', false);
  return svdvalsNorm(g, x, d0, d1, keepdim, (S) => atenTensor(g, 'sum.dim_IntList', { self: S, dim: [-1], keepdim, dtype: null }), g.ctx.torch[0] < 2);
}

/**
 * `norm_except_dim(v, pow, dim)`: `v.contiguous()` viewed as [size(dim), -1] (or [-1, size] for the
 * last dim), `norm(pow)` over the rest, viewed back with ones; other dims through `transpose(0, dim)`;
 * dim = -1 is the norm of everything.
 */
function normExceptDim(g: Graph, a: KernelArgs): KResult {
  const v = tensorArg('norm_except_dim', a, 'v');
  const pow = typeof a.pow === 'number' ? a.pow : 2;
  const dim = intArg('norm_except_dim', a, 'dim', 0);
  if (dim === -1) return callAten(g, 'norm.Scalar', { self: v, p: pow });
  const last = v.shape.length - 1;
  if (dim === 0) {
    const flat = atenTensor(g, 'view', { self: contiguous(g, v), size: [v.shape[0], -1] });
    const n = atenTensor(g, 'norm.ScalarOpt_dim', { self: flat, p: pow, dim: [1], keepdim: false });
    return atenTensor(g, 'view', { self: n, size: [v.shape[0], ...new Array<number>(last).fill(1)] });
  }
  if (dim === last) {
    const flat = atenTensor(g, 'view', { self: contiguous(g, v), size: [-1, v.shape[last]] });
    const n = atenTensor(g, 'norm.ScalarOpt_dim', { self: flat, p: pow, dim: [0], keepdim: false });
    return atenTensor(g, 'view', { self: n, size: [...new Array<number>(last).fill(1), v.shape[last]] });
  }
  // Other dims: transpose(0, dim), norm over dim 0, transpose back.
  const t = transpose(g, v, 0, dim);
  const n = callAten(g, 'norm_except_dim', { v: t, pow, dim: 0 }) as Tensor;
  return transpose(g, n, 0, dim);
}

/**
 * `linalg_cond(self, p)`: for p = None/±2 the ratio of the extreme singular values (slices of
 * `svdvals`); for 'nuc' `sum(S) * sum(1/S)`; for 'fro', ±1, ±inf the norm of A times the norm of
 * `linalg_inv_ex(A)` (whose failures are filled with inf in place), `nan_to_num_` on a copy.
 * Empty input: zeros.
 */
function linalgCond(g: Graph, a: KernelArgs): KResult {
  const A = matrixArg('linalg.cond', a, 'self');
  const p = a.p === undefined || a.p === null ? 2 : a.p;
  if (typeof p === 'number' && ![1, 2, Infinity].includes(Math.abs(p))) throw new KernelError('linalg.cond', `linalg.cond got an invalid norm type: ${p}`);
  if (typeof p === 'string' && p !== 'fro' && p !== 'nuc') throw new KernelError('linalg.cond', `linalg.cond got an invalid norm type: ${p}`);
  const [m, n] = A.shape.slice(-2);
  if ((typeof p === 'string' || Math.abs(p as number) !== 2) && m !== n) throw new KernelError('linalg.cond', `A must be batches of square matrices, but they are ${m} by ${n} matrices`);
  if (numel(A.shape) === 0) return factory(g, 'zeros', batchOf(A), realDtype(A.dtype), {});
  if (typeof p === 'number' && Math.abs(p) === 2) {
    const S = atenTensor(g, 'linalg_svdvals', { A });
    const sMax = narrow(g, S, -1, 0, 1);
    const sMin = narrow(g, S, -1, -1, 1);
    const r = p === -2 ? atenTensor(g, 'div.Tensor', { self: sMin, other: sMax }) : atenTensor(g, 'div.Tensor', { self: sMax, other: sMin });
    return squeeze(g, r, -1);
  }
  if (p === 'nuc') {
    const S = atenTensor(g, 'linalg_svdvals', { A });
    const inv = atenTensor(g, 'sum.dim_IntList', { self: atenTensor(g, 'reciprocal', { self: S }), dim: [-1], keepdim: false, dtype: null });
    return callAten(g, 'mul.Tensor', { self: atenTensor(g, 'sum.dim_IntList', { self: S, dim: [-1], keepdim: false, dtype: null }), other: inv });
  }
  const [inverse, info] = callAten(g, 'linalg_inv_ex', { A, check_errors: false }) as Tensor[];
  const info2 = g.view(info, [...info.shape, 1, 1], [...info.strides, 1, 1], info.offset);
  const failed = atenTensor(g, 'gt.Scalar', { self: info2, other: 0 });
  const filled = atenTensor(g, 'masked_fill_.Scalar', { self: inverse, mask: failed, value: Infinity });
  const normA = linalgMatrixNorm(g, { self: A, ord: p, dim: [-2, -1], keepdim: false, dtype: null }) as Tensor;
  const normInv = linalgMatrixNorm(g, { self: filled, ord: p, dim: [-2, -1], keepdim: false, dtype: null }) as Tensor;
  const r = atenTensor(g, 'mul.Tensor', { self: normA, other: normInv });
  return atenTensor(g, 'nan_to_num_', { self: atenTensor(g, 'clone', { self: r }), nan: Infinity, posinf: Infinity, neginf: -Infinity });
}

// ---------------------------------------------------------------------------------------------
// Products of several matrices.

/**
 * `linalg_matrix_power(self, n)` / `matrix_power`: n = 0 a contiguous clone overwritten with the
 * identity; 1 a clone; -1 the inverse; otherwise (of the inverse for n < 0) `matmul` by squaring:
 * a·a, (a·a)·a, and for larger n the binary decomposition from the least significant bit.
 */
function matrixPower(g: Graph, a: KernelArgs): KResult {
  const A = tensorArg('linalg.matrix_power', a, 'self');
  let n = intArg('linalg.matrix_power', a, 'n');
  if (A.shape.length < 2 || A.shape[A.shape.length - 1] !== A.shape[A.shape.length - 2]) throw new KernelError('linalg.matrix_power', `A must be batches of square matrices, got ${showShape(A.shape)}`);
  if (n === 0) {
    const out = atenTensor(g, 'clone', { self: A, memory_format: null });
    const eye = factory(g, 'eye', A.shape.slice(-2), A.dtype, {});
    return atenTensor(g, 'copy_', { self: out, src: eye, non_blocking: false });
  }
  if (n === 1) return atenTensor(g, 'clone', { self: A, memory_format: null });
  if (n === -1) return linalgInv(g, { A });
  const x = n < 0 ? (linalgInv(g, { A }) as Tensor) : A;
  n = Math.abs(n);
  if (n === 2) return matmul(g, x, x);
  if (n === 3) return matmul(g, matmul(g, x, x), x);
  let z: Tensor | null = null;
  let result: Tensor | null = null;
  while (n > 0) {
    const bit = n % 2;
    n = Math.floor(n / 2);
    z = z ? matmul(g, z, z) : x;
    if (bit === 1) result = result ? matmul(g, result, z) : z;
  }
  return result!;
}

/**
 * `linalg_multi_dot(tensors)` / Python `chain_matmul`: a 1-D first operand becomes a row
 * (`unsqueeze(0)`), a 1-D last one a column; two operands are one `mm`, three choose the cheaper
 * bracketing by cost, more the dynamic-programming order; the result is viewed to drop the
 * added dims.
 */
function multiDot(g: Graph, a: KernelArgs): KResult {
  const ts0 = tensorListArg('linalg.multi_dot', a, 'tensors');
  const n = ts0.length;
  if (n < 2) throw new KernelError('linalg.multi_dot', `expected at least 2 tensors but got ${n}`);
  const ts = [...ts0];
  const firstVec = ts[0].shape.length === 1;
  const lastVec = ts[n - 1].shape.length === 1;
  if (ts[0].shape.length !== 1 && ts[0].shape.length !== 2) throw new KernelError('linalg.multi_dot', `the first tensor must be 1D or 2D but got ${ts[0].shape.length}D`);
  if (ts[n - 1].shape.length !== 1 && ts[n - 1].shape.length !== 2) throw new KernelError('linalg.multi_dot', `the last tensor must be 1D or 2D but got ${ts[n - 1].shape.length}D`);
  for (let i = 1; i < n - 1; i++) if (ts[i].shape.length !== 2) throw new KernelError('linalg.multi_dot', `tensor ${i} must be 2D but got ${ts[i].shape.length}D`);
  if (firstVec) ts[0] = unsqueeze(g, ts[0], 0);
  if (lastVec) ts[n - 1] = unsqueeze(g, ts[n - 1], -1);
  for (let i = 1; i < n; i++) if (ts[i - 1].shape[1] !== ts[i].shape[0]) throw new KernelError('linalg.multi_dot', `tensors ${i - 1} and ${i} with shapes ${showShape(ts0[i - 1].shape)} and ${showShape(ts0[i].shape)} cannot be multiplied`);
  let result: Tensor;
  if (n === 2) result = mm(g, ts[0], ts[1]);
  else if (n === 3) {
    const [x, y, z] = ts;
    const [p, q] = x.shape;
    const [r, s] = [y.shape[1], z.shape[1]];
    const costLeft = p * q * r + p * r * s;
    const costRight = q * r * s + p * q * s;
    result = costLeft > costRight ? mm(g, x, mm(g, y, z)) : mm(g, mm(g, x, y), z);
  } else {
    const dims = [ts[0].shape[0], ...ts.map((t) => t.shape[1])];
    const cost: number[][] = Array.from({ length: n }, () => new Array<number>(n).fill(0));
    const order: number[][] = Array.from({ length: n }, () => new Array<number>(n).fill(0));
    for (let l = 1; l < n; l++) {
      for (let i = 0; i < n - l; i++) {
        const j = i + l;
        cost[i][j] = Infinity;
        for (let k = i; k < j; k++) {
          const c = cost[i][k] + cost[k + 1][j] + dims[i] * dims[k + 1] * dims[j + 1];
          if (c < cost[i][j]) {
            cost[i][j] = c;
            order[i][j] = k;
          }
        }
      }
    }
    const chain = (i: number, j: number): Tensor => (i === j ? ts[i] : mm(g, chain(i, order[i][j]), chain(order[i][j] + 1, j)));
    result = chain(0, n - 1);
  }
  const shape = [...(firstVec ? [] : [result.shape[0]]), ...(lastVec ? [] : [result.shape[1]])];
  return atenTensor(g, 'view', { self: result, size: shape });
}

/** `torch.chain_matmul(*matrices)` (Python): one matrix is cloned, else `linalg_multi_dot`. */
function chainMatmul(g: Graph, a: KernelArgs): KResult {
  const ms = (Array.isArray(a.matrices) ? a.matrices : []) as unknown[];
  const ts = ms.length === 1 && Array.isArray(ms[0]) ? (ms[0] as unknown[]) : ms;
  if (!ts.every(isTensor)) throw new KernelError('chain_matmul', 'expects a sequence of tensors');
  if (ts.length === 1) return atenTensor(g, 'clone', { self: ts[0], memory_format: null });
  return multiDot(g, { tensors: ts });
}

/**
 * `linalg_tensorinv(self, ind)`: reshaped to a square matrix (a view when it can be), inverted
 * with `linalg_inv`, reshaped to `shape[ind:] + shape[:ind]`.
 */
function tensorinv(g: Graph, a: KernelArgs): KResult {
  const x = tensorArg('linalg.tensorinv', a, 'self');
  const ind = intArg('linalg.tensorinv', a, 'ind', 2);
  if (ind <= 0) throw new KernelError('linalg.tensorinv', `Expected a strictly positive integer for 'ind', but got ${ind}`);
  const outer = x.shape.slice(0, ind);
  const inner = x.shape.slice(ind);
  const rows = numel(outer);
  if (rows !== numel(inner)) throw new KernelError('linalg.tensorinv', `Expected self to satisfy the requirement prod(self.shape[ind:]) == prod(self.shape[:ind]), but got ${rows} != ${numel(inner)}`);
  const inv = linalgInv(g, { A: reshape(g, x, [rows, rows]) }) as Tensor;
  return reshape(g, inv, [...inner, ...outer]);
}

/**
 * `linalg_tensorsolve(self, other, dims)`: `dims` moved to the end (`permute`), reshaped to a
 * square matrix and `other` to a vector, `linalg_solve`, reshaped to `self.shape[other.ndim:]`.
 */
function tensorsolve(g: Graph, a: KernelArgs): KResult {
  let x = tensorArg('linalg.tensorsolve', a, 'self');
  const other = tensorArg('linalg.tensorsolve', a, 'other');
  const dims = Array.isArray(a.dims) ? (a.dims as number[]).map((d) => normDim('linalg.tensorsolve', d, x.shape.length)) : null;
  if (dims && dims.length) {
    const rest = x.shape.map((_, i) => i).filter((i) => !dims.includes(i));
    x = permute(g, x, [...rest, ...dims]);
  }
  const resultShape = x.shape.slice(other.shape.length);
  const n = numel(resultShape);
  if (numel(x.shape.slice(0, other.shape.length)) !== n) throw new KernelError('linalg.tensorsolve', `Expected self to satisfy the requirement prod(self.shape[other.ndim:]) == prod(self.shape[:other.ndim]), but got ${n} != ${numel(x.shape.slice(0, other.shape.length))}`);
  const sol = linalgSolve(g, { A: reshape(g, x, [n, n]), B: reshape(g, other, [n]), left: true }) as Tensor;
  return reshape(g, sol, resultShape);
}

// ---------------------------------------------------------------------------------------------
// Vector helpers of torch.linalg.

/** `linalg_vecdot(x, y, dim)` = `sum(x.conj() * y, dim)` (real: `mul`, then `sum`). */
function vecdot(g: Graph, a: KernelArgs): KResult {
  const x = tensorArg('linalg.vecdot', a, 'x');
  const y = tensorArg('linalg.vecdot', a, 'y');
  if (isComplex(x.dtype)) throw new KernelError('linalg.vecdot', 'complex inputs (which conjugate x) are not modelled');
  const prod = atenTensor(g, 'mul.Tensor', { self: x, other: y });
  return callAten(g, 'sum.dim_IntList', { self: prod, dim: [intArg('linalg.vecdot', a, 'dim', -1)], keepdim: false, dtype: null });
}

/**
 * `linalg_vander(x, N)` (a 0-dim x taken as 1-D): x[..., None] expanded to N-1 columns, `cumprod`
 * along them, and a column of ones (`new_ones`) concatenated in front.
 */
function vander(g: Graph, a: KernelArgs): KResult {
  const x0 = tensorArg('linalg.vander', a, 'x');
  const x = x0.shape.length === 0 ? unsqueeze(g, x0, -1) : x0;
  const n = typeof a.N === 'number' ? a.N : x.shape[x.shape.length - 1];
  if (n <= 1) throw new KernelError('linalg.vander', 'N must be greater than 1.');
  const col = unsqueeze(g, x, -1);
  const powers = atenTensor(g, 'cumprod', { self: expand(g, col, [...x.shape, n - 1]), dim: -1, dtype: null });
  const ones = atenTensor(g, 'new_ones', { self: powers, size: [...x.shape, 1] });
  return callAten(g, 'cat', { tensors: [ones, powers], dim: -1 });
}

/** `linalg_diagonal(A, offset, dim1, dim2)` = `diagonal(A, offset, dim1=-2, dim2=-1)`: a view. */
function linalgDiagonal(g: Graph, a: KernelArgs): KResult {
  return callAten(g, 'diagonal', { self: a.A, offset: a.offset ?? 0, dim1: a.dim1 ?? -2, dim2: a.dim2 ?? -1 });
}

/** `diagonal(self, offset, dim1, dim2)`: a view over the two dims' diagonal, appended as the last dim. */
function diagonal(g: Graph, a: KernelArgs): KResult {
  const x = tensorArg('diagonal', a, 'self');
  const offset = intArg('diagonal', a, 'offset', 0);
  const d1 = normDim('diagonal', intArg('diagonal', a, 'dim1', 0), x.shape.length);
  const d2 = normDim('diagonal', intArg('diagonal', a, 'dim2', 1), x.shape.length);
  if (d1 === d2) throw new KernelError('diagonal', `diagonal dimensions cannot be identical ${d1}, ${d2}`);
  const len = Math.max(0, offset >= 0 ? Math.min(x.shape[d1], x.shape[d2] - offset) : Math.min(x.shape[d1] + offset, x.shape[d2]));
  const start = len === 0 ? 0 : offset >= 0 ? offset * x.strides[d2] : -offset * x.strides[d1];
  const keep = x.shape.map((_, i) => i).filter((i) => i !== d1 && i !== d2);
  return g.view(x, [...keep.map((i) => x.shape[i]), len], [...keep.map((i) => x.strides[i]), x.strides[d1] + x.strides[d2]], x.offset + start);
}

/**
 * `diag(self, diagonal)`: 1.13 has a kernel (a copy whose backward keeps nothing); 2.x composes it:
 * a 2-D input's diagonal cloned, a 1-D input `diag_embed`.
 */
function diag(g: Graph, a: KernelArgs): KResult {
  const x = tensorArg('diag', a, 'self');
  const k = intArg('diag', a, 'diagonal', 0);
  if (x.shape.length !== 1 && x.shape.length !== 2) throw new KernelError('diag', `matrix or a vector expected, got ${x.shape.length}D`);
  if (x.shape.length === 2) {
    const d = diagonal(g, { self: x, offset: k, dim1: 0, dim2: 1 }) as Tensor;
    return g.ctx.torch[0] >= 2 ? atenTensor(g, 'clone', { self: d }) : atenOp(g, 'diag', { self: x, diagonal: k }, [{ shape: d.shape, dtype: x.dtype }])[0];
  }
  const n = x.shape[0] + Math.abs(k);
  if (g.ctx.torch[0] >= 2) return atenOp(g, 'diag_embed', { self: x, offset: k, dim1: 0, dim2: 1 }, [{ shape: [n, n], dtype: x.dtype }])[0];
  return atenOp(g, 'diag', { self: x, diagonal: k }, [{ shape: [n, n], dtype: x.dtype }])[0];
}

/** aten rows (schema argument names). */
export const linalgAten = {
  _linalg_det: linalgDetPrimitive,
  _linalg_eigh: linalgEighPrimitive,
  _linalg_slogdet: linalgSlogdetPrimitive,
  _linalg_solve_ex: linalgSolveExPrimitive,
  _linalg_svd: linalgSvdPrimitive,
  _lu_with_info: luWithInfo,
  cholesky,
  cholesky_inverse: choleskyInverse,
  cholesky_solve: choleskySolve,
  det: linalgDet,
  diag,
  diagonal,
  frobenius_norm: frobeniusNorm,
  geqrf,
  inverse: linalgInv,
  linalg_cholesky: linalgCholesky,
  linalg_cholesky_ex: linalgCholeskyEx,
  linalg_cond: (g: Graph, a: KernelArgs): KResult => linalgCond(g, a),
  linalg_det: linalgDet,
  linalg_diagonal: linalgDiagonal,
  linalg_eig: linalgEig,
  linalg_eigh: linalgEigh,
  linalg_eigvals: linalgEigvals,
  linalg_eigvalsh: linalgEigvalsh,
  linalg_householder_product: householderProduct,
  linalg_inv: linalgInv,
  linalg_inv_ex: linalgInvEx,
  linalg_ldl_factor: linalgLdlFactor,
  linalg_ldl_factor_ex: linalgLdlFactorEx,
  linalg_ldl_solve: linalgLdlSolve,
  linalg_lstsq: linalgLstsq,
  linalg_lu: linalgLu,
  linalg_lu_factor: linalgLuFactor,
  linalg_lu_factor_ex: linalgLuFactorEx,
  linalg_lu_solve: linalgLuSolve,
  linalg_matrix_exp: linalgMatrixExp,
  linalg_matrix_norm: linalgMatrixNorm,
  linalg_matrix_power: matrixPower,
  linalg_matrix_rank: linalgMatrixRank,
  linalg_matrix_sqrth: linalgMatrixSqrth,
  linalg_multi_dot: multiDot,
  linalg_norm: linalgNorm,
  linalg_pinv: linalgPinv,
  linalg_polar: linalgPolar,
  linalg_qr: linalgQr,
  linalg_slogdet: linalgSlogdet,
  linalg_solve: linalgSolve,
  linalg_solve_ex: linalgSolveEx,
  linalg_solve_triangular: linalgSolveTriangular,
  linalg_svd: linalgSvd,
  linalg_svdvals: linalgSvdvals,
  linalg_tensorinv: tensorinv,
  linalg_tensorsolve: tensorsolve,
  linalg_vander: vander,
  linalg_vecdot: vecdot,
  logdet,
  lu_solve: luSolve,
  lu_unpack: luUnpack,
  matrix_exp: (g: Graph, a: KernelArgs): KResult => callAten(g, 'linalg_matrix_exp', { self: a.self }),
  matrix_power: matrixPower,
  norm_except_dim: normExceptDim,
  nuclear_norm: nuclearNorm,
  orgqr,
  ormqr,
  pinverse,
  qr,
  slogdet: linalgSlogdet,
  svd,
  triangular_solve: triangularSolve,
};

/**
 * `torch.norm` / `Tensor.norm` (Python). 2.x, on a strided tensor: 'fro' over at most two dims is
 * `linalg.vector_norm(2)`, other strings `linalg.matrix_norm`, numbers (None: 2)
 * `vector_norm(p)`. 1.13: without dim and dtype 'fro' is `frobenius_norm(dim=())` and a number
 * `norm(p, all dims)`; else 'fro' → `frobenius_norm(dim)`, 'nuc' → `nuclear_norm`, numbers →
 * `norm(p, dim[, dtype])`.
 */
function torchNorm(g: Graph, a: KernelArgs): KResult {
  const x = tensorArg('norm', a, 'input' in a ? 'input' : 'self');
  const p = a.p === undefined ? 'fro' : a.p;
  if (p !== null && typeof p !== 'string' && typeof p !== 'number') throw new KernelError('norm', `p must be a number or a string, got ${JSON.stringify(p)}`);
  const dim = a.dim === undefined || a.dim === null ? null : typeof a.dim === 'number' ? [a.dim] : (a.dim as number[]);
  const keepdim = a.keepdim === true;
  const dtype = a.dtype ?? null;
  const all = x.shape.map((_, i) => i);
  if (g.ctx.torch[0] >= 2) {
    if (typeof p === 'string') {
      if (p === 'fro' && (dim === null || dim.length <= 2)) return callAten(g, 'linalg_vector_norm', { self: x, ord: 2, dim, keepdim, dtype });
      return linalgMatrixNorm(g, { self: x, ord: p, dim: dim ?? all, keepdim, dtype });
    }
    return callAten(g, 'linalg_vector_norm', { self: x, ord: p ?? 2, dim, keepdim, dtype });
  }
  if (dim === null && dtype === null && p !== null) {
    if (p === 'fro') return frobeniusNorm(g, { self: x, dim: [], keepdim });
    if (typeof p === 'number') return callAten(g, 'norm.ScalarOpt_dim', { self: x, p, dim: all, keepdim });
  }
  if (typeof p === 'string') {
    if (dtype !== null) throw new KernelError('norm', `dtype argument is not supported in ${p === 'fro' ? 'frobenius' : 'nuclear'} norm`);
    if (p === 'fro') return frobeniusNorm(g, { self: x, dim: dim ?? all, keepdim });
    if (p === 'nuc') return nuclearNorm(g, dim === null ? { self: x, keepdim } : { self: x, dim, keepdim });
    throw new KernelError('norm', `only valid string values are 'fro' and 'nuc', found ${p}`);
  }
  const d = dim ?? all;
  if (dtype !== null) return callAten(g, 'norm.ScalarOpt_dim_dtype', { self: x, p, dim: d, keepdim, dtype });
  return callAten(g, 'norm.ScalarOpt_dim', { self: x, p, dim: d, keepdim });
}

/**
 * `torch.qr`, `torch.cholesky` and their methods: aten ops through 2.13; from 2.14 Python stubs
 * that raise (deprecated since 1.9).
 */
const removedIn214 = (op: 'qr' | 'cholesky', replacement: string) => (g: Graph, a: KernelArgs): KResult => {
  if (!atenEntry(g.ctx.torch, op)) throw new KernelError(op, `torch.${op} was removed; use ${replacement}`);
  const self = 'input' in a ? a.input : a.self;
  return op === 'qr' ? qr(g, { self, some: a.some ?? true }) : cholesky(g, { self, upper: a.upper ?? false });
};

/** Python-level rows: `torch.lu`/`Tensor.lu`, `torch.chain_matmul`, `torch.norm`/`Tensor.norm`, the removed `qr`/`cholesky`. */
export const linalgPython = {
  chain_matmul: chainMatmul,
  cholesky: removedIn214('cholesky', 'torch.linalg.cholesky'),
  lu: pythonLu,
  norm: torchNorm,
  qr: removedIn214('qr', 'torch.linalg.qr'),
};

