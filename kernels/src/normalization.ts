import { KernelArgs, boolArg, intArg, intsArg, optTensorArg, tensorArg } from './args';
import { atenOp } from './autograd';
import { atenEntry } from './catalog';
import { autocastInputs, showShape } from './common';
import { atenTensor } from './dispatch';
import { select } from './indexing';
import { reshape, repeat } from './shapeops';
import { DType, Graph, KernelError, KResult, Tensor, numel } from './types';

/**
 * `batch_norm` as ATen runs it on the CPU: in training with running statistics, releases that
 * have `_batch_norm_with_update` (2.3+) call it, else `native_batch_norm`. Both return the
 * output and the per-channel fp32 `save_mean`/`save_invstd` (plus an empty reserve), and their
 * backward keeps the input, the weight, the running statistics and those two: input + 2 × C × 4
 * bytes of activations (measured on PyTorch 1.13 CPU). It never keeps its output.
 */
export function batchNorm(g: Graph, x: Tensor, runningMean: Tensor | null, runningVar: Tensor | null, weight: Tensor | null, bias: Tensor | null, training: boolean): Tensor {
  if (numel(x.shape) === 0) {
    // `_batch_norm_impl_index` on an empty input: a clone (so the gradient chain holds), times
    // `weight[0]`, plus `bias[0]` (measured with a dispatch mode on 1.13 and 2.14). Its empty
    // stats (two float64 [C], dropped at once) are left out.
    let out = atenTensor(g, 'clone', { self: x });
    if (weight) out = atenTensor(g, 'mul.Tensor', { self: out, other: select(g, weight, 0, 0) });
    if (bias) out = atenTensor(g, 'add.Tensor', { self: out, other: select(g, bias, 0, 0), alpha: 1 });
    return out;
  }
  if (x.shape.length < 2) throw new KernelError('batch_norm', `expected at least 2-D input, got ${showShape(x.shape)}`);
  const c = x.shape[1];
  for (const t of [runningMean, runningVar, weight, bias]) {
    if (t && numel(t.shape) !== c) throw new KernelError('batch_norm', `expected ${c} channels in parameters and running stats, got ${showShape(t.shape)}`);
  }
  if (training && numel(x.shape) / c <= 1) throw new KernelError('batch_norm', `expected more than 1 value per channel when training, got input ${showShape(x.shape)}`);
  const stats = { shape: [c], dtype: 'float32' as const };
  const flops = { flops: 8 * numel(x.shape) };
  const withUpdate = training && runningMean && runningVar && atenEntry(g.ctx.torch, '_batch_norm_with_update');
  if (withUpdate) {
    const args = { input: x, weight, bias, running_mean: runningMean, running_var: runningVar, momentum: 0.1, eps: 1e-5 };
    return atenOp(g, '_batch_norm_with_update', args, [{ shape: x.shape, dtype: x.dtype }, stats, stats, { shape: [0], dtype: 'uint8' }], flops)[0];
  }
  const args = { input: x, weight, bias, running_mean: runningMean, running_var: runningVar, training, momentum: 0.1, eps: 1e-5 };
  const outs = training ? [{ shape: x.shape, dtype: x.dtype }, stats, stats] : [{ shape: x.shape, dtype: x.dtype }, { shape: [0], dtype: 'float32' as const }, { shape: [0], dtype: 'float32' as const }];
  return atenOp(g, 'native_batch_norm', args, outs, flops)[0];
}

/**
 * The dtype of the mean/rstd a layer or group norm returns (and saves). CUDA: float32 (float64
 * for a float64 input; unmeasured). CPU (measured on 1.13, 2.13, 2.14): the input's dtype; a
 * bfloat16/float16 input with a float32 weight or bias is an error in 1.13 ("expected scalar type
 * BFloat16 but found Float") and the mixed-type kernel from 2.0, whose statistics are float32.
 */
function normStatDtype(g: Graph, op: string, x: Tensor, params: readonly (Tensor | null)[]): DType {
  if (g.ctx.device !== 'cpu') return x.dtype === 'float64' ? 'float64' : 'float32';
  if (x.dtype !== 'bfloat16' && x.dtype !== 'float16') return x.dtype;
  const mixed = params.find((p) => p && p.dtype !== x.dtype);
  if (!mixed) return x.dtype;
  if (g.ctx.torch[0] < 2) throw new KernelError(op, `expected scalar type ${x.dtype === 'bfloat16' ? 'BFloat16' : 'Half'} but found ${mixed.dtype === 'float32' ? 'Float' : mixed.dtype}`);
  return 'float32';
}

/**
 * `F.layer_norm`: `native_layer_norm` saves the input, weight, bias and per-row mean/rstd
 * (shape = leading dims + 1s; dtype `normStatDtype`). CUDA autocast runs it in float32; CPU
 * autocast leaves it.
 */
export function layerNorm(g: Graph, x0: Tensor, normalizedShape: readonly number[], weight: Tensor | null, bias: Tensor | null): Tensor {
  const [x] = autocastInputs(g, 'layer_norm', [x0]);
  const k = normalizedShape.length;
  const tail = x.shape.slice(x.shape.length - k);
  if (k === 0 || k > x.shape.length || tail.some((d, i) => d !== normalizedShape[i])) {
    throw new KernelError('layer_norm', `normalized_shape ${showShape(normalizedShape)} does not match the end of input shape ${showShape(x.shape)}`);
  }
  const stat = { shape: [...x.shape.slice(0, x.shape.length - k), ...new Array<number>(k).fill(1)], dtype: normStatDtype(g, 'layer_norm', x, [weight, bias]) };
  const args = { input: x, normalized_shape: [...normalizedShape], weight, bias, eps: 1e-5 };
  return atenOp(g, 'native_layer_norm', args, [{ shape: x.shape, dtype: x.dtype }, stat, stat], { flops: 8 * numel(x.shape) })[0];
}

/**
 * `F.group_norm`: `native_group_norm` saves the input, the weight and per-(sample, group)
 * mean/rstd `[N, G]` (derivatives.yaml `native_group_norm: …(grad, input, result1, result2,
 * weight, …)`; measured on PyTorch 1.13 CPU; dtype `normStatDtype`). CUDA autocast runs it in
 * float32; CPU autocast leaves it.
 */
export function groupNorm(g: Graph, x0: Tensor, groups: number, weight: Tensor | null, bias: Tensor | null): Tensor {
  const [x] = autocastInputs(g, 'group_norm', [x0]);
  if (x.shape.length < 2) throw new KernelError('group_norm', `expected at least 2-D input, got ${showShape(x.shape)}`);
  const c = x.shape[1];
  if (groups <= 0 || c % groups !== 0) throw new KernelError('group_norm', `num_groups (${groups}) must divide the number of channels (${c})`);
  for (const t of [weight, bias]) if (t && numel(t.shape) !== c) throw new KernelError('group_norm', `expected weight and bias of ${c} elements, got ${showShape(t.shape)}`);
  const stat = { shape: [x.shape[0], groups], dtype: normStatDtype(g, 'group_norm', x, [weight, bias]) };
  const args = { input: x, weight, bias, N: x.shape[0], C: c, HxW: numel(x.shape.slice(2)), group: groups, eps: 1e-5 };
  return atenOp(g, 'native_group_norm', args, [{ shape: x.shape, dtype: x.dtype }, stat, stat], { flops: 8 * numel(x.shape) })[0];
}

/**
 * `F.instance_norm` as ATen writes it: the input is reshaped to `[1, N·C, …]` (a view when
 * contiguous), the affine weight/bias and running stats are `repeat(N)`-ed into new `[N·C]`
 * tensors, and `batch_norm` runs on that in training mode. Saved (measured on PyTorch 1.13 CPU):
 * the input, save_mean/save_invstd `[N·C]` float32, the repeated weight, and the repeated
 * running stats when tracked.
 */
export function instanceNorm(g: Graph, x: Tensor, runningMean: Tensor | null, runningVar: Tensor | null, weight: Tensor | null, bias: Tensor | null, useInputStats: boolean): Tensor {
  if (x.shape.length < 3) throw new KernelError('instance_norm', `expected at least 3-D (batched) input, got ${showShape(x.shape)}`);
  const [n, c] = x.shape;
  for (const t of [runningMean, runningVar, weight, bias]) {
    if (t && numel(t.shape) !== c) throw new KernelError('instance_norm', `expected ${c} channels in parameters and running stats, got ${showShape(t.shape)}`);
  }
  if (useInputStats && numel(x.shape.slice(2)) <= 1) throw new KernelError('instance_norm', `expected more than 1 spatial element when training, got input ${showShape(x.shape)}`);
  const repeated = (t: Tensor | null): Tensor | null => (t ? repeat(g, t, [n]) : null);
  const flat = reshape(g, x, [1, n * c, ...x.shape.slice(2)]);
  const out = batchNorm(g, flat, repeated(runningMean), repeated(runningVar), repeated(weight), repeated(bias), useInputStats);
  return reshape(g, out, x.shape);
}

const normalizedShape = (op: string, a: KernelArgs): number[] => {
  const ns = intsArg(op, a, 'normalized_shape');
  return typeof ns === 'number' ? [ns] : ns;
};

/** aten rows: schema argument names. */
export const normalizationAten = {
  batch_norm: (g: Graph, a: KernelArgs): KResult =>
    batchNorm(g, tensorArg('batch_norm', a, 'input'), optTensorArg('batch_norm', a, 'running_mean'), optTensorArg('batch_norm', a, 'running_var'), optTensorArg('batch_norm', a, 'weight'), optTensorArg('batch_norm', a, 'bias'), boolArg(a, 'training', false)),
  group_norm: (g: Graph, a: KernelArgs): KResult =>
    groupNorm(g, tensorArg('group_norm', a, 'input'), intArg('group_norm', a, 'num_groups'), optTensorArg('group_norm', a, 'weight'), optTensorArg('group_norm', a, 'bias')),
  instance_norm: (g: Graph, a: KernelArgs): KResult =>
    instanceNorm(g, tensorArg('instance_norm', a, 'input'), optTensorArg('instance_norm', a, 'running_mean'), optTensorArg('instance_norm', a, 'running_var'), optTensorArg('instance_norm', a, 'weight'), optTensorArg('instance_norm', a, 'bias'), boolArg(a, 'use_input_stats', true)),
  layer_norm: (g: Graph, a: KernelArgs): KResult =>
    layerNorm(g, tensorArg('layer_norm', a, 'input'), normalizedShape('layer_norm', a), optTensorArg('layer_norm', a, 'weight'), optTensorArg('layer_norm', a, 'bias')),
};
