// Losses. `cross_entropy` is `log_softmax` then `nll_loss`; `l1_loss` and `kl_div` run the
// pointwise ops they are composed of, as do the composite losses of functional.py; the others are
// one aten op each. What each keeps comes from derivatives.yaml (nll_loss: its input, the target,
// the class weights and a 0-dim total_weight; mse/smooth_l1/huber/bce: input and target).
import { KernelArgs, boolArg, numArg, optTensorArg, tensorArg } from './args';
import { atenOp } from './autograd';
import { autocastInputs, isTensor, showShape } from './common';
import { softmax } from './activation';
import { atenTensor } from './dispatch';
import { broadcastShapes } from './shape';
import { squeeze, unsqueeze } from './shapeops';
import { Graph, KernelError, KResult, Tensor, isFloating, numel } from './types';

/** `Reduction::None/Mean/Sum` as aten takes it. */
export const REDUCTION: Readonly<Record<string, number>> = { none: 0, mean: 1, sum: 2 };

function reductionOf(op: string, v: unknown): number {
  if (typeof v === 'number') return v;
  if (typeof v === 'string' && v in REDUCTION) return REDUCTION[v];
  throw new KernelError(op, `${JSON.stringify(v)} is not a valid value for reduction`);
}

/**
 * `nll_loss_nd`: `nll_loss` for `[N, C]` (or `[C]`), `nll_loss2d` for `[N, C, H, W]`; other ranks
 * run `nll_loss2d` on `[N, C, 1, -1]` views of the contiguous input (target `[N, 1, -1]`), the
 * unreduced loss viewed back to `[N, d1, …]`.
 */
export function nllLoss(g: Graph, x: Tensor, target: Tensor, weight: Tensor | null, reduction: number): Tensor {
  if (x.shape.length < 1 || (x.shape.length > 1 && target.shape.length !== x.shape.length - 1)) {
    throw new KernelError('nll_loss', `input ${showShape(x.shape)} and target ${showShape(target.shape)} do not match (expected target of shape [N, d1, …])`);
  }
  if (target.dtype !== 'int64') throw new KernelError('nll_loss', `expected target of dtype int64 (class indices), got ${target.dtype}`);
  if (x.shape.length > 4 || x.shape.length === 3) {
    const [n, c] = x.shape;
    const empty = numel(x.shape) === 0;
    const x4 = atenTensor(g, 'view', { self: atenTensor(g, 'contiguous', { self: x }), size: empty ? [n, c, 0, 0] : [n, c, 1, -1] });
    const t3 = atenTensor(g, 'view', { self: atenTensor(g, 'contiguous', { self: target }), size: empty ? [n, 0, 0] : [n, 1, -1] });
    const out = nllLoss(g, x4, t3, weight, reduction);
    return reduction === 0 ? atenTensor(g, 'view', { self: out, size: [n, ...x.shape.slice(2)] }) : out;
  }
  const shape = reduction === 0 ? target.shape : [];
  // `nll_loss`/`nll_loss2d` decompose into the `_forward` ops, which carry the derivative and
  // return the loss and a 0-dim total_weight.
  const op = x.shape.length === 4 ? 'nll_loss2d_forward' : 'nll_loss_forward';
  return atenOp(g, op, { self: x, target, weight, reduction, ignore_index: -100 }, [{ shape, dtype: x.dtype }, { shape: [], dtype: x.dtype, differentiable: false }], { flops: numel(target.shape) })[0];
}

/** `cross_entropy_loss` with class-index targets: `log_softmax(input, 1)` then `nll_loss_nd`; autocast runs it in float32. */
export function crossEntropy(g: Graph, x0: Tensor, target: Tensor, weight: Tensor | null, reduction: number, labelSmoothing: number): Tensor {
  const [x] = autocastInputs(g, 'loss', [x0]);
  if (target.dtype !== 'int64') throw new KernelError('cross_entropy', `class-probability targets are not modelled yet; expected int64 class indices, got ${target.dtype}`);
  if (labelSmoothing > 0) throw new KernelError('cross_entropy', 'label_smoothing > 0 is not modelled yet');
  const logp = softmax(g, '_log_softmax', x, x.shape.length === 1 ? 0 : 1);
  return nllLoss(g, logp, target, weight, reduction);
}

/** A pointwise loss between input and target (`mse_loss`, `l1_loss`, `huber_loss`, …): the broadcast shape, or a scalar when reduced. */
function pairLoss(op: string, extra: readonly string[] = []) {
  return (g: Graph, a: KernelArgs): KResult => {
    const [x, t] = autocastInputs(g, 'loss', [tensorArg(op, a, 'self'), tensorArg(op, a, 'target')]);
    const reduction = reductionOf(op, a.reduction ?? 1);
    const shape = broadcastShapes(op, x.shape, t.shape);
    const args: Record<string, unknown> = { self: x, target: t, reduction };
    for (const k of extra) args[k] = a[k];
    return atenOp(g, op, args, [{ shape: reduction === 0 ? shape : [], dtype: x.dtype }], { flops: 3 * numel(shape) })[0];
  };
}

/** `l1_loss` (CompositeImplicitAutograd): `(input - target).abs()` reduced; abs keeps the difference. */
function l1Loss(g: Graph, a: KernelArgs): KResult {
  const [x, t] = autocastInputs(g, 'loss', [tensorArg('l1_loss', a, 'self'), tensorArg('l1_loss', a, 'target')]);
  const d = atenTensor(g, 'sub.Tensor', { self: x, other: t, alpha: 1 });
  return applyReduction(g, atenTensor(g, 'abs', { self: d }), reductionOf('l1_loss', a.reduction ?? 1));
}

/**
 * `kl_div` (CompositeImplicitAutograd): `exp(target) * (target - input)` with `log_target`, else
 * `xlogy(target, target) - target * input`, reduced; the products keep their operands.
 */
function klDiv(g: Graph, a: KernelArgs): KResult {
  const [x, t] = autocastInputs(g, 'loss', [tensorArg('kl_div', a, 'self'), tensorArg('kl_div', a, 'target')]);
  if (!isFloating(x.dtype) || !isFloating(t.dtype)) throw new KernelError('kl_div', 'Integral inputs not supported.');
  const loss = a.log_target === true
    ? atenTensor(g, 'mul.Tensor', { self: atenTensor(g, 'exp', { self: t }), other: atenTensor(g, 'sub.Tensor', { self: t, other: x, alpha: 1 }) })
    : atenTensor(g, 'sub.Tensor', { self: atenTensor(g, 'xlogy.Tensor', { self: t, other: t }), other: atenTensor(g, 'mul.Tensor', { self: t, other: x }), alpha: 1 });
  return applyReduction(g, loss, reductionOf('kl_div', a.reduction ?? 1));
}

const red = (op: string, a: KernelArgs) => reductionOf(op, a.reduction ?? 1);

/** aten rows: schema argument names. */
export const lossAten = {
  binary_cross_entropy: pairLoss('binary_cross_entropy', ['weight']),
  binary_cross_entropy_with_logits: pairLoss('binary_cross_entropy_with_logits', ['weight', 'pos_weight']),
  cosine_embedding_loss: (g: Graph, a: KernelArgs): KResult => {
    const op = 'cosine_embedding_loss';
    return cosineEmbeddingLoss(g, tensorArg(op, a, 'input1'), tensorArg(op, a, 'input2'), tensorArg(op, a, 'target'), numArg(op, a, 'margin', 0), red(op, a));
  },
  ctc_loss: (g: Graph, a: KernelArgs): KResult => {
    const op = 'ctc_loss';
    return ctcLoss(g, tensorArg(op, a, 'log_probs'), tensorArg(op, a, 'targets'), a.input_lengths, a.target_lengths, numArg(op, a, 'blank', 0), red(op, a), boolArg(a, 'zero_infinity', false));
  },
  hinge_embedding_loss: (g: Graph, a: KernelArgs): KResult =>
    hingeEmbeddingLoss(g, tensorArg('hinge_embedding_loss', a, 'self'), tensorArg('hinge_embedding_loss', a, 'target'), numArg('hinge_embedding_loss', a, 'margin', 1), red('hinge_embedding_loss', a)),
  margin_ranking_loss: (g: Graph, a: KernelArgs): KResult => {
    const op = 'margin_ranking_loss';
    return marginRankingLoss(g, tensorArg(op, a, 'input1'), tensorArg(op, a, 'input2'), tensorArg(op, a, 'target'), numArg(op, a, 'margin', 0), red(op, a));
  },
  multi_margin_loss: (g: Graph, a: KernelArgs): KResult => {
    const op = 'multi_margin_loss';
    return multiMarginLoss(g, tensorArg(op, a, 'self'), tensorArg(op, a, 'target'), numArg(op, a, 'p', 1), numArg(op, a, 'margin', 1), optTensorArg(op, a, 'weight'), red(op, a));
  },
  multilabel_margin_loss: (g: Graph, a: KernelArgs): KResult =>
    multilabelMarginLoss(g, tensorArg('multilabel_margin_loss', a, 'self'), tensorArg('multilabel_margin_loss', a, 'target'), red('multilabel_margin_loss', a)),
  pairwise_distance: (g: Graph, a: KernelArgs): KResult => {
    const op = 'pairwise_distance';
    return pairwiseDistance(g, tensorArg(op, a, 'x1'), tensorArg(op, a, 'x2'), numArg(op, a, 'p', 2), numArg(op, a, 'eps', 1e-6), boolArg(a, 'keepdim', false));
  },
  poisson_nll_loss: (g: Graph, a: KernelArgs): KResult => {
    const op = 'poisson_nll_loss';
    return poissonNllLoss(g, tensorArg(op, a, 'input'), tensorArg(op, a, 'target'), boolArg(a, 'log_input', true), boolArg(a, 'full', false), numArg(op, a, 'eps', 1e-8), red(op, a));
  },
  soft_margin_loss: (g: Graph, a: KernelArgs): KResult => softMarginLoss(g, tensorArg('soft_margin_loss', a, 'self'), tensorArg('soft_margin_loss', a, 'target'), red('soft_margin_loss', a)),
  triplet_margin_loss: (g: Graph, a: KernelArgs): KResult => {
    const op = 'triplet_margin_loss';
    return tripletMarginLoss(g, tensorArg(op, a, 'anchor'), tensorArg(op, a, 'positive'), tensorArg(op, a, 'negative'), numArg(op, a, 'margin', 1), numArg(op, a, 'p', 2), numArg(op, a, 'eps', 1e-6), boolArg(a, 'swap', false), red(op, a));
  },
  cross_entropy_loss: (g: Graph, a: KernelArgs): KResult =>
    crossEntropy(g, tensorArg('cross_entropy', a, 'self'), tensorArg('cross_entropy', a, 'target'), optTensorArg('cross_entropy', a, 'weight'), reductionOf('cross_entropy', a.reduction ?? 1), Number(a.label_smoothing ?? 0)),
  huber_loss: pairLoss('huber_loss', ['delta']),
  kl_div: klDiv,
  l1_loss: l1Loss,
  mse_loss: pairLoss('mse_loss'),
  nll_loss: (g: Graph, a: KernelArgs): KResult => nllLoss(g, tensorArg('nll_loss', a, 'self'), tensorArg('nll_loss', a, 'target'), optTensorArg('nll_loss', a, 'weight'), reductionOf('nll_loss', a.reduction ?? 1)),
  nll_loss_nd: (g: Graph, a: KernelArgs): KResult => nllLoss(g, tensorArg('nll_loss', a, 'self'), tensorArg('nll_loss', a, 'target'), optTensorArg('nll_loss', a, 'weight'), reductionOf('nll_loss', a.reduction ?? 1)),
  smooth_l1_loss: pairLoss('smooth_l1_loss', ['beta']),
};


// ── losses ATen composes of other ops (CompositeImplicitAutograd, aten/src/ATen/native/Loss.cpp)
// and the ones torch/nn/functional.py writes in Python: each runs the ops its body calls, so
// what autograd keeps is what those ops keep.

/** `apply_loss_reduction`: `mean()`, `sum()` or the unreduced tensor. */
export function applyReduction(g: Graph, x: Tensor, reduction: number): Tensor {
  if (reduction === 1) return atenTensor(g, 'mean', { self: x });
  if (reduction === 2) return atenTensor(g, 'sum', { self: x });
  return x;
}

/** C++ `scalar - tensor` (`operator-(Scalar, Tensor)`): `empty_like(t).fill_(scalar).sub_(t)`. */
function scalarMinus(g: Graph, scalar: number, t: Tensor): Tensor {
  const filled = atenTensor(g, 'fill_.Scalar', { self: atenTensor(g, 'empty_like', { self: t }), value: scalar });
  return atenTensor(g, 'sub_.Tensor', { self: filled, other: t, alpha: 1 });
}

const clampMinInplace = (g: Graph, t: Tensor, min: number) => atenTensor(g, 'clamp_min_', { self: t, min });

/**
 * `cosine_embedding_loss`: the cosine of each pair from sums of products (`(x1 * x2).sum(d)`,
 * `(x1 * x1).sum(d) + 1e-12`, …, `sqrt_`), then `1 - cos` where the target is 1 and
 * `(cos - margin).clamp_min_(0)` where it is −1 (`where` keeps both bool masks).
 */
export function cosineEmbeddingLoss(g: Graph, x1: Tensor, x2: Tensor, target: Tensor, margin: number, reduction: number): Tensor {
  const op = 'cosine_embedding_loss';
  const d = target.shape.length;
  if (d > 1) throw new KernelError(op, '0D or 1D target tensor expected, multi-target not supported');
  if (x1.shape.length !== d + 1) throw new KernelError(op, `${d}D target tensor expects ${d + 1}D input tensors, but found inputs with sizes ${showShape(x1.shape)} and ${showShape(x2.shape)}.`);
  const sumOf = (a: Tensor, b: Tensor) => atenTensor(g, 'sum.dim_IntList', { self: atenTensor(g, 'mul.Tensor', { self: a, other: b }), dim: [d], keepdim: false });
  const prod = sumOf(x1, x2);
  const mag1 = atenTensor(g, 'add.Scalar', { self: sumOf(x1, x1), other: 1e-12, alpha: 1 });
  const mag2 = atenTensor(g, 'add.Scalar', { self: sumOf(x2, x2), other: 1e-12, alpha: 1 });
  const denom = atenTensor(g, 'sqrt_', { self: atenTensor(g, 'mul.Tensor', { self: mag1, other: mag2 }) });
  const cos = atenTensor(g, 'div.Tensor', { self: prod, other: denom });
  const zeros = atenTensor(g, 'zeros_like', { self: cos });
  const pos = scalarMinus(g, 1, cos);
  const neg = clampMinInplace(g, atenTensor(g, 'sub.Scalar', { self: cos, other: margin, alpha: 1 }), 0);
  const outPos = atenTensor(g, 'where.self', { condition: atenTensor(g, 'eq.Scalar', { self: target, other: 1 }), self: pos, other: zeros });
  const outNeg = atenTensor(g, 'where.self', { condition: atenTensor(g, 'eq.Scalar', { self: target, other: -1 }), self: neg, other: zeros });
  return applyReduction(g, atenTensor(g, 'add.Tensor', { self: outPos, other: outNeg, alpha: 1 }), reduction);
}

/** `hinge_embedding_loss`: `(margin - x).clamp_min_(0)` where the target is not 1, x where it is not −1. */
export function hingeEmbeddingLoss(g: Graph, x: Tensor, target: Tensor, margin: number, reduction: number): Tensor {
  const zeros = atenTensor(g, 'zeros_like', { self: x });
  const clamped = clampMinInplace(g, scalarMinus(g, margin, x), 0);
  const outMargin = atenTensor(g, 'where.self', { condition: atenTensor(g, 'ne.Scalar', { self: target, other: 1 }), self: clamped, other: zeros });
  const outSelf = atenTensor(g, 'where.self', { condition: atenTensor(g, 'ne.Scalar', { self: target, other: -1 }), self: x, other: zeros });
  return applyReduction(g, atenTensor(g, 'add.Tensor', { self: outMargin, other: outSelf, alpha: 1 }), reduction);
}

/** `margin_ranking_loss`: `(-target * (x1 - x2) + margin).clamp_min_(0)`. */
export function marginRankingLoss(g: Graph, x1: Tensor, x2: Tensor, target: Tensor, margin: number, reduction: number): Tensor {
  const diff = atenTensor(g, 'sub.Tensor', { self: x1, other: x2, alpha: 1 });
  const prod = atenTensor(g, 'mul.Tensor', { self: atenTensor(g, 'neg', { self: target }), other: diff });
  return applyReduction(g, clampMinInplace(g, atenTensor(g, 'add.Scalar', { self: prod, other: margin, alpha: 1 }), 0), reduction);
}

/** `pairwise_distance(x1, x2, p, eps, keepdim)`: `norm(x1 - x2 + eps, p, last dim, keepdim)`; the norm keeps its input and result. */
export function pairwiseDistance(g: Graph, x1: Tensor, x2: Tensor, p = 2, eps = 1e-6, keepdim = false): Tensor {
  const last = Math.max(x1.shape.length, x2.shape.length) - 1;
  const d = atenTensor(g, 'add.Scalar', { self: atenTensor(g, 'sub.Tensor', { self: x1, other: x2, alpha: 1 }), other: eps, alpha: 1 });
  return atenTensor(g, 'norm.ScalarOpt_dim', { self: d, p, dim: [Math.max(last, 0)], keepdim });
}

/** `triplet_margin_loss`: `clamp_min(margin + d(a, p) - d(a, n), 0)`, with `swap` the smaller of d(a, n) and d(p, n). */
export function tripletMarginLoss(g: Graph, a: Tensor, pos: Tensor, neg: Tensor, margin: number, p: number, eps: number, swap: boolean, reduction: number): Tensor {
  if (a.shape.length !== pos.shape.length || pos.shape.length !== neg.shape.length) {
    throw new KernelError('triplet_margin_loss', `All inputs should have same dimension but got ${a.shape.length}D, ${pos.shape.length}D and ${neg.shape.length}D inputs.`);
  }
  const dPos = pairwiseDistance(g, a, pos, p, eps);
  let dNeg = pairwiseDistance(g, a, neg, p, eps);
  if (swap) dNeg = atenTensor(g, 'minimum', { self: dNeg, other: pairwiseDistance(g, pos, neg, p, eps) });
  const diff = atenTensor(g, 'sub.Tensor', { self: atenTensor(g, 'add.Scalar', { self: dPos, other: margin, alpha: 1 }), other: dNeg, alpha: 1 });
  return applyReduction(g, atenTensor(g, 'clamp_min', { self: diff, min: 0 }), reduction);
}

/**
 * `poisson_nll_loss`: `exp(x) - target * x` (log_input) or `x - target * log(x + eps)`; `full`
 * adds the Stirling term `target * log(target) - target + 0.5 * log(2π target)`, masked to 0 where
 * the target is at most 1, in place.
 */
export function poissonNllLoss(g: Graph, x: Tensor, target: Tensor, logInput: boolean, full: boolean, eps: number, reduction: number): Tensor {
  let loss: Tensor;
  if (logInput) {
    const prod = atenTensor(g, 'mul.Tensor', { self: target, other: x });
    loss = atenTensor(g, 'sub.Tensor', { self: atenTensor(g, 'exp', { self: x }), other: prod, alpha: 1 });
  } else {
    const logx = atenTensor(g, 'log', { self: atenTensor(g, 'add.Scalar', { self: x, other: eps, alpha: 1 }) });
    loss = atenTensor(g, 'sub.Tensor', { self: x, other: atenTensor(g, 'mul.Tensor', { self: target, other: logx }), alpha: 1 });
  }
  if (full) {
    const half = atenTensor(g, 'mul.Scalar', { self: atenTensor(g, 'log', { self: atenTensor(g, 'mul.Scalar', { self: target, other: 2 * Math.PI }) }), other: 0.5 });
    const tlogt = atenTensor(g, 'mul.Tensor', { self: target, other: atenTensor(g, 'log', { self: target }) });
    const stirling = atenTensor(g, 'add.Tensor', { self: atenTensor(g, 'sub.Tensor', { self: tlogt, other: target, alpha: 1 }), other: half, alpha: 1 });
    const masked = atenTensor(g, 'masked_fill.Scalar', { self: stirling, mask: atenTensor(g, 'le.Scalar', { self: target, other: 1 }), value: 0 });
    loss = atenTensor(g, 'add_.Tensor', { self: loss, other: masked, alpha: 1 });
  }
  return applyReduction(g, loss, reduction);
}

/** `multi_margin_loss(self, target, p, margin, weight, reduction)`: one aten op; keeps self, target and weight (which may not require grad: no formula, measured). */
export function multiMarginLoss(g: Graph, x: Tensor, target: Tensor, p: number, margin: number, weight: Tensor | null, reduction: number): Tensor {
  const op = 'multi_margin_loss';
  if (x.shape.length > 2) throw new KernelError(op, `Expected non-empty vector or matrix with optional 0-dim batch size, but got: ${showShape(x.shape)}`);
  if (p !== 1 && p !== 2) throw new KernelError(op, 'only p == 1 and p == 2 supported');
  const n = x.shape.length === 2 ? x.shape[0] : 1;
  if (numel(target.shape) !== n || target.shape.length > 1) throw new KernelError(op, `inconsistent target size: ${showShape(target.shape)} for input of size: ${showShape(x.shape)}`);
  if (weight?.requiresGrad && g.ctx.gradEnabled) throw new KernelError(op, "The function 'multi_margin_loss' is not differentiable with respect to argument 'weight'. This input cannot have requires_grad True.");
  const shape = reduction === 0 && x.shape.length === 2 ? [n] : [];
  return atenOp(g, op, { self: x, target, p, margin, weight, reduction }, [{ shape, dtype: x.dtype }], { flops: numel(x.shape) })[0];
}

/** `multilabel_margin_loss`: `multilabel_margin_loss_forward`, whose `is_target` (input-shaped) its backward keeps with self and target. */
export function multilabelMarginLoss(g: Graph, x: Tensor, target: Tensor, reduction: number): Tensor {
  const op = 'multilabel_margin_loss';
  if (x.shape.length > 2 || target.shape.join() !== x.shape.join()) throw new KernelError(op, `inconsistent target size: ${showShape(target.shape)} for input of size: ${showShape(x.shape)}`);
  const shape = reduction === 0 && x.shape.length === 2 ? [x.shape[0]] : [];
  return atenOp(g, 'multilabel_margin_loss_forward', { self: x, target, reduction }, [{ shape, dtype: x.dtype }, { shape: x.shape, dtype: x.dtype, differentiable: false }], { flops: numel(x.shape) * Math.max(1, x.shape[x.shape.length - 1] ?? 1) })[0];
}

/**
 * `soft_margin_loss`: one aten op, `log(1 + exp(-y x))`; keeps self and target. derivatives.yaml
 * has no formula for the target, so a target that requires grad is refused (measured).
 */
export function softMarginLoss(g: Graph, x: Tensor, target: Tensor, reduction: number): Tensor {
  if (target.requiresGrad && g.ctx.gradEnabled) throw new KernelError('soft_margin_loss', "The function 'soft_margin_loss' is not differentiable with respect to argument 'target'. This input cannot have requires_grad True.");
  const shape = broadcastShapes('soft_margin_loss', x.shape, target.shape);
  return atenOp(g, 'soft_margin_loss', { self: x, target, reduction }, [{ shape: reduction === 0 ? shape : [], dtype: x.dtype }], { flops: 3 * numel(shape) })[0];
}

/** Elements of an int list or of a 1-D int tensor whose values are known (`target_lengths`). */
function lengthsOf(op: string, name: string, v: unknown): number[] {
  if (Array.isArray(v) && v.every((x) => typeof x === 'number')) return v as number[];
  if (typeof v === 'number') return [v];
  if (isTensor(v)) {
    if (v.values && v.values.length === numel(v.shape)) return [...v.values];
    throw new KernelError(op, `the values of ${name} decide the shape of what the loss keeps; they are not known here`);
  }
  throw new KernelError(op, `${name} must be a tuple of ints or an integer tensor`);
}

/**
 * `ctc_loss` on the CPU: `_ctc_loss` (targets as int64) returns the per-sequence loss `[B]` and
 * `log_alpha` `[B, T, 2·max(target_lengths)+1]`, both kept for backward with log_probs and the
 * targets. Length tensors are read into int lists first (ATen's fast path; a non-int64 one is
 * converted), so the element values decide the shapes and nothing keeps the length tensors.
 * `zero_infinity` replaces infinite losses (`where` keeps its bool mask); `mean` divides by
 * `tensor(target_lengths).clamp_min(1)`, a new float tensor that `div` keeps.
 */
export function ctcLoss(g: Graph, logProbs0: Tensor, targets0: Tensor, inputLengths: unknown, targetLengths: unknown, blank: number, reduction: number, zeroInfinity: boolean): Tensor {
  const op = 'ctc_loss';
  const batched = logProbs0.shape.length === 3;
  if (!batched && logProbs0.shape.length !== 2) throw new KernelError(op, `expected log_probs of 2 or 3 dimensions, got ${showShape(logProbs0.shape)}`);
  for (const v of [inputLengths, targetLengths]) {
    if (isTensor(v) && v.dtype !== 'int64') {
      if (v.dtype.startsWith('float') || v.dtype === 'bool') throw new KernelError(op, 'input_lengths and target_lengths must be integral');
      atenTensor(g, '_to_copy', { self: v, dtype: { dtype: 'int64' } });
    }
  }
  const logProbs = batched ? logProbs0 : unsqueeze(g, logProbs0, 1);
  const [t, b, c] = logProbs.shape;
  if (blank < 0 || blank >= c) throw new KernelError(op, 'blank must be in label range');
  const tl = lengthsOf(op, 'target_lengths', targetLengths);
  const il = lengthsOf(op, 'input_lengths', inputLengths);
  if (tl.length !== b) throw new KernelError(op, 'target_lengths must be of size batch_size');
  if (il.length !== b) throw new KernelError(op, 'input_lengths must be of size batch_size');
  if (il.some((x) => x > t)) throw new KernelError(op, `Expected input_lengths to have value at most ${t}`);
  const maxTarget = Math.max(0, ...tl);
  if (targets0.shape.length === 2 && targets0.shape[1] < maxTarget) throw new KernelError(op, `Expected tensor to have size at least ${maxTarget} at dimension 1, but got size ${targets0.shape[1]}`);
  const targets = targets0.dtype === 'int64' ? targets0 : atenTensor(g, '_to_copy', { self: targets0, dtype: { dtype: 'int64' } });
  const outputs = [{ shape: [b], dtype: logProbs.dtype }, { shape: [b, t, 2 * maxTarget + 1], dtype: logProbs.dtype }];
  const args = { log_probs: logProbs, targets, input_lengths: il, target_lengths: tl, blank, zero_infinity: zeroInfinity };
  let res = atenOp(g, '_ctc_loss', args, outputs, { flops: b * t * (2 * maxTarget + 1) * 4 })[0];
  if (zeroInfinity) {
    const isInf = atenTensor(g, 'eq.Scalar', { self: res, other: Infinity });
    res = atenTensor(g, 'where.self', { condition: isInf, self: atenTensor(g, 'zeros', { size: [], dtype: { dtype: res.dtype } }), other: res });
  }
  if (reduction === 1) {
    const lengths = g.create('tensor', [b], res.dtype, { values: tl });
    return atenTensor(g, 'mean', { self: atenTensor(g, 'div.Tensor', { self: res, other: atenTensor(g, 'clamp_min', { self: lengths, min: 1 }) }) });
  }
  if (reduction === 2) return atenTensor(g, 'sum', { self: res });
  return batched ? res : squeeze(g, res, 0);
}
