import { KernelArgs, optTensorArg, tensorArg } from './args';
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

/**
 * `embedding_bag` (CompositeImplicitAutograd) runs `_embedding_bag` when the weight or the
 * per-sample weights need grad (`_embedding_bag_forward_only` otherwise): the bags `[B, D]`
 * (B = offsets − include_last_offset) and three index outputs of the indices' dtype, which its
 * backward keeps with indices, offsets and per_sample_weights (and the weight when those need
 * grad). CPU, measured on 1.13, 2.13, 2.14 (int64 and int32 indices): `offset2bag` `[n]` in a
 * storage of n + 1, or empty on the fast `sum` path (float32/float16 weights, bfloat16 too from
 * 2.x, and no padding_idx); `bag_size` `[B]` in a storage sized like the offsets; `max_indices`
 * `[B, D]` for `max`, else `[B]`. CUDA (aten/src/ATen/native/cuda/EmbeddingBag.cu, not measured):
 * `offset2bag` `[n]`, `bag_size` shaped like the offsets, `max_indices` `[B, D]` or empty.
 */
export function embeddingBag(g: Graph, weight: Tensor, indices: Tensor, offsets: Tensor, mode: number, perSampleWeights: Tensor | null, includeLastOffset: boolean, paddingIdx: number, scaleGradByFreq = false, sparse = false): Tensor[] {
  const op = 'embedding_bag';
  if (weight.shape.length !== 2) throw new KernelError(op, `weight has to be a 2D Tensor, but got Tensor of dimension ${weight.shape.length}`);
  if (indices.shape.length !== 1) throw new KernelError(op, `input has to be a 1D or 2D Tensor, but got Tensor of dimension ${indices.shape.length}`);
  if (offsets.shape.length !== 1) throw new KernelError(op, `offsets has to be a 1D Tensor, but got Tensor of dimension ${offsets.shape.length}`);
  if (indices.dtype !== 'int64' && indices.dtype !== 'int32') throw new KernelError(op, `expected indices of dtype int64 or int32, got ${indices.dtype}`);
  const supported = g.ctx.torch[0] >= 2 ? ['float32', 'float64', 'float16', 'bfloat16'] : ['float32', 'float64', 'float16'];
  if (!supported.includes(weight.dtype)) throw new KernelError(op, `Expected tensor for argument #1 'weight' to have one of the following scalar types: ${supported.join(', ')}; but got ${weight.dtype}`);
  if (perSampleWeights && mode !== 0) throw new KernelError(op, "embedding_bag: per_sample_weights was not None. per_sample_weights is only supported for mode='sum'");
  const n = indices.shape[0];
  const bags = offsets.shape[0] - (includeLastOffset ? 1 : 0);
  if (bags < 0) throw new KernelError(op, 'include_last_offset: number of offsets should be at least 1');
  const dim = weight.shape[1];
  // int32 indices with int64 offsets (or the reverse) are promoted to int64 together.
  const index = indices.dtype === 'int32' && offsets.dtype === 'int32' ? 'int32' : 'int64';
  const cuda = g.ctx.device === 'cuda';
  const fastSum = !cuda && mode === 0 && paddingIdx < 0 && (weight.dtype === 'float32' || weight.dtype === 'float16' || (weight.dtype === 'bfloat16' && g.ctx.torch[0] >= 2));
  const grad = weight.requiresGrad || !!perSampleWeights?.requiresGrad;
  const [out, offset2bag, bagSize, maxIndices] = atenOp(g, grad ? '_embedding_bag' : '_embedding_bag_forward_only', {
    weight, indices, offsets, scale_grad_by_freq: scaleGradByFreq, mode, sparse, per_sample_weights: perSampleWeights, include_last_offset: includeLastOffset, padding_idx: paddingIdx,
  }, [
    { shape: [bags, dim], dtype: weight.dtype },
    { shape: [cuda ? n : fastSum ? 0 : n + 1], dtype: index, differentiable: false },
    { shape: [offsets.shape[0]], dtype: index, differentiable: false },
    { shape: mode === 2 ? [bags, dim] : [cuda ? 0 : bags], dtype: index, differentiable: false },
  ], { flops: n * dim * 2 });
  if (cuda) return [out, offset2bag, bagSize, maxIndices];
  // On the CPU offset2bag and bag_size are narrowed views of what they were allocated as.
  const narrowTo = (t: Tensor, len: number) => (t.shape[0] === len ? t : g.view(t, [len], [1], 0));
  return [out, fastSum ? offset2bag : narrowTo(offset2bag, n), narrowTo(bagSize, bags), maxIndices];
}

/** `embedding_bag(…)` / `embedding_bag.padding_idx(…)`: a given padding_idx wraps like a dim (−1 is the last row). */
const embeddingBagRule = (g: Graph, a: KernelArgs): KResult => {
  const op = 'embedding_bag';
  const weight = tensorArg(op, a, 'weight');
  const p = a.padding_idx;
  if (typeof p === 'number' && (p < -weight.shape[0] || p >= weight.shape[0])) throw new KernelError(op, `padding_idx must be within the number of embeddings, -${weight.shape[0]} through ${weight.shape[0] - 1}, but got ${p}`);
  return embeddingBag(g, weight, tensorArg(op, a, 'indices'), tensorArg(op, a, 'offsets'), typeof a.mode === 'number' ? a.mode : 0,
    optTensorArg(op, a, 'per_sample_weights'), a.include_last_offset === true, typeof p === 'number' ? (p < 0 ? p + weight.shape[0] : p) : -1, a.scale_grad_by_freq === true, a.sparse === true);
};

/** aten rows: schema argument names. */
export const embeddingAten = {
  embedding_bag: embeddingBagRule,
  embedding: (g: Graph, a: KernelArgs): KResult => embedding(g, tensorArg('embedding', a, 'indices'), tensorArg('embedding', a, 'weight'), typeof a.padding_idx === 'number' ? a.padding_idx : -1),
};
