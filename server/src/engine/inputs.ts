// The arguments the model's forward is called with: tensors, and tuples, lists and dicts of them
// (`model(x, (h, c))`, `model(**batch)`), with the Python values passed beside them (`None`,
// numbers). Tensors are the leaves the report lists as inputs; each may have a batch dimension
// `B` that the batch setting binds.

import type { DType, Tensor } from '../../../kernels/src';
import { Args, Value, list, repr, tensorV, tuple } from '../interpreter/values';
import type { InputSpec, SpecValue } from './specs';

/** One input tensor once resolved: concrete shape, and whether it was guessed. */
export interface ResolvedInput {
  /** `x`, or where it sits in its argument: `hidden[0]`, `batch['ids']`. */
  name: string;
  dtype: DType;
  shape: number[];
  /** The shape with the batch dimension as a symbol (`B`), to re-bind for other batch sizes. */
  dims: (number | string)[];
  guessed: boolean;
  /** The forward argument holding it, when it is inside a tuple, list or dict. */
  argument?: string;
  /** Its place in that argument (tuple positions, dict keys). */
  index?: (number | string)[];
  /** Passed as a keyword argument. */
  keyword?: boolean;
}

/** An argument's structure; tensors are leaves, numbered in the order of the input list. */
export type ArgTree =
  | { readonly k: 'leaf'; readonly i: number }
  | { readonly k: 'tuple' | 'list'; readonly items: readonly ArgTree[] }
  | { readonly k: 'dict'; readonly entries: readonly (readonly [Value, ArgTree])[] }
  | { readonly k: 'const'; readonly v: Value };

/** The forward call: its input tensors, and where each goes among the arguments. */
export interface ForwardInputs {
  leaves: ResolvedInput[];
  pos: ArgTree[];
  kw: [string, ArgTree][];
}

class Flattener {
  readonly leaves: ResolvedInput[] = [];

  constructor(private readonly guessed: boolean) {}

  /** A tensor leaf at `path` inside the argument `arg`. */
  leaf(arg: string, keyword: boolean, path: (number | string)[], dtype: DType, dims: (number | string)[], shape: number[]): ArgTree {
    const name = arg + path.map((p) => (typeof p === 'number' ? `[${p}]` : `['${p}']`)).join('');
    const input: ResolvedInput = { name, dtype, shape, dims, guessed: this.guessed };
    if (path.length) {
      input.argument = arg;
      input.index = path;
    }
    if (keyword) input.keyword = true;
    this.leaves.push(input);
    return { k: 'leaf', i: this.leaves.length - 1 };
  }
}

/** Inputs written as specs (`--input`, a directive), symbols bound to `batch`. */
export function inputsFromSpecs(specs: readonly InputSpec[], batch: number, guessed = false): ForwardInputs {
  const f = new Flattener(guessed);
  const tree = (arg: string, keyword: boolean, v: SpecValue, path: (number | string)[]): ArgTree => {
    switch (v.k) {
      case 'tensor':
        return f.leaf(arg, keyword, path, v.dtype, [...v.dims], v.dims.map((d) => (typeof d === 'number' ? d : batch)));
      case 'tuple': case 'list':
        return { k: v.k, items: v.items.map((x, i) => tree(arg, keyword, x, [...path, i])) };
      case 'dict':
        return { k: 'dict', entries: v.entries.map(([key, x]) => [{ k: 'str', v: key }, tree(arg, keyword, x, [...path, key])] as const) };
    }
  };
  const pos: ArgTree[] = [];
  const kw: [string, ArgTree][] = [];
  for (const s of specs) {
    if (s.keyword) kw.push([s.name, tree(s.name, true, s.value, [])]);
    else pos.push(tree(s.name, false, s.value, []));
  }
  return { leaves: f.leaves, pos, kw };
}

/**
 * The arguments of a call the script made (`model(x, (h, c))`), named after forward's parameters
 * (`paramNames`, without `self`); their batch dimension is marked by `markBatch`. Returns the reason
 * when an argument is not something a forward can be run on again (an unknown value).
 */
export function inputsFromCall(a: Args, paramNames: readonly string[]): ForwardInputs | string {
  const f = new Flattener(false);
  let problem: string | null = null;
  // One tensor passed twice (`model(input_ids=ids, labels=ids)`) is one input.
  const seen = new Map<unknown, ArgTree>();
  const tree = (arg: string, keyword: boolean, v: Value, path: (number | string)[], depth: number): ArgTree => {
    switch (v.k) {
      case 'tensor': {
        const again = seen.get(v.t);
        if (again) return again;
        const leaf = f.leaf(arg, keyword, path, v.t.dtype, [...v.t.shape], [...v.t.shape]);
        seen.set(v.t, leaf);
        return leaf;
      }
      case 'tuple': case 'list':
        if (depth > 4) break;
        return { k: v.k, items: v.items.map((x, i) => tree(arg, keyword, x, [...path, i], depth + 1)) };
      case 'dict':
        if (depth > 4) break;
        return { k: 'dict', entries: [...v.map.values()].map(([key, x]) => [key, tree(arg, keyword, x, [...path, key.k === 'str' ? key.v : repr(key)], depth + 1)] as const) };
      case 'unknown':
        problem ??= `${arg}: ${v.reason}`;
        break;
      default:
        break;
    }
    return { k: 'const', v };
  };
  // A modelled layer's forward (nn.Sequential) takes `input`, as torch names it.
  const pos = a.pos.map((v, i) => tree(paramNames[i] ?? (a.pos.length === 1 ? 'input' : `input${i}`), false, v, [], 0));
  const kw = [...a.kw].map(([k, v]) => [k, tree(k, true, v, [], 0)] as [string, ArgTree]);
  return problem ?? { leaves: f.leaves, pos, kw };
}

/**
 * The batch size of inputs a script made, and their batch dimensions marked `B`: the size every
 * input tensor has in some dimension (the first of the first input's sizes that all share, its
 * leading one preferred; `hint`, a DataLoader's batch_size, when it is one of them), marked at its
 * first place in each tensor. `[35, 20]` with `([2, 20, 64], [2, 20, 64])` has batch 20.
 */
export function markBatch(leaves: ResolvedInput[], hint: number | null): number | null {
  const shapes = leaves.map((l) => l.shape).filter((s) => s.length > 0);
  if (!shapes.length) return null;
  const common = shapes[0].filter((d) => shapes.every((s) => s.includes(d)));
  const batch = hint !== null && common.includes(hint) ? hint : common[0] ?? shapes[0][0];
  for (const l of leaves) {
    const k = l.shape.indexOf(batch);
    if (k >= 0) l.dims = l.dims.map((d, j) => (j === k ? 'B' : d));
  }
  return batch;
}

/** The inputs with their batch dimensions bound to `batch`. */
export function atBatch(leaves: readonly ResolvedInput[], batch: number): ResolvedInput[] {
  return leaves.map((l) => ({ ...l, shape: l.dims.map((d) => (typeof d === 'number' ? d : batch)) }));
}

/** The call's arguments with `tensors` (one per leaf) in place. */
export function forwardArgs(inputs: ForwardInputs, tensors: readonly Tensor[]): Args {
  const value = (t: ArgTree): Value => {
    switch (t.k) {
      case 'leaf': return tensorV(tensors[t.i]);
      case 'tuple': return tuple(t.items.map(value));
      case 'list': return list(t.items.map(value));
      case 'dict': return { k: 'dict', map: new Map(t.entries.map(([key, x]) => [repr(key), [key, value(x)]])) };
      case 'const': return t.v;
    }
  };
  return { pos: inputs.pos.map(value), kw: new Map(inputs.kw.map(([k, t]) => [k, value(t)])) };
}
