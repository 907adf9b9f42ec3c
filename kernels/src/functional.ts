// `torch.nn.functional` functions that PyTorch defines in Python: each runs the aten ops its
// Python body calls (torch/nn/functional.py), through the table. Arguments arrive by their Python
// names, bound against the release's signature (kernels/catalog). F functions that are bound
// builtins (F.conv2d is torch.conv2d) need no row: the catalog maps them to their aten op.
import { KernelArgs, boolArg, intArg, intsArg, numArg, optTensorArg, strArg, tensorArg } from './args';
import { atenTensor, callAten } from './dispatch';
import { REDUCTION } from './loss';
import { interpolate, sizeOrNull } from './resampling';
import { broadcastShapes } from './shape';
import { unsqueeze, squeeze } from './shapeops';
import { DTypeValue, Graph, KernelError, KResult, Tensor } from './types';

const input = (op: string, a: KernelArgs) => tensorArg(op, a, 'input');
const inplace = (a: KernelArgs) => boolArg(a, 'inplace', false);

/** `F.relu(input, inplace=False)` and the like: the aten op, or its in-place variant. */
function unaryInplace(aten: string) {
  return (g: Graph, a: KernelArgs): KResult => callAten(g, inplace(a) ? `${aten}_` : aten, { self: input(`F.${aten}`, a) });
}

/** `F.x(input)` = `input.x()`. */
const method = (aten: string) => (g: Graph, a: KernelArgs): KResult => callAten(g, aten, { self: input(`F.${aten}`, a) });

/** torch's legacy implicit softmax dim: 0 for ranks 0, 1 and 3, else 1 (with a deprecation warning). */
function softmaxDim(x: Tensor, dim: unknown): number {
  if (typeof dim === 'number') return dim;
  return [0, 1, 3].includes(x.shape.length) ? 0 : 1;
}

function dtypeOf(v: unknown): DTypeValue | null {
  return typeof v === 'object' && v !== null && 'dtype' in v ? (v as DTypeValue) : null;
}

const softmaxF = (aten: 'softmax.int' | 'log_softmax.int', negate = false) => (g: Graph, a: KernelArgs): KResult => {
  let x = input('F.softmax', a);
  if (negate) x = atenTensor(g, 'neg', { self: x });
  return callAten(g, aten, { self: x, dim: softmaxDim(x, a.dim), dtype: dtypeOf(a.dtype) });
};

/** `_Reduction.legacy_get_string`: size_average/reduce (deprecated) override `reduction`. */
function reductionOf(op: string, a: KernelArgs): number {
  const sa = a.size_average;
  const rd = a.reduce;
  let r = strArg(op, a, 'reduction', 'mean');
  if ((sa !== undefined && sa !== null) || (rd !== undefined && rd !== null)) {
    const sizeAverage = sa === undefined || sa === null ? true : Boolean(sa);
    const reduce = rd === undefined || rd === null ? true : Boolean(rd);
    r = !reduce ? 'none' : sizeAverage ? 'mean' : 'sum';
  }
  if (!(r in REDUCTION)) throw new KernelError(op, `${r} is not a valid value for reduction`);
  return REDUCTION[r];
}

/** Losses whose Python body broadcasts input and target, then calls the aten loss. */
function broadcastLoss(aten: string, extra: readonly string[] = []) {
  return (g: Graph, a: KernelArgs): KResult => {
    const x = input(`F.${aten}`, a);
    const t = tensorArg(`F.${aten}`, a, 'target');
    if (optTensorArg(`F.${aten}`, a, 'weight') && aten !== 'binary_cross_entropy') throw new KernelError(`F.${aten}`, 'weight= is not modelled yet');
    const shape = broadcastShapes(aten, x.shape, t.shape);
    const bx = callAten(g, 'expand', { self: x, size: shape }) as Tensor;
    const bt = callAten(g, 'expand', { self: t, size: shape }) as Tensor;
    const args: Record<string, unknown> = { self: bx, target: bt, reduction: reductionOf(`F.${aten}`, a) };
    for (const k of extra) args[k] = a[k];
    return callAten(g, aten, args);
  };
}

/** `F.max_pool{n}d`: with `return_indices` the with-indices op and both outputs. */
const maxPoolF = (n: number) => (g: Graph, a: KernelArgs): KResult => {
  const args = { self: input(`F.max_pool${n}d`, a), kernel_size: a.kernel_size, stride: a.stride ?? [], padding: a.padding ?? 0, dilation: a.dilation ?? 1, ceil_mode: a.ceil_mode ?? false };
  return callAten(g, boolArg(a, 'return_indices', false) ? `max_pool${n}d_with_indices` : `max_pool${n}d`, args);
};

const adaptiveMaxF = (n: number) => (g: Graph, a: KernelArgs): KResult => {
  const out = callAten(g, `adaptive_max_pool${n}d`, { self: input(`F.adaptive_max_pool${n}d`, a), output_size: a.output_size });
  return boolArg(a, 'return_indices', false) || !Array.isArray(out) ? out : (out as KResult[])[0];
};

/**
 * `F.dropout1d/2d/3d`: channel-wise `feature_dropout`; dropout1d and dropout3d unsqueeze an
 * unbatched input first. dropout2d takes its input as it is (a 3-D input is (N, C, L), kept
 * "historically", pytorch#77081; other ranks only warn).
 */
const featureDropoutF = (n: number) => (g: Graph, a: KernelArgs): KResult => {
  const x = input(`F.dropout${n}d`, a);
  const args = { p: numArg('dropout', a, 'p', 0.5), train: boolArg(a, 'training', true) };
  if (n === 2) return callAten(g, inplace(a) ? 'feature_dropout_' : 'feature_dropout', { input: x, ...args });
  const batched = x.shape.length === n + 2;
  if (!batched && x.shape.length !== n + 1) throw new KernelError(`F.dropout${n}d`, `expected ${n + 1}-D or ${n + 2}-D input, got ${x.shape.length}-D`);
  const y = callAten(g, inplace(a) ? 'feature_dropout_' : 'feature_dropout', { input: batched ? x : unsqueeze(g, x, 0), ...args }) as Tensor;
  return batched ? y : squeeze(g, y, 0);
};

/** `F.interpolate` (and the deprecated `F.upsample*`, which fix the mode): the output size decides the op's shape. */
function interpolateF(g: Graph, a: KernelArgs, modeOverride?: string): KResult {
  const x = input('F.interpolate', a);
  const mode = modeOverride ?? strArg('F.interpolate', a, 'mode', 'nearest');
  return interpolate(g, x, sizeOrNull('interpolate', a.size, 'size'), sizeOrNull('interpolate', a.scale_factor, 'scale_factor'), mode, boolArg(a, 'antialias', false));
}

/** `F.normalize`: `input / input.norm(p, dim, keepdim=True).clamp_min(eps).expand_as(input)`. */
function normalizeF(g: Graph, a: KernelArgs): KResult {
  const x = input('F.normalize', a);
  const norm = atenTensor(g, 'norm.ScalarOpt_dim', { self: x, p: numArg('F.normalize', a, 'p', 2), dim: [intArg('F.normalize', a, 'dim', 1)], keepdim: true });
  const denom = atenTensor(g, 'expand_as', { self: atenTensor(g, 'clamp_min', { self: norm, min: numArg('F.normalize', a, 'eps', 1e-12) }), other: x });
  return callAten(g, 'div.Tensor', { self: x, other: denom });
}

/** `torch.nn.functional` functions defined in Python, by name (without the `F.` prefix). */
export const functionalRules = {
  adaptive_avg_pool2d: (g: Graph, a: KernelArgs): KResult => callAten(g, 'adaptive_avg_pool2d', { self: input('F.adaptive_avg_pool2d', a), output_size: a.output_size }),
  adaptive_avg_pool3d: (g: Graph, a: KernelArgs): KResult => callAten(g, 'adaptive_avg_pool3d', { self: input('F.adaptive_avg_pool3d', a), output_size: a.output_size }),
  adaptive_max_pool1d: adaptiveMaxF(1),
  adaptive_max_pool2d: adaptiveMaxF(2),
  adaptive_max_pool3d: adaptiveMaxF(3),
  batch_norm: (g: Graph, a: KernelArgs): KResult => callAten(g, 'batch_norm', {
    input: input('F.batch_norm', a), weight: a.weight ?? null, bias: a.bias ?? null, running_mean: a.running_mean ?? null, running_var: a.running_var ?? null,
    training: boolArg(a, 'training', false), momentum: a.momentum ?? 0.1, eps: a.eps ?? 1e-5,
  }),
  binary_cross_entropy: (g: Graph, a: KernelArgs): KResult =>
    callAten(g, 'binary_cross_entropy', { self: input('F.binary_cross_entropy', a), target: tensorArg('F.binary_cross_entropy', a, 'target'), weight: a.weight ?? null, reduction: reductionOf('F.binary_cross_entropy', a) }),
  binary_cross_entropy_with_logits: (g: Graph, a: KernelArgs): KResult =>
    callAten(g, 'binary_cross_entropy_with_logits', { self: input('F.binary_cross_entropy_with_logits', a), target: tensorArg('F.binary_cross_entropy_with_logits', a, 'target'), weight: a.weight ?? null, pos_weight: a.pos_weight ?? null, reduction: reductionOf('F.binary_cross_entropy_with_logits', a) }),
  celu: (g: Graph, a: KernelArgs): KResult => callAten(g, inplace(a) ? 'celu_' : 'celu', { self: input('F.celu', a), alpha: a.alpha ?? 1 }),
  cross_entropy: (g: Graph, a: KernelArgs): KResult => callAten(g, 'cross_entropy_loss', {
    self: input('F.cross_entropy', a), target: tensorArg('F.cross_entropy', a, 'target'), weight: a.weight ?? null, reduction: reductionOf('F.cross_entropy', a),
    ignore_index: a.ignore_index ?? -100, label_smoothing: a.label_smoothing ?? 0,
  }),
  dropout: (g: Graph, a: KernelArgs): KResult =>
    callAten(g, inplace(a) ? 'dropout_' : 'dropout', { input: input('F.dropout', a), p: numArg('F.dropout', a, 'p', 0.5), train: boolArg(a, 'training', true) }),
  dropout1d: featureDropoutF(1),
  dropout2d: featureDropoutF(2),
  dropout3d: featureDropoutF(3),
  elu: (g: Graph, a: KernelArgs): KResult => callAten(g, inplace(a) ? 'elu_' : 'elu', { self: input('F.elu', a), alpha: a.alpha ?? 1, scale: 1, input_scale: 1 }),
  embedding: (g: Graph, a: KernelArgs): KResult => {
    if (a.max_norm !== undefined && a.max_norm !== null) throw new KernelError('F.embedding', 'max_norm (renormalising the weight in place) is not modelled yet');
    const weight = tensorArg('F.embedding', a, 'weight');
    const p = a.padding_idx;
    return callAten(g, 'embedding', { weight, indices: input('F.embedding', a), padding_idx: typeof p === 'number' ? (p < 0 ? weight.shape[0] + p : p) : -1 });
  },
  glu: (g: Graph, a: KernelArgs): KResult => callAten(g, 'glu', { self: input('F.glu', a), dim: intArg('F.glu', a, 'dim', -1) }),
  group_norm: (g: Graph, a: KernelArgs): KResult =>
    callAten(g, 'group_norm', { input: input('F.group_norm', a), num_groups: intArg('F.group_norm', a, 'num_groups'), weight: a.weight ?? null, bias: a.bias ?? null, eps: a.eps ?? 1e-5 }),
  hardsigmoid: unaryInplace('hardsigmoid'),
  hardswish: unaryInplace('hardswish'),
  hardtanh: (g: Graph, a: KernelArgs): KResult => {
    const [lo, hi] = [numArg('F.hardtanh', a, 'min_val', -1), numArg('F.hardtanh', a, 'max_val', 1)];
    // 2.x's F.hardtanh checks the bounds; 1.13's runs the kernel with them as they are.
    if (lo > hi && g.ctx.torch[0] >= 2) throw new KernelError('F.hardtanh', 'min_val cannot be greater than max_val');
    return callAten(g, inplace(a) ? 'hardtanh_' : 'hardtanh', { self: input('F.hardtanh', a), min_val: lo, max_val: hi });
  },
  huber_loss: broadcastLoss('huber_loss', ['delta']),
  instance_norm: (g: Graph, a: KernelArgs): KResult => callAten(g, 'instance_norm', {
    input: input('F.instance_norm', a), weight: a.weight ?? null, bias: a.bias ?? null, running_mean: a.running_mean ?? null, running_var: a.running_var ?? null,
    use_input_stats: boolArg(a, 'use_input_stats', true), momentum: a.momentum ?? 0.1, eps: a.eps ?? 1e-5,
  }),
  interpolate: (g: Graph, a: KernelArgs): KResult => interpolateF(g, a),
  kl_div: (g: Graph, a: KernelArgs): KResult => {
    const r = strArg('F.kl_div', a, 'reduction', 'mean');
    const out = callAten(g, 'kl_div', { self: input('F.kl_div', a), target: tensorArg('F.kl_div', a, 'target'), reduction: REDUCTION[r === 'batchmean' ? 'sum' : r] ?? 1, log_target: boolArg(a, 'log_target', false) });
    return r === 'batchmean' ? callAten(g, 'div.Tensor', { self: out, other: input('F.kl_div', a).shape[0] }) : out;
  },
  l1_loss: broadcastLoss('l1_loss'),
  layer_norm: (g: Graph, a: KernelArgs): KResult =>
    callAten(g, 'layer_norm', { input: input('F.layer_norm', a), normalized_shape: intsArg('F.layer_norm', a, 'normalized_shape'), weight: a.weight ?? null, bias: a.bias ?? null, eps: a.eps ?? 1e-5 }),
  leaky_relu: (g: Graph, a: KernelArgs): KResult => callAten(g, inplace(a) ? 'leaky_relu_' : 'leaky_relu', { self: input('F.leaky_relu', a), negative_slope: a.negative_slope ?? 0.01 }),
  log_softmax: softmaxF('log_softmax.int'),
  max_pool1d: maxPoolF(1),
  max_pool2d: maxPoolF(2),
  max_pool3d: maxPoolF(3),
  mish: unaryInplace('mish'),
  mse_loss: broadcastLoss('mse_loss'),
  nll_loss: (g: Graph, a: KernelArgs): KResult => callAten(g, 'nll_loss_nd', {
    self: input('F.nll_loss', a), target: tensorArg('F.nll_loss', a, 'target'), weight: a.weight ?? null, reduction: reductionOf('F.nll_loss', a), ignore_index: a.ignore_index ?? -100,
  }),
  normalize: normalizeF,
  pad: (g: Graph, a: KernelArgs): KResult => callAten(g, 'pad', { self: input('F.pad', a), pad: a.pad, mode: strArg('F.pad', a, 'mode', 'constant'), value: a.value ?? null }),
  relu: unaryInplace('relu'),
  relu6: unaryInplace('relu6'),
  rms_norm: (g: Graph, a: KernelArgs): KResult => callAten(g, 'rms_norm', { input: input('F.rms_norm', a), normalized_shape: intsArg('F.rms_norm', a, 'normalized_shape'), weight: a.weight ?? null, eps: a.eps ?? null }),
  selu: (g: Graph, a: KernelArgs): KResult => callAten(g, inplace(a) ? 'selu_' : 'selu', { self: input('F.selu', a) }),
  sigmoid: method('sigmoid'),
  silu: unaryInplace('silu'),
  smooth_l1_loss: broadcastLoss('smooth_l1_loss', ['beta']),
  softmax: softmaxF('softmax.int'),
  softmin: softmaxF('softmax.int', true),
  softsign: (g: Graph, a: KernelArgs): KResult => {
    const x = input('F.softsign', a);
    return callAten(g, 'div.Tensor', { self: x, other: atenTensor(g, 'add.Tensor', { self: atenTensor(g, 'abs', { self: x }), other: 1, alpha: 1 }) });
  },
  tanh: method('tanh'),
  tanhshrink: (g: Graph, a: KernelArgs): KResult => {
    const x = input('F.tanhshrink', a);
    return callAten(g, 'sub.Tensor', { self: x, other: atenTensor(g, 'tanh', { self: x }), alpha: 1 });
  },
  threshold: (g: Graph, a: KernelArgs): KResult =>
    callAten(g, inplace(a) ? 'threshold_' : 'threshold', { self: input('F.threshold', a), threshold: numArg('F.threshold', a, 'threshold'), value: numArg('F.threshold', a, 'value') }),
  upsample: (g: Graph, a: KernelArgs): KResult => interpolateF(g, a),
  upsample_bilinear: (g: Graph, a: KernelArgs): KResult => interpolateF(g, a, 'bilinear'),
  upsample_nearest: (g: Graph, a: KernelArgs): KResult => interpolateF(g, a, 'nearest'),
};

