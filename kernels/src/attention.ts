import { dropout, softmax } from './activation';
import { KernelArgs, boolArg, numArg, optNumArg, optTensorArg, tensorArg } from './args';
import { atenOp } from './autograd';
import { autocastInputs, showShape } from './common';
import { binary } from './elementwise';
import { baddbmm, bmm, linear, matmul } from './linear';
import { atenTensor } from './dispatch';
import { broadcastShapes, stridesLike } from './shape';
import { cat, chunk, contiguous, expand, permute, repeat, reshape, splitSizes, squeeze, transpose, unflatten, unsqueeze, view } from './shapeops';
import { select } from './indexing';
import { Graph, KernelError, Tensor, isFloating, numel } from './types';

/**
 * `F.scaled_dot_product_attention(q, k, v)` (PyTorch ≥ 2.0; q `[…, L, E]`, k `[…, S, E]`,
 * v `[…, S, Ev]`), by the kernel PyTorch picks:
 * - CUDA: the flash / memory-efficient kernels keep q, k, v, the output and a float32
 *   logsumexp `[…, L]` (derivatives.yaml `_scaled_dot_product_flash_attention`,
 *   `_scaled_dot_product_efficient_attention`; unmeasured);
 * - CPU from 2.2, 4-D inputs (3-D ones too from 2.14) without dropout and without a mask that
 *   needs grad: `_scaled_dot_product_flash_attention_for_cpu`, which keeps q, k, v, the output,
 *   the logsumexp and a float mask (a bool mask is first made a float one by `where`) — measured
 *   on 2.13/2.14 CPU;
 * - otherwise the math fallback: q and kᵀ each scaled by √scale, `q @ kᵀ`, softmax
 *   (`_safe_softmax` from 2.5), dropout, `@ v`, which keeps the `[…, L, S]` probabilities. It
 *   computes in float32: a float16/bfloat16 q, k or v is first copied by `.to(float)` (keeping
 *   its memory order), and the output and the (discarded) attention weights are cast back, so
 *   everything it keeps is float32 (measured on 2.13/2.14 CPU, under bfloat16 autocast too).
 * Under autocast SDPA is on the low-precision list (CPU from 2.0 too): q, k, v are cast first and
 * the ops it runs inside are not cast again.
 */
export function scaledDotProductAttention(g: Graph, q0: Tensor, k0: Tensor, v0: Tensor, mask0: Tensor | null, dropoutP: number, isCausal: boolean, scale: number | null): Tensor {
  const op = 'scaled_dot_product_attention';
  const [major, minor] = g.ctx.torch;
  if (major < 2) throw new KernelError(op, `does not exist in PyTorch ${major}.${minor} (added in 2.0)`);
  const [q, k, v] = autocastInputs(g, 'scaled_dot_product_attention', [q0, k0, v0]);
  if (q.shape.length < 2 || k.shape.length !== q.shape.length || v.shape.length !== q.shape.length) {
    throw new KernelError(op, `expected query, key and value of the same rank ≥ 2, got ${showShape(q.shape)}, ${showShape(k.shape)}, ${showShape(v.shape)}`);
  }
  const r = q.shape.length;
  if (q.shape[r - 1] !== k.shape[r - 1]) throw new KernelError(op, `query and key must have the same embedding size, got ${q.shape[r - 1]} and ${k.shape[r - 1]}`);
  if (k.shape[r - 2] !== v.shape[r - 2]) throw new KernelError(op, `key and value must have the same sequence length, got ${k.shape[r - 2]} and ${v.shape[r - 2]}`);
  if (isCausal && mask0) throw new KernelError(op, 'attn_mask and is_causal cannot both be set');
  const outShape = [...q.shape.slice(0, -1), v.shape[r - 1]];
  const [l, s, e] = [q.shape[r - 2], k.shape[r - 2], q.shape[r - 1]];
  const flops = 2 * numel(q.shape.slice(0, -2)) * l * s * (e + v.shape[r - 1]);
  const lse = { shape: q.shape.slice(0, -1), dtype: 'float32' as const, differentiable: false };
  // The fused kernels write their output in the query's memory order (measured on 2.13/2.14 CPU: a
  // `[B, L, H, E]` query viewed as `[B, H, L, E]` gives an output whose `transpose(1, 2)` is
  // contiguous; MultiheadAttention's `[L, B·H, E]` one gives an output whose `permute(2, 0, 1, 3)` is).
  const fused = { shape: outShape, dtype: q.dtype, strides: r === 4 ? stridesLike(outShape, q) : undefined };
  if (g.ctx.device === 'cuda') {
    // Flash returns (output, logsumexp, …, philox seed/offset); the efficient kernel takes the mask as `attn_bias`.
    if (mask0) return atenOp(g, '_scaled_dot_product_efficient_attention', { query: q, key: k, value: v, attn_bias: mask0 }, [fused, lse], { flops })[0];
    return atenOp(g, '_scaled_dot_product_flash_attention', { query: q, key: k, value: v }, [fused, lse], { flops })[0];
  }
  // A bool mask becomes a float one (0 where kept, -inf elsewhere) before either CPU path.
  const mask = mask0 && mask0.dtype === 'bool' ? atenTensor(g, 'where.self', { condition: mask0, self: g.create('scalar_tensor', [], q.dtype), other: g.create('scalar_tensor', [], q.dtype) }) : mask0;
  // The CPU flash kernel takes no dropout and no mask that needs grad (measured on 2.13/2.14: a
  // float mask that requires grad runs the math path); 2.14 also runs it on 3-D inputs, unsqueezed
  // to a batch of one.
  const maskNeedsGrad = !!mask0 && mask0.requiresGrad && g.ctx.gradEnabled;
  if (dropoutP === 0 && !maskNeedsGrad && (major > 2 || minor >= 2) && (r === 4 || (r === 3 && (major > 2 || minor >= 14)))) {
    if (r === 3) {
      const [q4, k4, v4] = [q, k, v].map((t) => unsqueeze(g, t, 0));
      const out = atenOp(g, '_scaled_dot_product_flash_attention_for_cpu', { query: q4, key: k4, value: v4, attn_mask: mask }, [{ shape: [1, ...outShape], dtype: q.dtype }, { shape: [1, ...lse.shape], dtype: 'float32', differentiable: false }], { flops })[0];
      return squeeze(g, out, 0);
    }
    return atenOp(g, '_scaled_dot_product_flash_attention_for_cpu', { query: q, key: k, value: v, attn_mask: mask }, [fused, lse], { flops })[0];
  }
  const origin = q.dtype;
  const [qa, ka, va] = [q, k, v].map((t) => (t.dtype === 'float16' || t.dtype === 'bfloat16' ? atenOp(g, '_to_copy', { self: t, dtype: { dtype: 'float32' } }, [{ shape: t.shape, dtype: 'float32', strides: stridesLike(t.shape, t) }])[0] : t));
  const root = Math.sqrt(scale ?? 1 / Math.sqrt(e));
  const qs = atenTensor(g, 'mul.Scalar', { self: qa, other: root });
  const kt = atenTensor(g, 'mul.Scalar', { self: transpose(g, ka, -2, -1), other: root });
  let att = matmul(g, qs, kt, null);
  // is_causal: a lower-triangular bool mask, made a float one (0 / -inf), added like any mask.
  // Eager PyTorch adds the mask in place (`add_`; 2.13/2.14 profiler) unless a tensor looks like a
  // subclass, which it does under a TorchDispatchMode (the measurement harness sees `add`): kept
  // out of place, as measured — the matmul result is a view here, and an in-place op on it would
  // be simulated as autograd's CopySlices.
  const additive = isCausal ? g.create('tril', [l, s], att.dtype) : mask;
  if (additive) att = binary(g, 'add', att, additive);
  att = major > 2 || minor >= 5 ? atenOp(g, '_safe_softmax', { self: att, dim: -1 }, [{ shape: att.shape, dtype: att.dtype }], { flops: 5 * numel(att.shape) })[0] : softmax(g, '_softmax', att, -1);
  if (dropoutP > 0) att = dropout(g, att, dropoutP, true, false);
  // (output.to(origin), attn.to(origin)): the weights' copy is made first and dropped by the caller.
  if (att.dtype !== origin) atenOp(g, '_to_copy', { self: att, dtype: { dtype: origin } }, [{ shape: att.shape, dtype: origin }]);
  const out = matmul(g, att, va, null);
  return out.dtype === origin ? out : atenOp(g, '_to_copy', { self: out, dtype: { dtype: origin } }, [{ shape: out.shape, dtype: origin }])[0];
}

/** aten rows: schema argument names. */
export const attentionAten = {
  scaled_dot_product_attention: (g: Graph, a: KernelArgs) => {
    const op = 'scaled_dot_product_attention';
    return scaledDotProductAttention(g, tensorArg(op, a, 'query'), tensorArg(op, a, 'key'), tensorArg(op, a, 'value'), optTensorArg(op, a, 'attn_mask'), numArg(op, a, 'dropout_p', 0), boolArg(a, 'is_causal', false), optNumArg(op, a, 'scale'));
  },
};

/** Arguments of `F.multi_head_attention_forward` the engine models (torch's names, seq-first layout). */
export interface MhaArgs {
  /** `[L, N, E]` or unbatched `[L, E]`; key/value `[S, N, Ek]`/`[S, N, Ev]`. Identity (`q is k`) picks the packed projection. */
  readonly query: Tensor;
  readonly key: Tensor;
  readonly value: Tensor;
  readonly numHeads: number;
  /** Packed `[3E, E]` weight, or null with `qkvWeights` (kdim/vdim ≠ embed_dim). */
  readonly inProjWeight: Tensor | null;
  readonly qkvWeights: readonly [Tensor, Tensor, Tensor] | null;
  readonly inProjBias: Tensor | null;
  readonly biasK: Tensor | null;
  readonly biasV: Tensor | null;
  readonly addZeroAttn: boolean;
  readonly dropoutP: number;
  readonly outProjWeight: Tensor;
  readonly outProjBias: Tensor | null;
  readonly training: boolean;
  readonly keyPaddingMask: Tensor | null;
  readonly needWeights: boolean;
  readonly attnMask: Tensor | null;
  readonly averageAttnWeights: boolean;
  /** A hint that `attn_mask` is causal (2.x); with `need_weights=False` and no padding mask the mask is dropped for SDPA's own. */
  readonly isCausal?: boolean;
}

/** A tensor made from non-differentiable inputs (mask conversions, zero padding): a temporary, nothing saved. */
function fresh(g: Graph, kind: string, inputs: readonly Tensor[], shape: readonly number[], dtype: Tensor['dtype']): Tensor {
  return g.op({ kind, inputs, outputs: [{ shape, dtype, differentiable: false }] })[0];
}

/**
 * `F.multi_head_attention_forward` on its math path (PyTorch 1.13 `torch/nn/functional.py`; the
 * only path while training). Self-attention (`q is k is v`) projects once with the packed weight
 * and `chunk(3)`s the result, so q, k and v are each copied by `.contiguous()`; otherwise q is
 * projected alone and k/v share a `chunk(2)` (k is v) or all three are projected separately.
 * What autograd keeps, measured on 1.13 CPU (test/fixtures/mha_block.py, transformer_lm.py): the
 * projection inputs (a `[L·N, E]` copy when the input is a transposed batch-first view), the
 * 8-byte scale `1/√d` of `q / √d`, the scaled q and kᵀ (`baddbmm`/`bmm`), the softmax output, the
 * dropout noise and the dropped probabilities with v (`bmm`), the out-projection's input copy,
 * and with `need_weights` the 8-byte `num_heads` divisor of the head average.
 */
export function multiHeadAttentionForward(g: Graph, a: MhaArgs): { output: Tensor; weights: Tensor | null } {
  if (g.ctx.torch[0] >= 2) return multiHeadAttentionForward2(g, a);
  const op = 'multi_head_attention_forward';
  const { batched, sameQK, sameKV, query, key, value, tgtLen, bsz, embed, heads, headDim } = mhaInputs(g, op, a);
  let kpm = a.keyPaddingMask && !batched ? unsqueeze(g, a.keyPaddingMask, 0) : a.keyPaddingMask;
  if (kpm && kpm.dtype !== 'bool' && !isFloating(kpm.dtype)) throw new KernelError(op, 'only bool and floating types of key_padding_mask are supported');

  // In-projection.
  let q: Tensor;
  let k: Tensor;
  let v: Tensor;
  const bias3 = a.inProjBias ? chunk(g, a.inProjBias, 3, 0) : [null, null, null];
  if (a.inProjWeight) {
    if (a.inProjWeight.shape[0] !== 3 * embed || a.inProjWeight.shape[1] !== embed) throw new KernelError(op, `in_proj_weight ${showShape(a.inProjWeight.shape)} does not match embed_dim ${embed}`);
    if (key.shape[2] !== embed || value.shape[2] !== embed) throw new KernelError(op, `key and value must have embed_dim ${embed} features with a packed in_proj_weight, got ${key.shape[2]} and ${value.shape[2]}`);
    if (sameKV && sameQK) {
      [q, k, v] = chunk(g, linear(g, query, a.inProjWeight, a.inProjBias), 3, -1);
    } else if (sameKV) {
      const [wq, wkv] = splitSizes(g, a.inProjWeight, [embed, 2 * embed], 0);
      const [bq, bkv] = a.inProjBias ? splitSizes(g, a.inProjBias, [embed, 2 * embed], 0) : [null, null];
      q = linear(g, query, wq, bq);
      [k, v] = chunk(g, linear(g, key, wkv, bkv), 2, -1);
    } else {
      const [wq, wk, wv] = chunk(g, a.inProjWeight, 3, 0);
      [q, k, v] = [linear(g, query, wq, bias3[0]), linear(g, key, wk, bias3[1]), linear(g, value, wv, bias3[2])];
    }
  } else if (a.qkvWeights) {
    const [wq, wk, wv] = a.qkvWeights;
    [q, k, v] = [linear(g, query, wq, bias3[0]), linear(g, key, wk, bias3[1]), linear(g, value, wv, bias3[2])];
  } else {
    throw new KernelError(op, 'needs in_proj_weight or q/k/v_proj_weight');
  }

  let mask = a.attnMask;
  let srcLen = key.shape[0];
  if (mask) {
    if (mask.dtype === 'uint8') mask = fresh(g, '_to_copy', [mask], mask.shape, 'bool');
    else if (mask.dtype !== 'bool' && !isFloating(mask.dtype)) throw new KernelError(op, `only float, byte and bool attn_mask are supported, not ${mask.dtype}`);
    const want = mask.shape.length === 2 ? [tgtLen, srcLen] : [bsz * heads, tgtLen, srcLen];
    if (mask.shape.length !== 2 && mask.shape.length !== 3) throw new KernelError(op, `attn_mask's dimension ${mask.shape.length} is not supported`);
    if (mask.shape.some((d, i) => d !== want[i])) throw new KernelError(op, `the shape of the ${mask.shape.length}-D attn_mask is ${showShape(mask.shape)}, but should be ${showShape(want)}`);
    if (mask.shape.length === 2) mask = unsqueeze(g, mask, 0);
  }
  const padLast = (t: Tensor | null) => (t ? fresh(g, 'constant_pad_nd', [t], [...t.shape.slice(0, -1), t.shape[t.shape.length - 1] + 1], t.dtype) : null);
  if (a.biasK && a.biasV) {
    k = cat(g, [k, repeat(g, a.biasK, [1, bsz, 1])], 0);
    v = cat(g, [v, repeat(g, a.biasV, [1, bsz, 1])], 0);
    mask = padLast(mask);
    kpm = padLast(kpm);
  }
  q = transpose(g, view(g, contiguous(g, q), [tgtLen, bsz * heads, headDim]), 0, 1);
  k = transpose(g, view(g, contiguous(g, k), [k.shape[0], bsz * heads, headDim]), 0, 1);
  v = transpose(g, view(g, contiguous(g, v), [v.shape[0], bsz * heads, headDim]), 0, 1);
  if (a.addZeroAttn) {
    const zeros = fresh(g, 'zeros', [], [bsz * heads, 1, headDim], k.dtype);
    k = cat(g, [k, zeros], 1);
    v = cat(g, [v, zeros], 1);
    mask = padLast(mask);
    kpm = padLast(kpm);
  }
  srcLen = k.shape[1];
  if (kpm) {
    if (kpm.shape.length !== 2 || kpm.shape[0] !== bsz || kpm.shape[1] !== srcLen) throw new KernelError(op, `expecting key_padding_mask shape of [${bsz}, ${srcLen}], but got ${showShape(kpm.shape)}`);
    // view → expand → reshape: a copy `[N·H, 1, S]`.
    const expanded = fresh(g, '_reshape_copy', [kpm], [bsz * heads, 1, srcLen], kpm.dtype);
    if (!mask) mask = expanded;
    else mask = fresh(g, mask.dtype === 'bool' ? 'logical_or' : 'masked_fill', [mask, expanded], broadcastShapes(op, mask.shape, expanded.shape), mask.dtype);
  }
  if (mask && mask.dtype === 'bool') mask = fresh(g, 'masked_fill_', [mask], mask.shape, q.dtype);

  const scaled = binary(g, 'div', q, Math.sqrt(headDim), true);
  const kt = transpose(g, k, -2, -1);
  let attn = mask ? baddbmm(g, mask, scaled, kt) : bmm(g, scaled, kt);
  attn = softmax(g, '_softmax', attn, -1);
  if (a.training && a.dropoutP > 0) attn = dropout(g, attn, a.dropoutP, true, false);
  let out = bmm(g, attn, v);
  out = view(g, contiguous(g, transpose(g, out, 0, 1)), [tgtLen * bsz, embed]);
  out = view(g, linear(g, out, a.outProjWeight, a.outProjBias), [tgtLen, bsz, a.outProjWeight.shape[0]]);
  let weights: Tensor | null = null;
  if (a.needWeights) {
    weights = view(g, attn, [bsz, heads, tgtLen, srcLen]);
    if (a.averageAttnWeights) weights = binary(g, 'div', atenTensor(g, 'sum.dim_IntList', { self: weights, dim: [1], keepdim: false }), heads);
    if (!batched) weights = squeeze(g, weights, 0);
  }
  if (!batched) out = squeeze(g, out, 1);
  return { output: out, weights };
}

/** `_canonical_mask` (2.x): a bool mask becomes a float one, `zeros_like(mask, dtype).masked_fill_(mask, -inf)`. */
function canonicalMask(g: Graph, op: string, mask: Tensor | null, dtype: Tensor['dtype']): Tensor | null {
  if (!mask) return null;
  if (mask.dtype !== 'bool' && !isFloating(mask.dtype)) throw new KernelError(op, `only bool and floating types of masks are supported, not ${mask.dtype}`);
  return mask.dtype === 'bool' ? fresh(g, 'zeros_like', [mask], mask.shape, dtype) : mask;
}

/** Splits a packed projection `[…, n·E]` the 2.x way: `unflatten(-1, (n, E)).unsqueeze(0).transpose(0, -2).squeeze(-2).contiguous()`, then `proj[i]`. */
function packedSplit(g: Graph, proj: Tensor, n: number, embed: number): Tensor[] {
  let t = unflatten(g, proj, -1, [n, embed]);
  t = squeeze(g, transpose(g, unsqueeze(g, t, 0), 0, -2), -2);
  t = contiguous(g, t);
  return Array.from({ length: n }, (_, i) => select(g, t, 0, i));
}

/**
 * The checks and shapes both releases' `multi_head_attention_forward` start with: 3-D (or unbatched
 * 2-D, unsqueezed) query, key and value, whether q is k and k is v (one projection then), and the
 * head split of the embedding.
 */
function mhaInputs(g: Graph, op: string, a: MhaArgs) {
  const batched = a.query.shape.length === 3;
  if (batched ? a.key.shape.length !== 3 || a.value.shape.length !== 3 : a.query.shape.length !== 2 || a.key.shape.length !== 2 || a.value.shape.length !== 2) {
    throw new KernelError(op, `query, key and value must all be 3-D (batched) or 2-D (unbatched), got ${showShape(a.query.shape)}, ${showShape(a.key.shape)}, ${showShape(a.value.shape)}`);
  }
  const lift = (t: Tensor) => (batched ? t : unsqueeze(g, t, 1));
  // Unbatched inputs are each unsqueezed first, so `q is k` no longer holds: three projections.
  const sameQK = batched && a.query === a.key;
  const sameKV = batched && a.key === a.value;
  const query = lift(a.query);
  const key = sameQK ? query : lift(a.key);
  const value = sameKV ? key : lift(a.value);
  const [tgtLen, bsz, embed] = query.shape;
  const heads = a.numHeads;
  const headDim = Math.floor(embed / heads);
  if (headDim * heads !== embed) throw new KernelError(op, `embed_dim ${embed} not divisible by num_heads ${heads}`);
  if (key.shape[1] !== bsz || value.shape[1] !== bsz || key.shape[0] !== value.shape[0]) {
    throw new KernelError(op, `key ${showShape(key.shape)} and value ${showShape(value.shape)} must match the query's batch and each other's sequence length`);
  }
  return { batched, sameQK, sameKV, query, key, value, tgtLen, bsz, embed, heads, headDim };
}

/**
 * `F.multi_head_attention_forward` of PyTorch 2.x (identical in 2.13 and 2.14): bool masks are made
 * float first; the packed projection is split by one contiguous `[3, L, N, E]` (or `[2, S, N, E]`)
 * copy whose slices q, k, v view; with `need_weights` the math path (`q · √(1/d)`, `baddbmm`/`bmm`,
 * softmax, dropout, `bmm`, head `mean`); without it `scaled_dot_product_attention` on
 * `[N, H, L, d]` views (on CPU the fused flash kernel when dropout is off).
 */
function multiHeadAttentionForward2(g: Graph, a: MhaArgs): { output: Tensor; weights: Tensor | null } {
  const op = 'multi_head_attention_forward';
  const { batched, sameQK, sameKV, query, key, value, tgtLen, bsz, embed, heads, headDim } = mhaInputs(g, op, a);
  let kpm = canonicalMask(g, op, a.keyPaddingMask && !batched ? unsqueeze(g, a.keyPaddingMask, 0) : a.keyPaddingMask, query.dtype);
  let isCausal = Boolean(a.isCausal);
  if (isCausal && !a.attnMask) throw new KernelError(op, 'Need attn_mask if specifying the is_causal hint');
  let mask: Tensor | null;
  if (isCausal && !kpm && !a.needWeights) mask = null;
  else {
    mask = canonicalMask(g, op, a.attnMask, query.dtype);
    if (kpm) isCausal = false;
  }

  let q: Tensor;
  let k: Tensor;
  let v: Tensor;
  if (a.inProjWeight) {
    if (a.inProjWeight.shape[0] !== 3 * embed || a.inProjWeight.shape[1] !== embed) throw new KernelError(op, `in_proj_weight ${showShape(a.inProjWeight.shape)} does not match embed_dim ${embed}`);
    if (key.shape[2] !== embed || value.shape[2] !== embed) throw new KernelError(op, `key and value must have embed_dim ${embed} features with a packed in_proj_weight, got ${key.shape[2]} and ${value.shape[2]}`);
    if (sameKV && sameQK) {
      [q, k, v] = packedSplit(g, linear(g, query, a.inProjWeight, a.inProjBias), 3, embed);
    } else if (sameKV) {
      const [wq, wkv] = splitSizes(g, a.inProjWeight, [embed, 2 * embed], 0);
      const [bq, bkv] = a.inProjBias ? splitSizes(g, a.inProjBias, [embed, 2 * embed], 0) : [null, null];
      q = linear(g, query, wq, bq);
      [k, v] = packedSplit(g, linear(g, key, wkv, bkv), 2, embed);
    } else {
      const [wq, wk, wv] = chunk(g, a.inProjWeight, 3, 0);
      const [bq, bk, bv] = a.inProjBias ? chunk(g, a.inProjBias, 3, 0) : [null, null, null];
      [q, k, v] = [linear(g, query, wq, bq), linear(g, key, wk, bk), linear(g, value, wv, bv)];
    }
  } else if (a.qkvWeights) {
    const [wq, wk, wv] = a.qkvWeights;
    const [bq, bk, bv] = a.inProjBias ? chunk(g, a.inProjBias, 3, 0) : [null, null, null];
    [q, k, v] = [linear(g, query, wq, bq), linear(g, key, wk, bk), linear(g, value, wv, bv)];
  } else {
    throw new KernelError(op, 'needs in_proj_weight or q/k/v_proj_weight');
  }

  let srcLen = key.shape[0];
  if (mask) {
    const want = mask.shape.length === 2 ? [tgtLen, srcLen] : [bsz * heads, tgtLen, srcLen];
    if (mask.shape.length !== 2 && mask.shape.length !== 3) throw new KernelError(op, `attn_mask's dimension ${mask.shape.length} is not supported`);
    if (mask.shape.some((d, i) => d !== want[i])) throw new KernelError(op, `the shape of the ${mask.shape.length}-D attn_mask is ${showShape(mask.shape)}, but should be ${showShape(want)}`);
    if (mask.shape.length === 2) mask = unsqueeze(g, mask, 0);
  }
  const padLast = (t: Tensor | null) => (t ? fresh(g, 'constant_pad_nd', [t], [...t.shape.slice(0, -1), t.shape[t.shape.length - 1] + 1], t.dtype) : null);
  if (a.biasK && a.biasV) {
    k = cat(g, [k, repeat(g, a.biasK, [1, bsz, 1])], 0);
    v = cat(g, [v, repeat(g, a.biasV, [1, bsz, 1])], 0);
    mask = padLast(mask);
    kpm = padLast(kpm);
  }
  q = transpose(g, view(g, q, [tgtLen, bsz * heads, headDim]), 0, 1);
  k = transpose(g, view(g, k, [k.shape[0], bsz * heads, headDim]), 0, 1);
  v = transpose(g, view(g, v, [v.shape[0], bsz * heads, headDim]), 0, 1);
  if (a.addZeroAttn) {
    const zeros = fresh(g, 'zeros', [], [bsz * heads, 1, headDim], k.dtype);
    k = cat(g, [k, zeros], 1);
    v = cat(g, [v, zeros], 1);
    mask = padLast(mask);
    kpm = padLast(kpm);
  }
  srcLen = k.shape[1];
  if (kpm) {
    if (kpm.shape.length !== 2 || kpm.shape[0] !== bsz || kpm.shape[1] !== srcLen) throw new KernelError(op, `expecting key_padding_mask shape of [${bsz}, ${srcLen}], but got ${showShape(kpm.shape)}`);
    const expanded = reshape(g, expand(g, view(g, kpm, [bsz, 1, 1, srcLen]), [-1, heads, -1, -1]), [bsz * heads, 1, srcLen]);
    mask = mask ? fresh(g, 'add', [mask, expanded], broadcastShapes(op, mask.shape, expanded.shape), mask.dtype) : expanded;
  }
  const dropoutP = a.training ? a.dropoutP : 0;

  if (a.needWeights) {
    if (isCausal && !mask) throw new KernelError(op, 'is_causal is not implemented with need_weights');
    const scaled = atenTensor(g, 'mul.Scalar', { self: q, other: Math.sqrt(1 / headDim) });
    const kt = transpose(g, k, -2, -1);
    let attn = mask ? baddbmm(g, mask, scaled, kt) : bmm(g, scaled, kt);
    attn = softmax(g, '_softmax', attn, -1);
    if (dropoutP > 0) attn = dropout(g, attn, dropoutP, true, false);
    let out = bmm(g, attn, v);
    out = reshape(g, transpose(g, out, 0, 1), [tgtLen * bsz, embed]);
    out = view(g, linear(g, out, a.outProjWeight, a.outProjBias), [tgtLen, bsz, a.outProjWeight.shape[0]]);
    let weights = view(g, attn, [bsz, heads, tgtLen, srcLen]);
    if (a.averageAttnWeights) weights = atenTensor(g, 'mean.dim', { self: weights, dim: [1], keepdim: false });
    if (!batched) {
      out = squeeze(g, out, 1);
      weights = squeeze(g, weights, 0);
    }
    return { output: out, weights };
  }
  if (mask) mask = mask.shape[0] === 1 && mask.shape.length === 3 ? unsqueeze(g, mask, 0) : view(g, mask, [bsz, heads, -1, srcLen]);
  const q4 = view(g, q, [bsz, heads, tgtLen, headDim]);
  const k4 = view(g, k, [bsz, heads, srcLen, headDim]);
  const v4 = view(g, v, [bsz, heads, srcLen, headDim]);
  let out = scaledDotProductAttention(g, q4, k4, v4, mask, dropoutP, isCausal, null);
  out = reshape(g, permute(g, out, [2, 0, 1, 3]), [bsz * tgtLen, embed]);
  out = view(g, linear(g, out, a.outProjWeight, a.outProjBias), [tgtLen, bsz, a.outProjWeight.shape[0]]);
  if (!batched) out = squeeze(g, out, 1);
  return { output: out, weights: null };
}
