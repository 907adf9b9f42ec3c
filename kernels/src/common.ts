import { DType, Graph, Tensor, complexDtype, isComplex, isFloating, realDtype } from './types';

/**
 * The ops autocast casts, by the names its op lists use (`aten/src/ATen/autocast_mode.cpp`);
 * `conv` stands for conv1d/2d/3d, `loss` for the losses (cross_entropy_loss, nll_loss, mse_loss,
 * l1_loss, smooth_l1_loss, huber_loss, binary_cross_entropy(_with_logits), kl_div).
 */
export type AutocastOp =
  | 'conv' | 'conv_transpose' | 'linear' | 'matmul' | 'mm' | 'bmm' | 'addmm' | 'baddbmm' | 'einsum' | 'dot' | 'mv'
  | 'scaled_dot_product_attention' | 'softmax' | 'log_softmax' | 'layer_norm' | 'group_norm' | 'loss';

/**
 * What autocast does to an op's floating inputs in this context: cast them to the region's
 * low-precision dtype, up to float32, or leave them (`null`: the op promotes as usual).
 * - CPU (measured on 1.13, 2.13, 2.14: output dtypes and `_to_copy`s under `torch.autocast("cpu",
 *   torch.bfloat16)`): conv1d/2d/3d, linear, matmul, mm, bmm, addmm, baddbmm and (2.x) SDPA run
 *   in the low-precision dtype; the losses in float32. softmax, log_softmax, layer_norm and
 *   group_norm are on no CPU list (a bfloat16 input stays bfloat16); neither are dot and mv
 *   (float32 stays float32) nor einsum (its `bmm` casts the permuted operands). Transposed
 *   convolutions are on the float32 list in 1.13 and on the low-precision one from 2.0.
 * - elsewhere (CUDA; unmeasured): matmuls (mv too), convolutions (transposed too), einsum and SDPA
 *   run in the low-precision dtype; softmax, log_softmax, layer_norm, group_norm and the losses in
 *   float32; dot is on the `promote` list (same-dtype operands stay as they are).
 */
export function autocastPolicy(g: Graph, op: AutocastOp): 'lowp' | 'float32' | null {
  if (!g.ctx.autocast) return null;
  if (g.ctx.device !== 'cpu') {
    if (op === 'softmax' || op === 'log_softmax' || op === 'layer_norm' || op === 'group_norm' || op === 'loss') return 'float32';
    return op === 'dot' ? null : 'lowp';
  }
  switch (op) {
    case 'conv': case 'linear': case 'matmul': case 'mm': case 'bmm': case 'addmm': case 'baddbmm': case 'scaled_dot_product_attention':
      return 'lowp';
    case 'conv_transpose':
      return g.ctx.torch[0] >= 2 ? 'lowp' : 'float32';
    case 'loss':
      return 'float32';
    default: // softmax, log_softmax, layer_norm, group_norm, einsum, dot, mv
      return null;
  }
}

/**
 * Casts the inputs of `op` as autocast does (`autocastPolicy`): float16/bfloat16/float32 ones,
 * never float64 (`cached_cast` skips double); a cast parameter is cached per region.
 */
export function autocastInputs(g: Graph, op: AutocastOp, ts: readonly Tensor[]): Tensor[] {
  const policy = autocastPolicy(g, op);
  if (!policy) return [...ts];
  const to = policy === 'lowp' ? (g.ctx.autocast as DType) : 'float32';
  return ts.map((t) => (isFloating(t.dtype) && t.dtype !== 'float64' && t.dtype !== to ? g.autocastCopy(t, to) : t));
}

const FLOAT_RANK: DType[] = ['bool', 'uint8', 'int8', 'int16', 'int32', 'int64', 'bfloat16', 'float16', 'float32', 'float64'];

/** Type promotion of two tensor operands (a simplification of torch.result_type). */
export function promote(a: DType, b: DType): DType {
  if (isComplex(a) || isComplex(b)) return complexDtype(promote(realDtype(a), realDtype(b)));
  if ((a === 'float16' && b === 'bfloat16') || (a === 'bfloat16' && b === 'float16')) return 'float32';
  return FLOAT_RANK.indexOf(a) >= FLOAT_RANK.indexOf(b) ? a : b;
}

/** Shape text for error messages. */
export function showShape(shape: readonly number[]): string {
  return `[${shape.join(', ')}]`;
}

export function isTensor(v: unknown): v is Tensor {
  return typeof v === 'object' && v !== null && 'storage' in v && 'shape' in v;
}
