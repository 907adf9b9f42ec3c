// Arithmetic between tensors and numbers for the kernels' own use (`q / √d`, a residual add):
// the pointwise aten ops through the table, so what they keep comes from derivatives.yaml.
import { withPyFloats } from './args';
import { isTensor } from './common';
import { atenTensor } from './dispatch';
import { Graph, KernelError, Tensor } from './types';

/** A Python number operand; the argument parser wraps it in a 0-dim "wrapped number" tensor. */
export type Operand = Tensor | number;

export type BinaryKind = 'add' | 'sub' | 'mul' | 'div';

/**
 * `a (+|-|*|/) b` with broadcasting; `a` is a tensor (aten `add.Tensor` and friends). `floatB`: a
 * number `b` is a Python float (`math.sqrt(d)` is 2.0, not 2), which decides its wrapped dtype.
 */
export function binary(g: Graph, kind: BinaryKind, a: Operand, b: Operand, floatB = false): Tensor {
  if (!isTensor(a)) throw new KernelError(kind, 'expected a tensor left operand');
  const args = kind === 'add' || kind === 'sub' ? { self: a, other: b, alpha: 1 } : { self: a, other: b };
  return atenTensor(g, `${kind}.Tensor`, floatB ? withPyFloats(args, new Set(['other'])) : args);
}

/** `self op= other`, in place: shares self's storage; the other operand must broadcast to self. */
export function binaryInplace(g: Graph, kind: BinaryKind, self: Tensor, other: Operand): Tensor {
  return atenTensor(g, `${kind}_.Tensor`, kind === 'add' || kind === 'sub' ? { self, other, alpha: 1 } : { self, other });
}

export function neg(g: Graph, x: Tensor): Tensor {
  return atenTensor(g, 'neg', { self: x });
}
