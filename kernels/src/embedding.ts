import { KernelArgs, tensorArg } from './args';
import { atenOp } from './autograd';
import { showShape } from './common';
import { Graph, KernelError, KResult, Tensor } from './types';

/** `embedding(weight, indices)`: output `[*indices.shape, dim]`; the backward keeps the int64 indices. */
export function embedding(g: Graph, indices: Tensor, weight: Tensor, paddingIdx = -1): Tensor {
  if (indices.dtype !== 'int64' && indices.dtype !== 'int32') {
    throw new KernelError('embedding', `expected integer indices (int64 or int32), got ${indices.dtype}`);
  }
  if (weight.shape.length !== 2) throw new KernelError('embedding', `weight must be 2-D, got ${showShape(weight.shape)}`);
  return atenOp(g, 'embedding', { weight, indices, padding_idx: paddingIdx, scale_grad_by_freq: false, sparse: false }, [{ shape: [...indices.shape, weight.shape[1]], dtype: weight.dtype }])[0];
}

/** aten rows: schema argument names. */
export const embeddingAten = {
  embedding: (g: Graph, a: KernelArgs): KResult => embedding(g, tensorArg('embedding', a, 'indices'), tensorArg('embedding', a, 'weight'), typeof a.padding_idx === 'number' ? a.padding_idx : -1),
};
