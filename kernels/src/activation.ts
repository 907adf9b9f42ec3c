import { KernelArgs, boolArg, intArg, numArg, optNumArg, strArg, tensorArg } from './args';
import { castFloat32 } from './common';
import { normDim } from './shape';
import { Graph, KernelError, Tensor, numel } from './types';

/**
 * Which tensor an activation's backward needs (derivatives.yaml), checked with saved_tensors_hooks:
 * 'result' — the output (relu, sigmoid, tanh); 'self' — the input (gelu, silu, hardswish,
 * hardsigmoid, mish, hardtanh/relu6), so the in-place form must keep a copy of the input made
 * before it is overwritten (measured on PyTorch 1.13 CPU: a separate storage the size of the
 * input); 'self-or-result' — the input, or the result when in place (elu, leaky_relu:
 * `is_result=true` in derivatives.yaml), which the in-place form keeps without a copy.
 */
type Keeps = 'result' | 'self' | 'self-or-result';

/** A pointwise activation; see `Keeps` for what each kind saves, out of place and in place. */
export function activation(g: Graph, kind: string, keeps: Keeps, x: Tensor, inplace: boolean, flopsPerElement = 1): Tensor {
  const flops = flopsPerElement * numel(x.shape);
  if (inplace) return g.inplace(`${kind}_`, x, [], (r) => [keeps === 'self' ? { shape: x.shape, dtype: x.dtype, label: 'input copy' } : r], flops);
  return g.op({ kind, inputs: [x], outputs: [{ shape: x.shape, dtype: x.dtype }], save: (outs) => [keeps === 'result' ? outs[0] : x], flops })[0];
}

/** `softmax`/`log_softmax` keep their output; autocast runs them in float32. */
export function softmax(g: Graph, kind: '_softmax' | '_log_softmax', x0: Tensor, dim: number): Tensor {
  const [x] = castFloat32(g, [x0]);
  normDim(kind, dim, x.shape.length);
  return g.op({ kind, inputs: [x], outputs: [{ shape: x.shape, dtype: x.dtype }], save: (outs) => [outs[0]], flops: 5 * numel(x.shape) })[0];
}

/**
 * `F.dropout` in training with 0 < p < 1. CUDA uses the fused `native_dropout`, which keeps a
 * bool mask (1 byte/element). CPU computes `input * noise` with a float noise tensor the size of
 * the input, and that product's backward keeps the noise: measured 4 bytes/element for fp32 on
 * PyTorch 1.13 CPU. In eval mode, or with p == 0, dropout is the identity.
 */
export function dropout(g: Graph, x: Tensor, p: number, training: boolean, inplace: boolean): Tensor {
  if (!training || p === 0) return x;
  if (g.ctx.device === 'cuda') {
    return g.op({ kind: 'native_dropout', inputs: [x], outputs: [{ shape: x.shape, dtype: x.dtype }], save: () => [{ shape: x.shape, dtype: 'bool', label: 'mask' }], flops: numel(x.shape) })[0];
  }
  const noise = { shape: x.shape, dtype: x.dtype, label: 'noise' };
  if (inplace) return g.inplace('mul_', x, [], () => [noise], numel(x.shape));
  return g.op({ kind: 'mul', inputs: [x], outputs: [{ shape: x.shape, dtype: x.dtype }], save: () => [noise], flops: numel(x.shape) })[0];
}

const pointwise = (kind: string, keeps: Keeps, inplaceByDefault = false, flopsPerElement = 1) => (g: Graph, a: KernelArgs) =>
  activation(g, kind, keeps, tensorArg(kind, a, 'input'), boolArg(a, 'inplace', inplaceByDefault), flopsPerElement);

/**
 * `F.hardtanh` / `F.relu6` (= hardtanh(0, 6)). derivatives.yaml `hardtanh: hardtanh_backward(grad,
 * self, …)`: the input, not the output as one might expect of a clamp, so `ReLU6(inplace=True)`
 * keeps a copy of its input and saves nothing over the out-of-place form (measured on PyTorch 1.13 CPU).
 */
function hardtanh(g: Graph, a: KernelArgs, op: string, lo: number, hi: number): Tensor {
  if (lo > hi) throw new KernelError(op, `min_val (${lo}) must not exceed max_val (${hi})`);
  return activation(g, 'hardtanh', 'self', tensorArg(op, a, 'input'), boolArg(a, 'inplace', false));
}

/**
 * `F.gelu(approximate=…)`: 'none' (erf) and 'tanh' both keep the input (derivatives.yaml
 * `gelu: gelu_backward(grad, self, approximate)`; measured for both on PyTorch 1.13 CPU).
 */
function gelu(g: Graph, a: KernelArgs): Tensor {
  const approximate = strArg('gelu', a, 'approximate', 'none');
  if (approximate !== 'none' && approximate !== 'tanh') throw new KernelError('gelu', `approximate must be 'none' or 'tanh', got '${approximate}'`);
  return activation(g, 'gelu', 'self', tensorArg('gelu', a, 'input'), false, approximate === 'tanh' ? 10 : 8);
}

function softmaxDim(op: string, a: KernelArgs, x: Tensor): number {
  const d = optNumArg(op, a, 'dim');
  // torch's legacy implicit dim: 0 for ranks 0, 1 and 3, else 1.
  if (d === null) return [0, 1, 3].includes(x.shape.length) ? 0 : 1;
  return intArg(op, a, 'dim');
}

export const activationRules = {
  dropout: (g: Graph, a: KernelArgs) => dropout(g, tensorArg('dropout', a, 'input'), numArg('dropout', a, 'p', 0.5), boolArg(a, 'training', true), boolArg(a, 'inplace', false)),
  elu: pointwise('elu', 'self-or-result', false, 4),
  gelu,
  hardsigmoid: pointwise('hardsigmoid', 'self', false, 2),
  hardswish: pointwise('hardswish', 'self', false, 3),
  hardtanh: (g: Graph, a: KernelArgs) => hardtanh(g, a, 'hardtanh', numArg('hardtanh', a, 'min_val', -1), numArg('hardtanh', a, 'max_val', 1)),
  leaky_relu: pointwise('leaky_relu', 'self-or-result', false, 2),
  log_softmax: (g: Graph, a: KernelArgs) => {
    const x = tensorArg('log_softmax', a, 'input');
    return softmax(g, '_log_softmax', x, softmaxDim('log_softmax', a, x));
  },
  mish: pointwise('mish', 'self', false, 6),
  relu: pointwise('relu', 'result'),
  relu6: (g: Graph, a: KernelArgs) => hardtanh(g, a, 'relu6', 0, 6),
  relu_: pointwise('relu', 'result', true),
  sigmoid: pointwise('sigmoid', 'result', false, 4),
  sigmoid_: pointwise('sigmoid', 'result', true, 4),
  silu: pointwise('silu', 'self', false, 5),
  softmax: (g: Graph, a: KernelArgs) => {
    const x = tensorArg('softmax', a, 'input');
    return softmax(g, '_softmax', x, softmaxDim('softmax', a, x));
  },
  tanh: pointwise('tanh', 'result', false, 4),
  tanh_: pointwise('tanh', 'result', true, 4),
};
