import type { DType, Tensor } from '../../../kernels/src';
import type { Node } from '../python/parser';
import type { Library } from './host';

/** A source location: absolute file path and 1-based line. */
export interface Loc {
  readonly file: string;
  readonly line: number;
  /** 1-based column (UTF-16 units) of the syntax it points at, when it came from one. */
  readonly column?: number;
}

export type Value =
  | NoneV
  | BoolV
  | NumV
  | StrV
  | TupleV
  | ListV
  | DictV
  | SetV
  | IterV
  | SliceV
  | FuncV
  | BuiltinV
  | BoundV
  | ClassV
  | InstanceV
  | ModuleV
  | TensorV
  | DtypeV
  | SuperV
  | UnknownV;

export interface NoneV { readonly k: 'none' }
export interface BoolV { readonly k: 'bool'; readonly v: boolean }
export interface NumV { readonly k: 'num'; readonly v: number; readonly int: boolean }
export interface StrV { readonly k: 'str'; readonly v: string }
export interface TupleV {
  readonly k: 'tuple';
  readonly items: readonly Value[];
  /** Field names of a `collections.namedtuple` instance. */
  readonly fields?: readonly string[];
}
export interface ListV { readonly k: 'list'; items: Value[] }
export interface DictV {
  readonly k: 'dict';
  readonly map: Map<string, [Value, Value]>;
  /** `collections.defaultdict(factory)`: called for a missing key read by `d[key]`. */
  readonly defaultFactory?: Value;
  /** The dict's class when it is not `dict` (`OrderedDict`, `defaultdict`, `Counter`). */
  readonly cls?: ClassV;
  /** An object's `__dict__`: writes to the dict go to the object's attributes too. */
  readonly mirror?: Map<string, Value>;
  /** Attributes set on an instance of a dict class that has a `__dict__` (`OrderedDict`, `defaultdict`). */
  attrs?: Map<string, Value>;
}
/** `set` and `frozenset`: members keyed as dict keys are (by `repr`), in insertion order. */
export interface SetV {
  readonly k: 'set';
  readonly map: Map<string, Value>;
  readonly frozen?: boolean;
  /** A dict's `keys()` view: set-like, and its operators take any iterable (`d.keys() | other`). */
  readonly view?: boolean;
}
/**
 * A Python iterator: a generator, or what `iter()`, `zip()`, `itertools` make. `next()` gives the
 * next item, or undefined once exhausted (StopIteration).
 */
export interface IterV {
  readonly k: 'iter';
  /** Its type's name (`generator`, `list_iterator`, `itertools.count`…). */
  readonly name: string;
  next(): Value | undefined;
  /** A generator's `send`/`throw`/`close` and its result, when it is one. */
  readonly gen?: GeneratorControl;
}
/** A running generator's other entry points (statements.ts runs its body). */
export interface GeneratorControl {
  send(v: Value): Value | undefined;
  throw(e: unknown): Value | undefined;
  close(): void;
}
export interface SliceV { readonly k: 'slice'; readonly start: Value; readonly stop: Value; readonly step: Value }

/** A Python function or lambda with its defining scope. */
export interface FuncV {
  readonly k: 'func';
  readonly name: string;
  readonly node: Node;
  readonly closure: Scope;
  readonly file: string;
  readonly defaults: Map<string, Value>;
  /**
   * Defaults whose expression reads a name imported but not yet resolved
   * (`interpolation=InterpolationMode.BILINEAR`): evaluated at the first call that needs them,
   * so defining a function does not load the module a default comes from.
   */
  readonly lazyDefaults?: Map<string, Lazy>;
  /** Set by `functools.wraps(wrapped)`: `inspect.signature` follows it, as Python does. */
  wrapped?: Value;
  /** Decorators we model change behaviour: 'staticmethod', 'classmethod'. */
  readonly decorators: readonly string[];
  /** Attributes set on the function object (`f.cache = {}`, `fn._marked = True`). */
  attrs?: Map<string, Value>;
}

/** Arguments of a call: positional values and keyword values in call order. */
export interface Args {
  readonly pos: readonly Value[];
  readonly kw: ReadonlyMap<string, Value>;
}

/** A function implemented by the engine (Python builtins, the modelled torch API). */
export interface BuiltinV {
  readonly k: 'builtin';
  readonly name: string;
  readonly call: (args: Args, at: Loc) => Value;
  /**
   * A method of a built-in class (`dict.__setitem__`, `object.__init__`): read through an instance
   * it binds to it, as a Python function does. Other built-in functions never bind.
   */
  readonly binds?: boolean;
}

export interface BoundV { readonly k: 'bound'; readonly fn: Value; readonly self: Value }

/**
 * Behaviour the engine gives a class it models (nn.Module and its subclasses in torch.nn). The
 * classes are shared by every analysis, so each hook is handed the library of the analysis running
 * it. A modelled class is reachable only through the namespaces of the library kind that models
 * it, so its hooks may declare that library's concrete type (method parameters are compared
 * bivariantly).
 */
export interface NativeClass {
  /** Called for `Cls(...)` and `super().__init__(...)` on an instance of this (or a derived) class. */
  init?(self: InstanceV, args: Args, at: Loc, lib: Library): void;
  /** `forward`, when the class defines one. */
  forward?(self: InstanceV, args: Args, at: Loc, lib: Library): Value;
  /** Extra attribute lookups (methods, properties) after the instance's own attributes. */
  attr?(self: InstanceV, name: string, at: Loc, lib: Library): Value | undefined;
  /** A method read through the class itself (`nn.Module.to`): unbound, taking the instance first. */
  classAttr?(name: string, lib: Library): Value | undefined;
  /** Calling the class itself makes this value instead of an instance (`torch.Tensor([1, 2])`). */
  construct?(args: Args, at: Loc, lib: Library): Value;
}

export interface ClassV {
  readonly k: 'class';
  readonly name: string;
  readonly bases: readonly ClassV[];
  readonly attrs: Map<string, Value>;
  native?: NativeClass;
  readonly loc: Loc | null;
  /** Set for dataclasses: their fields in order (dataClasses.ts). */
  dataclassFields?: DataclassField[];
  /** Set for `collections.namedtuple` classes: calling one builds a tuple with these field names. */
  tupleFields?: readonly string[];
  /**
   * Set on Python's built-in classes (`dict`, `str`, `int`…): instances of a class derived from one
   * hold a value of that type (InstanceV.base).
   */
  readonly builtinType?: string;
  /** The metaclass, when it is not `type` (`class M(OrderedDict, metaclass=Meta)`). */
  meta?: ClassV;
  /** Bases that were unknown where the class was defined (reported when the class is used). */
  unknownBases?: readonly { readonly text: string; readonly reason: string }[];
}

/** One field of a dataclass, as `dataclasses.dataclass` made it. */
export interface DataclassField {
  readonly name: string;
  /** Its default, when it has one. */
  readonly dflt?: Value;
  /** Its `default_factory`, when it has one. */
  readonly factory?: Value;
  readonly init: boolean;
  readonly kwOnly: boolean;
  readonly initVar: boolean;
  /** Where the field is declared (a missing value is reported there). */
  readonly at?: Loc;
  /** The `dataclasses.Field` object `fields()` returns. */
  readonly field: InstanceV;
}

/** Registered state of an `nn.Module` instance, in registration order like `named_modules()`. */
export interface ModuleState {
  readonly children: Map<string, InstanceV | NoneV>;
  readonly params: Map<string, TensorV | NoneV>;
  readonly buffers: Map<string, TensorV | NoneV>;
  training: boolean;
  /** Where the instance was constructed. */
  readonly created: Loc;
}

export interface InstanceV {
  readonly k: 'instance';
  readonly cls: ClassV;
  readonly attrs: Map<string, Value>;
  module?: ModuleState;
  readonly id: number;
  /**
   * The built-in value an instance of a class derived from a built-in type holds: the dict of a
   * `class Output(OrderedDict)`, the str of a `class Mode(str, Enum)` member.
   */
  base?: Value;
}

export interface ModuleV {
  readonly k: 'module';
  readonly name: string;
  readonly attrs: Map<string, Value>;
  /** Names bound by imports not yet resolved (see `Scope.lazy`); `attrs` wins over them. */
  lazy?: Map<string, Lazy>;
  /** Star imports not yet resolved (see `Scope.stars`), asked for a name `attrs` and `lazy` lack. */
  stars?: StarSource[];
  /**
   * A module the engine models (torch, the standard library): a name it lacks is not modelled
   * (an unknown), not missing (Python's AttributeError), since the real module may have it.
   */
  readonly modelled?: boolean;
}

/** A lazily resolved `from m import *`: the value of `name` if `m` provides it, else undefined. */
export type StarSource = (name: string) => Value | undefined;

/** A value computed when first read, once (an import is resolved when its name is first used). */
export type Lazy = () => Value;
/**
 * A tensor value. `values` holds its elements (row-major) when they are known constants: a small
 * tensor built from Python numbers (`torch.tensor([...])`, `torch.arange(n)`) and the elementwise
 * arithmetic on it, so that code computing layer widths with torch (`….int().tolist()`) runs.
 */
export interface TensorV { readonly k: 'tensor'; readonly t: Tensor; readonly values?: readonly number[] }
export interface DtypeV { readonly k: 'dtype'; readonly v: DType }
export interface SuperV { readonly k: 'super'; readonly cls: ClassV; readonly self: Value }

/** A value the engine could not compute, with the reason and where it arose. */
export interface UnknownV { readonly k: 'unknown'; readonly reason: string; readonly at: Loc }

/** Variables of one Python scope; `parent` is the enclosing function's or the module's. */
export class Scope {
  readonly vars = new Map<string, Value>();
  /**
   * Names bound by import statements, resolved on first read: a model file imports much it never
   * uses for the model (weights registries, transforms, image libraries), and loading all of it
   * would spend the time budget and report unknowns on lines that do not build the model.
   * A later assignment to `vars` shadows an entry here; `bindLazy` drops an older `vars` entry.
   */
  readonly lazy = new Map<string, Lazy>();
  /**
   * Star imports of an installed package's file, resolved per name on first read (timm's
   * `from .beit import *` for ~80 model files, transformers' hundreds): only the modules that
   * define a name the model reads are loaded.
   */
  readonly stars: StarSource[] = [];
  /** Names a function declares `global` / `nonlocal`: assigning them binds in the module / enclosing scope. */
  globalNames?: ReadonlySet<string>;
  nonlocalNames?: ReadonlySet<string>;
  /** A comprehension's own scope (`:=` inside it binds in the enclosing one). */
  comprehension?: boolean;
  constructor(readonly parent: Scope | null, readonly globals: Scope | null) {}

  lookup(name: string): Value | undefined {
    for (let s: Scope | null = this; s; s = s.parent) {
      const v = s.vars.get(name) ?? s.force(name) ?? s.fromStars(name);
      if (v !== undefined) return v;
    }
    return undefined;
  }

  /** A name from this scope's star imports (not its parents'), bound into `vars` once found. */
  fromStars(name: string): Value | undefined {
    for (const source of this.stars) {
      const v = source(name);
      if (v !== undefined) {
        if (!this.vars.has(name)) this.vars.set(name, v);
        return this.vars.get(name);
      }
    }
    return undefined;
  }

  /** True when `name` would resolve to an import of this scope chain that has not been read yet. */
  isLazy(name: string): boolean {
    for (let s: Scope | null = this; s; s = s.parent) {
      if (s.vars.has(name)) return false;
      if (s.lazy.has(name)) return true;
    }
    return this.globals !== null && this.globals !== this && this.globals.isLazy(name);
  }

  bindLazy(name: string, value: Lazy): void {
    this.vars.delete(name);
    this.lazy.set(name, value);
  }

  /** Resolves a lazily bound name of this scope (not its parents) into `vars`. */
  force(name: string): Value | undefined {
    const f = this.lazy.get(name);
    if (!f) return undefined;
    this.lazy.delete(name);
    const v = f();
    if (!this.vars.has(name)) this.vars.set(name, v);
    return this.vars.get(name);
  }
}

/** Memoizes `compute`; a read while it is still computing (a circular import) gets `cycle()`. */
export function lazyValue(compute: () => Value, cycle: () => Value): Lazy {
  let state: 'new' | 'busy' | 'done' = 'new';
  let value: Value = NONE;
  return () => {
    if (state === 'done') return value;
    if (state === 'busy') return cycle();
    state = 'busy';
    try {
      value = compute();
    } finally {
      state = 'done';
    }
    return value;
  };
}

/** A module attribute, resolving a lazily imported name on first read. */
export function moduleAttr(mod: ModuleV, name: string): Value | undefined {
  const v = mod.attrs.get(name);
  if (v !== undefined) return v;
  const f = mod.lazy?.get(name);
  if (!f) {
    for (const source of mod.stars ?? []) {
      const found = source(name);
      if (found !== undefined) {
        mod.attrs.set(name, found);
        return found;
      }
    }
    return undefined;
  }
  mod.lazy!.delete(name);
  const forced = f();
  mod.attrs.set(name, forced);
  return forced;
}

export const NONE: NoneV = { k: 'none' };
export const TRUE: BoolV = { k: 'bool', v: true };
export const FALSE: BoolV = { k: 'bool', v: false };

export const num = (v: number, int = Number.isInteger(v)): NumV => ({ k: 'num', v, int });
export const int = (v: number): NumV => ({ k: 'num', v, int: true });
export const str = (v: string): StrV => ({ k: 'str', v });
export const bool = (v: boolean): BoolV => (v ? TRUE : FALSE);
export const tuple = (items: readonly Value[]): TupleV => ({ k: 'tuple', items });
export const list = (items: Value[]): ListV => ({ k: 'list', items });
export const tensorV = (t: Tensor): TensorV => ({ k: 'tensor', t });

/**
 * A tensor changed in place (`x.add_(y)`, `x[i] = y`, `p.requires_grad = False`): Python
 * mutates the object, so the change is made on the value object, which every holder of it (a
 * variable, a module's parameter registry) shares.
 */
export function updateTensor(v: TensorV, t: Tensor): void {
  (v as { t: Tensor }).t = t;
}

export function setRequiresGrad(v: TensorV, on: boolean): void {
  updateTensor(v, { ...v.t, requiresGrad: on });
}
/** A tensor value with its elements, when they are known (see TensorV.values). */
export const tensorWithValues = (t: Tensor, values: readonly number[] | undefined): TensorV => (values ? { k: 'tensor', t, values } : { k: 'tensor', t });
export const unknown = (reason: string, at: Loc): UnknownV => ({ k: 'unknown', reason, at });

export function builtin(name: string, call: (args: Args, at: Loc) => Value): BuiltinV {
  return { k: 'builtin', name, call };
}

/** A method of a built-in class: binds to the instance it is read through (BuiltinV.binds). */
export function builtinMethodOf(name: string, call: (args: Args, at: Loc) => Value): BuiltinV {
  return { k: 'builtin', name, call, binds: true };
}

const NO_KW: ReadonlyMap<string, Value> = new Map();
export const args = (pos: readonly Value[], kw: ReadonlyMap<string, Value> = NO_KW): Args => ({ pos, kw });

/** A Python `raise` (or an error the modelled library raises), catchable by `try/except`. */
export class PyException extends Error {
  /** The exception object, once one exists (`raise MyError(...)`, or made for `except E as e`). */
  value?: Value;
  constructor(readonly type: string, message: string, readonly at: Loc, value?: Value) {
    super(`${type}: ${message}`);
    this.pyMessage = message;
    if (value) this.value = value;
  }
  readonly pyMessage: string;
}

/** `raise type(message)` where an expression is expected. */
export function raise(type: string, message: string, at: Loc): never {
  throw new PyException(type, message, at);
}

/** The analysis ran out of a budget (steps, depth, loop iterations, time). */
export class BudgetExceeded extends Error {
  constructor(message: string, readonly at: Loc) {
    super(message);
  }
}

export function typeName(v: Value): string {
  switch (v.k) {
    case 'none': return 'NoneType';
    case 'bool': return 'bool';
    case 'num': return v.int ? 'int' : 'float';
    case 'str': return 'str';
    case 'tuple': return 'tuple';
    case 'list': return 'list';
    case 'dict': return 'dict';
    case 'set': return v.view ? 'dict_keys' : v.frozen ? 'frozenset' : 'set';
    case 'iter': return v.name;
    case 'slice': return 'slice';
    case 'func': case 'builtin': case 'bound': return 'function';
    case 'class': return 'type';
    case 'instance': return v.cls.name;
    case 'module': return 'module';
    case 'tensor': return 'Tensor';
    case 'dtype': return 'torch.dtype';
    case 'super': return 'super';
    case 'unknown': return 'unknown';
  }
}

/** A short Python-like rendering for messages and dict keys. */
export function repr(v: Value): string {
  switch (v.k) {
    case 'none': return 'None';
    case 'bool': return v.v ? 'True' : 'False';
    case 'num': return v.int ? String(v.v) : Number.isInteger(v.v) ? `${v.v}.0` : String(v.v);
    case 'str': return JSON.stringify(v.v);
    case 'tuple': return `(${v.items.map(repr).join(', ')}${v.items.length === 1 ? ',' : ''})`;
    case 'list': return `[${v.items.map(repr).join(', ')}]`;
    case 'dict': return `{${[...v.map.values()].map(([k, x]) => `${repr(k)}: ${repr(x)}`).join(', ')}}`;
    case 'set': return v.map.size === 0 ? (v.frozen ? 'frozenset()' : 'set()') : `${v.frozen ? 'frozenset({' : '{'}${[...v.map.values()].map(repr).join(', ')}}${v.frozen ? ')' : ''}`;
    case 'iter': return `<${v.name} object>`;
    case 'slice': return `slice(${repr(v.start)}, ${repr(v.stop)}, ${repr(v.step)})`;
    case 'func': return `<function ${v.name}>`;
    case 'builtin': return `<built-in ${v.name}>`;
    case 'bound': return `<bound method ${repr(v.fn)}>`;
    case 'class': return `<class ${v.name}>`;
    case 'instance': return `<${v.cls.name} object #${v.id}>`;
    case 'module': return `<module ${v.name}>`;
    case 'tensor': return `Tensor[${v.t.shape.join(', ')}] ${v.t.dtype}`;
    case 'dtype': return `torch.${v.v}`;
    case 'super': return `<super ${v.cls.name}>`;
    case 'unknown': return `<unknown: ${v.reason}>`;
  }
}

/** Walks the class hierarchy in method resolution order (C3 linearization). */
export function mro(cls: ClassV): readonly ClassV[] {
  let cached = mroCache.get(cls);
  if (!cached) {
    cached = linearize(cls);
    mroCache.set(cls, cached);
  }
  return cached;
}

// A class's bases never change after its definition, so its linearization is computed once.
const mroCache = new WeakMap<ClassV, readonly ClassV[]>();

function linearize(cls: ClassV): ClassV[] {
  const seqs = [...cls.bases.map((b) => [...mro(b)]), [...cls.bases]];
  const out: ClassV[] = [cls];
  for (;;) {
    const nonEmpty = seqs.filter((s) => s.length > 0);
    if (nonEmpty.length === 0) return out;
    const head = nonEmpty.map((s) => s[0]).find((c) => !nonEmpty.some((s) => s.indexOf(c) > 0));
    if (!head) return out; // inconsistent hierarchy: keep what we have
    out.push(head);
    for (const s of nonEmpty) if (s[0] === head) s.shift();
  }
}

export function isSubclass(cls: ClassV, base: ClassV): boolean {
  return mro(cls).includes(base);
}

/** Looks an attribute up on a class and its bases. */
export function classAttr(cls: ClassV, name: string): { value: Value; owner: ClassV } | undefined {
  for (const c of mro(cls)) {
    const v = c.attrs.get(name);
    if (v !== undefined) return { value: v, owner: c };
  }
  return undefined;
}

export function nativeOf(cls: ClassV): { native: NativeClass; owner: ClassV } | undefined {
  for (const c of mro(cls)) if (c.native) return { native: c.native, owner: c };
  return undefined;
}

/**
 * The key a value has in a dict or set: values Python counts as equal share one (`1`, `1.0` and
 * `True`; a `str`-derived enum member and its string; equal tuples).
 */
export function keyOf(v: Value): string {
  switch (v.k) {
    case 'num': return Number.isInteger(v.v) ? String(v.v) : v.v !== v.v ? 'nan' : String(v.v);
    case 'bool': return v.v ? '1' : '0';
    case 'str': return JSON.stringify(v.v);
    case 'tuple': return `(${v.items.map(keyOf).join(', ')}${v.items.length === 1 ? ',' : ''})`;
    case 'set': return v.frozen ? `frozenset(${[...v.map.keys()].sort().join(', ')})` : repr(v);
    case 'instance':
      if (v.base && (v.base.k === 'str' || v.base.k === 'num' || v.base.k === 'bool' || v.base.k === 'tuple') && !ownHash(v.cls)) return keyOf(v.base);
      return repr(v);
    default: return repr(v);
  }
}

/** True when a class below the built-in types defines its own `__hash__` or `__eq__`. */
function ownHash(cls: ClassV): boolean {
  for (const c of mro(cls)) {
    if (c.builtinType) return false;
    if (c.attrs.has('__hash__') || c.attrs.has('__eq__')) return true;
  }
  return false;
}
