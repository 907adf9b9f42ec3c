import { dropout, softmax } from './activation';
import { KernelArgs, boolArg, numArg, optNumArg, optTensorArg, tensorArg } from './args';
import { castLowPrecision, showShape } from './common';
import { binary } from './elementwise';
import { matmul } from './linear';
import { transpose } from './shapeops';
import { Graph, KernelError, Tensor, numel } from './types';

/**
 * `F.scaled_dot_product_attention(q, k, v)` (PyTorch ≥ 2.0; q `[…, L, E]`, k `[…, S, E]`,
 * v `[…, S, Ev]`). On CUDA the flash / memory-efficient kernels keep q, k, v, the output and a
 * float32 logsumexp `[…, L]` (derivatives.yaml `_scaled_dot_product_flash_attention`,
 * `_efficient_attention`). Elsewhere the math fallback runs as ordinary ops — scale, `q @ kᵀ`,
 * softmax, dropout, `@ v` — and keeps the `[…, L, S]` attention probabilities
 * (/work/shared/memory-model.md). Not measured: the ground truth here is PyTorch 1.13, which has
 * no such function (kernels/VERSIONS.md).
 */
export function scaledDotProductAttention(g: Graph, q0: Tensor, k0: Tensor, v0: Tensor, mask: Tensor | null, dropoutP: number, isCausal: boolean, scale: number | null): Tensor {
  const op = 'scaled_dot_product_attention';
  const [major, minor] = g.ctx.torch;
  if (major < 2) throw new KernelError(op, `does not exist in PyTorch ${major}.${minor} (added in 2.0)`);
  const [q, k, v] = castLowPrecision(g, [q0, k0, v0]);
  if (q.shape.length < 2 || k.shape.length !== q.shape.length || v.shape.length !== q.shape.length) {
    throw new KernelError(op, `expected query, key and value of the same rank ≥ 2, got ${showShape(q.shape)}, ${showShape(k.shape)}, ${showShape(v.shape)}`);
  }
  const r = q.shape.length;
  if (q.shape[r - 1] !== k.shape[r - 1]) throw new KernelError(op, `query and key must have the same embedding size, got ${q.shape[r - 1]} and ${k.shape[r - 1]}`);
  if (k.shape[r - 2] !== v.shape[r - 2]) throw new KernelError(op, `key and value must have the same sequence length, got ${k.shape[r - 2]} and ${v.shape[r - 2]}`);
  if (isCausal && mask) throw new KernelError(op, 'attn_mask and is_causal cannot both be set');
  const outShape = [...q.shape.slice(0, -1), v.shape[r - 1]];
  const [l, s, e] = [q.shape[r - 2], k.shape[r - 2], q.shape[r - 1]];
  const flops = 2 * numel(q.shape.slice(0, -2)) * l * s * (e + v.shape[r - 1]);
  if (g.ctx.device === 'cuda') {
    const lse = { shape: q.shape.slice(0, -1), dtype: 'float32' as const, label: 'logsumexp' };
    return g.op({
      kind: mask ? '_efficient_attention' : '_scaled_dot_product_flash_attention',
      inputs: mask ? [q, k, v, mask] : [q, k, v],
      outputs: [{ shape: outShape, dtype: q.dtype }],
      save: (outs) => [q, k, v, outs[0], lse, ...(mask ? [mask] : [])],
      flops,
    })[0];
  }
  const scaled = binary(g, 'mul', q, scale ?? 1 / Math.sqrt(e));
  let att = matmul(g, scaled, transpose(g, k, -2, -1));
  if (mask) att = binary(g, 'add', att, mask);
  att = softmax(g, '_softmax', att, -1);
  if (dropoutP > 0) att = dropout(g, att, dropoutP, true, false);
  return matmul(g, att, v);
}

export const attentionRules = {
  scaled_dot_product_attention: (g: Graph, a: KernelArgs) => {
    const op = 'scaled_dot_product_attention';
    return scaledDotProductAttention(g, tensorArg(op, a, 'query'), tensorArg(op, a, 'key'), tensorArg(op, a, 'value'), optTensorArg(op, a, 'attn_mask'), numArg(op, a, 'dropout_p', 0), boolArg(a, 'is_causal', false), optNumArg(op, a, 'scale'));
  },
};
