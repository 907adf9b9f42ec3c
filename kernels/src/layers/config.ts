// Reading a layer's bound constructor arguments: sizes, flags, int-or-tuple arguments.
import type { KernelArgs } from '../args';
import { isTensor } from '../common';
import { DType, KernelError, Tensor } from '../types';

/** A value as a message names it: numbers, strings and lists of them as written; anything else by its kind (`a class Sequential`), never its internals. */
const show = (v: unknown): string => {
  if (v === undefined) return 'nothing';
  if (isTensor(v)) return 'a tensor';
  if (v === null || typeof v !== 'object') return JSON.stringify(v) ?? String(v);
  if (Array.isArray(v)) return `[${v.map(show).join(', ')}]`;
  const o = v as { k?: unknown; name?: unknown; cls?: { name?: unknown } };
  const kind = typeof o.k === 'string' ? o.k : 'object';
  const name = typeof o.name === 'string' ? o.name : typeof o.cls?.name === 'string' ? o.cls.name : null;
  return `a ${kind}${name ? ` ${name}` : ''}`;
};

/** A size argument (features, channels, groups): a non-negative int, as torch requires. */
export function size(layer: string, cfg: KernelArgs, name: string): number {
  const v = cfg[name];
  const x = typeof v === 'boolean' ? Number(v) : v;
  if (typeof x !== 'number' || !Number.isSafeInteger(x) || x < 0) throw new KernelError(`nn.${layer}`, `argument '${name}' must be a non-negative int, got ${show(v)}`);
  return x;
}

export function flag(cfg: KernelArgs, name: string, dflt = false): boolean {
  const v = cfg[name];
  if (v === undefined || v === null) return dflt;
  return typeof v === 'number' ? v !== 0 : Boolean(v);
}

/** An int-or-tuple argument (kernel size, stride, padding…) expanded to `count` non-negative ints. */
export function ints(layer: string, cfg: KernelArgs, name: string, count: number): number[] {
  const v = cfg[name];
  const xs = typeof v === 'number' ? new Array<number>(count).fill(v) : Array.isArray(v) ? v.map(Number) : null;
  if (!xs || xs.some((x) => !Number.isSafeInteger(x) || x < 0)) throw new KernelError(`nn.${layer}`, `argument '${name}' must be a non-negative int or a tuple of them, got ${show(v)}`);
  if (xs.length === 1 && count > 1) return new Array<number>(count).fill(xs[0]);
  return xs;
}

/** The layer's parameters dtype: a `dtype=` constructor argument, else float32. */
export function paramDtype(cfg: KernelArgs): DType {
  const d = cfg.dtype;
  return typeof d === 'object' && d !== null && 'dtype' in d ? (d as { dtype: DType }).dtype : 'float32';
}

/** The forward's tensor input (first positional argument or the named one). */
export function inputOf(layer: string, args: readonly unknown[], kwargs: Readonly<Record<string, unknown>>, name = 'input'): Tensor {
  const v = args[0] ?? kwargs[name];
  if (!isTensor(v)) throw new KernelError(`nn.${layer}`, `expects a tensor input, got ${show(v)}`);
  return v;
}

/**
 * The forward's arguments by name (positional first, then keywords), checked like Python: too
 * many, unknown or repeated names and missing required ones raise.
 */
export function bindForward(layer: string, names: readonly string[], required: number, args: readonly unknown[], kwargs: Readonly<Record<string, unknown>>): Record<string, unknown> {
  if (args.length > names.length) throw new KernelError(`nn.${layer}`, `forward() takes ${names.length} arguments but ${args.length} were given`);
  const out: Record<string, unknown> = {};
  args.forEach((v, i) => (out[names[i]] = v));
  for (const [k, v] of Object.entries(kwargs)) {
    if (!names.includes(k)) throw new KernelError(`nn.${layer}`, `forward() got an unexpected keyword argument '${k}'`);
    if (k in out) throw new KernelError(`nn.${layer}`, `forward() got multiple values for argument '${k}'`);
    out[k] = v;
  }
  for (const name of names.slice(0, required)) if (!(name in out)) throw new KernelError(`nn.${layer}`, `forward() missing required argument '${name}'`);
  return out;
}
