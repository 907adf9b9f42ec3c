import { KernelArgs, numArg } from './args';
import { isTensor, promote } from './common';
import { broadcastShapes } from './shape';
import { DType, ExtraSaved, Graph, KernelError, Tensor, numel } from './types';

/** A Python number operand; autograd sees it as a 0-dim float64/int64 "wrapped number" tensor. */
export type Operand = Tensor | number;

const WRAPPED: ExtraSaved = { shape: [], dtype: 'float64', label: 'wrapped scalar' };

export type BinaryKind = 'add' | 'sub' | 'mul' | 'div';

/**
 * Saved tensors of the four arithmetic ops (derivatives.yaml): add/sub keep nothing; mul keeps
 * each operand that the other's gradient needs; div keeps the divisor, and the dividend too when
 * the divisor needs grad. A Python scalar operand is saved as an 8-byte wrapped tensor
 * (measured: `att * scale` keeps 8 bytes on PyTorch 1.13 CPU).
 */
function savedFor(kind: BinaryKind, a: Operand, b: Operand): (Tensor | ExtraSaved)[] {
  const needA = isTensor(a) && a.requiresGrad;
  const needB = isTensor(b) && b.requiresGrad;
  const asSaved = (x: Operand): Tensor | ExtraSaved => (isTensor(x) ? x : WRAPPED);
  const saved: (Tensor | ExtraSaved)[] = [];
  if (kind === 'mul') {
    if (needA) saved.push(asSaved(b));
    if (needB) saved.push(asSaved(a));
  } else if (kind === 'div') {
    if (needA || needB) saved.push(asSaved(b));
    if (needB) saved.push(asSaved(a));
  }
  return saved;
}

function resultDtype(a: Operand, b: Operand): DType {
  if (isTensor(a) && isTensor(b)) {
    // A 0-dim tensor does not promote a higher-rank one of the same category (torch.result_type).
    if (a.shape.length === 0 && b.shape.length > 0) return b.dtype;
    if (b.shape.length === 0 && a.shape.length > 0) return a.dtype;
    return promote(a.dtype, b.dtype);
  }
  const t = (isTensor(a) ? a : b) as Tensor;
  const s = (isTensor(a) ? b : a) as number;
  if (!Number.isInteger(s) && (t.dtype === 'int64' || t.dtype === 'int32' || t.dtype === 'bool' || t.dtype === 'uint8')) return 'float32';
  return t.dtype;
}

/** `a (+|-|*|/) b` with broadcasting; at least one operand is a tensor. */
export function binary(g: Graph, kind: BinaryKind, a: Operand, b: Operand): Tensor {
  if (!isTensor(a) && !isTensor(b)) throw new KernelError(kind, 'expected at least one tensor operand');
  const shape = broadcastShapes(kind, isTensor(a) ? a.shape : [], isTensor(b) ? b.shape : []);
  let dtype = resultDtype(a, b);
  if (kind === 'div' && !['float64', 'float32', 'float16', 'bfloat16'].includes(dtype)) dtype = 'float32';
  const inputs = [a, b].filter(isTensor);
  return g.op({ kind, inputs, outputs: [{ shape, dtype }], save: () => savedFor(kind, a, b), flops: numel(shape) })[0];
}

/** `self op= other`, in place: shares self's storage; the other operand must broadcast to self. */
export function binaryInplace(g: Graph, kind: BinaryKind, self: Tensor, other: Operand): Tensor {
  const shape = broadcastShapes(`${kind}_`, self.shape, isTensor(other) ? other.shape : []);
  if (shape.length !== self.shape.length || shape.some((d, i) => d !== self.shape[i])) {
    throw new KernelError(`${kind}_`, `output with shape [${self.shape.join(', ')}] doesn't match the broadcast shape [${shape.join(', ')}]`);
  }
  return g.inplace(`${kind}_`, self, isTensor(other) ? [other] : [], () => savedFor(kind, self, other), numel(self.shape));
}

export function neg(g: Graph, x: Tensor): Tensor {
  return g.op({ kind: 'neg', inputs: [x], outputs: [{ shape: x.shape, dtype: x.dtype }], flops: numel(x.shape) })[0];
}

function operand(kind: string, a: KernelArgs, name: string): Operand {
  const v = a[name];
  if (isTensor(v)) return v;
  return numArg(kind, a, name);
}

/** `torch.add(input, other, alpha=…)`: alpha scales `other`, which costs no saved tensor. */
function withAlpha(kind: 'add' | 'sub') {
  return (g: Graph, a: KernelArgs) => binary(g, kind, operand(kind, a, 'input'), operand(kind, a, 'other'));
}

export const elementwiseRules = {
  add: withAlpha('add'),
  div: (g: Graph, a: KernelArgs) => binary(g, 'div', operand('div', a, 'input'), operand('div', a, 'other')),
  mul: (g: Graph, a: KernelArgs) => binary(g, 'mul', operand('mul', a, 'input'), operand('mul', a, 'other')),
  sub: withAlpha('sub'),
};
