import { KernelArgs, boolArg, intArg, intsArg, optTensorArg, tensorArg } from './args';
import { castFloat32, showShape } from './common';
import { reshape } from './shapeops';
import { Graph, KernelError, Tensor, numel } from './types';

/**
 * `F.batch_norm`. In training, `native_batch_norm` saves the input, weight, running stats and the
 * per-channel `save_mean`/`save_invstd` (float32); it never saves its output. Measured on
 * PyTorch 1.13 CPU: input + 2 × C × 4 bytes. In eval mode only the input is saved.
 */
export function batchNorm(g: Graph, x: Tensor, runningMean: Tensor | null, runningVar: Tensor | null, weight: Tensor | null, bias: Tensor | null, training: boolean): Tensor {
  if (x.shape.length < 2) throw new KernelError('batch_norm', `expected at least 2-D input, got ${showShape(x.shape)}`);
  const c = x.shape[1];
  for (const t of [runningMean, runningVar, weight, bias]) {
    if (t && numel(t.shape) !== c) throw new KernelError('batch_norm', `expected ${c} channels in parameters and running stats, got ${showShape(t.shape)}`);
  }
  if (training && numel(x.shape) / c <= 1) throw new KernelError('batch_norm', `expected more than 1 value per channel when training, got input ${showShape(x.shape)}`);
  const others = [weight, bias, runningMean, runningVar].filter((t): t is Tensor => t !== null);
  return g.op({
    kind: 'native_batch_norm',
    inputs: [x, ...others],
    outputs: [{ shape: x.shape, dtype: x.dtype }],
    save: () => {
      const saved: (Tensor | { shape: number[]; dtype: 'float32'; label: string })[] = [x, ...others.filter((t) => t !== bias)];
      if (training) saved.push({ shape: [c], dtype: 'float32', label: 'save_mean' }, { shape: [c], dtype: 'float32', label: 'save_invstd' });
      return saved;
    },
    flops: 8 * numel(x.shape),
  })[0];
}

/**
 * `F.layer_norm`: `native_layer_norm` saves the input, weight, bias and per-row mean/rstd
 * (float32, shape = leading dims + 1s). Autocast runs it in float32.
 */
export function layerNorm(g: Graph, x0: Tensor, normalizedShape: readonly number[], weight: Tensor | null, bias: Tensor | null): Tensor {
  const [x] = castFloat32(g, [x0]);
  const k = normalizedShape.length;
  const tail = x.shape.slice(x.shape.length - k);
  if (k === 0 || k > x.shape.length || tail.some((d, i) => d !== normalizedShape[i])) {
    throw new KernelError('layer_norm', `normalized_shape ${showShape(normalizedShape)} does not match the end of input shape ${showShape(x.shape)}`);
  }
  const statShape = [...x.shape.slice(0, x.shape.length - k), ...new Array<number>(k).fill(1)];
  const params = [weight, bias].filter((t): t is Tensor => t !== null);
  return g.op({
    kind: 'native_layer_norm',
    inputs: [x, ...params],
    outputs: [{ shape: x.shape, dtype: x.dtype }],
    save: () => [x, ...params, { shape: statShape, dtype: 'float32', label: 'mean' }, { shape: statShape, dtype: 'float32', label: 'rstd' }],
    flops: 8 * numel(x.shape),
  })[0];
}

/**
 * `F.group_norm`: `native_group_norm` saves the input, the weight and per-(sample, group)
 * mean/rstd `[N, G]` in float32 (derivatives.yaml `native_group_norm: …(grad, input, result1,
 * result2, weight, …)`; measured on PyTorch 1.13 CPU). Autocast runs it in float32.
 */
export function groupNorm(g: Graph, x0: Tensor, groups: number, weight: Tensor | null, bias: Tensor | null): Tensor {
  const [x] = castFloat32(g, [x0]);
  if (x.shape.length < 2) throw new KernelError('group_norm', `expected at least 2-D input, got ${showShape(x.shape)}`);
  const c = x.shape[1];
  if (groups <= 0 || c % groups !== 0) throw new KernelError('group_norm', `num_groups (${groups}) must divide the number of channels (${c})`);
  for (const t of [weight, bias]) if (t && numel(t.shape) !== c) throw new KernelError('group_norm', `expected weight and bias of ${c} elements, got ${showShape(t.shape)}`);
  const params = [weight, bias].filter((t): t is Tensor => t !== null);
  const stat = [x.shape[0], groups];
  return g.op({
    kind: 'native_group_norm',
    inputs: [x, ...params],
    outputs: [{ shape: x.shape, dtype: x.dtype }],
    save: () => [x, ...(weight ? [weight] : []), { shape: stat, dtype: 'float32', label: 'mean' }, { shape: stat, dtype: 'float32', label: 'rstd' }],
    flops: 8 * numel(x.shape),
  })[0];
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
  const repeated = (t: Tensor | null): Tensor | null => (t ? g.op({ kind: 'repeat', inputs: [t], outputs: [{ shape: [n * c], dtype: t.dtype }] })[0] : null);
  const flat = reshape(g, x, [1, n * c, ...x.shape.slice(2)]);
  const out = batchNorm(g, flat, repeated(runningMean), repeated(runningVar), repeated(weight), repeated(bias), useInputStats);
  return reshape(g, out, x.shape);
}

export const normalizationRules = {
  batch_norm: (g: Graph, a: KernelArgs) =>
    batchNorm(g, tensorArg('batch_norm', a, 'input'), optTensorArg('batch_norm', a, 'running_mean'), optTensorArg('batch_norm', a, 'running_var'), optTensorArg('batch_norm', a, 'weight'), optTensorArg('batch_norm', a, 'bias'), boolArg(a, 'training', false)),
  group_norm: (g: Graph, a: KernelArgs) =>
    groupNorm(g, tensorArg('group_norm', a, 'input'), intArg('group_norm', a, 'num_groups'), optTensorArg('group_norm', a, 'weight'), optTensorArg('group_norm', a, 'bias')),
  instance_norm: (g: Graph, a: KernelArgs) =>
    instanceNorm(g, tensorArg('instance_norm', a, 'input'), optTensorArg('instance_norm', a, 'running_mean'), optTensorArg('instance_norm', a, 'running_var'), optTensorArg('instance_norm', a, 'weight'), optTensorArg('instance_norm', a, 'bias'), boolArg(a, 'use_input_stats', true)),
  layer_norm: (g: Graph, a: KernelArgs) => {
    const ns = intsArg('layer_norm', a, 'normalized_shape');
    return layerNorm(g, tensorArg('layer_norm', a, 'input'), typeof ns === 'number' ? [ns] : ns, optTensorArg('layer_norm', a, 'weight'), optTensorArg('layer_norm', a, 'bias'));
  },
};
