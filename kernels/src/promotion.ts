// torch.result_type: the dtype an op computes in when its operands differ. Operands of a higher
// kind (bool < integer < floating) win; within a kind, tensors with dimensions outrank 0-dim
// tensors, which outrank Python numbers. A 0-dim tensor of a higher kind than the operands above it
// brings its own dtype; a Python number of a higher kind brings that kind's default (float32, int64).
import { isTensor } from './common';
import { DType, Tensor, complexDtype, isComplex, isFloating, realDtype } from './types';

type Kind = 0 | 1 | 2 | 3;

function kindOf(d: DType): Kind {
  if (d === 'bool') return 0;
  if (isComplex(d)) return 3;
  return isFloating(d) ? 2 : 1;
}

const WIDER: readonly DType[] = ['bool', 'uint8', 'int8', 'int16', 'int32', 'int64', 'float16', 'bfloat16', 'float32', 'float64'];

/**
 * Promotion of two dtypes of tensors with dimensions (torch.promote_types). With a complex
 * operand the result is complex with the promoted parts: float64 and complex64 give complex128.
 */
export function promoteTypes(a: DType, b: DType): DType {
  if (a === b) return a;
  if (isComplex(a) || isComplex(b)) return complexDtype(promoteTypes(realDtype(a), realDtype(b)));
  if ((a === 'float16' && b === 'bfloat16') || (a === 'bfloat16' && b === 'float16')) return 'float32';
  if ((a === 'uint8' && b === 'int8') || (a === 'int8' && b === 'uint8')) return 'int16';
  return WIDER.indexOf(a) >= WIDER.indexOf(b) ? a : b;
}

/** A Python float whose value may be whole (`2.0`), which a plain number would promote as an int. */
export interface FloatScalar {
  readonly float: number;
}

/** A Python number operand (bool, int or float) as the promotion sees it. */
export type ScalarOperand = number | boolean | FloatScalar;

function scalarDtype(v: ScalarOperand): DType {
  if (typeof v === 'boolean') return 'bool';
  if (typeof v === 'object') return 'float64';
  return Number.isInteger(v) ? 'int64' : 'float64';
}

const DEFAULT_OF: Record<Kind, DType> = { 0: 'bool', 1: 'int64', 2: 'float32', 3: 'complex64' };

/** `torch.result_type` over tensors and Python numbers (a null operand is skipped). */
export function resultType(operands: readonly (Tensor | ScalarOperand | null | undefined)[]): DType {
  // Three priority classes, each keeping its widest dtype: dimensioned tensors, 0-dim tensors, numbers.
  const best: (DType | null)[] = [null, null, null];
  for (const o of operands) {
    if (o === null || o === undefined) continue;
    const [cls, d] = isTensor(o) ? [o.shape.length > 0 ? 0 : 1, o.dtype] : [2, scalarDtype(o)];
    best[cls] = best[cls] ? promoteTypes(best[cls]!, d) : d;
  }
  let result: DType | null = null;
  best.forEach((d, cls) => {
    if (d === null) return;
    if (result === null) result = cls === 2 ? DEFAULT_OF[kindOf(d)] : d;
    // A 0-dim tensor of a higher kind keeps its own dtype; a Python number brings its kind's default.
    else if (kindOf(d) > kindOf(result)) result = cls === 2 ? DEFAULT_OF[kindOf(d)] : d;
  });
  return result ?? 'float32';
}

/** The default floating dtype for an integral or bool result (true division, `sin` of ints); complex stays. */
export function toFloating(d: DType): DType {
  return isFloating(d) || isComplex(d) ? d : 'float32';
}
