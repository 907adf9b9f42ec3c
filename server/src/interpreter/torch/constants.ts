import { DType, isFloating } from '../../../../kernels/src';
import { Args, Loc, TensorV, Value, bool, builtin, list, num, tensorWithValues } from '../values';
import type { TorchLibrary } from './library';

/**
 * Tensors whose elements are known constants: small tensors built from Python numbers
 * (`torch.tensor([...])`, `torch.arange(n)`) while a model is being constructed, and what
 * elementwise arithmetic makes of them. Model code computes layer widths this way (torchvision's
 * RegNet: `torch.round(torch.log(widths / w_0) / math.log(w_m))…int().tolist()`); the shapes it
 * builds depend on the numbers, so the engine carries them. Such tensors need no grad: the
 * functions here record no autograd op, and fail (an unknown) on a tensor whose values are not
 * known rather than guess what autograd would save.
 */

/** Larger tensors are not given values (nothing in model code needs them). */
export const MAX_CONSTANT_ELEMENTS = 1 << 16;

/** The number, or a tensor's known elements. */
export function knownValues(v: Value): number | readonly number[] | undefined {
  if (v.k === 'num') return v.v;
  if (v.k === 'bool') return v.v ? 1 : 0;
  if (v.k === 'tensor' && !v.t.requiresGrad) return v.values;
  return undefined;
}

const numel = (shape: readonly number[]): number => shape.reduce((p, d) => p * d, 1);

/** Elements as a tensor of `dtype` stores them: integers truncate, float32 rounds to single. */
export function castValues(values: readonly number[], dtype: DType): number[] {
  if (dtype === 'bool') return values.map((v) => (v !== 0 ? 1 : 0));
  if (!isFloating(dtype)) return values.map((v) => Math.trunc(v));
  if (dtype === 'float32') return values.map((v) => Math.fround(v));
  return [...values];
}

/** `f` applied elementwise where the operands are numbers or tensors of the same size. */
export function combineValues(a: Value, b: Value, f: (x: number, y: number) => number, dtype: DType): number[] | undefined {
  const x = knownValues(a);
  const y = knownValues(b);
  if (x === undefined || y === undefined) return undefined;
  if (typeof x !== 'number' && typeof y !== 'number') {
    if (a.k !== 'tensor' || b.k !== 'tensor' || a.t.shape.join() !== b.t.shape.join()) return undefined;
    return castValues(x.map((v, i) => f(v, y[i])), dtype);
  }
  if (typeof x === 'number' && typeof y === 'number') return undefined;
  const xs = typeof x === 'number' ? null : x;
  const ys = typeof y === 'number' ? null : y;
  const n = (xs ?? ys)!.length;
  return castValues(Array.from({ length: n }, (_, i) => f(xs ? xs[i] : (x as number), ys ? ys[i] : (y as number))), dtype);
}

/** A new constant tensor with these elements (a buffer-like tensor; in forward, a factory). */
export function constantTensor(lib: TorchLibrary, shape: readonly number[], dtype: DType, values: readonly number[] | undefined): Value {
  const out = lib.factory(shape, dtype);
  if (out.k !== 'tensor' || !values || values.length !== numel(shape) || values.length > MAX_CONSTANT_ELEMENTS) return out;
  return tensorWithValues(out.t, castValues(values, dtype));
}

/** Flattened elements of a nested list/tuple of Python numbers, or undefined. */
export function flattenData(data: Value): number[] | undefined {
  const out: number[] = [];
  const walk = (v: Value): boolean => {
    if (v.k === 'list' || v.k === 'tuple') return v.items.every(walk);
    if (v.k === 'num') out.push(v.v);
    else if (v.k === 'bool') out.push(v.v ? 1 : 0);
    else return false;
    return true;
  };
  return walk(data) ? out : undefined;
}

/** torch.round: half to even. */
function roundHalfEven(x: number): number {
  const r = Math.round(x);
  return Math.abs(x % 1) === 0.5 && r % 2 !== 0 ? r - 1 : r;
}

const floatResult = (dtype: DType): DType => (isFloating(dtype) ? dtype : 'float32');

const UNARY: Record<string, [(x: number) => number, (d: DType) => DType]> = {
  round: [roundHalfEven, (d) => d],
  log: [Math.log, floatResult],
  exp: [Math.exp, floatResult],
  sqrt: [Math.sqrt, floatResult],
  floor: [Math.floor, (d) => d],
  ceil: [Math.ceil, (d) => d],
};

function needValues(lib: TorchLibrary, name: string, at: Loc): Value {
  return lib.interp.fail(`${name}() on a tensor whose values are not known is not modelled yet`, at);
}

function unary(lib: TorchLibrary, name: string, x: Value, at: Loc): Value {
  if (x.k === 'unknown') return x;
  const [f, dt] = UNARY[name];
  if (x.k !== 'tensor') return x.k === 'num' ? num(f(x.v), false) : lib.interp.fail(`torch.${name}() needs a tensor`, at);
  const vals = knownValues(x);
  if (typeof vals !== 'object') return needValues(lib, `torch.${name}`, at);
  return constantTensor(lib, x.t.shape, dt(x.t.dtype), vals.map(f));
}

/** torch.pow(self, exponent) where either may be a number. */
function pow(lib: TorchLibrary, a: Value, b: Value, at: Loc): Value {
  if (a.k === 'unknown') return a;
  if (b.k === 'unknown') return b;
  const t = a.k === 'tensor' ? a : b.k === 'tensor' ? b : undefined;
  if (!t) return lib.interp.fail('torch.pow() needs a tensor', at);
  const other = t === a ? b : a;
  const dtype: DType = isFloating(t.t.dtype) ? t.t.dtype : other.k === 'num' && !other.int ? 'float32' : other.k === 'tensor' && isFloating(other.t.dtype) ? other.t.dtype : t.t.dtype;
  const vals = combineValues(a, b, Math.pow, dtype);
  // A tensor raised to a number in forward: the `**` operator's rule.
  if (!vals && t === a && b.k === 'num') return lib.tensorBinary('**', a, b, at) ?? needValues(lib, 'torch.pow', at);
  if (!vals) return needValues(lib, 'torch.pow', at);
  return constantTensor(lib, t.t.shape, dtype, vals);
}

/** torch.diff(input) of a 1-D tensor (n=1, dim=-1, no prepend/append). */
function diff(lib: TorchLibrary, x: Value, a: Args, at: Loc): Value {
  if (x.k === 'unknown') return x;
  if (x.k !== 'tensor') return lib.interp.fail('torch.diff() needs a tensor', at);
  if (a.pos.length > 1 || a.kw.size > 0) return lib.interp.fail('torch.diff() with n, dim, prepend or append is not modelled yet', at);
  const vals = knownValues(x);
  if (typeof vals !== 'object' || x.t.shape.length !== 1) return needValues(lib, 'torch.diff', at);
  const n = Math.max(0, vals.length - 1);
  return constantTensor(lib, [n], x.t.dtype, Array.from({ length: n }, (_, i) => vals[i + 1] - vals[i]));
}

/** `torch.round`, `log`, `pow`, `diff`… on constant tensors. */
export function constantFunctions(lib: TorchLibrary): [string, Value][] {
  const input = (a: Args): Value => a.pos[0] ?? a.kw.get('input') ?? { k: 'none' };
  return [
    ...Object.keys(UNARY).map((name): [string, Value] => [name, builtin(`torch.${name}`, (a, at) => unary(lib, name, input(a), at))]),
    ['pow', builtin('torch.pow', (a, at) => pow(lib, input(a), a.pos[1] ?? a.kw.get('exponent') ?? { k: 'none' }, at))],
    ['diff', builtin('torch.diff', (a, at) => diff(lib, input(a), { pos: a.pos.slice(1), kw: new Map([...a.kw].filter(([k]) => k !== 'input')) }, at))],
  ];
}

export const CONSTANT_METHODS = new Set([...Object.keys(UNARY), 'pow', 'diff']);

/** Tensor methods on constant tensors: `x.round()`, `x.log()`, `x.pow(e)`, `x.diff()`. */
export function constantMethod(lib: TorchLibrary, x: TensorV, name: string, a: Args, at: Loc): Value | undefined {
  if (name in UNARY) return unary(lib, name, x, at);
  if (name === 'pow') return pow(lib, x, a.pos[0] ?? a.kw.get('exponent') ?? { k: 'none' }, at);
  if (name === 'diff') return diff(lib, x, a, at);
  return undefined;
}

/** `x.tolist()`: nested Python lists of the known elements. */
export function toList(lib: TorchLibrary, x: TensorV, at: Loc): Value {
  if (!x.values) return needValues(lib, 'Tensor.tolist', at);
  const elem = (v: number): Value => (x.t.dtype === 'bool' ? bool(v !== 0) : num(v, !isFloating(x.t.dtype)));
  let i = 0;
  const build = (dim: number): Value => {
    if (dim === x.t.shape.length) return elem(x.values![i++]);
    return list(Array.from({ length: x.t.shape[dim] }, () => build(dim + 1)));
  };
  return build(0);
}
