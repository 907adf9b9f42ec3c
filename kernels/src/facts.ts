// What a tensor is rather than what it computes: introspection (`is_signed`, `get_device`,
// `storage_offset`, `numel`), the identities of real tensors (`conj`, `resolve_conj`,
// `resolve_neg` return self: no op runs), Python's conversions (`bool(x)`, `int(x)`, `x.__index__()`:
// the element, when known), dtype facts (`result_type`, `can_cast`, `promote_types`), the bitwise
// operators (`x & y` is `bitwise_and`) and the legacy `x.new(...)`. Measured on 1.13 and 2.14 CPU.
import { KernelArgs, tensorArg } from './args';
import { atenBase } from './catalog';
import { isTensor, showShape } from './common';
import { atenTensor, callAten } from './dispatch';
import { factory } from './factories';
import { promoteTypes, resultType } from './promotion';
import { DType, DTypeValue, Graph, KernelError, KResult, OpCall, Tensor, isFloating, numel } from './types';

const overloadOf = (call: OpCall) => call.aten ?? call.name;
const self = (op: string, a: KernelArgs) => tensorArg(op, a, 'self' in a ? 'self' : 'input');

/** A real tensor is its own conjugate (`conj`, `resolve_conj`, `resolve_neg`, `positive` of real): self. */
export function identity(_g: Graph, a: KernelArgs, call: OpCall): KResult {
  return self(atenBase(overloadOf(call)), a);
}

/** `adjoint(self)` of a real tensor: the last two dims swapped (a view); a 0-dim tensor is itself. */
export function adjoint(g: Graph, a: KernelArgs): KResult {
  const t = self('adjoint', a);
  if (t.shape.length === 0) return t;
  if (t.shape.length === 1) throw new KernelError('adjoint', 'tensor.adjoint() is only supported on matrices or batches of matrices. Got 1-D tensor.');
  return callAten(g, 'transpose.int', { self: t, dim0: -2, dim1: -1 });
}

/** Facts about a tensor that are plain values. */
export const tensorFacts = {
  dim: (_g: Graph, a: KernelArgs): KResult => self('dim', a).shape.length,
  get_device: (g: Graph): KResult => (g.ctx.device === 'cpu' ? -1 : 0),
  is_complex: (_g: Graph, a: KernelArgs): KResult => (self('is_complex', a), false),
  is_conj: (_g: Graph, a: KernelArgs): KResult => (self('is_conj', a), false),
  is_floating_point: (_g: Graph, a: KernelArgs): KResult => isFloating(self('is_floating_point', a).dtype),
  /** Inference tensors (made under `torch.inference_mode`) never require grad; others are not told apart. */
  is_inference: (_g: Graph, a: KernelArgs): KResult => {
    const t = self('is_inference', a);
    if (t.requiresGrad || t.storage.kind === 'param') return false;
    throw new KernelError('is_inference', 'whether a tensor was made under torch.inference_mode is not tracked');
  },
  is_neg: (_g: Graph, a: KernelArgs): KResult => (self('is_neg', a), false),
  is_same_size: (_g: Graph, a: KernelArgs): KResult => self('is_same_size', a).shape.join() === tensorArg('is_same_size', a, 'other').shape.join(),
  is_signed: (_g: Graph, a: KernelArgs): KResult => !['uint8', 'bool'].includes(self('is_signed', a).dtype),
  numel: (_g: Graph, a: KernelArgs): KResult => numel(self('numel', a).shape),
  storage_offset: (_g: Graph, a: KernelArgs): KResult => self('storage_offset', a).offset,
};

/** The one element of a tensor of known values (`item()`, `bool(x)`, `int(x)`). */
function element(op: string, t: Tensor, what: string): number {
  const n = numel(t.shape);
  if (n !== 1) throw new KernelError(op, n === 0 ? `${what} of Tensor with no values is ambiguous` : `${what} of Tensor with more than one value is ambiguous`);
  if (!t.values || t.values.length !== 1) throw new KernelError(op, "the tensor's value is not known (only constants built from Python numbers are); not modelled");
  return t.values[0];
}

/** `bool(x)`, `x.__nonzero__()`, `torch.is_nonzero(x)`: the one element is non-zero. */
export function isNonzero(_g: Graph, a: KernelArgs): KResult {
  return element('is_nonzero', self('is_nonzero', a), 'Boolean value') !== 0;
}

/** `int(x)` (`__int__`, `__long__`), `float(x)`, `x.__index__()` (integer tensors only). */
export const conversions = {
  __float__: (_g: Graph, a: KernelArgs): KResult => element('__float__', self('__float__', a), 'Conversion'),
  __index__: (_g: Graph, a: KernelArgs): KResult => {
    const t = self('__index__', a);
    if (isFloating(t.dtype)) throw new KernelError('__index__', 'only integer tensors of a single element can be converted to an index');
    return Math.trunc(element('__index__', t, 'Conversion'));
  },
  __int__: (_g: Graph, a: KernelArgs): KResult => Math.trunc(element('__int__', self('__int__', a), 'Conversion')),
};

const dtypeOf = (v: unknown): DType | null => (typeof v === 'object' && v !== null && 'dtype' in v ? (v as DTypeValue).dtype : null);

/** `torch.result_type(tensor | number, tensor | number)`: the dtype an op of the two computes in. */
export function resultTypeRule(_g: Graph, a: KernelArgs): KResult {
  const operands = [a.tensor ?? a.scalar ?? a.scalar1 ?? a.self, a.other ?? a.scalar2 ?? (a.scalar !== undefined ? a.tensor : undefined)];
  for (const o of operands) if (!isTensor(o) && typeof o !== 'number' && typeof o !== 'boolean') throw new KernelError('result_type', 'operands must be tensors or numbers');
  return { dtype: resultType(operands as (Tensor | number | boolean)[]) };
}

/** `torch.promote_types(type1, type2)`. */
export function promoteTypesRule(_g: Graph, a: KernelArgs): KResult {
  const [x, y] = [dtypeOf(a.type1), dtypeOf(a.type2)];
  if (!x || !y) throw new KernelError('promote_types', 'expected two dtypes');
  return { dtype: promoteTypes(x, y) };
}

/** `torch.can_cast(from_, to)`: no floating to integral or bool, no integral to bool. */
export function canCast(_g: Graph, a: KernelArgs): KResult {
  const [from, to] = [dtypeOf(a.from_ ?? a.from), dtypeOf(a.to)];
  if (!from || !to) throw new KernelError('can_cast', 'expected two dtypes');
  if (isFloating(from) && !isFloating(to)) return false;
  if (from !== 'bool' && to === 'bool') return false;
  return true;
}

/** `x & y`, `x | y`, `x ^ y` and `&=`, `|=`, `^=`: the `bitwise_*` ops (a Python number as `.Scalar`). */
export function bitwiseDunder(g: Graph, a: KernelArgs, call: OpCall): KResult {
  const overload = overloadOf(call);
  const base = atenBase(overload);
  const m = /^__(i?)(and|or|xor)__$/.exec(base);
  if (!m) throw new KernelError(base, 'not a bitwise operator');
  const suffix = isTensor(a.other) ? '.Tensor' : '.Scalar';
  return callAten(g, `bitwise_${m[2]}${m[1] ? '_' : ''}${suffix}`, { self: a.self, other: a.other });
}

/**
 * `isclose(self, other, rtol, atol, equal_nan)` (CompositeImplicitAutograd): `self == other`, then
 * `|self - other| <= atol + rtol·|other|` for finite values, or-ed in. Its float intermediates
 * (`rtol·other`, `self - other`, `|self - other|`) are saved by `abs` when an input needs grad.
 */
export function isclose(g: Graph, a: KernelArgs): KResult {
  const x = tensorArg('isclose', a, 'self');
  const y = tensorArg('isclose', a, 'other');
  if (x.dtype !== y.dtype) throw new KernelError('isclose', `${x.dtype} did not match ${y.dtype}`);
  const rtol = typeof a.rtol === 'number' ? a.rtol : 1e-5;
  const atol = typeof a.atol === 'number' ? a.atol : 1e-8;
  if (a.equal_nan === true) throw new KernelError('isclose', 'equal_nan=True is not modelled');
  const close = atenTensor(g, 'eq.Tensor', { self: x, other: y });
  if (x.dtype === 'bool' || !isFloating(x.dtype)) return close;
  const allowed = atenTensor(g, 'add.Scalar', { self: atenTensor(g, 'abs', { self: atenTensor(g, 'mul.Scalar', { self: y, other: rtol }) }), other: atol, alpha: 1 });
  const diff = atenTensor(g, 'abs', { self: atenTensor(g, 'sub.Tensor', { self: x, other: y, alpha: 1 }) });
  const finite = atenTensor(g, 'mul.Tensor', { self: atenTensor(g, 'eq.Tensor', { self: diff, other: diff }), other: atenTensor(g, 'ne.Scalar', { self: atenTensor(g, 'abs', { self: diff }), other: Infinity }) });
  const within = atenTensor(g, 'bitwise_and_.Tensor', { self: finite, other: atenTensor(g, 'le.Tensor', { self: diff, other: allowed }) });
  return atenTensor(g, 'bitwise_or_.Tensor', { self: close, other: within });
}

/** `isreal(self)` of a real tensor: `ones_like(self, dtype=bool)`. */
export function isreal(g: Graph, a: KernelArgs): KResult {
  return callAten(g, 'ones_like', { self: self('isreal', a), dtype: { dtype: 'bool' } });
}

/**
 * The legacy `x.new(...)`: sizes give an uninitialised tensor of x's dtype (`empty`), a tensor an
 * alias of it, nested lists of numbers their data; nothing requires grad.
 */
export function legacyNew(g: Graph, a: KernelArgs): KResult {
  const x = tensorArg('new', a, 'self');
  const args = Array.isArray(a.args) ? a.args : [a.size ?? a.other ?? a.storage].filter((v) => v !== undefined);
  if (a.device !== undefined && a.device !== null && a.device !== g.ctx.device) throw new KernelError('new', 'x.new() on another device is not modelled');
  if (args.length === 0) return factory(g, 'empty', [0], x.dtype, {});
  if (args.every((v) => typeof v === 'number' && Number.isInteger(v))) return factory(g, 'empty', args as number[], x.dtype, {});
  if (args.length === 1 && isTensor(args[0])) return g.view(args[0], args[0].shape, args[0].strides, args[0].offset);
  throw new KernelError('new', `x.new(${showShape(args.map(() => 0))}): a torch.Size gives sizes, a list or tuple gives data; which one is meant is not known here`);
}

/** `x.as_subclass(cls)`: the same tensor seen as another class (no op runs); the engine keeps it a tensor. */
export function asSubclass(g: Graph, a: KernelArgs): KResult {
  const x = tensorArg('as_subclass', a, 'self');
  return g.view(x, x.shape, x.strides, x.offset);
}

/** `x.values()`: defined for sparse tensors only; every tensor the engine models is strided. */
export function sparseOnly(_g: Graph, _a: KernelArgs, call: OpCall): KResult {
  const op = atenBase(overloadOf(call));
  throw new KernelError(op, `Cannot get ${op} on a strided tensor (sparse tensors only)`);
}
