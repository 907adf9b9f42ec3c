import { KernelArgs, tensorArg } from './args';
import { showShape } from './common';
import { Graph, KernelError, Tensor } from './types';

/** `F.embedding`: output `[*indices.shape, dim]`; the backward keeps only the int64 indices. */
export function embedding(g: Graph, indices: Tensor, weight: Tensor): Tensor {
  if (indices.dtype !== 'int64' && indices.dtype !== 'int32') {
    throw new KernelError('embedding', `expected integer indices (int64 or int32), got ${indices.dtype}`);
  }
  if (weight.shape.length !== 2) throw new KernelError('embedding', `weight must be 2-D, got ${showShape(weight.shape)}`);
  return g.op({ kind: 'embedding', inputs: [weight, indices], outputs: [{ shape: [...indices.shape, weight.shape[1]], dtype: weight.dtype }], save: () => [indices] })[0];
}

export const embeddingRules = {
  embedding: (g: Graph, a: KernelArgs) => embedding(g, tensorArg('embedding', a, 'input'), tensorArg('embedding', a, 'weight')),
};
