// einops (`rearrange`, `repeat`, `reduce` and the `einops.layers.torch` layers) modelled from its
// documented semantics as the torch operations its torch backend runs, in this order: a reshape
// that splits composed input axes (only when a left group is not a single axis), the reduction,
// a permute into output order (only when the order changes), unsqueeze + expand for the axes
// `repeat` adds, and a reshape that composes output groups (only when a right group is not a
// single axis). Views and copies then follow from the shape kernels: the final reshape of a
// permuted or expanded tensor is the copy a following layer saves.

import { Args, ClassV, InstanceV, Loc, NONE, Value, builtin, int, str, tuple } from '../values';
import type { TorchLibrary } from './library';
import { MODULE_CLASS } from './nn';

type Operation = 'rearrange' | 'repeat' | 'reduce';

/** One side of a pattern: groups of elementary axis names; `…` stands for the ellipsis. */
interface Side {
  readonly groups: string[][];
  /** Lengths fixed by the pattern itself (anonymous numeric axes such as `2`). */
  readonly fixed: Map<string, number>;
  readonly hasEllipsis: boolean;
}

const ELLIPSIS = '…';
const GROUPED_ELLIPSIS = '(…)';

class PatternError extends Error {}

function parseSide(text: string, anon: { n: number }): Side {
  const groups: string[][] = [];
  const fixed = new Map<string, number>();
  let current: string[] | null = null;
  let hasEllipsis = false;
  const tokens = text.replace(/\.\.\./g, ` ${ELLIPSIS} `).replace(/[()]/g, ' $& ').split(/\s+/).filter(Boolean);
  for (const tok of tokens) {
    if (tok === '(') {
      if (current) throw new PatternError('nested parentheses');
      current = [];
      continue;
    }
    if (tok === ')') {
      if (!current) throw new PatternError("unbalanced ')'");
      groups.push(current);
      current = null;
      continue;
    }
    let axis: string | null = tok;
    if (tok === ELLIPSIS) {
      if (hasEllipsis) throw new PatternError('more than one ellipsis');
      hasEllipsis = true;
    } else if (/^\d+$/.test(tok)) {
      // `1` is an axis of length 1 that names nothing; other numbers are anonymous axes.
      const len = Number(tok);
      if (len === 1) axis = null;
      else {
        axis = `${tok}#${anon.n++}`;
        fixed.set(axis, len);
      }
    } else if (!/^[A-Za-z_][A-Za-z0-9_]*$/.test(tok)) {
      throw new PatternError(`'${tok}' is not an axis name`);
    }
    if (current) {
      // Inside parentheses the ellipsis composes its dimensions into one.
      if (axis) current.push(axis === ELLIPSIS ? GROUPED_ELLIPSIS : axis);
    } else groups.push(axis ? [axis] : []);
  }
  if (current) throw new PatternError("unbalanced '('");
  return { groups, fixed, hasEllipsis };
}

/** The kernel calls one einops operation runs on a tensor of shape `shape`. */
interface Recipe {
  initShape: number[] | null;
  reducedDims: number[];
  permutation: number[] | null;
  /** Positions (in output elementary order) of the axes `repeat` adds. */
  addedPositions: number[];
  expandTo: number[] | null;
  finalShape: number[] | null;
}

function recipe(op: Operation, pattern: string, shape: readonly number[], lengths: ReadonlyMap<string, number>): Recipe {
  const arrow = pattern.split('->');
  if (arrow.length !== 2) throw new PatternError("the pattern needs exactly one '->'");
  const anon = { n: 0 };
  const left = parseSide(arrow[0], anon);
  const right = parseSide(arrow[1], anon);
  if (left.groups.length - (left.hasEllipsis ? 1 : 0) > shape.length || (!left.hasEllipsis && left.groups.length !== shape.length)) {
    throw new PatternError(`the left side has ${left.groups.length} axes, the tensor ${shape.length}`);
  }
  if (right.hasEllipsis && !left.hasEllipsis) throw new PatternError('an ellipsis on the right needs one on the left');
  // The ellipsis covers the dimensions no other group names.
  const ellipsisAxes = Array.from({ length: shape.length - (left.groups.length - 1) }, (_, i) => `${ELLIPSIS}${i}`);
  // A standalone ellipsis stands for one group per covered dimension, `(...)` for one group of them.
  const expand = (groups: string[][]) => groups.flatMap((g) => (g.length === 1 && g[0] === ELLIPSIS ? ellipsisAxes.map((a) => [a]) : [g.flatMap((a) => (a === GROUPED_ELLIPSIS ? ellipsisAxes : [a]))]));
  if (left.groups.some((g) => g.includes(GROUPED_ELLIPSIS))) throw new PatternError('an ellipsis inside parentheses on the left is not supported');
  const leftGroups = expand(left.groups);
  const rightGroups = expand(right.groups);

  const known = new Map<string, number>([...left.fixed, ...right.fixed, ...lengths]);
  leftGroups.forEach((g, i) => {
    const unknownAxes = g.filter((a) => !known.has(a));
    const product = g.filter((a) => known.has(a)).reduce((p, a) => p * known.get(a)!, 1);
    if (unknownAxes.length > 1) throw new PatternError(`cannot infer the lengths of ${unknownAxes.join(', ')}: pass them as keyword arguments`);
    if (unknownAxes.length === 1) {
      if (shape[i] % product !== 0) throw new PatternError(`dimension ${i} (${shape[i]}) is not divisible by ${product}`);
      known.set(unknownAxes[0], shape[i] / product);
    } else if (product !== shape[i]) throw new PatternError(`dimension ${i} is ${shape[i]}, the pattern gives ${product}`);
  });

  const inAxes = leftGroups.flat();
  const outAxes = rightGroups.flat();
  for (const side of [inAxes, outAxes]) if (new Set(side).size !== side.length) throw new PatternError('an axis appears twice on one side');
  const missing = outAxes.filter((a) => !inAxes.includes(a));
  const dropped = inAxes.filter((a) => !outAxes.includes(a));
  if (op === 'rearrange' && (missing.length || dropped.length)) throw new PatternError(`axes ${[...missing, ...dropped].join(', ')} appear on one side only`);
  if (op === 'repeat' && dropped.length) throw new PatternError(`repeat cannot drop ${dropped.join(', ')}`);
  if (op === 'reduce' && missing.length) throw new PatternError(`reduce cannot add ${missing.join(', ')}`);
  for (const a of missing) if (!known.has(a)) throw new PatternError(`the length of the new axis ${a} is not given`);

  const initShape = leftGroups.some((g) => g.length !== 1) ? inAxes.map((a) => known.get(a)!) : null;
  const reducedDims = dropped.map((a) => inAxes.indexOf(a));
  const kept = inAxes.filter((a) => outAxes.includes(a));
  const order = outAxes.filter((a) => kept.includes(a)).map((a) => kept.indexOf(a));
  const permutation = order.some((d, i) => d !== i) ? order : null;
  const addedPositions = missing.map((a) => outAxes.indexOf(a)).sort((x, y) => x - y);
  const expandTo = addedPositions.length ? outAxes.map((a) => (missing.includes(a) ? known.get(a)! : -1)) : null;
  const finalShape = rightGroups.some((g) => g.length !== 1) ? rightGroups.map((g) => g.reduce((p, a) => p * known.get(a)!, 1)) : null;
  return { initShape, reducedDims, permutation, addedPositions, expandTo, finalShape };
}

const ints = (xs: readonly number[]): Value => tuple(xs.map((x) => int(x)));

/** Runs one einops operation; a bad pattern or argument becomes an unknown naming it. */
function apply(lib: TorchLibrary, op: Operation, input: Value, pattern: Value, reduction: Value, kw: ReadonlyMap<string, Value>, at: Loc): Value {
  if (input.k === 'unknown') return input;
  let x: Value = input;
  // A list of tensors is stacked on a new first axis.
  if (x.k === 'list' || x.k === 'tuple') x = lib.aten('stack', new Map<string, Value>([['tensors', x], ['dim', int(0)]]), at);
  if (x.k === 'unknown') return x;
  if (x.k !== 'tensor') return lib.interp.fail(`einops.${op}() needs a tensor`, at);
  if (pattern.k !== 'str') return lib.interp.fail(`einops.${op}() needs a literal pattern`, at);
  const lengths = new Map<string, number>();
  for (const [k, v] of kw) {
    if (v.k === 'unknown') return v;
    if (v.k !== 'num' || !v.int) return lib.interp.fail(`einops.${op}(): axis length ${k} is not a constant integer`, at);
    lengths.set(k, v.v);
  }
  let r: Recipe;
  try {
    r = recipe(op, pattern.v, x.t.shape, lengths);
  } catch (e) {
    if (e instanceof PatternError) return lib.interp.fail(`einops.${op}('${pattern.v}'): ${e.message}`, at);
    throw e;
  }
  const step = (overload: string, args: [string, Value][]): void => {
    if (x.k === 'tensor') x = lib.aten(overload, new Map<string, Value>([['self', x], ...args]), at);
  };
  if (r.initShape) step('reshape', [['shape', ints(r.initShape)]]);
  if (r.reducedDims.length) {
    const how = reduction.k === 'str' ? reduction.v : '';
    if (how !== 'mean' && how !== 'sum') return lib.interp.fail(`einops.reduce with '${how}' is not modelled yet (mean and sum are)`, at);
    step(how === 'mean' ? 'mean.dim' : 'sum.dim_IntList', [['dim', ints(r.reducedDims)], ['keepdim', { k: 'bool', v: false }]]);
  }
  if (r.permutation) step('permute', [['dims', ints(r.permutation)]]);
  for (const pos of r.addedPositions) step('unsqueeze', [['dim', int(pos)]]);
  if (r.expandTo) step('expand', [['size', ints(r.expandTo)]]);
  if (r.finalShape) step('reshape', [['shape', ints(r.finalShape)]]);
  return x;
}

/** `rearrange(tensor, pattern, **axes_lengths)` and friends, bound positionally or by keyword. */
function operation(lib: TorchLibrary, op: Operation): Value {
  return builtin(`einops.${op}`, (a: Args, at: Loc) => {
    const kw = new Map(a.kw);
    const take = (i: number, name: string): Value => {
      const v = a.pos[i] ?? kw.get(name) ?? NONE;
      kw.delete(name);
      return v;
    };
    const input = take(0, 'tensor');
    const pattern = take(1, 'pattern');
    const reduction = op === 'reduce' ? take(2, 'reduction') : NONE;
    return apply(lib, op, input, pattern, reduction, kw, at);
  });
}

/** `einops.layers.torch.Rearrange(pattern, **axes_lengths)` and `Reduce(pattern, reduction, **axes_lengths)`: parameter-free modules. */
function layer(lib: TorchLibrary, name: 'Rearrange' | 'Reduce'): ClassV {
  const op: Operation = name === 'Rearrange' ? 'rearrange' : 'reduce';
  return {
    k: 'class', name, bases: [MODULE_CLASS], attrs: new Map(), loc: null,
    native: {
      init: (self: InstanceV, a: Args) => {
        self.attrs.set('pattern', a.pos[0] ?? a.kw.get('pattern') ?? NONE);
        if (op === 'reduce') self.attrs.set('reduction', a.pos[1] ?? a.kw.get('reduction') ?? NONE);
        const lengths = new Map([...a.kw].filter(([k]) => k !== 'pattern' && k !== 'reduction'));
        self.attrs.set('__einops_lengths__', { k: 'dict', map: new Map([...lengths].map(([k, v]) => [JSON.stringify(k), [str(k), v]])) });
      },
      forward: (self: InstanceV, a: Args, at: Loc) => {
        const stored = self.attrs.get('__einops_lengths__');
        const lengths = new Map<string, Value>();
        if (stored?.k === 'dict') for (const [k, v] of stored.map.values()) if (k.k === 'str') lengths.set(k.v, v);
        return apply(lib, op, a.pos[0] ?? a.kw.get('input') ?? NONE, self.attrs.get('pattern') ?? NONE, self.attrs.get('reduction') ?? NONE, lengths, at);
      },
    },
  };
}

/** The modelled einops modules, by import name. */
export function einopsModules(lib: TorchLibrary): [string, Value][] {
  const layersTorch = lib.ns('einops.layers.torch', { Rearrange: layer(lib, 'Rearrange'), Reduce: layer(lib, 'Reduce') });
  const layers = lib.ns('einops.layers', { torch: layersTorch });
  const einops = lib.ns('einops', { rearrange: operation(lib, 'rearrange'), repeat: operation(lib, 'repeat'), reduce: operation(lib, 'reduce'), layers });
  return [['einops', einops], ['einops.layers', layers], ['einops.layers.torch', layersTorch]];
}
