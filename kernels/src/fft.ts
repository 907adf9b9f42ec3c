// torch.fft and the complex-number views: every torch.fft function is CompositeImplicitAutograd
// over three kernels — `_fft_r2c` (real in, complex out; keeps its input), `_fft_c2c` and
// `_fft_c2r` (keep nothing) — after promoting the input (`_to_copy` to complex where needed) and
// fixing the signal sizes (`slice` views, one `constant_pad_nd` copy). An inverse of a real input
// returns a lazily conjugated view (kernels/src/types.ts `conj`). Output layouts were measured:
// 1.13 (MKL) writes contiguous outputs; 2.x (pocketfft) puts the batch dimensions outside and the
// transformed ones inside.
import { KernelArgs, intArg, tensorArg } from './args';
import { atenOp } from './autograd';
import { showShape } from './common';
import { atenTensor, callAten } from './dispatch';
import { factory } from './factories';
import { slice } from './indexing';
import { normDim } from './shape';
import { toDtype } from './shapeops';
import { DType, Graph, KernelError, KResult, Tensor, complexDtype, isComplex, isFloating, numel, realDtype } from './types';

/** fft_norm_mode: none, by_root_n, by_n. */
function normMode(op: string, norm: unknown, forward: boolean): number {
  if (norm === undefined || norm === null || norm === 'backward') return forward ? 0 : 2;
  if (norm === 'forward') return forward ? 2 : 0;
  if (norm === 'ortho') return 1;
  throw new KernelError(op, `Invalid normalization mode: "${String(norm)}"`);
}

/** `promote_type_fft`: integers to the default float, complex when required; half precision is refused on the CPU. */
function promote(g: Graph, op: string, t: Tensor, requireComplex: boolean): Tensor {
  if (isComplex(t.dtype)) return t;
  let d: DType = isFloating(t.dtype) ? t.dtype : g.ctx.defaultFloat ?? 'float32';
  if (d !== 'float32' && d !== 'float64') throw new KernelError(op, `Unsupported dtype ${d}`);
  if (requireComplex) d = complexDtype(d);
  return d === t.dtype ? t : toDtype(g, t, d);
}

/** `resize_fft_input`: a dim longer than its signal size is sliced (a view), a shorter one zero-padded (one `constant_pad_nd`). */
function resizeInput(g: Graph, x0: Tensor, dims: readonly number[], sizes: readonly number[]): Tensor {
  let x = x0;
  const pad = new Array<number>(x.shape.length * 2).fill(0);
  let copy = false;
  dims.forEach((d, i) => {
    const n = sizes[i];
    if (n === -1) return;
    if (x.shape[d] < n) {
      copy = true;
      pad[pad.length - 2 * d - 1] = n - x.shape[d];
    }
    if (x.shape[d] > n) x = slice(g, x, d, 0, n, 1);
  });
  return copy ? atenTensor(g, 'constant_pad_nd', { self: x, pad, value: 0 }) : x;
}

/** Dense strides with the dims in `order` from outermost to innermost. */
function stridesInOrder(shape: readonly number[], order: readonly number[]): number[] {
  const strides = new Array<number>(shape.length).fill(0);
  let s = 1;
  for (let j = order.length - 1; j >= 0; j--) {
    strides[order[j]] = s;
    s *= Math.max(shape[order[j]], 1);
  }
  return strides;
}

/**
 * The layout of an FFT kernel's output. 1.13: contiguous. 2.x: the untransformed dims outside in
 * the input's stride order, then the transformed ones — c2c sorts them by the input's strides,
 * r2c and c2r keep the half-length (last) one innermost and sort the others.
 */
function fftStrides(g: Graph, x: Tensor, outShape: readonly number[], dims: readonly number[], sortAll: boolean): number[] | undefined {
  if (g.ctx.torch[0] < 2) return undefined;
  const byStride = (ds: number[]) => ds.sort((a, b) => x.strides[b] - x.strides[a]);
  const batch = byStride(x.shape.map((_, i) => i).filter((i) => !dims.includes(i)));
  const transformed = sortAll ? byStride([...dims]) : [...byStride(dims.slice(0, -1)), dims[dims.length - 1]];
  return stridesInOrder(outShape, [...batch, ...transformed]);
}

/** `_fft_r2c(self, dim, normalization, onesided)`: complex; the last dim halved (n/2 + 1) when one-sided; keeps the input. */
function r2c(g: Graph, x: Tensor, dims: readonly number[], norm: number, onesided: boolean): Tensor {
  const shape = [...x.shape];
  const last = dims[dims.length - 1];
  if (onesided) shape[last] = Math.floor(shape[last] / 2) + 1;
  return atenOp(g, '_fft_r2c', { self: x, dim: [...dims], normalization: norm, onesided }, [{ shape, dtype: complexDtype(x.dtype), strides: fftStrides(g, x, shape, dims, false) }], { flops: 5 * numel(x.shape) * Math.log2(Math.max(2, numel(dims.map((d) => x.shape[d])))) })[0];
}

/** `_fft_c2c(self, dim, normalization, forward)`: the input's shape and dtype; keeps nothing. */
function c2c(g: Graph, x: Tensor, dims: readonly number[], norm: number, forward: boolean): Tensor {
  return atenOp(g, '_fft_c2c', { self: x, dim: [...dims], normalization: norm, forward }, [{ shape: x.shape, dtype: x.dtype, strides: fftStrides(g, x, x.shape, dims, true) }], { flops: 5 * numel(x.shape) * Math.log2(Math.max(2, numel(dims.map((d) => x.shape[d])))) })[0];
}

/** `_fft_c2r(self, dim, normalization, last_dim_size)`: real, the last transformed dim `last_dim_size` long; keeps nothing. */
function c2r(g: Graph, x: Tensor, dims: readonly number[], norm: number, lastDimSize: number): Tensor {
  const shape = [...x.shape];
  shape[dims[dims.length - 1]] = lastDimSize;
  return atenOp(g, '_fft_c2r', { self: x, dim: [...dims], normalization: norm, last_dim_size: lastDimSize }, [{ shape, dtype: realDtype(x.dtype), strides: fftStrides(g, x, shape, dims, false) }], { flops: 5 * numel(shape) * Math.log2(Math.max(2, numel(dims.map((d) => shape[d])))) })[0];
}

/** `conj(x)`: a lazily conjugated view of a complex tensor (`_conj`); a real tensor is itself. */
export function conj(g: Graph, x: Tensor): Tensor {
  if (!isComplex(x.dtype)) return x;
  const v = g.view(x, x.shape, x.strides, x.offset);
  return { ...v, conj: !x.conj };
}

const optInt = (v: unknown): number | null => (typeof v === 'number' ? v : null);

/**
 * The one-dimensional transforms (`fft`, `ifft`, `rfft`, `irfft`, `hfft`, `ihfft`): complex input
 * to `fft`/`ifft` is c2c; real input r2c (full length for `fft`/`ifft`, then conjugated for the
 * inverses); `irfft`/`hfft` are c2r of n = 2(size - 1) points by default, `hfft` of the conjugate.
 */
function fft1(kind: 'fft' | 'ifft' | 'rfft' | 'irfft' | 'hfft' | 'ihfft') {
  return (g: Graph, a: KernelArgs): KResult => {
    const op = `fft_${kind}`;
    const self = tensorArg(op, a, 'self');
    const n0 = optInt(a.n);
    if (self.shape.length === 0) throw new KernelError(op, 'Dimension specified as -1 but tensor has no dimensions');
    const dim = normDim(op, intArg(op, a, 'dim', -1), self.shape.length);
    const forward = kind === 'fft' || kind === 'rfft' || kind === 'hfft';
    const norm = normMode(op, a.norm, forward);
    if ((kind === 'fft' || kind === 'ifft') && isComplex(self.dtype)) {
      const n = n0 ?? self.shape[dim];
      if (n < 1) throw new KernelError(op, `Invalid number of data points (${n}) specified`);
      return c2c(g, n0 !== null ? resizeInput(g, self, [dim], [n]) : self, [dim], norm, forward);
    }
    if (kind === 'irfft' || kind === 'hfft') {
      let x = promote(g, op, self, true);
      const n = n0 ?? 2 * (x.shape[dim] - 1);
      if (n < 1) throw new KernelError(op, `Invalid number of data points (${n}) specified`);
      if (n0 !== null) x = resizeInput(g, x, [dim], [Math.floor(n / 2) + 1]);
      if (forward) x = conj(g, x);
      return c2r(g, x, [dim], norm, n);
    }
    if (isComplex(self.dtype)) throw new KernelError(op, `expects a real input tensor, but got ${self.dtype}`);
    let x = promote(g, op, self, false);
    const n = n0 ?? x.shape[dim];
    if (n < 1) throw new KernelError(op, `Invalid number of data points (${n}) specified`);
    if (n0 !== null) x = resizeInput(g, x, [dim], [n]);
    const out = r2c(g, x, [dim], norm, kind === 'rfft' || kind === 'ihfft');
    return forward ? out : conj(g, out);
  };
}

/** `canonicalize_fft_shape_and_dim_args`: the transformed dims and their signal sizes (-1 in `s`: the input's). */
function shapeAndDims(op: string, x: Tensor, s: unknown, dim: unknown): { shape: number[]; dims: number[] } {
  const rank = x.shape.length;
  let dims: number[] | null = null;
  if (dim !== undefined && dim !== null) {
    const list = typeof dim === 'number' ? [dim] : (dim as number[]);
    dims = list.map((d) => normDim(op, d, rank));
    if (new Set(dims).size !== dims.length) throw new KernelError(op, 'FFT dims must be unique');
  }
  let shape: number[];
  if (s !== undefined && s !== null) {
    const sl = typeof s === 'number' ? [s] : (s as number[]);
    if (dims && dims.length !== sl.length) throw new KernelError(op, 'When given, dim and shape arguments must have the same length');
    if (sl.length > rank) throw new KernelError(op, `Got shape with ${sl.length} values but input tensor only has ${rank} dimensions.`);
    dims ??= Array.from({ length: sl.length }, (_, i) => rank - sl.length + i);
    shape = sl.map((n, i) => (n === -1 ? x.shape[dims![i]] : n));
  } else {
    dims ??= x.shape.map((_, i) => i);
    shape = dims.map((d) => x.shape[d]);
  }
  for (const n of shape) if (n <= 0) throw new KernelError(op, `Invalid number of data points (${n}) specified`);
  return { shape, dims };
}

/**
 * The n-dimensional transforms and their 2-D forms (`fft2` = `fftn` with dim=(-2, -1)): `fftn`/
 * `ifftn` promote to complex and run one c2c; `rfftn` one r2c; `irfftn` one c2r; `hfftn` a c2c
 * over all but the last dim, then c2r of the conjugate; `ihfftn` an r2c of the last dim, then
 * (with more dims) `_conj_physical` and an inverse c2c, else the conjugate view.
 */
function fftn(kind: 'fft' | 'ifft' | 'rfft' | 'irfft' | 'hfft' | 'ihfft', twoD: boolean) {
  return (g: Graph, a: KernelArgs): KResult => {
    const op = `fft_${kind}${twoD ? '2' : 'n'}`;
    const self = tensorArg(op, a, 'self');
    const dimArg = twoD ? (a.dim ?? [-2, -1]) : a.dim;
    const desc = shapeAndDims(op, self, a.s, dimArg);
    const forward = kind === 'fft' || kind === 'rfft' || kind === 'hfft';
    const norm = normMode(op, a.norm, forward);
    if (kind === 'fft' || kind === 'ifft') {
      const x = resizeInput(g, promote(g, op, self, true), desc.dims, desc.shape);
      return c2c(g, x, desc.dims, norm, forward);
    }
    if (desc.dims.length === 0) throw new KernelError(op, `${kind}n must transform at least one axis`);
    if (kind === 'rfft' || kind === 'ihfft') {
      if (isComplex(self.dtype)) throw new KernelError(op, `expects a real-valued input tensor, but got ${self.dtype}`);
      const x = resizeInput(g, promote(g, op, self, false), desc.dims, desc.shape);
      if (kind === 'rfft') return r2c(g, x, desc.dims, norm, true);
      const last = desc.dims[desc.dims.length - 1];
      const tmp = r2c(g, x, [last], norm, true);
      if (desc.dims.length === 1) return conj(g, tmp);
      return c2c(g, atenTensor(g, '_conj_physical', { self: tmp }), desc.dims.slice(0, -1), norm, false);
    }
    // irfftn / hfftn: the last dim's output size, and its input's one-sided length.
    const s = a.s === undefined || a.s === null ? null : typeof a.s === 'number' ? [a.s] : (a.s as number[]);
    const lastDim = desc.dims[desc.dims.length - 1];
    const lastSize = !s || s[s.length - 1] === -1 ? 2 * (self.shape[lastDim] - 1) : desc.shape[desc.shape.length - 1];
    if (lastSize < 1) throw new KernelError(op, `Invalid number of data points (${lastSize}) specified`);
    const shape = [...desc.shape.slice(0, -1), Math.floor(lastSize / 2) + 1];
    const x = resizeInput(g, promote(g, op, self, true), desc.dims, shape);
    if (kind === 'irfft') return c2r(g, x, desc.dims, norm, lastSize);
    const tmp = desc.dims.length > 1 ? c2c(g, x, desc.dims.slice(0, -1), norm, true) : x;
    return c2r(g, conj(g, tmp), [lastDim], norm, lastSize);
  };
}

/** `fftshift(x, dim)` / `ifftshift`: `roll` by size/2 (ifftshift: (size+1)/2) along each dim (all by default). */
function shift(inverse: boolean) {
  return (g: Graph, a: KernelArgs): KResult => {
    const x = tensorArg(inverse ? 'fft_ifftshift' : 'fft_fftshift', a, 'self');
    const dims = a.dim === undefined || a.dim === null ? x.shape.map((_, i) => i) : (typeof a.dim === 'number' ? [a.dim] : (a.dim as number[])).map((d) => normDim('fft_fftshift', d, x.shape.length));
    const shifts = dims.map((d) => Math.floor((x.shape[d] + (inverse ? 1 : 0)) / 2));
    return callAten(g, 'roll', { self: x, shifts, dims });
  };
}

// ---------------------------------------------------------------------------------------------
// Complex numbers as pairs of reals.

/** `view_as_real(self)`: a complex tensor viewed as [..., 2] of its real dtype (a lazily conjugated one is refused, as PyTorch does). */
export function viewAsReal(g: Graph, a: KernelArgs): KResult {
  const x = tensorArg('view_as_real', a, 'self');
  if (!isComplex(x.dtype)) throw new KernelError('view_as_real', `view_as_real is only supported for complex tensors, got ${x.dtype}`);
  if (x.conj) throw new KernelError('view_as_real', "view_as_real doesn't work on unresolved conjugated tensors.  To resolve the conjugate tensor so you can view it as real, use self.resolve_conj()");
  return g.view(x, [...x.shape, 2], [...x.strides.map((s) => s * 2), 1], x.offset * 2, realDtype(x.dtype));
}

/** `view_as_complex(self)`: a float tensor whose last dim is 2 (stride 1, other strides even) viewed as complex. */
function viewAsComplex(g: Graph, a: KernelArgs): KResult {
  const x = tensorArg('view_as_complex', a, 'self');
  if (x.dtype !== 'float32' && x.dtype !== 'float64') throw new KernelError('view_as_complex', `view_as_complex is only supported for float and double tensors, but got a tensor of scalar type: ${x.dtype}`);
  const n = x.shape.length;
  if (n === 0 || x.shape[n - 1] !== 2) throw new KernelError('view_as_complex', 'Tensor must have a last dimension of size 2');
  if (x.strides[n - 1] !== 1) throw new KernelError('view_as_complex', 'Tensor must have a last dimension with stride 1');
  if (x.strides.slice(0, -1).some((s) => s % 2 !== 0) || x.offset % 2 !== 0) throw new KernelError('view_as_complex', 'Tensor must have a stride divisible by 2 for all but last dimension');
  return g.view(x, x.shape.slice(0, -1), x.strides.slice(0, -1).map((s) => s / 2), x.offset / 2, complexDtype(x.dtype));
}

/** `real(self)`: of a complex tensor the real parts (a strided view through `view_as_real`); a real tensor is itself. */
export function realPart(g: Graph, x: Tensor): Tensor {
  if (!isComplex(x.dtype)) return x;
  const r = viewAsReal(g, { self: x }) as Tensor;
  return g.view(r, x.shape, r.strides.slice(0, -1), r.offset, r.dtype);
}

/** `imag(self)`: the imaginary parts of a complex tensor (a view); refused for real tensors. */
export function imagPart(g: Graph, x: Tensor): Tensor {
  if (!isComplex(x.dtype)) throw new KernelError('imag', 'imag is not implemented for tensors with non-complex dtypes.');
  const r = viewAsReal(g, { self: x }) as Tensor;
  return g.view(r, x.shape, r.strides.slice(0, -1), r.offset + 1, r.dtype);
}

/** `complex(real, imag)` / `polar(abs, angle)`: two float tensors of one dtype broadcast to a complex one. */
function complexFrom(op: 'complex' | 'polar') {
  return (g: Graph, a: KernelArgs): KResult => {
    const [n0, n1] = op === 'complex' ? ['real', 'imag'] : ['abs', 'angle'];
    const x = tensorArg(op, a, n0);
    const y = tensorArg(op, a, n1);
    if (x.dtype !== y.dtype) throw new KernelError(op, `Expected object of scalar type ${x.dtype} but got scalar type ${y.dtype} for second argument`);
    if (x.dtype !== 'float32' && x.dtype !== 'float64' && x.dtype !== 'float16') throw new KernelError(op, `Expected both inputs to be Half, Float or Double tensors but got ${x.dtype} and ${y.dtype}`);
    if (x.dtype === 'float16') throw new KernelError(op, 'complex32 (chalf) tensors are not modelled');
    const n = Math.max(x.shape.length, y.shape.length);
    const shape = Array.from({ length: n }, (_, i) => {
      const p = x.shape[x.shape.length - n + i] ?? 1;
      const q = y.shape[y.shape.length - n + i] ?? 1;
      if (p !== q && p !== 1 && q !== 1) throw new KernelError(op, `shapes ${showShape(x.shape)} and ${showShape(y.shape)} cannot be broadcast`);
      return p === 1 ? q : p;
    });
    return atenOp(g, op, { [n0]: x, [n1]: y }, [{ shape, dtype: complexDtype(x.dtype) }], { flops: numel(shape) })[0];
  };
}

/** `resolve_conj(self)`: a lazily conjugated tensor's resolved copy (`clone`), else itself. */
function resolveConjRule(g: Graph, a: KernelArgs): KResult {
  const x = tensorArg('resolve_conj', a, 'self');
  if (!x.conj) return x;
  return atenOp(g, 'clone', { self: { ...x, conj: false } }, [{ shape: x.shape, dtype: x.dtype }])[0];
}

/** `fftfreq(n, d)` / `rfftfreq`: the sample frequencies, [n] / [n/2 + 1] of the default float dtype (a factory). */
function freq(one: boolean) {
  return (g: Graph, a: KernelArgs): KResult => {
    const n = intArg(one ? 'fft_rfftfreq' : 'fft_fftfreq', a, 'n');
    const d = a.dtype && typeof a.dtype === 'object' && 'dtype' in a.dtype ? (a.dtype as { dtype: DType }).dtype : g.ctx.defaultFloat ?? 'float32';
    if (!isFloating(d) && !isComplex(d)) throw new KernelError(one ? 'fft_rfftfreq' : 'fft_fftfreq', `${one ? 'rfftfreq' : 'fftfreq'} requires a floating point or complex dtype`);
    return factory(g, one ? 'fft_rfftfreq' : 'fft_fftfreq', [one ? Math.floor(n / 2) + 1 : n], d, a);
  };
}

/** aten rows (schema argument names). */
export const fftAten = {
  _conj: (g: Graph, a: KernelArgs): KResult => conj(g, tensorArg('_conj', a, 'self')),
  complex: complexFrom('complex'),
  conj: (g: Graph, a: KernelArgs): KResult => conj(g, tensorArg('conj', a, 'self')),
  fft_fft: fft1('fft'),
  fft_fft2: fftn('fft', true),
  fft_fftfreq: freq(false),
  fft_fftn: fftn('fft', false),
  fft_fftshift: shift(false),
  fft_hfft: fft1('hfft'),
  fft_hfft2: fftn('hfft', true),
  fft_hfftn: fftn('hfft', false),
  fft_ifft: fft1('ifft'),
  fft_ifft2: fftn('ifft', true),
  fft_ifftn: fftn('ifft', false),
  fft_ifftshift: shift(true),
  fft_ihfft: fft1('ihfft'),
  fft_ihfft2: fftn('ihfft', true),
  fft_ihfftn: fftn('ihfft', false),
  fft_irfft: fft1('irfft'),
  fft_irfft2: fftn('irfft', true),
  fft_irfftn: fftn('irfft', false),
  fft_rfft: fft1('rfft'),
  fft_rfft2: fftn('rfft', true),
  fft_rfftfreq: freq(true),
  fft_rfftn: fftn('rfft', false),
  imag: (g: Graph, a: KernelArgs): KResult => imagPart(g, tensorArg('imag', a, 'self')),
  is_conj: (_g: Graph, a: KernelArgs): KResult => !!tensorArg('is_conj', a, 'self').conj,
  polar: complexFrom('polar'),
  real: (g: Graph, a: KernelArgs): KResult => realPart(g, tensorArg('real', a, 'self')),
  resolve_conj: resolveConjRule,
  view_as_complex: viewAsComplex,
  view_as_real: viewAsReal,
};

