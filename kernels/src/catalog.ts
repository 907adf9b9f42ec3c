// The torch surface of one PyTorch release, generated from PyTorch itself
// (kernels/catalog/generate.py → kernels/catalog/torch-<release>.json): every public callable with
// its Python signatures, the aten overload each signature calls, and what autograd saves for
// every aten op (that release's derivatives.yaml, through its own autograd codegen).

/** One parameter of a Python-visible signature. */
export interface CatalogParam {
  readonly name: string;
  readonly kind: 'positional' | 'normal' | 'keyword' | 'varargs' | 'varkw';
  /** The Python argument parser's type (`Tensor`, `Scalar?`, `int[]`, …), null for Python-defined callables. */
  readonly type?: string | null;
  readonly required?: boolean;
  readonly default?: unknown;
}

/** One Python overload; `aten` names the aten overload it calls (null: defined in Python). */
export interface CatalogOverload {
  readonly params: readonly CatalogParam[];
  readonly aten?: string | null;
  /** A single positional list parameter may be given as varargs: `x.view(2, 3)`. */
  readonly varargs?: boolean;
}

export interface PythonEntry {
  readonly kind: 'function' | 'method' | 'property' | 'module';
  /** Defined in Python (inspect-able) rather than bound from C++. */
  readonly python?: boolean;
  readonly overloads?: readonly CatalogOverload[];
}

/** A value autograd keeps for an op's backward (derivatives.yaml, as the codegen saves it). */
export interface SavedAttribute {
  /** An input argument's name (`self`, `other`, `indices`) or an output (`result`, `result1`). */
  readonly name: string;
  /** Holds a tensor (or tensor list); false for sizes, scalar types, options and numbers. */
  readonly tensor: boolean;
  /** The derived expression when the attribute is not the plain argument (`self.sym_sizes()`). */
  readonly expr?: string | null;
  /**
   * Saved only when this input needs grad (the codegen's `should_compute_output` guard); a list:
   * when any of those inputs does (2.x `_trilinear` keeps i1 for the gradients of i2 and i3).
   */
  readonly if?: string | readonly string[] | null;
}

export interface Derivative {
  readonly differentiable: readonly string[];
  /** Inputs whose gradient formula is the incoming gradient itself (no new tensor). */
  readonly passthrough?: readonly string[];
  readonly nonDifferentiable?: readonly string[];
  readonly outputDifferentiable?: readonly boolean[] | null;
  readonly saved: readonly SavedAttribute[];
}

/** How a pointwise op's result dtype follows its inputs (measured by the generator). */
export type PointwiseDtype = 'promote' | 'promote-float' | 'bool' | 'same-as-self' | 'int64' | string;

export interface AtenEntry {
  readonly schema: string;
  readonly tags?: readonly string[];
  /** CompositeImplicitAutograd: no derivative of its own; it decomposes into other ops. */
  readonly composite?: boolean;
  readonly inplace?: boolean;
  /** Returns a view of an input. */
  readonly view?: boolean;
  readonly derivative?: Derivative | null;
  readonly dtype?: PointwiseDtype;
}

export interface Catalog {
  readonly torch: string;
  readonly release: string;
  readonly python: Readonly<Record<string, PythonEntry>>;
  readonly aten: Readonly<Record<string, AtenEntry>>;
}

export type Release = readonly [number, number];

/** Releases whose catalogs exist, oldest first, with their loaders (loaded on first use). */
const CATALOGS: readonly [Release, () => Catalog][] = [
  [[1, 13], () => require('../catalog/torch-1.13.json') as Catalog],
  [[2, 13], () => require('../catalog/torch-2.13.json') as Catalog],
  [[2, 14], () => require('../catalog/torch-2.14.json') as Catalog],
];

const loaded = new Map<string, Catalog>();

function compare(a: Release, b: Release): number {
  return a[0] - b[0] || a[1] - b[1];
}

/**
 * The catalog that describes `release`: the newest catalogued release not after it within the
 * same major version, else the oldest of that major (2.0–2.12 are described by 2.13, whose
 * derivatives.yaml differs from theirs only in ops the engine does not distinguish; which names
 * exist in each release comes from kernels/catalog/releases.json).
 */
export function catalogRelease(release: Release): Release {
  const same = CATALOGS.filter(([r]) => r[0] === release[0]);
  const pool = same.length ? same : CATALOGS;
  const before = pool.filter(([r]) => compare(r, release) <= 0);
  return (before.length ? before[before.length - 1] : pool[0])[0];
}

export function catalogFor(release: Release): Catalog {
  const r = catalogRelease(release);
  const key = `${r[0]}.${r[1]}`;
  let c = loaded.get(key);
  if (!c) {
    c = CATALOGS.find(([x]) => compare(x, r) === 0)![1]();
    loaded.set(key, c);
  }
  return c;
}

/** The aten entry of an overload name (`add.Tensor`, `relu`), or undefined. */
export function atenEntry(release: Release, overload: string): AtenEntry | undefined {
  const a = catalogFor(release).aten;
  return Object.prototype.hasOwnProperty.call(a, overload) ? a[overload] : undefined;
}

/** `add` for `add.Tensor`. */
export function atenBase(overload: string): string {
  const dot = overload.indexOf('.');
  return dot < 0 ? overload : overload.slice(0, dot);
}

interface ReleaseIndex {
  readonly releases: readonly string[];
  /** Names not present in every release: [first release, last release or null]. */
  readonly names: Readonly<Record<string, readonly [string, string | null]>>;
}

let index: ReleaseIndex | null = null;

const parseRelease = (r: string): Release => {
  const [a, b] = r.split('.').map(Number);
  return [a, b];
};

/**
 * Whether catalogued `name` exists in `release` (kernels/catalog/releases.json, read from each
 * release's wheel): `F.scaled_dot_product_attention` from 2.0, `nn.RMSNorm` from 2.4.
 */
export function existsIn(name: string, release: Release): boolean {
  index ??= require('../catalog/releases.json') as ReleaseIndex;
  const range = index.names[name];
  if (!range) return true;
  // Asked for every catalogued name of every analysis: each name's answer per release is kept.
  const key = `${release[0]}.${release[1]}`;
  let known = existence.get(key);
  if (!known) existence.set(key, (known = new Map()));
  let exists = known.get(name);
  if (exists === undefined) {
    const [since, until] = range;
    exists = compare(release, parseRelease(since)) >= 0 && (until === null || compare(release, parseRelease(until)) <= 0);
    known.set(name, exists);
  }
  return exists;
}

const existence = new Map<string, Map<string, boolean>>();

/**
 * Whether PyTorch tags an aten op `pointwise` (native_functions.yaml). 1.13 has no such tags; the
 * newest catalog's tags describe the same ops.
 */
export function isPointwise(overload: string): boolean {
  const newest = CATALOGS[CATALOGS.length - 1][0];
  const e = atenEntry(newest, overload) ?? atenEntry(newest, overload.replace(/_(?=\.|$)/, ''));
  return !!e?.tags?.includes('pointwise');
}
