// `torch.nn.functional` functions that PyTorch defines in Python: each runs the aten ops its
// Python body calls (torch/nn/functional.py), through the table. Arguments arrive by their Python
// names, bound against the release's signature (kernels/catalog). F functions that are bound
// builtins (F.conv2d is torch.conv2d) need no row: the catalog maps them to their aten op.
import { KernelArgs, boolArg, intArg, intsArg, numArg, optTensorArg, strArg, tensorArg } from './args';
import { atenTensor, callAten, callPython } from './dispatch';
import {
  REDUCTION, applyReduction, cosineEmbeddingLoss, ctcLoss, hingeEmbeddingLoss, marginRankingLoss, multiMarginLoss, multilabelMarginLoss, pairwiseDistance, poissonNllLoss,
  softMarginLoss, tripletMarginLoss,
} from './loss';
import { interpolate, sizeOrNull } from './resampling';
import { broadcastShapes } from './shape';
import { unsqueeze, squeeze } from './shapeops';
import { DTypeValue, Graph, KernelError, KResult, OpCall, Tensor, numel } from './types';
import { atenInplace } from './autograd';
import { multiHeadAttentionForward } from './attention';
import { groupedMm } from './linear';
import { isTensor, showShape } from './common';

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

/** A loss of two tensors whose Python body maps `reduction` (and the legacy flags) to the enum and calls one aten composite. */
const t = (op: string, a: KernelArgs, name: string) => tensorArg(`F.${op}`, a, name);

/**
 * `F.gaussian_nll_loss`: `var` (a float becomes `var * ones_like(input)` from 2.x) is checked for
 * negative entries (`any(var < 0)`: no values here, taken as valid), unsqueezed when it lacks the
 * last dim, cloned and clamped in place under no_grad; then
 * `0.5 * (log(var) + (input - target) ** 2 / var)`, `+= 0.5 log 2π` when `full`.
 */
function gaussianNllLoss(g: Graph, a: KernelArgs): KResult {
  const op = 'F.gaussian_nll_loss';
  const x = input(op, a);
  const target = t('gaussian_nll_loss', a, 'target');
  let v = a.var;
  const v2 = g.ctx.torch[0] >= 2;
  if (typeof v === 'number') {
    if (!v2) throw new KernelError(op, 'var must be a tensor');
    if (v < 0) throw new KernelError(op, 'var has negative entry/entries');
    v = atenTensor(g, 'mul.Tensor', { self: atenTensor(g, 'ones_like', { self: x }), other: v });
  }
  if (!isTensor(v)) throw new KernelError(op, "argument 'var' must be a tensor");
  let variance = v;
  const anyNegative = () => atenTensor(g, 'any', { self: atenTensor(g, 'lt.Scalar', { self: variance, other: 0 }) });
  if (v2 && typeof a.var !== 'number') anyNegative();
  const same = (p: readonly number[], q: readonly number[]) => p.length === q.length && p.every((d, i) => d === q[i]);
  if (!same(variance.shape, x.shape)) {
    if (same(x.shape.slice(0, -1), variance.shape)) variance = unsqueeze(g, variance, -1);
    else if (v2 ? x.shape.length === variance.shape.length && x.shape.reduce((s, d, i) => s + (d !== variance.shape[i] ? variance.shape[i] : 0), 0) === 1
      : same(x.shape.slice(0, -1), variance.shape.slice(0, -1)) && variance.shape[variance.shape.length - 1] === 1) { /* broadcast */ }
    else throw new KernelError(op, 'var is of incorrect size');
  }
  const r = strArg(op, a, 'reduction', 'mean');
  if (!(r in REDUCTION)) throw new KernelError(op, `${r} is not valid`);
  if (!v2) anyNegative();
  variance = atenTensor(g, 'clone', { self: variance });
  // `with torch.no_grad(): var.clamp_(min=eps)`: recorded, nothing saved.
  variance = g.inplace('clamp_', variance, [], () => []);
  const sq = atenTensor(g, 'pow.Tensor_Scalar', { self: atenTensor(g, 'sub.Tensor', { self: x, other: target, alpha: 1 }), exponent: 2 });
  const sum = atenTensor(g, 'add.Tensor', { self: atenTensor(g, 'log', { self: variance }), other: atenTensor(g, 'div.Tensor', { self: sq, other: variance }), alpha: 1 });
  let loss = atenTensor(g, 'mul.Tensor', { self: sum, other: 0.5 });
  if (boolArg(a, 'full', false)) loss = atenTensor(g, 'add_.Tensor', { self: loss, other: 0.5 * Math.log(2 * Math.PI), alpha: 1 });
  return applyReduction(g, loss, REDUCTION[r]);
}

/**
 * `F.multilabel_soft_margin_loss`: `-(target * logsigmoid(x) + (1 - target) * logsigmoid(-x))`,
 * times `weight`, summed over the class dim and divided by its size, then reduced.
 */
function multilabelSoftMarginLoss(g: Graph, a: KernelArgs): KResult {
  const op = 'F.multilabel_soft_margin_loss';
  const x = input(op, a);
  const target = t('multilabel_soft_margin_loss', a, 'target');
  const reduction = reductionOf(op, a);
  const pos = atenTensor(g, 'mul.Tensor', { self: target, other: atenTensor(g, 'log_sigmoid', { self: x }) });
  const oneMinus = atenTensor(g, 'rsub.Scalar', { self: target, other: 1, alpha: 1 });
  const neg = atenTensor(g, 'mul.Tensor', { self: oneMinus, other: atenTensor(g, 'log_sigmoid', { self: atenTensor(g, 'neg', { self: x }) }) });
  let loss = atenTensor(g, 'neg', { self: atenTensor(g, 'add.Tensor', { self: pos, other: neg, alpha: 1 }) });
  const weight = optTensorArg(op, a, 'weight');
  if (weight) loss = atenTensor(g, 'mul.Tensor', { self: loss, other: weight });
  const classDim = x.shape.length - 1;
  if (classDim < 0) throw new KernelError(op, 'input must have at least one dimension');
  loss = atenTensor(g, 'div.Tensor', { self: atenTensor(g, 'sum.dim_IntList', { self: loss, dim: [classDim], keepdim: false }), other: x.shape[classDim] });
  return applyReduction(g, loss, reduction);
}

/**
 * `F.triplet_margin_with_distance_loss`: `distance_function` (default `pairwise_distance`) of
 * (anchor, positive) and (anchor, negative), with `swap` the minimum with (positive, negative);
 * 1.13: `clamp(d_pos - d_neg + margin, min=0.0)`; 2.x: `clamp_min(margin + d_pos - d_neg, 0)`.
 */
function tripletMarginWithDistanceLoss(g: Graph, a: KernelArgs, call: OpCall): KResult {
  const op = 'F.triplet_margin_with_distance_loss';
  const [anchor, positive, negative] = ['anchor', 'positive', 'negative'].map((n) => t('triplet_margin_with_distance_loss', a, n));
  const r = strArg(op, a, 'reduction', 'mean');
  const margin = numArg(op, a, 'margin', 1);
  const v2 = g.ctx.torch[0] >= 2;
  if (v2) {
    if (!(r in REDUCTION)) throw new KernelError(op, `${r} is not a valid value for reduction`);
    if (margin <= 0) throw new KernelError(op, `margin must be greater than 0, got ${margin}`);
    if (anchor.shape.length !== positive.shape.length || positive.shape.length !== negative.shape.length) {
      throw new KernelError(op, `The anchor, positive, and negative tensors are expected to have the same number of dimensions, but got: anchor ${anchor.shape.length}D, positive ${positive.shape.length}D, and negative ${negative.shape.length}D inputs`);
    }
  }
  const fn = a.distance_function;
  const distance = (x: Tensor, y: Tensor): Tensor => {
    if (fn === undefined || fn === null) return pairwiseDistance(g, x, y);
    if (!call.callValue) throw new KernelError(op, 'a custom distance_function cannot be called here');
    const d = call.callValue(fn, [x, y]);
    if (!isTensor(d)) throw new KernelError(op, 'distance_function must return a tensor');
    return d;
  };
  const dPos = distance(anchor, positive);
  let dNeg = distance(anchor, negative);
  if (boolArg(a, 'swap', false)) dNeg = atenTensor(g, 'minimum', { self: dNeg, other: distance(positive, negative) });
  let loss: Tensor;
  if (v2) {
    loss = atenTensor(g, 'sub.Tensor', { self: atenTensor(g, 'add.Tensor', { self: dPos, other: margin, alpha: 1 }), other: dNeg, alpha: 1 });
    loss = atenTensor(g, 'clamp_min', { self: loss, min: 0 });
  } else {
    loss = atenTensor(g, 'add.Tensor', { self: atenTensor(g, 'sub.Tensor', { self: dPos, other: dNeg, alpha: 1 }), other: margin, alpha: 1 });
    loss = atenTensor(g, 'clamp', { self: loss, min: 0.0, max: null });
  }
  if (!(r in REDUCTION)) throw new KernelError(op, `${r} is not a valid value for reduction`);
  return applyReduction(g, loss, REDUCTION[r]);
}

/** Python loss wrappers around one aten loss: the legacy flags or `reduction` to the enum. */
const pythonLosses = {
  cosine_embedding_loss: (g: Graph, a: KernelArgs): KResult =>
    cosineEmbeddingLoss(g, t('cosine_embedding_loss', a, 'input1'), t('cosine_embedding_loss', a, 'input2'), t('cosine_embedding_loss', a, 'target'), numArg('F.cosine_embedding_loss', a, 'margin', 0), reductionOf('F.cosine_embedding_loss', a)),
  ctc_loss: (g: Graph, a: KernelArgs): KResult => {
    const r = strArg('F.ctc_loss', a, 'reduction', 'mean');
    if (!(r in REDUCTION)) throw new KernelError('F.ctc_loss', `${r} is not a valid value for reduction`);
    return ctcLoss(g, t('ctc_loss', a, 'log_probs'), t('ctc_loss', a, 'targets'), a.input_lengths, a.target_lengths, intArg('F.ctc_loss', a, 'blank', 0), REDUCTION[r], boolArg(a, 'zero_infinity', false));
  },
  gaussian_nll_loss: gaussianNllLoss,
  hinge_embedding_loss: (g: Graph, a: KernelArgs): KResult =>
    hingeEmbeddingLoss(g, input('F.hinge_embedding_loss', a), t('hinge_embedding_loss', a, 'target'), numArg('F.hinge_embedding_loss', a, 'margin', 1), reductionOf('F.hinge_embedding_loss', a)),
  margin_ranking_loss: (g: Graph, a: KernelArgs): KResult => {
    const op = 'F.margin_ranking_loss';
    const [x1, x2, target] = [t('margin_ranking_loss', a, 'input1'), t('margin_ranking_loss', a, 'input2'), t('margin_ranking_loss', a, 'target')];
    if (x1.shape.length !== x2.shape.length || x1.shape.length !== target.shape.length) {
      throw new KernelError(op, `All input tensors should have same dimension but got sizes: input1: ${x1.shape}, input2: ${x2.shape}, target: ${target.shape}`);
    }
    return marginRankingLoss(g, x1, x2, target, numArg(op, a, 'margin', 0), reductionOf(op, a));
  },
  multi_margin_loss: (g: Graph, a: KernelArgs): KResult => {
    const op = 'F.multi_margin_loss';
    const p = numArg(op, a, 'p', 1);
    if (p !== 1 && p !== 2) throw new KernelError(op, 'only p == 1 and p == 2 supported');
    const weight = optTensorArg(op, a, 'weight');
    if (weight && weight.shape.length !== 1) throw new KernelError(op, 'weight must be one-dimensional');
    return multiMarginLoss(g, input(op, a), t('multi_margin_loss', a, 'target'), p, numArg(op, a, 'margin', 1), weight, reductionOf(op, a));
  },
  multilabel_margin_loss: (g: Graph, a: KernelArgs): KResult => multilabelMarginLoss(g, input('F.multilabel_margin_loss', a), t('multilabel_margin_loss', a, 'target'), reductionOf('F.multilabel_margin_loss', a)),
  multilabel_soft_margin_loss: multilabelSoftMarginLoss,
  poisson_nll_loss: (g: Graph, a: KernelArgs): KResult => {
    const op = 'F.poisson_nll_loss';
    return poissonNllLoss(g, input(op, a), t('poisson_nll_loss', a, 'target'), boolArg(a, 'log_input', true), boolArg(a, 'full', false), numArg(op, a, 'eps', 1e-8), reductionOf(op, a));
  },
  soft_margin_loss: (g: Graph, a: KernelArgs): KResult => softMarginLoss(g, input('F.soft_margin_loss', a), t('soft_margin_loss', a, 'target'), reductionOf('F.soft_margin_loss', a)),
  triplet_margin_loss: (g: Graph, a: KernelArgs): KResult => {
    const op = 'F.triplet_margin_loss';
    const margin = numArg(op, a, 'margin', 1);
    if (margin <= 0 && g.ctx.torch[0] >= 2) throw new KernelError(op, `margin must be greater than 0, got ${margin}`);
    return tripletMarginLoss(g, t('triplet_margin_loss', a, 'anchor'), t('triplet_margin_loss', a, 'positive'), t('triplet_margin_loss', a, 'negative'), margin, numArg(op, a, 'p', 2), numArg(op, a, 'eps', 1e-6), boolArg(a, 'swap', false), reductionOf(op, a));
  },
  triplet_margin_with_distance_loss: tripletMarginWithDistanceLoss,
};

/** `F.max_pool{n}d_with_indices`: the with-indices aten op, output and indices. */
const maxPoolWithIndicesF = (n: number) => (g: Graph, a: KernelArgs): KResult =>
  callAten(g, `max_pool${n}d_with_indices`, { self: input(`F.max_pool${n}d_with_indices`, a), kernel_size: a.kernel_size, stride: a.stride ?? [], padding: a.padding ?? 0, dilation: a.dilation ?? 1, ceil_mode: a.ceil_mode ?? false });

/** `F.adaptive_max_pool{n}d_with_indices`: output and indices. */
const adaptiveMaxWithIndicesF = (n: number) => (g: Graph, a: KernelArgs): KResult =>
  callAten(g, `adaptive_max_pool${n}d`, { self: input(`F.adaptive_max_pool${n}d_with_indices`, a), output_size: a.output_size });

/** An int or a sequence of `n` ints (`_single`, `_pair`, `_triple`). */
function ntuple(op: string, v: unknown, n: number, name: string): number[] {
  if (typeof v === 'number' && Number.isInteger(v)) return new Array<number>(n).fill(v);
  if (Array.isArray(v) && v.every((x) => typeof x === 'number')) return v.length === 1 && n > 1 ? new Array<number>(n).fill(v[0] as number) : (v as number[]);
  throw new KernelError(op, `${name} must be an int or a tuple of ${n} ints`);
}

/**
 * `_unpool_output_size`: `(in - 1)·stride + kernel - 2·padding` per spatial dim, or the given
 * `output_size` (its last n entries) when it lies strictly within one stride of that.
 */
function unpoolOutputSize(op: string, x: Tensor, kernel: readonly number[], stride: readonly number[], padding: readonly number[], given: unknown): number[] {
  const n = kernel.length;
  const dflt = kernel.map((k, d) => (x.shape[x.shape.length - n + d] - 1) * stride[d] + k - 2 * padding[d]);
  let ret = dflt;
  if (given !== undefined && given !== null) {
    let out = ntuple(op, given, n, 'output_size');
    if (out.length === n + 2) out = out.slice(2);
    if (out.length !== n) throw new KernelError(op, `output_size should be a sequence containing ${n} or ${n + 2} elements, but it has a length of '${out.length}'`);
    out.forEach((o, d) => {
      if (!(dflt[d] - stride[d] < o && o < dflt[d] + stride[d])) throw new KernelError(op, `invalid output_size "${showShape(out)}" (dim ${d} must be between ${dflt[d] - stride[d]} and ${dflt[d] + stride[d]})`);
    });
    ret = out;
  }
  ret.forEach((o, d) => {
    if (o < 0) throw new KernelError(op, `max_unpooling: output_size must contain non-negative spatial dimensions, but got output_size[${d}]=${o}`);
  });
  return ret;
}

/** `F.max_unpool{n}d`: the output size from the pooling's kernel, stride and padding; 1-d runs the 2-d op on `unsqueeze(-1)`. */
const maxUnpoolF = (n: number) => (g: Graph, a: KernelArgs): KResult => {
  const op = `F.max_unpool${n}d`;
  const x = input(op, a);
  const indices = tensorArg(op, a, 'indices');
  const kernel = ntuple(op, a.kernel_size, n, 'kernel_size');
  const stride = a.stride === undefined || a.stride === null ? kernel : ntuple(op, a.stride, n, 'stride');
  const padding = ntuple(op, a.padding ?? 0, n, 'padding');
  const size = unpoolOutputSize(op, x, kernel, stride, padding, a.output_size);
  if (n === 1) return squeeze(g, callAten(g, 'max_unpool2d', { self: unsqueeze(g, x, -1), indices: unsqueeze(g, indices, -1), output_size: [...size, 1] }) as Tensor, -1);
  if (n === 2) return callAten(g, 'max_unpool2d', { self: x, indices, output_size: size });
  return callAten(g, 'max_unpool3d', { self: x, indices, output_size: size, stride, padding });
};

/**
 * `F.lp_pool{n}d`: `avg_pool(x.pow(p))`, then `(sign(out) * relu(abs(out))).mul(kernel numel).pow(1/p)`;
 * from 2.x p = ±inf is `±max_pool(±x.abs())` (2.14 refuses p = 0).
 */
const lpPoolF = (n: number) => (g: Graph, a: KernelArgs): KResult => {
  const op = `F.lp_pool${n}d`;
  const x = input(op, a);
  const p = numArg(op, a, 'norm_type');
  const kernel = a.kernel_size;
  const stride = a.stride ?? null;
  const ceil = boolArg(a, 'ceil_mode', false);
  if (g.ctx.torch[0] >= 2) {
    if (p === 0 && (g.ctx.torch[0] > 2 || g.ctx.torch[1] >= 14)) throw new KernelError(op, `norm_type must be a non-zero value, but got ${p}`);
    if (p === Infinity || p === -Infinity) {
      let abs = atenTensor(g, 'abs', { self: x });
      if (p < 0) abs = atenTensor(g, 'neg', { self: abs });
      const pooled = callPython(g, `F.max_pool${n}d`, { input: abs, kernel_size: kernel, stride, padding: 0, dilation: 1, ceil_mode: ceil }) as Tensor;
      return p < 0 ? atenTensor(g, 'neg', { self: pooled }) : pooled;
    }
  }
  const out = callAten(g, `avg_pool${n}d`, { self: atenTensor(g, 'pow.Tensor_Scalar', { self: x, exponent: p }), kernel_size: kernel, stride: stride ?? [], padding: 0, ceil_mode: ceil }) as Tensor;
  const kprod = n === 1 ? (typeof kernel === 'number' ? kernel : NaN) : ntuple(op, kernel, n, 'kernel_size').reduce((s, k) => s * k, 1);
  if (!Number.isFinite(kprod)) throw new KernelError(op, 'kernel_size must be an int');
  const signed = atenTensor(g, 'mul.Tensor', { self: atenTensor(g, 'sign', { self: out }), other: atenTensor(g, 'relu', { self: atenTensor(g, 'abs', { self: out }) }) });
  return atenTensor(g, 'pow.Tensor_Scalar', { self: atenTensor(g, 'mul.Tensor', { self: signed, other: kprod }), exponent: 1 / p });
};

/**
 * `F.fractional_max_pool{n}d_with_indices`: the output size (given, or `int(size · ratio)`), the
 * random samples `rand(N, C, n)` when none are given, then the aten op (output and indices).
 */
function fractionalMaxPoolF(n: number, withIndices: boolean) {
  return (g: Graph, a: KernelArgs): KResult => {
    const op = `F.fractional_max_pool${n}d`;
    const x = input(op, a);
    let size: number[];
    if (a.output_size !== undefined && a.output_size !== null) size = ntuple(op, a.output_size, n, 'output_size');
    else if (a.output_ratio !== undefined && a.output_ratio !== null) {
      const r = a.output_ratio;
      if (g.ctx.torch[0] >= 2 && n === 2 && typeof r === 'number') throw new KernelError(op, "object of type 'float' has no len()");
      const ratio = typeof r === 'number' ? new Array<number>(n).fill(r) : Array.isArray(r) && r.length === 1 ? new Array<number>(n).fill(Number(r[0])) : (r as number[]);
      if (!Array.isArray(ratio) || ratio.length !== n) throw new KernelError(op, `fractional_max_pool${n}d requires output_ratio to either be a single Int or tuple of Ints.`);
      size = ratio.map((q, i) => Math.trunc(x.shape[x.shape.length - n + i] * Number(q)));
    } else throw new KernelError(op, `fractional_max_pool${n}d requires specifying either an output_size or an output_ratio`);
    let samples = optTensorArg(op, a, '_random_samples');
    if (!samples) {
      const batch = x.shape.length === n + 1 ? 1 : x.shape[0];
      samples = atenTensor(g, 'rand', { size: [batch, x.shape[x.shape.length - n - 1], n], dtype: { dtype: x.dtype } });
    }
    const outs = callAten(g, `fractional_max_pool${n}d`, { self: x, kernel_size: a.kernel_size, output_size: size, random_samples: samples }) as Tensor[];
    return withIndices || boolArg(a, 'return_indices', false) ? outs : outs[0];
  };
}

/** `F.unfold` / `F.fold`: `im2col` / `col2im` with `_pair`ed arguments. */
const pair = (op: string, v: unknown, name: string) => ntuple(op, v, 2, name);

/** `F.alpha_dropout` / `F.feature_alpha_dropout(input, p, training=False, inplace=False)`. */
const alphaDropoutF = (aten: string) => (g: Graph, a: KernelArgs): KResult => {
  const p = numArg(`F.${aten}`, a, 'p', 0.5);
  if (p < 0 || p > 1) throw new KernelError(`F.${aten}`, `dropout probability has to be between 0 and 1, but got ${p}`);
  return callAten(g, inplace(a) ? `${aten}_` : aten, { input: input(`F.${aten}`, a), p, train: boolArg(a, 'training', false) });
};

/**
 * `F.local_response_norm(input, size, alpha, beta, k)`: `input * input`, a channel window
 * average (`avg_pool2d` on `[N, 1, C, L]` for 3-D input, `avg_pool3d` on `[N, 1, C, H, rest]`
 * otherwise, after zero padding the channels), `.mul(alpha).add(k).pow(beta)`, then `input / div`.
 * 1.13 unsqueezes before viewing the 4-D+ case.
 */
function localResponseNorm(g: Graph, a: KernelArgs): KResult {
  const op = 'F.local_response_norm';
  const x = input(op, a);
  const size = intArg(op, a, 'size');
  const dim = x.shape.length;
  if (dim < 3) throw new KernelError(op, `Expected 3D or higher dimensionality input (got ${dim} dimensions)`);
  if (numel(x.shape) === 0) return x;
  let div = atenTensor(g, 'mul.Tensor', { self: x, other: x });
  const before = Math.floor(size / 2);
  const after = Math.floor((size - 1) / 2);
  if (dim === 3) {
    div = callAten(g, 'constant_pad_nd', { self: unsqueeze(g, div, 1), pad: [0, 0, before, after], value: 0 }) as Tensor;
    div = squeeze(g, callAten(g, 'avg_pool2d', { self: div, kernel_size: [size, 1], stride: 1 }) as Tensor, 1);
  } else {
    if (g.ctx.torch[0] < 2) div = unsqueeze(g, div, 1);
    div = atenTensor(g, 'view', { self: div, size: [x.shape[0], 1, x.shape[1], x.shape[2], -1] });
    div = callAten(g, 'constant_pad_nd', { self: div, pad: [0, 0, 0, 0, before, after], value: 0 }) as Tensor;
    div = squeeze(g, callAten(g, 'avg_pool3d', { self: div, kernel_size: [size, 1, 1], stride: 1 }) as Tensor, 1);
    div = atenTensor(g, 'view', { self: div, size: x.shape });
  }
  div = atenTensor(g, 'mul.Tensor', { self: div, other: numArg(op, a, 'alpha', 1e-4) });
  div = atenTensor(g, 'add.Tensor', { self: div, other: numArg(op, a, 'k', 1), alpha: 1 });
  div = atenTensor(g, 'pow.Tensor_Scalar', { self: div, exponent: numArg(op, a, 'beta', 0.75) });
  return callAten(g, 'div.Tensor', { self: x, other: div });
}

/**
 * `F.gumbel_softmax(logits, tau, hard, eps, dim)`: Gumbel noise `-empty_like(x).exponential_().log()`,
 * `softmax((x + noise) / tau)`; `hard` adds the straight-through one-hot `zeros_like(x).scatter_(dim,
 * argmax, 1.0) - y.detach() + y` (`scatter_` keeps the indices).
 */
function gumbelSoftmax(g: Graph, a: KernelArgs): KResult {
  const op = 'F.gumbel_softmax';
  const x = tensorArg(op, a, 'logits');
  const dim = intArg(op, a, 'dim', -1);
  const noise = atenTensor(g, 'exponential_', { self: atenTensor(g, 'empty_like', { self: x }), lambd: 1 });
  const gumbels = atenTensor(g, 'neg', { self: atenTensor(g, 'log', { self: noise }) });
  const scaled = atenTensor(g, 'div.Tensor', { self: atenTensor(g, 'add.Tensor', { self: x, other: gumbels, alpha: 1 }), other: numArg(op, a, 'tau', 1) });
  const ySoft = callAten(g, 'softmax.int', { self: scaled, dim, dtype: null }) as Tensor;
  if (!boolArg(a, 'hard', false)) return ySoft;
  const index = (callAten(g, 'max.dim', { self: ySoft, dim, keepdim: true }) as Tensor[])[1];
  const zeros = atenTensor(g, 'zeros_like', { self: x });
  const yHard = atenInplace(g, 'scatter_.value', { self: zeros, dim, index, value: 1.0 });
  const diff = atenTensor(g, 'sub.Tensor', { self: yHard, other: atenTensor(g, 'detach', { self: ySoft }), alpha: 1 });
  return callAten(g, 'add.Tensor', { self: diff, other: ySoft, alpha: 1 });
}

const GRID_MODES: Readonly<Record<string, number>> = { bilinear: 0, nearest: 1, bicubic: 2 };
const GRID_PADDING: Readonly<Record<string, number>> = { zeros: 0, border: 1, reflection: 2 };

/** `F.grid_sample(input, grid, mode, padding_mode, align_corners)`: the enums, then `grid_sampler`. */
function gridSample(g: Graph, a: KernelArgs): KResult {
  const op = 'F.grid_sample';
  const mode = strArg(op, a, 'mode', 'bilinear');
  const paddingMode = strArg(op, a, 'padding_mode', 'zeros');
  if (!(mode in GRID_MODES)) throw new KernelError(op, `nn.functional.grid_sample(): expected mode to be 'bilinear', 'nearest' or 'bicubic', but got: '${mode}'`);
  if (!(paddingMode in GRID_PADDING)) throw new KernelError(op, `nn.functional.grid_sample(): expected padding_mode to be 'zeros', 'border', or 'reflection', but got: '${paddingMode}'`);
  return callAten(g, 'grid_sampler', { input: input(op, a), grid: tensorArg(op, a, 'grid'), interpolation_mode: GRID_MODES[mode], padding_mode: GRID_PADDING[paddingMode], align_corners: boolArg(a, 'align_corners', false) });
}

/** `F.affine_grid(theta, size, align_corners)`: theta `[N, 2, 3]` for a 4-D size, `[N, 3, 4]` for 5-D; then `affine_grid_generator`. */
function affineGrid(g: Graph, a: KernelArgs): KResult {
  const op = 'F.affine_grid';
  const theta = tensorArg(op, a, 'theta');
  const size = a.size;
  if (!Array.isArray(size) || !size.every((x) => typeof x === 'number')) throw new KernelError(op, 'size must be a sequence of ints');
  if (!theta.dtype.startsWith('float') && theta.dtype !== 'bfloat16') throw new KernelError(op, `Expected theta to have floating point type, but got ${theta.dtype}`);
  const rows = size.length === 4 ? 2 : size.length === 5 ? 3 : 0;
  if (!rows) throw new KernelError(op, `affine_grid only supports 4D and 5D sizes, for 2D and 3D affine transforms, respectively. Got size ${showShape(size as number[])}.`);
  if (theta.shape.length !== 3 || theta.shape[1] !== rows || theta.shape[2] !== rows + 1) throw new KernelError(op, `Expected a batch of ${rows}D affine matrices of shape Nx${rows}x${rows + 1} for size ${showShape(size as number[])}. Got ${showShape(theta.shape)}.`);
  const alignCorners = boolArg(a, 'align_corners', false);
  if (!(alignCorners && Math.min(...(size as number[]).slice(2)) === 1) && Math.min(...(size as number[])) <= 0) throw new KernelError(op, `Expected non-zero, positive output size. Got ${showShape(size as number[])}`);
  return callAten(g, 'affine_grid_generator', { theta, size, align_corners: alignCorners });
}

const EMBEDDING_BAG_MODES: Readonly<Record<string, number>> = { sum: 0, mean: 1, max: 2 };

/**
 * `F.embedding_bag(input, weight, offsets, …)`: a 2-D input is a batch of equal bags (offsets
 * `arange(0, numel, size(1))`, input and per-sample weights flattened); then `embedding_bag`.
 */
function embeddingBagF(g: Graph, a: KernelArgs): KResult {
  const op = 'F.embedding_bag';
  let x = input(op, a);
  let weight = tensorArg(op, a, 'weight');
  if (weight.dtype === 'int64' && (x.dtype.startsWith('float') || x.dtype === 'bfloat16')) [x, weight] = [weight, x];
  let psw = optTensorArg(op, a, 'per_sample_weights');
  if (psw && psw.shape.join() !== x.shape.join()) throw new KernelError(op, `embedding_bag: If per_sample_weights (${showShape(psw.shape)}) is not None, then it must have the same shape as the input (${showShape(x.shape)})`);
  let offsets = optTensorArg(op, a, 'offsets');
  if (x.shape.length === 2) {
    if (offsets) throw new KernelError(op, 'if input is 2D, then offsets has to be None, as input is treated is a mini-batch of fixed length sequences.');
    offsets = atenTensor(g, 'arange.start_step', { start: 0, end: numel(x.shape), step: x.shape[1], dtype: { dtype: x.dtype } });
    x = atenTensor(g, 'reshape', { self: x, shape: [-1] });
    if (psw) psw = atenTensor(g, 'reshape', { self: psw, shape: [-1] });
  } else if (x.shape.length === 1) {
    if (!offsets) throw new KernelError(op, 'offsets has to be a 1D Tensor but got None');
    if (offsets.shape.length !== 1) throw new KernelError(op, 'offsets has to be a 1D Tensor');
  } else throw new KernelError(op, `input has to be 1D or 2D Tensor, but got Tensor of dimension ${x.shape.length}`);
  const mode = strArg(op, a, 'mode', 'mean');
  if (!(mode in EMBEDDING_BAG_MODES)) throw new KernelError(op, 'mode has to be one of sum, mean or max');
  if (mode === 'max' && boolArg(a, 'scale_grad_by_freq', false)) throw new KernelError(op, 'max mode does not support scaling the gradient by the frequency');
  if (mode === 'max' && boolArg(a, 'sparse', false)) throw new KernelError(op, 'max mode does not support sparse weights');
  if (a.max_norm !== undefined && a.max_norm !== null) throw new KernelError(op, 'max_norm (renormalising the weight in place) is not modelled yet');
  if (psw && mode !== 'sum') throw new KernelError(op, `embedding_bag: per_sample_weights was not None. per_sample_weights is only supported for mode='sum' (got mode='${mode}').`);
  const p = a.padding_idx;
  const outs = callAten(g, 'embedding_bag.padding_idx', {
    weight, indices: x, offsets, scale_grad_by_freq: boolArg(a, 'scale_grad_by_freq', false), mode: EMBEDDING_BAG_MODES[mode], sparse: boolArg(a, 'sparse', false),
    per_sample_weights: psw, include_last_offset: boolArg(a, 'include_last_offset', false), padding_idx: typeof p === 'number' ? p : null,
  }) as Tensor[];
  return outs[0];
}

/**
 * `F.multi_head_attention_forward(query, key, value, embed_dim_to_check, num_heads, …)`: the math
 * path of kernels/src/attention.ts with the caller's weights (packed `in_proj_weight`, or
 * `q/k/v_proj_weight` with `use_separate_proj_weight`); returns (output, weights or None).
 */
function multiHeadAttentionForwardF(g: Graph, a: KernelArgs): KResult {
  const op = 'F.multi_head_attention_forward';
  const query = tensorArg(op, a, 'query');
  const embed = query.shape[query.shape.length - 1];
  if (embed !== intArg(op, a, 'embed_dim_to_check')) throw new KernelError(op, `was expecting embedding dimension of ${intArg(op, a, 'embed_dim_to_check')}, but got ${embed}`);
  if (optTensorArg(op, a, 'static_k') || optTensorArg(op, a, 'static_v')) throw new KernelError(op, 'static_k / static_v are not modelled yet');
  const separate = boolArg(a, 'use_separate_proj_weight', false);
  const w = (name: string) => tensorArg(op, a, name);
  const r = multiHeadAttentionForward(g, {
    query, key: tensorArg(op, a, 'key'), value: tensorArg(op, a, 'value'), numHeads: intArg(op, a, 'num_heads'),
    inProjWeight: separate ? null : optTensorArg(op, a, 'in_proj_weight'),
    qkvWeights: separate ? [w('q_proj_weight'), w('k_proj_weight'), w('v_proj_weight')] : null,
    inProjBias: optTensorArg(op, a, 'in_proj_bias'), biasK: optTensorArg(op, a, 'bias_k'), biasV: optTensorArg(op, a, 'bias_v'),
    addZeroAttn: boolArg(a, 'add_zero_attn', false), dropoutP: numArg(op, a, 'dropout_p'), outProjWeight: w('out_proj_weight'), outProjBias: optTensorArg(op, a, 'out_proj_bias'),
    training: boolArg(a, 'training', true), keyPaddingMask: optTensorArg(op, a, 'key_padding_mask'), needWeights: boolArg(a, 'need_weights', true),
    attnMask: optTensorArg(op, a, 'attn_mask'), averageAttnWeights: boolArg(a, 'average_attn_weights', true), isCausal: boolArg(a, 'is_causal', false),
  });
  return [r.output, r.weights];
}

/**
 * `F.linear_cross_entropy(input, linear_weight, target, …)` (2.13+) without `options`: the weight
 * `[C, *out, in]` (and bias) reshaped to 2-D when there are out_features, `linear`, the logits
 * reshaped to `[*batch, C, *out]`, then `cross_entropy`. The chunked path that `options` selects
 * (its own autograd Function) is not modelled.
 */
function linearCrossEntropy(g: Graph, a: KernelArgs): KResult {
  const op = 'F.linear_cross_entropy';
  const x = input(op, a);
  let w = tensorArg(op, a, 'linear_weight');
  let bias = optTensorArg(op, a, 'linear_bias');
  if (x.shape.length < 1 || x.shape.length > 2) throw new KernelError(op, `expected input with dimensionality 1 or 2, got ${x.shape.length}`);
  if (w.shape.length < 2) throw new KernelError(op, `expected linear_weight with dimensionality at least 2, got ${w.shape.length}`);
  const batch = x.shape.slice(0, -1);
  const inF = x.shape[x.shape.length - 1];
  if (inF !== w.shape[w.shape.length - 1]) throw new KernelError(op, `expected equal input and linear_weight last dimensions (in_features), got ${inF} and ${w.shape[w.shape.length - 1]}, respectively`);
  const classes = w.shape[0];
  const outF = w.shape.slice(1, -1);
  if (bias && bias.shape.join() !== [classes, ...outF].join()) throw new KernelError(op, `expected linear_bias shape ${showShape([classes, ...outF])}, got ${showShape(bias.shape)}`);
  if (outF.length > 0 && batch.length === 0) throw new KernelError(op, `K-dimensional loss defined by linear_weight shape ${showShape(w.shape)} requires batched input`);
  if (a.options !== undefined && a.options !== null) throw new KernelError(op, 'options= (the chunked linear_cross_entropy path) is not modelled yet');
  const target = tensorArg(op, a, 'target');
  const logitsShape = [...batch, classes, ...outF];
  if (target.shape.join() === logitsShape.join() && a.ignore_index !== undefined && a.ignore_index !== null) throw new KernelError(op, 'ignore_index cannot be specified when target contains probabilities');
  if (outF.length) {
    const rows = [classes, ...outF].reduce((p, d) => p * d, 1);
    w = atenTensor(g, 'reshape', { self: w, shape: [rows, inF] });
    if (bias) bias = atenTensor(g, 'reshape', { self: bias, shape: [rows] });
  }
  const logits = atenTensor(g, 'reshape', { self: atenTensor(g, 'linear', { input: x, weight: w, bias }), shape: logitsShape });
  return callPython(g, 'F.cross_entropy', {
    input: logits, target, weight: a.weight ?? null, reduction: a.reduction ?? 'mean', ignore_index: a.ignore_index ?? -100, label_smoothing: a.label_smoothing ?? 0,
  });
}

/**
 * `F.scaled_mm(mat_a, mat_b, scale_a, recipe_a, scale_b, recipe_b, …, output_dtype=bfloat16)` (2.x):
 * `_scaled_mm_v2`, a `[M, N]` product of scaled (float8) operands; autograd has no formula for it,
 * so nothing is saved (measured on 2.13/2.14 CPU). A `contraction_dim` is not modelled.
 */
function scaledMm(g: Graph, a: KernelArgs): KResult {
  const op = 'F.scaled_mm';
  const x = tensorArg(op, a, 'mat_a');
  const w = tensorArg(op, a, 'mat_b');
  if (Array.isArray(a.contraction_dim) && a.contraction_dim.length) throw new KernelError(op, 'contraction_dim is not modelled yet');
  if (x.shape.length !== 2 || w.shape.length !== 2 || x.shape[1] !== w.shape[0]) throw new KernelError(op, `mat_a and mat_b must be 2-D and multipliable, got ${showShape(x.shape)} and ${showShape(w.shape)}`);
  const dtype = a.output_dtype === undefined ? 'bfloat16' : dtypeOf(a.output_dtype)?.dtype ?? x.dtype;
  const inputs = [x, w, ...[a.bias].filter(isTensor)];
  return g.op({ kind: '_scaled_mm_v2', inputs, outputs: [{ shape: [x.shape[0], w.shape[1]], dtype, differentiable: false }], flops: 2 * x.shape[0] * x.shape[1] * w.shape[1] })[0];
}

/** `torch.nn.functional` functions defined in Python, by name (without the `F.` prefix). */
export const functionalRules = {
  ...pythonLosses,
  adaptive_max_pool1d_with_indices: adaptiveMaxWithIndicesF(1),
  affine_grid: affineGrid,
  alpha_dropout: alphaDropoutF('alpha_dropout'),
  embedding_bag: embeddingBagF,
  feature_alpha_dropout: alphaDropoutF('feature_alpha_dropout'),
  grid_sample: gridSample,
  grouped_mm: (g: Graph, a: KernelArgs): KResult =>
    groupedMm(g, tensorArg('F.grouped_mm', a, 'mat_a'), tensorArg('F.grouped_mm', a, 'mat_b'), optTensorArg('F.grouped_mm', a, 'offs'), optTensorArg('F.grouped_mm', a, 'bias'), dtypeOf(a.out_dtype)?.dtype ?? null),
  gumbel_softmax: gumbelSoftmax,
  local_response_norm: localResponseNorm,
  rrelu: (g: Graph, a: KernelArgs): KResult => callAten(g, inplace(a) ? 'rrelu_' : 'rrelu', {
    self: input('F.rrelu', a), lower: numArg('F.rrelu', a, 'lower', 0.125), upper: numArg('F.rrelu', a, 'upper', 1 / 3), training: boolArg(a, 'training', false),
  }),
  adaptive_max_pool2d_with_indices: adaptiveMaxWithIndicesF(2),
  adaptive_max_pool3d_with_indices: adaptiveMaxWithIndicesF(3),
  fold: (g: Graph, a: KernelArgs): KResult => callAten(g, 'col2im', {
    self: input('F.fold', a), output_size: pair('F.fold', a.output_size, 'output_size'), kernel_size: pair('F.fold', a.kernel_size, 'kernel_size'),
    dilation: pair('F.fold', a.dilation ?? 1, 'dilation'), padding: pair('F.fold', a.padding ?? 0, 'padding'), stride: pair('F.fold', a.stride ?? 1, 'stride'),
  }),
  fractional_max_pool2d: fractionalMaxPoolF(2, false),
  fractional_max_pool2d_with_indices: fractionalMaxPoolF(2, true),
  fractional_max_pool3d: fractionalMaxPoolF(3, false),
  fractional_max_pool3d_with_indices: fractionalMaxPoolF(3, true),
  linear_cross_entropy: linearCrossEntropy,
  lp_pool1d: lpPoolF(1),
  lp_pool2d: lpPoolF(2),
  lp_pool3d: lpPoolF(3),
  max_pool1d_with_indices: maxPoolWithIndicesF(1),
  max_pool2d_with_indices: maxPoolWithIndicesF(2),
  max_pool3d_with_indices: maxPoolWithIndicesF(3),
  max_unpool1d: maxUnpoolF(1),
  multi_head_attention_forward: multiHeadAttentionForwardF,
  max_unpool2d: maxUnpoolF(2),
  max_unpool3d: maxUnpoolF(3),
  unfold: (g: Graph, a: KernelArgs): KResult => callAten(g, 'im2col', {
    self: input('F.unfold', a), kernel_size: pair('F.unfold', a.kernel_size, 'kernel_size'), dilation: pair('F.unfold', a.dilation ?? 1, 'dilation'),
    padding: pair('F.unfold', a.padding ?? 0, 'padding'), stride: pair('F.unfold', a.stride ?? 1, 'stride'),
  }),
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
  scaled_grouped_mm: (g: Graph): KResult => {
    throw new KernelError('F.scaled_grouped_mm', g.ctx.device === 'cuda' ? '_scaled_grouped_mm_v2 (CUDA) is not modelled yet' : "_scaled_grouped_mm_v2 has no CPU kernel (Could not run 'aten::_scaled_grouped_mm_v2' with arguments from the 'CPU' backend)");
  },
  scaled_mm: scaledMm,
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

