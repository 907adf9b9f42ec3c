// Python values to the kernels' plain values and back.
import { DType, DTypeValue, KResult, Tensor, isTensor } from '../../../../kernels/src';
import { DictV, Loc, NONE, UnknownV, Value, bool, int, list, num, str, tensorV, tuple } from '../values';

/** Thrown when a kernel argument is an unknown value; the caller returns that unknown. */
export class UnknownArgument extends Error {
  constructor(readonly value: UnknownV) {
    super(value.reason);
  }
}

const sliceBound = (v: Value): number | null => (v.k === 'num' ? v.v : v.k === 'bool' ? Number(v.v) : null);

/**
 * A Python value as a kernel argument: numbers, bools, None, strings, tensors, dtypes
 * (`{ dtype }`), slices (`{ slice }`), dicts with string keys (`{ dict }`) and sequences of those.
 * Other values (modules, functions) pass through unchanged, for rules that hand them back.
 */
export function toKernel(v: Value): unknown {
  switch (v.k) {
    case 'unknown': throw new UnknownArgument(v);
    case 'none': return null;
    case 'bool': return v.v;
    case 'num': return v.v;
    case 'str': return v.v;
    case 'tensor': return v.t;
    case 'dtype': return { dtype: v.v } satisfies DTypeValue;
    case 'tuple': case 'list': return v.items.map(toKernel);
    case 'slice': return { slice: [sliceBound(v.start), sliceBound(v.stop), sliceBound(v.step)] };
    case 'dict': return { dict: dictOf(v) };
    default: return v;
  }
}

function dictOf(d: DictV): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [k, v] of d.map.values()) if (k.k === 'str') out[k.v] = toKernel(v);
  return out;
}

const isDtype = (x: object): x is DTypeValue => 'dtype' in x && typeof (x as DTypeValue).dtype === 'string';

/** Kernel results back to Python values: arrays are tuples (`split`, `size()`), unless `lists`. */
export function fromKernel(x: KResult | unknown, lists = false): Value {
  if (x === null || x === undefined) return NONE;
  if (typeof x === 'boolean') return bool(x);
  if (typeof x === 'number') return num(x);
  if (typeof x === 'string') return str(x);
  if (Array.isArray(x)) return lists ? list(x.map((e) => fromKernel(e, true))) : tuple(x.map((e) => fromKernel(e)));
  if (isTensor(x)) return tensorV(x as Tensor);
  if (typeof x === 'object' && isDtype(x)) return { k: 'dtype', v: x.dtype };
  return x as Value;
}

export const DTYPES: Record<string, DType> = {
  float32: 'float32', float: 'float32', float64: 'float64', double: 'float64', float16: 'float16', half: 'float16',
  bfloat16: 'bfloat16', int64: 'int64', long: 'int64', int32: 'int32', int: 'int32', int16: 'int16', short: 'int16',
  int8: 'int8', uint8: 'uint8', bool: 'bool', complex64: 'complex64', cfloat: 'complex64', complex128: 'complex128', cdouble: 'complex128',
};

/** A shape given as `f(2, 3)`, `f((2, 3))` or `f([2, 3])`; an unknown when not all ints are known. */
export function shapeFrom(items: readonly Value[], at: Loc): number[] | UnknownV {
  const flat = items.length === 1 && (items[0].k === 'tuple' || items[0].k === 'list') ? items[0].items : items;
  const out: number[] = [];
  for (const v of flat) {
    if (v.k === 'unknown') return v;
    if (v.k === 'num' && Number.isInteger(v.v)) out.push(v.v);
    else if (v.k === 'bool') out.push(v.v ? 1 : 0);
    else if (v.k === 'tensor' && v.t.shape.length === 0 && v.t.values?.length === 1) out.push(v.t.values[0]);
    else return { k: 'unknown', reason: `expected an int size, got ${v.k}`, at };
  }
  return out;
}

export const sizeValue = (shape: readonly number[]): Value => tuple(shape.map(int));
