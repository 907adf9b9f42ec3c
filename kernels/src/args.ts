import { isTensor } from './common';
import { KernelError, Tensor } from './types';

/** Arguments of one operator call, bound by name (the interpreter binds Python calls to these). */
export type KernelArgs = Readonly<Record<string, unknown>>;

/**
 * The names of the arguments that were Python floats (in a list: any item), which the interpreter
 * records when it binds a call: a JS number cannot tell `2.0` from `2`, and a result's dtype (`x *
 * 2.0` of an int tensor, `torch.tensor([1.0])`, `torch.full(size, 1.0)`) or a wrapped number's
 * dtype depends on it.
 */
export const PY_FLOATS: unique symbol = Symbol('Python floats');

/** Marks `names` of `args` as Python floats. */
export function withPyFloats<T extends Record<string, unknown>>(args: T, names: ReadonlySet<string>): T {
  if (names.size > 0) (args as { [PY_FLOATS]?: ReadonlySet<string> })[PY_FLOATS] = names;
  return args;
}

/** Whether argument `name` is a Python float (or, for a list, holds one). */
export function isPyFloat(a: KernelArgs, name: string): boolean {
  const v = a[name];
  if (typeof v === 'number' && !Number.isInteger(v)) return true;
  return (a as { [PY_FLOATS]?: ReadonlySet<string> })[PY_FLOATS]?.has(name) ?? false;
}

export function tensorArg(op: string, a: KernelArgs, name: string): Tensor {
  const v = a[name];
  if (!isTensor(v)) throw new KernelError(op, `argument '${name}' must be a tensor`);
  return v;
}

export function optTensorArg(op: string, a: KernelArgs, name: string): Tensor | null {
  const v = a[name];
  if (v === undefined || v === null) return null;
  if (!isTensor(v)) throw new KernelError(op, `argument '${name}' must be a tensor or None`);
  return v;
}

export function tensorListArg(op: string, a: KernelArgs, name: string): Tensor[] {
  const v = a[name];
  if (!Array.isArray(v) || !v.every(isTensor)) throw new KernelError(op, `argument '${name}' must be a sequence of tensors`);
  return v as Tensor[];
}

export function intArg(op: string, a: KernelArgs, name: string, dflt?: number): number {
  const v = a[name] ?? dflt;
  if (typeof v === 'boolean') return v ? 1 : 0;
  if (typeof v !== 'number' || !Number.isInteger(v)) throw new KernelError(op, `argument '${name}' must be an int, got ${show(v)}`);
  return v;
}

export function numArg(op: string, a: KernelArgs, name: string, dflt?: number): number {
  const v = a[name] ?? dflt;
  if (typeof v !== 'number') throw new KernelError(op, `argument '${name}' must be a number, got ${show(v)}`);
  return v;
}

export function optNumArg(op: string, a: KernelArgs, name: string): number | null {
  const v = a[name];
  if (v === undefined || v === null) return null;
  return numArg(op, a, name);
}

export function boolArg(a: KernelArgs, name: string, dflt: boolean): boolean {
  const v = a[name];
  if (v === undefined || v === null) return dflt;
  return Boolean(v);
}

/** An int or a sequence of ints (kernel sizes, shapes, dims). */
export function intsArg(op: string, a: KernelArgs, name: string, dflt?: number | readonly number[]): number | number[] {
  const v = a[name] ?? dflt;
  if (typeof v === 'number' && Number.isInteger(v)) return v;
  if (Array.isArray(v) && v.every((x) => typeof x === 'number' && Number.isInteger(x))) return v as number[];
  throw new KernelError(op, `argument '${name}' must be an int or a sequence of ints, got ${show(v)}`);
}

export function strArg(op: string, a: KernelArgs, name: string, dflt?: string): string {
  const v = a[name] ?? dflt;
  if (typeof v !== 'string') throw new KernelError(op, `argument '${name}' must be a string, got ${show(v)}`);
  return v;
}

function show(v: unknown): string {
  if (v === undefined) return 'nothing';
  if (isTensor(v)) return 'a tensor';
  return JSON.stringify(v) ?? String(v);
}
