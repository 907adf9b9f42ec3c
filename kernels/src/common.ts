import { DType, Graph, Tensor, complexDtype, isComplex, isFloating, realDtype } from './types';

/** Autocast's low-precision op list (CUDA): these run in the region's dtype. */
export function castLowPrecision(g: Graph, ts: readonly Tensor[]): Tensor[] {
  const lowp = g.ctx.autocast;
  if (!lowp) return [...ts];
  return ts.map((t) => (isFloating(t.dtype) && t.dtype !== lowp ? g.autocastCopy(t, lowp) : t));
}

/** Autocast's float32 op list (softmax, norms, losses): inputs are cast up to float32. */
export function castFloat32(g: Graph, ts: readonly Tensor[]): Tensor[] {
  if (!g.ctx.autocast) return [...ts];
  return ts.map((t) => (isFloating(t.dtype) && t.dtype !== 'float32' ? g.autocastCopy(t, 'float32') : t));
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
