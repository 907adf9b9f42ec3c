// Losses. `cross_entropy` is `log_softmax` then `nll_loss`; `l1_loss` and `kl_div` run the
// pointwise ops they are composed of; the others are one aten op each. What each keeps comes from
// derivatives.yaml (nll_loss: its input, the target, the class weights and a 0-dim total_weight;
// mse/smooth_l1/huber/bce: input and target).
import { KernelArgs, optTensorArg, tensorArg } from './args';
import { atenOp } from './autograd';
import { castFloat32, showShape } from './common';
import { softmax } from './activation';
import { broadcastShapes } from './shape';
import { atenTensor } from './dispatch';
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
 * are reshaped to the 2-d kernel's layout by ATen (not modelled).
 */
export function nllLoss(g: Graph, x: Tensor, target: Tensor, weight: Tensor | null, reduction: number): Tensor {
  if (x.shape.length < 1 || (x.shape.length > 1 && target.shape.length !== x.shape.length - 1)) {
    throw new KernelError('nll_loss', `input ${showShape(x.shape)} and target ${showShape(target.shape)} do not match (expected target of shape [N, d1, …])`);
  }
  if (target.dtype !== 'int64') throw new KernelError('nll_loss', `expected target of dtype int64 (class indices), got ${target.dtype}`);
  if (x.shape.length > 4 || x.shape.length === 3) throw new KernelError('nll_loss', `input of rank ${x.shape.length} is not modelled (2-D or 4-D)`);
  const shape = reduction === 0 ? target.shape : [];
  // `nll_loss`/`nll_loss2d` decompose into the `_forward` ops, which carry the derivative and
  // return the loss and a 0-dim total_weight.
  const op = x.shape.length === 4 ? 'nll_loss2d_forward' : 'nll_loss_forward';
  return atenOp(g, op, { self: x, target, weight, reduction, ignore_index: -100 }, [{ shape, dtype: x.dtype }, { shape: [], dtype: x.dtype, differentiable: false }], { flops: numel(target.shape) })[0];
}

/** `cross_entropy_loss` with class-index targets: `log_softmax(input, 1)` then `nll_loss_nd`; autocast runs it in float32. */
export function crossEntropy(g: Graph, x0: Tensor, target: Tensor, weight: Tensor | null, reduction: number, labelSmoothing: number): Tensor {
  const [x] = castFloat32(g, [x0]);
  if (target.dtype !== 'int64') throw new KernelError('cross_entropy', `class-probability targets are not modelled yet; expected int64 class indices, got ${target.dtype}`);
  if (labelSmoothing > 0) throw new KernelError('cross_entropy', 'label_smoothing > 0 is not modelled yet');
  const logp = softmax(g, '_log_softmax', x, x.shape.length === 1 ? 0 : 1);
  return nllLoss(g, logp, target, weight, reduction);
}

/** A pointwise loss between input and target (`mse_loss`, `l1_loss`, `huber_loss`, …): the broadcast shape, or a scalar when reduced. */
function pairLoss(op: string, extra: readonly string[] = []) {
  return (g: Graph, a: KernelArgs): KResult => {
    const [x, t] = castFloat32(g, [tensorArg(op, a, 'self'), tensorArg(op, a, 'target')]);
    const reduction = reductionOf(op, a.reduction ?? 1);
    const shape = broadcastShapes(op, x.shape, t.shape);
    const args: Record<string, unknown> = { self: x, target: t, reduction };
    for (const k of extra) args[k] = a[k];
    return atenOp(g, op, args, [{ shape: reduction === 0 ? shape : [], dtype: x.dtype }], { flops: 3 * numel(shape) })[0];
  };
}

/** `apply_loss_reduction` (Loss.cpp): `none` keeps the elementwise loss, `mean`/`sum` reduce all of it. */
function applyReduction(g: Graph, loss: Tensor, reduction: number): Tensor {
  if (reduction === REDUCTION.mean) return atenTensor(g, 'mean', { self: loss });
  if (reduction === REDUCTION.sum) return atenTensor(g, 'sum', { self: loss });
  return loss;
}

/** `l1_loss` (CompositeImplicitAutograd): `(input - target).abs()` reduced; abs keeps the difference. */
function l1Loss(g: Graph, a: KernelArgs): KResult {
  const [x, t] = castFloat32(g, [tensorArg('l1_loss', a, 'self'), tensorArg('l1_loss', a, 'target')]);
  const d = atenTensor(g, 'sub.Tensor', { self: x, other: t, alpha: 1 });
  return applyReduction(g, atenTensor(g, 'abs', { self: d }), reductionOf('l1_loss', a.reduction ?? 1));
}

/**
 * `kl_div` (CompositeImplicitAutograd): `exp(target) * (target - input)` with `log_target`, else
 * `xlogy(target, target) - target * input`, reduced; the products keep their operands.
 */
function klDiv(g: Graph, a: KernelArgs): KResult {
  const [x, t] = castFloat32(g, [tensorArg('kl_div', a, 'self'), tensorArg('kl_div', a, 'target')]);
  if (!isFloating(x.dtype) || !isFloating(t.dtype)) throw new KernelError('kl_div', 'Integral inputs not supported.');
  const loss = a.log_target === true
    ? atenTensor(g, 'mul.Tensor', { self: atenTensor(g, 'exp', { self: t }), other: atenTensor(g, 'sub.Tensor', { self: t, other: x, alpha: 1 }) })
    : atenTensor(g, 'sub.Tensor', { self: atenTensor(g, 'xlogy.Tensor', { self: t, other: t }), other: atenTensor(g, 'mul.Tensor', { self: t, other: x }), alpha: 1 });
  return applyReduction(g, loss, reductionOf('kl_div', a.reduction ?? 1));
}

/** aten rows: schema argument names. */
export const lossAten = {
  binary_cross_entropy: pairLoss('binary_cross_entropy', ['weight']),
  binary_cross_entropy_with_logits: pairLoss('binary_cross_entropy_with_logits', ['weight', 'pos_weight']),
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

