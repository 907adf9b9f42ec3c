import { DType, Tensor } from '../../../../kernels/src';
import { Loc, UnknownV, Value, bool, int, list, num, str, tensorV, tuple, NONE } from '../values';

/** Thrown when a kernel argument is an unknown value; the caller returns that unknown. */
export class UnknownArgument extends Error {
  constructor(readonly value: UnknownV) {
    super(value.reason);
  }
}

/** A Python value as a kernel argument (numbers, bools, None, strings, tensors, sequences of them). */
export function toKernel(v: Value): unknown {
  switch (v.k) {
    case 'unknown': throw new UnknownArgument(v);
    case 'none': return null;
    case 'bool': return v.v;
    case 'num': return v.v;
    case 'str': return v.v;
    case 'tensor': return v.t;
    case 'dtype': return v.v;
    case 'tuple': case 'list': return v.items.map(toKernel);
    default: return v;
  }
}

/** Kernel results back to Python values. */
export function fromKernel(x: unknown): Value {
  if (x === null || x === undefined) return NONE;
  if (typeof x === 'boolean') return bool(x);
  if (typeof x === 'number') return num(x);
  if (typeof x === 'string') return str(x);
  if (Array.isArray(x)) return tuple(x.map(fromKernel));
  return tensorV(x as Tensor);
}

export const DTYPES: Record<string, DType> = {
  float32: 'float32', float: 'float32', float64: 'float64', double: 'float64', float16: 'float16', half: 'float16',
  bfloat16: 'bfloat16', int64: 'int64', long: 'int64', int32: 'int32', int: 'int32', int16: 'int16', short: 'int16',
  int8: 'int8', uint8: 'uint8', bool: 'bool',
};

/** A shape given as `f(2, 3)`, `f((2, 3))` or `f([2, 3])`; undefined when not all ints are known. */
export function shapeFrom(items: readonly Value[], at: Loc): number[] | UnknownV {
  const flat = items.length === 1 && (items[0].k === 'tuple' || items[0].k === 'list') ? items[0].items : items;
  const out: number[] = [];
  for (const v of flat) {
    if (v.k === 'unknown') return v;
    if (v.k === 'num' && Number.isInteger(v.v)) out.push(v.v);
    else if (v.k === 'bool') out.push(v.v ? 1 : 0);
    else if (v.k === 'tensor' && v.t.shape.length === 0) return { k: 'unknown', reason: 'a size given by a tensor value is not modelled', at };
    else return { k: 'unknown', reason: `expected an int size, got ${v.k}`, at };
  }
  return out;
}

export const sizeValue = (shape: readonly number[]): Value => tuple(shape.map(int));
export const listOf = (vs: Value[]): Value => list(vs);
