"""Measured cases for torch.linalg, torch.fft, the products and statistics ops, with each tensor
output's strides: test/fixtures/ops/math-<release>.json (the probes' format, test/groundtruth/
README-probes.md, plus "strides"). OpInfo samples (probe_ops.py) cover few shapes of these ops
(the 1.8 MiB budget keeps one svd case) and no layouts, while LAPACK writes column-major outputs
and the FFT kernels' layouts differ by release.

Run with the Python of each release (as probe_ops.py):

    ~/.cache/memlens-truth/torch-1.13/bin/python test/groundtruth/probe_math.py
    ~/.cache/memlens-venvs/torch213/bin/python   test/groundtruth/probe_math.py
    PYTHONPATH="$EXTRA214" ~/.cache/memlens-truth/torch-2.14/bin/python test/groundtruth/probe_math.py

Every floating-point tensor argument requires grad ("all"), as in probe_ops.probe_case; inputs
that must be invertible or positive definite are built so.
"""
import json
import os
import sys

import torch

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import probe_ops as P  # noqa: E402

torch.manual_seed(0)


def r(*s, dtype=torch.float32):
    return torch.randn(*s, dtype=dtype)


def sq(*s):
    x = torch.randn(*s)
    return x + s[-1] * torch.eye(s[-1])


def spd(*s):
    x = torch.randn(*s)
    return x @ x.mT + s[-1] * torch.eye(s[-1])


def c(*s):
    return torch.randn(*s, dtype=torch.cfloat)


def lu(a):
    return torch.linalg.lu_factor(a)


L = torch.linalg
F = torch.fft
V = torch.__version__

cases = [
  ('torch.linalg.svd', L.svd, [r(5,3)], {}),
  ('torch.linalg.svd', L.svd, [r(5,3)], {'full_matrices': False}),
  ('torch.linalg.svd', L.svd, [r(2,3,5)], {}),
  ('torch.linalg.svd', L.svd, [r(2,3,5)], {'full_matrices': False}),
  ('torch.svd', torch.svd, [r(5,3)], {}),
  ('torch.svd', torch.svd, [r(2,3,5)], {'some': False}),
  ('torch.linalg.svdvals', L.svdvals, [r(2,5,3)], {}),
  ('torch.linalg.eigh', L.eigh, [spd(2,4,4)], {}),
  ('torch.linalg.eigvalsh', L.eigvalsh, [spd(4,4)], {'UPLO': 'U'}),
  ('torch.linalg.eig', L.eig, [sq(2,4,4)], {}),
  ('torch.linalg.eigvals', L.eigvals, [sq(4,4)], {}),
  ('torch.linalg.qr', L.qr, [r(5,3)], {}),
  ('torch.linalg.qr', L.qr, [r(2,3,5)], {'mode': 'complete'}),
  ('torch.linalg.qr', L.qr, [r(2,5,3)], {'mode': 'r'}),
  ('torch.linalg.det', L.det, [sq(2,4,4)], {}),
  ('torch.det', torch.det, [sq(4,4)], {}),
  ('torch.logdet', torch.logdet, [spd(2,4,4)], {}),
  ('torch.linalg.slogdet', L.slogdet, [sq(2,4,4)], {}),
  ('torch.linalg.inv', L.inv, [sq(2,4,4)], {}),
  ('torch.inverse', torch.inverse, [sq(4,4)], {}),
  ('torch.linalg.inv_ex', L.inv_ex, [sq(4,4)], {}),
  ('torch.linalg.cholesky', L.cholesky, [spd(2,4,4)], {}),
  ('torch.linalg.cholesky', L.cholesky, [spd(4,4)], {'upper': True}),
  ('torch.linalg.cholesky_ex', L.cholesky_ex, [spd(4,4)], {}),
  ('torch.linalg.solve', L.solve, [sq(4,4), r(4,3)], {}),
  ('torch.linalg.solve', L.solve, [sq(2,4,4), r(4)], {}),
  ('torch.linalg.solve', L.solve, [sq(3,4,4), r(3,4)], {}),
  ('torch.linalg.solve', L.solve, [sq(3,4,4), r(2,1,4,5)], {}),
  ('torch.linalg.solve', L.solve, [sq(3,4,4), r(2,1,5,4)], {'left': False}),
  ('torch.linalg.solve_ex', L.solve_ex, [sq(4,4), r(4,3)], {}),
  ('torch.linalg.lu_factor', L.lu_factor, [r(5,3)], {}),
  ('torch.linalg.lu_factor_ex', L.lu_factor_ex, [r(2,3,5)], {}),
  ('torch.linalg.lu', L.lu, [r(5,3)], {}),
  ('torch.linalg.lu', L.lu, [r(2,3,5)], {}),
  ('torch.linalg.lu_solve', L.lu_solve, [*lu(sq(4,4)), r(4,2)], {}),
  ('torch.linalg.lu_solve', L.lu_solve, [*lu(sq(4,4)), r(2,4)], {'left': False}),
  ('torch.linalg.lu_solve', L.lu_solve, [*lu(sq(4,4)), r(3,4,2)], {'adjoint': True}),
  ('torch.lu_unpack', torch.lu_unpack, [*lu(r(5,3))], {}),
  ('torch.lu_unpack', torch.lu_unpack, [*lu(sq(4,4))], {'unpack_data': False}),
  ('torch.linalg.pinv', L.pinv, [r(2,5,3)], {}),
  ('torch.linalg.pinv', L.pinv, [r(5,3)], {'rtol': 0.1}),
  ('torch.linalg.pinv', L.pinv, [spd(4,4)], {'hermitian': True}),
  ('torch.pinverse', torch.pinverse, [r(5,3)], {}),
  ('torch.linalg.matrix_rank', L.matrix_rank, [r(5,3)], {}),
  ('torch.linalg.matrix_rank', L.matrix_rank, [r(2,5,3)], {'atol': 1.0, 'rtol': 0.0}),
  ('torch.linalg.matrix_rank', L.matrix_rank, [spd(4,4)], {'hermitian': True}),
  ('torch.linalg.norm', L.norm, [r(3,4)], {}),
  ('torch.linalg.norm', L.norm, [r(3,4), 'nuc'], {}),
  ('torch.linalg.norm', L.norm, [r(3,4), 2], {}),
  ('torch.linalg.norm', L.norm, [r(3,4), 1], {}),
  ('torch.linalg.matrix_norm', L.matrix_norm, [r(2,3,4)], {'ord': -1}),
  ('torch.linalg.matrix_norm', L.matrix_norm, [r(2,3,4)], {'ord': 2, 'keepdim': True}),
  ('torch.linalg.matrix_norm', L.matrix_norm, [r(2,3,4)], {'ord': 'nuc', 'dim': (0,2)}),
  ('torch.linalg.matrix_norm', L.matrix_norm, [r(2,3,4)], {'ord': 'nuc', 'keepdim': True}),
  ('torch.norm', torch.norm, [r(3,4)], {}),
  ('torch.norm', torch.norm, [r(3,4), 'fro'], {'dim': (0,1)}),
  ('torch.norm', torch.norm, [r(3,4), 3], {}),
  ('torch.norm', torch.norm, [r(3,4), 'nuc'], {}),
  ('torch.frobenius_norm', torch.frobenius_norm, [r(3,4), (0,1)], {}),
  ('torch.nuclear_norm', torch.nuclear_norm, [r(3,4)], {'keepdim': True}),
  ('torch.norm_except_dim', torch.norm_except_dim, [r(3,4), 2, 1], {}),
  ('torch.linalg.cond', L.cond, [sq(3,3)], {}),
  ('torch.linalg.cond', L.cond, [sq(3,3), 'fro'], {}),
  ('torch.linalg.cond', L.cond, [sq(3,3), 1], {}),
  ('torch.linalg.cond', L.cond, [sq(2,3,3), 'nuc'], {}),
  ('torch.linalg.cond', L.cond, [sq(3,3), -2], {}),
  ('torch.matrix_power', torch.matrix_power, [sq(3,3), 3], {}),
  ('torch.matrix_power', torch.matrix_power, [sq(2,3,3), 0], {}),
  ('torch.matrix_power', torch.matrix_power, [sq(3,3), 6], {}),
  ('torch.matrix_power', torch.matrix_power, [sq(3,3), -2], {}),
  ('torch.linalg.matrix_power', L.matrix_power, [sq(2,3,3), 5], {}),
  ('torch.matrix_exp', torch.matrix_exp, [r(2,3,3)], {}),
  ('torch.linalg.multi_dot', L.multi_dot, [[r(2,3), r(3,4), r(4,5)]], {}),
  ('torch.linalg.multi_dot', L.multi_dot, [[r(3), r(3,4), r(4)]], {}),
  ('torch.linalg.multi_dot', L.multi_dot, [[r(10,3), r(3,40), r(40,5), r(5,6)]], {}),
  ('torch.chain_matmul', torch.chain_matmul, [r(2,3), r(3,4), r(4,5)], {}),
  ('torch.linalg.tensorinv', L.tensorinv, [sq(24,24).reshape(4,6,8,3)], {'ind': 2}),
  ('torch.linalg.tensorsolve', L.tensorsolve, [sq(6,6).reshape(2,3,6), r(2,3)], {}),
  ('torch.linalg.vander', L.vander, [r(2,4)], {'N': 3}),
  ('torch.linalg.vecdot', L.vecdot, [r(3,4), r(4)], {}),
  ('torch.linalg.diagonal', L.diagonal, [r(2,3,4)], {}),
  ('torch.linalg.householder_product', L.householder_product, [r(2,5,3), r(2,3)], {}),
  ('torch.linalg.solve_triangular', L.solve_triangular, [sq(2,4,4), r(3,1,4,3)], {'upper': True}),
  ('torch.linalg.solve_triangular', L.solve_triangular, [sq(4,4), r(3,4)], {'upper': False, 'left': False}),
  ('torch.triangular_solve', torch.triangular_solve, [r(3,1,4,3), sq(2,4,4)], {}),
  ('torch.cholesky_solve', torch.cholesky_solve, [r(3,1,4,3), sq(2,4,4)], {}),
  ('torch.cholesky_inverse', torch.cholesky_inverse, [sq(2,4,4)], {}),
  ('torch.geqrf', torch.geqrf, [r(2,3,5)], {}),
  ('torch.ormqr', torch.ormqr, [r(4,3), r(3), r(5,4)], {'left': False}),
  ('torch.linalg.ldl_factor', L.ldl_factor, [spd(2,4,4)], {}),
  ('torch.linalg.lstsq', L.lstsq, [r(5,3), r(5,2)], {}),
  ('torch.linalg.lstsq', L.lstsq, [r(3,5), r(3,2)], {'driver': 'gelsd'}),
  ('torch.linalg.lstsq', L.lstsq, [r(5,3), r(5,2)], {'driver': 'gels'}),
  ('torch.linalg.lstsq', L.lstsq, [r(5,3), r(5)], {}),
  ('torch.addmv', torch.addmv, [r(1), r(3,4), r(4)], {'beta': 0.5, 'alpha': 2}),
  ('torch.addr', torch.addr, [r(4), r(3), r(4)], {}),
  ('Tensor.addr_', lambda b, u, v: b.addr_(u, v), [r(3,4), r(3), r(4)], {}),
  ('torch.addbmm', torch.addbmm, [r(5), r(2,3,4), r(2,4,5)], {}),
  ('Tensor.addmm_', lambda b, x, y: b.addmm_(x, y), [r(3,5), r(3,4), r(4,5)], {}),
  ('Tensor.baddbmm_', lambda b, x, y: b.baddbmm_(x, y), [r(2,3,5), r(2,3,4), r(2,4,5)], {}),
  ('torch.kron', torch.kron, [r(2,3), r(4,5)], {}),
  ('torch.kron', torch.kron, [r(2), r(2,4,5)], {}),
  ('torch.inner', torch.inner, [r(3,4), r(5,4)], {}),
  ('torch.inner', torch.inner, [r(4), r(4)], {}),
  ('torch.inner', torch.inner, [r(2,3,4), r(4)], {}),
  ('torch.inner', torch.inner, [r(1,4), r(1,4)], {}),
  ('torch.tensordot', torch.tensordot, [r(2,4), r(2,4)], {'dims': ([0,1],[0,1])}),
  ('torch.tensordot', torch.tensordot, [r(3,4,5), r(4,5,6)], {'dims': 2}),
  ('torch.vdot', torch.vdot, [r(4), r(4)], {}),
  ('torch.trace', torch.trace, [r(3,4)], {}),
  ('torch.cross', torch.cross, [r(3,4), r(3,4)], {}),
  ('torch.linalg.cross', L.cross, [r(3,4), r(3,1)], {'dim': 0}),
  ('torch.cov', torch.cov, [r(3,5)], {}),
  ('torch.cov', torch.cov, [r(3,5)], {'correction': 0, 'fweights': torch.tensor([1,2,1,1,3]), 'aweights': torch.rand(5)}),
  ('torch.corrcoef', torch.corrcoef, [r(3,5)], {}),
  ('torch.quantile', torch.quantile, [r(3,5), torch.tensor([0.2,0.6])], {'dim': 0}),
  ('torch.quantile', torch.quantile, [r(3,5), 0.3], {'dim': 1, 'keepdim': True}),
  ('torch.quantile', torch.quantile, [r(3,5), 0.3], {'interpolation': 'nearest'}),
  ('torch.quantile', torch.quantile, [r(3,5), 0.3], {'dim': 1, 'interpolation': 'midpoint'}),
  ('torch.nanquantile', torch.nanquantile, [r(3,5), 0.3], {'dim': 1}),
  ('torch.nanmean', torch.nanmean, [r(3,5,2)], {'dim': (0,1)}),
  ('torch.histc', torch.histc, [r(3,5)], {'bins': 7}),
  ('torch.histogramdd', torch.histogramdd, [r(6,2)], {'bins': [3,4]}),
  ('torch.cummax', torch.cummax, [r(3,5), 1], {}),
  ('torch.dist', torch.dist, [r(3,4), r(4)], {'p': 3}),
  ('Tensor.renorm_', lambda a, *x: a.renorm_(*x), [r(3,4,2), 1, 1, 0.5], {}),
  ('torch.segment_reduce', torch.segment_reduce, [r(5,3), 'sum'], {'lengths': torch.tensor([2,3])}),
  ('torch.special.ndtr', torch.special.ndtr, [r(4)], {}),
  ('torch.special.gammainc', torch.special.gammainc, [r(4).abs(), r(4).abs()], {}),
  ('torch.special.multigammaln', torch.special.multigammaln, [r(4).abs() + 3, 3], {}),
  ('torch.fft.fft', F.fft, [r(5,6)], {'n': 10, 'dim': 0, 'norm': 'ortho'}),
  ('torch.fft.ifft', F.ifft, [r(5,6)], {}),
  ('torch.fft.rfft', F.rfft, [r(3,5,6)], {'dim': 1}),
  ('torch.fft.rfft', F.rfft, [r(5,6)], {'n': 10, 'dim': 0}),
  ('torch.fft.irfft', F.irfft, [r(5,6)], {'n': 4}),
  ('torch.fft.hfft', F.hfft, [r(5,6)], {}),
  ('torch.fft.ihfft', F.ihfft, [r(5,6)], {}),
  ('torch.fft.fft2', F.fft2, [r(3,5,6)], {'s': (4,8)}),
  ('torch.fft.fftn', F.fftn, [r(3,5,6)], {'s': (4,8), 'dim': (0,2)}),
  ('torch.fft.rfftn', F.rfftn, [r(3,5,6)], {'dim': (2,0)}),
  ('torch.fft.irfftn', F.irfftn, [r(3,5,6)], {'s': (4,8)}),
  ('torch.fft.hfft2', F.hfft2, [r(3,5,6)], {}),
  ('torch.fft.hfftn', F.hfftn, [r(3,5,6)], {}),
  ('torch.fft.ihfft2', F.ihfft2, [r(3,5,6)], {}),
  ('torch.fft.ihfftn', F.ihfftn, [r(3,5,6)], {'s': (4,8)}),
  ('torch.fft.fftshift', F.fftshift, [r(3,5,6)], {}),
  ('torch.fft.ifftshift', F.ifftshift, [r(3,5,6)], {'dim': 1}),
  ('torch.polar', torch.polar, [r(5,6), r(6)], {}),
  ('torch.complex', torch.complex, [r(5,6), r(6)], {}),
  ('torch.view_as_complex', torch.view_as_complex, [r(5,6,2)], {}),
  ('torch.linalg.norm', L.norm, [r(2,3,4)], {'dim': 1}),
  ('torch.linalg.cond', L.cond, [sq(2,3,3), 'fro'], {}),
  ('torch.linalg.matrix_rank', L.matrix_rank, [r(5,3)], {'atol': torch.tensor(0.1, dtype=torch.float64)}),
  ('torch.svd', torch.svd, [r(5,3)], {'some': False, 'compute_uv': False}),
  ('torch.fft.fft', F.fft, [c(5,6)], {'n': 4}),
  ('torch.fft.hfftn', F.hfftn, [c(3,5,6)], {'s': (4,6)}),
  ('torch.fft.ihfftn', F.ihfftn, [r(3,5,6)], {'dim': (1,)}),
  ('torch.fft.irfft2', F.irfft2, [c(3,5,6)], {'dim': (0,1)}),
  ('torch.fft.ifft', F.ifft, [c(3,5,6)], {'dim': 0}),
  ('torch.quantile', torch.quantile, [r(3,100), torch.tensor([0.2,0.6])], {'dim': 1}),
  ('torch.quantile', torch.quantile, [r(3,10), torch.tensor([0.2,0.6])], {'dim': 1}),
  ('torch.nanquantile', torch.nanquantile, [r(4,30), torch.tensor([0.2,0.5,0.6])], {'dim': 0, 'keepdim': True}),
  ('torch.quantile', torch.quantile, [r(3,5), 0.3], {'dim': 1, 'interpolation': 'lower'}),
  ('torch.histogramdd', torch.histogramdd, [r(6,2)], {'bins': [torch.tensor([0.,1.,2.]), torch.tensor([0.,1.])]}),
  ('torch.diag', torch.diag, [r(4)], {'diagonal': 1}),
  ('torch.diag', torch.diag, [r(4,5)], {'diagonal': -1}),
  ('torch.cross', torch.cross, [r(4,3), r(1,3)], {}),
  ('torch.matrix_power', torch.matrix_power, [sq(3,3), -3], {}),
  ('torch.linalg.multi_dot', L.multi_dot, [[r(3), r(3,40), r(40,5), r(5)]], {}),
  ('torch.linalg.eigvalsh', L.eigvalsh, [spd(2,4,4)], {}),
  ('torch.linalg.householder_product', L.householder_product, [r(5,3), r(2)], {}),
  ('torch.linalg.solve_triangular', L.solve_triangular, [sq(4,4), r(4,3)], {'upper': True, 'unitriangular': True}),
  ('torch.linalg.lu_factor', L.lu_factor, [r(3,5)], {}),
  ('torch.kron', torch.kron, [r(2,3,4), r(5)], {}),
  ('torch.tensordot', torch.tensordot, [r(3,4,5), r(5,4,2)], {'dims': ([1,2],[1,0])}),
  ('torch.vdot', torch.vdot, [r(5), r(5)], {}),
  ('torch.addmv', torch.addmv, [r(3), r(3,4), r(4)], {}),
  ('torch.cov', torch.cov, [r(5)], {'correction': 2}),
  ('torch.corrcoef', torch.corrcoef, [r(5)], {}),
  ('torch.nanmean', torch.nanmean, [r(3,5)], {}),
]
if V.startswith("1.") or V.startswith("2.13"):
    # Removed in 2.14 (Python stubs that raise).
    cases += [("torch.qr", torch.qr, [r(5, 3)], {"some": False}), ("torch.cholesky", torch.cholesky, [spd(4, 4)], {})]


def main():
    lines = []
    for name, call, args, kwargs in cases:
        case = P.probe_case(name, call, args, kwargs)
        a_args, a_kwargs = P.materialize(args, kwargs, lambda p, t: P.is_float(t))
        try:
            case["strides"] = [list(o.stride()) for o in P.flat_outputs(call(*a_args, **a_kwargs))]
        except Exception:  # noqa: BLE001 -- the case records the error
            case["strides"] = None
        lines.append(P.compact(case))
    out = os.path.join(P.REPO, "test", "fixtures", "ops", f"math-{P.RELEASE}.json")
    header = f'"torch": {json.dumps(torch.__version__)},\n"release": {json.dumps(P.RELEASE)},\n"generator": "test/groundtruth/probe_math.py",\n'
    with open(out, "w") as fh:
        fh.write(P.render(header, lines))
    print(f"wrote {out}: {len(lines)} cases")


if __name__ == "__main__":
    main()
