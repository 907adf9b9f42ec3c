import { KernelArgs, optTensorArg, strArg, tensorArg } from './args';
import { castFloat32, showShape } from './common';
import { softmax } from './activation';
import { Graph, KernelError, Tensor } from './types';

/**
 * `F.nll_loss`: `nll_loss_forward` keeps its input, the target, the class weights and a 0-dim
 * `total_weight` of the input's dtype (measured: 4 bytes for fp32 on PyTorch 1.13 CPU).
 */
export function nllLoss(g: Graph, x: Tensor, target: Tensor, weight: Tensor | null, reduction: string): Tensor {
  if (x.shape.length < 1 || x.shape.length > 1 && target.shape.length !== x.shape.length - 1) {
    throw new KernelError('nll_loss', `input ${showShape(x.shape)} and target ${showShape(target.shape)} do not match (expected target of shape [N, d1, …])`);
  }
  if (target.dtype !== 'int64') throw new KernelError('nll_loss', `expected target of dtype int64 (class indices), got ${target.dtype}`);
  const outShape = reduction === 'none' ? target.shape : [];
  return g.op({
    kind: x.shape.length > 2 ? 'nll_loss2d' : 'nll_loss',
    inputs: weight ? [x, target, weight] : [x, target],
    outputs: [{ shape: outShape, dtype: x.dtype }],
    save: () => [x, target, ...(weight ? [weight] : []), { shape: [], dtype: x.dtype, label: 'total_weight' }],
  })[0];
}

/** `F.cross_entropy` = `log_softmax(input, 1)` then `nll_loss`; autocast runs it in float32. */
export function crossEntropy(g: Graph, x0: Tensor, target: Tensor, weight: Tensor | null, reduction: string): Tensor {
  const [x] = castFloat32(g, [x0]);
  if (target.dtype !== 'int64') throw new KernelError('cross_entropy', `class-probability targets are not modelled yet; expected int64 class indices, got ${target.dtype}`);
  const logp = softmax(g, '_log_softmax', x, x.shape.length === 1 ? 0 : 1);
  return nllLoss(g, logp, target, weight, reduction);
}

export const lossRules = {
  cross_entropy: (g: Graph, a: KernelArgs) =>
    crossEntropy(g, tensorArg('cross_entropy', a, 'input'), tensorArg('cross_entropy', a, 'target'), optTensorArg('cross_entropy', a, 'weight'), strArg('cross_entropy', a, 'reduction', 'mean')),
  nll_loss: (g: Graph, a: KernelArgs) =>
    nllLoss(g, tensorArg('nll_loss', a, 'input'), tensorArg('nll_loss', a, 'target'), optTensorArg('nll_loss', a, 'weight'), strArg('nll_loss', a, 'reduction', 'mean')),
};
