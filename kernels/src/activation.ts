// Softmax and dropout, the activations that are not pointwise aten ops (relu, gelu, silu,
// hardtanh, … are: kernels/src/pointwise.ts runs them, saving what derivatives.yaml says).
import { KernelArgs, boolArg, intArg, numArg, tensorArg } from './args';
import { atenInplace, atenOp } from './autograd';
import { autocastInputs } from './common';
import { atenTensor } from './dispatch';
import { atenBase } from './catalog';
import { normDim } from './shape';
import { DType, DTypeValue, Graph, KernelError, KResult, OpCall, Tensor, numel } from './types';

/**
 * `_softmax`/`_log_softmax` (what `softmax.int` and `log_softmax.int` run): derivatives.yaml
 * keeps the result. CUDA autocast runs them in float32 (CPU autocast leaves them: a bfloat16
 * input stays bfloat16, measured on 1.13, 2.13, 2.14); `dtype=` casts the input first.
 */
export function softmax(g: Graph, kind: '_softmax' | '_log_softmax', x0: Tensor, dim: number, dtype: DType | null = null): Tensor {
  let [x] = autocastInputs(g, kind === '_softmax' ? 'softmax' : 'log_softmax', [x0]);
  if (dtype && dtype !== x.dtype) x = atenTensor(g, '_to_copy', { self: x, dtype: { dtype } });
  const d = normDim(kind, dim, x.shape.length);
  return atenOp(g, kind, { self: x, dim: d, half_to_float: false }, [{ shape: x.shape, dtype: x.dtype }], { flops: 5 * numel(x.shape) })[0];
}

/**
 * `dropout(input, p, train)` as ATen runs it in training with 0 < p < 1. On CUDA the fused
 * `native_dropout` returns the output and a bool mask (1 byte per element), which its backward
 * keeps. Elsewhere `_dropout` draws a float noise tensor (`bernoulli_(1 − p).div_(1 − p)`) and
 * multiplies: `mul`'s backward keeps the noise (measured: 4 bytes per fp32 element on PyTorch
 * 1.13 CPU). `feature`: one draw per channel (`dropout2d`), noise `[N, C, 1, …]`.
 */
export function dropout(g: Graph, x: Tensor, p: number, training: boolean, inplace: boolean, feature = false): Tensor {
  if (p < 0 || p > 1) throw new KernelError('dropout', `dropout probability has to be between 0 and 1, but got ${p}`);
  if (!training || p === 0 || numel(x.shape) === 0) return x;
  if (g.ctx.device === 'cuda' && !feature && p < 1 && !inplace) {
    return atenOp(g, 'native_dropout', { input: x, p, train: true }, [{ shape: x.shape, dtype: x.dtype }, { shape: x.shape, dtype: 'bool', differentiable: false }], { flops: numel(x.shape) })[0];
  }
  const noiseShape = feature ? x.shape.map((s, i) => (i < 2 ? s : 1)) : x.shape;
  const noise = g.create('bernoulli', noiseShape, x.dtype);
  if (inplace) return atenInplace(g, 'mul_.Tensor', { self: x, other: noise }, numel(x.shape));
  return atenOp(g, 'mul.Tensor', { self: x, other: noise }, [{ shape: x.shape, dtype: x.dtype }], { flops: numel(x.shape) })[0];
}

/**
 * `alpha_dropout` / `feature_alpha_dropout` (ATen's `_dropout_impl` with alpha, training, 0 < p < 1):
 * noise `bernoulli_(1 − p)` (per element, or `[N, C, 1, …]` per channel via `new_empty`),
 * `b = noise.add(-1).mul_(α·a).add_(α·a·p)`, `noise.mul_(a)`, then `(input * noise).add_(b)`
 * (`mul_` in place): `mul`'s backward keeps the noise. p = 1 multiplies by a 0-dim zero, which it keeps.
 */
export function alphaDropout(g: Graph, x: Tensor, p: number, training: boolean, inplace: boolean, feature: boolean): Tensor {
  const op = feature ? 'feature_alpha_dropout' : 'alpha_dropout';
  if (p < 0 || p > 1) throw new KernelError(op, `dropout probability has to be between 0 and 1, but got ${p}`);
  if (p === 0 || !training || numel(x.shape) === 0) return x;
  const multiply = (other: Tensor) => (inplace ? atenInplace(g, 'mul_.Tensor', { self: x, other }, numel(x.shape)) : atenTensor(g, 'mul.Tensor', { self: x, other }));
  if (p === 1) return multiply(atenTensor(g, 'zeros', { size: [], dtype: { dtype: x.dtype } }));
  if (feature && x.shape.length < 2) throw new KernelError(op, 'Feature dropout requires at least 2 dimensions in the input');
  let noise = feature
    ? atenTensor(g, 'new_empty', { self: x, size: x.shape.map((s, i) => (i < 2 ? s : 1)) })
    : atenTensor(g, 'empty_like', { self: x });
  noise = atenTensor(g, 'bernoulli_.float', { self: noise, p: 1 - p });
  const alpha = 1.7580993408473766;
  const a = 1 / Math.sqrt((alpha * alpha * p + 1) * (1 - p));
  let b = atenTensor(g, 'add.Scalar', { self: noise, other: -1, alpha: 1 });
  b = atenTensor(g, 'add_.Scalar', { self: atenTensor(g, 'mul_.Scalar', { self: b, other: alpha * a }), other: alpha * a * p, alpha: 1 });
  noise = atenTensor(g, 'mul_.Scalar', { self: noise, other: a });
  return atenTensor(g, 'add_.Tensor', { self: multiply(noise), other: b, alpha: 1 });
}

/**
 * `rrelu` / `rrelu_` (CompositeImplicitAutograd): `rrelu_with_noise(self, empty_like(self), …)`
 * (in place: `rrelu_with_noise_`); its backward keeps the noise and self (the result in place),
 * in training and in eval alike.
 */
export function rrelu(g: Graph, x: Tensor, lower: number, upper: number, training: boolean, inplace: boolean): Tensor {
  const noise = atenTensor(g, 'empty_like', { self: x });
  const args = { self: x, noise, lower, upper, training };
  if (inplace) return atenInplace(g, 'rrelu_with_noise_', args, numel(x.shape));
  return atenOp(g, 'rrelu_with_noise', args, [{ shape: x.shape, dtype: x.dtype }], { flops: numel(x.shape) })[0];
}

function dtypeOf(v: unknown): DType | null {
  return typeof v === 'object' && v !== null && 'dtype' in v ? (v as DTypeValue).dtype : null;
}

const softmaxRule = (kind: '_softmax' | '_log_softmax') => (g: Graph, a: KernelArgs): KResult =>
  softmax(g, kind, tensorArg(kind, a, 'self'), intArg(kind, a, 'dim'), dtypeOf(a.dtype));

const dropoutRule = (feature: boolean) => (g: Graph, a: KernelArgs, call: OpCall): KResult =>
  dropout(g, tensorArg('dropout', a, 'input'), numArg('dropout', a, 'p'), boolArg(a, 'train', true), (call.aten ?? '').endsWith('_'), feature);

const alphaDropoutRule = (feature: boolean) => (g: Graph, a: KernelArgs, call: OpCall): KResult =>
  alphaDropout(g, tensorArg('alpha_dropout', a, a.input === undefined ? 'self' : 'input'), numArg('alpha_dropout', a, 'p'), boolArg(a, 'train', true), atenBase(call.aten ?? call.name).endsWith('_'), feature);

/** aten rows: schema argument names. */
export const activationAten = {
  alpha_dropout: alphaDropoutRule(false),
  feature_alpha_dropout: alphaDropoutRule(true),
  rrelu: (g: Graph, a: KernelArgs, call: OpCall): KResult =>
    rrelu(g, tensorArg('rrelu', a, 'self'), numArg('rrelu', a, 'lower', 0.125), numArg('rrelu', a, 'upper', 1 / 3), boolArg(a, 'training', false), atenBase(call.aten ?? call.name).endsWith('_')),
  _log_softmax: softmaxRule('_log_softmax'),
  _softmax: softmaxRule('_softmax'),
  dropout: dropoutRule(false),
  feature_dropout: dropoutRule(true),
  log_softmax: softmaxRule('_log_softmax'),
  /** `relu6` is `hardtanh(0, 6)` (native_functions.yaml: CompositeImplicitAutograd). */
  relu6: (g: Graph, a: KernelArgs, call: OpCall): KResult =>
    atenTensor(g, (call.aten ?? '').startsWith('relu6_') ? 'hardtanh_' : 'hardtanh', { self: tensorArg('relu6', a, 'self'), min_val: 0, max_val: 6 }),
  softmax: softmaxRule('_softmax'),
};
