import { Args, DictV, Loc, NONE, PyException, Value, bool, builtin, int, list, num, repr, str, tuple } from '../values';
import type { TorchLibrary } from '../torch/library';
import { defaultFactory } from '../dataClasses';
import { AUTO_MARKER, ENUM_MARKER } from '../enums';
import { namedTupleClass } from '../namedTuples';
import { cloneModule } from '../torch/nn';
import { pyClass } from './builtins';
import { inspectModule } from './inspect';

/** The standard-library modules model files import (math, dataclasses, typing…). */
export function pythonModules(lib: TorchLibrary): Map<string, Value> {
  const fn = (name: string, f: (a: Args, at: Loc) => Value) => builtin(name, f);
  const n = (a: Args, i: number): number => (a.pos[i]?.k === 'num' ? (a.pos[i] as { v: number }).v : a.pos[i]?.k === 'bool' ? ((a.pos[i] as { v: boolean }).v ? 1 : 0) : NaN);
  const unary = (name: string, f: (x: number) => number, asInt = false) =>
    fn(`math.${name}`, (a, at) => (a.pos[0]?.k === 'unknown' ? a.pos[0] : Number.isNaN(n(a, 0)) ? lib.interp.fail(`math.${name}() of a non-number`, at) : asInt ? int(f(n(a, 0))) : num(f(n(a, 0)), false)));
  const math = lib.ns('math', {
    sqrt: unary('sqrt', Math.sqrt), exp: unary('exp', Math.exp), log2: unary('log2', Math.log2), log10: unary('log10', Math.log10),
    ceil: unary('ceil', Math.ceil, true), floor: unary('floor', Math.floor, true), trunc: unary('trunc', Math.trunc, true),
    cos: unary('cos', Math.cos), sin: unary('sin', Math.sin), tanh: unary('tanh', Math.tanh), fabs: unary('fabs', Math.abs),
    isqrt: unary('isqrt', (x) => Math.floor(Math.sqrt(x)), true),
    log: fn('math.log', (a) => num(a.pos[1] ? Math.log(n(a, 0)) / Math.log(n(a, 1)) : Math.log(n(a, 0)), false)),
    pow: fn('math.pow', (a) => num(n(a, 0) ** n(a, 1), false)),
    gcd: fn('math.gcd', (a) => { let [x, y] = [Math.abs(n(a, 0)), Math.abs(n(a, 1))]; while (y) [x, y] = [y, x % y]; return int(x); }),
    prod: fn('math.prod', (a, at) => { let p = 1; let isInt = true; for (const v of lib.interp.iterate(a.pos[0] ?? list([]), at)) { if (v.k === 'num') { p *= v.v; isInt &&= v.int; } } return num(p, isInt); }),
    pi: num(Math.PI, false), e: num(Math.E, false), inf: num(Infinity, false), nan: num(NaN, false), tau: num(2 * Math.PI, false),
  });
  const dataclass = fn('dataclass', (a) => a.pos[0] ?? fn('dataclass', (b) => b.pos[0] ?? NONE));
  const field = fn('dataclasses.field', (a) => {
    const factory = a.kw.get('default_factory');
    if (factory) return defaultFactory(factory);
    return a.kw.get('default') ?? NONE;
  });
  const fieldCls = pyClass('Field');
  const fields = fn('dataclasses.fields', (a, at) => {
    const x = a.pos[0] ?? NONE;
    const cls = x.k === 'class' ? x : x.k === 'instance' ? x.cls : null;
    if (!cls?.dataclassFields) throw new PyException('TypeError', 'fields() should be called on dataclass types or instances', at);
    return tuple(cls.dataclassFields.map((f) => ({ k: 'instance', cls: fieldCls, attrs: new Map<string, Value>([['name', str(f.name)], ['default', f.dflt ?? NONE]]), id: lib.interp.newInstanceId() })));
  });
  // dataclasses.asdict: fields to a dict, recursing into dataclass instances, lists, tuples and dicts.
  const asdict = (v: Value, depth: number): Value => {
    if (depth > 16) return v;
    if (v.k === 'instance' && v.cls.dataclassFields) {
      const d: DictV = { k: 'dict', map: new Map() };
      for (const f of v.cls.dataclassFields) d.map.set(repr(str(f.name)), [str(f.name), asdict(v.attrs.get(f.name) ?? NONE, depth + 1)]);
      return d;
    }
    if (v.k === 'list') return list(v.items.map((x) => asdict(x, depth + 1)));
    if (v.k === 'tuple') return tuple(v.items.map((x) => asdict(x, depth + 1)));
    if (v.k === 'dict') return { k: 'dict', map: new Map([...v.map].map(([k, [kv, x]]) => [k, [kv, asdict(x, depth + 1)]])) } as DictV;
    return v;
  };
  // dataclasses.replace(obj, **changes): a new instance built by the class from obj's fields and the changes.
  const replace = fn('dataclasses.replace', (a, at) => {
    const obj = a.pos[0] ?? NONE;
    if (obj.k !== 'instance' || !obj.cls.dataclassFields) throw new PyException('TypeError', 'replace() should be called on dataclass instances', at);
    const kw = new Map<string, Value>();
    for (const f of obj.cls.dataclassFields) kw.set(f.name, obj.attrs.get(f.name) ?? NONE);
    for (const [k, v] of a.kw) {
      if (!kw.has(k)) throw new PyException('TypeError', `__init__() got an unexpected keyword argument '${k}'`, at);
      kw.set(k, v);
    }
    return lib.interp.call(obj.cls, { pos: [], kw }, at);
  });
  const dataclasses = lib.ns('dataclasses', { dataclass, field, fields, replace, asdict: fn('asdict', (a) => asdict(a.pos[0] ?? NONE, 0)), is_dataclass: fn('is_dataclass', (a) => {
    const x = a.pos[0] ?? NONE;
    return bool(x.k === 'class' ? !!x.dataclassFields : x.k === 'instance' && !!x.cls.dataclassFields);
  }) });
  const typingNames = ['Optional', 'List', 'Dict', 'Tuple', 'Union', 'Any', 'Callable', 'Type', 'Sequence', 'Iterable', 'Mapping', 'Set', 'Literal', 'ClassVar', 'Final', 'TypeVar', 'Generic', 'Protocol', 'cast', 'overload', 'NamedTuple', 'TYPE_CHECKING', 'override'];
  const typing = lib.ns('typing', Object.fromEntries(typingNames.map((t) => [t, t === 'TYPE_CHECKING' ? bool(false) : t === 'cast' ? fn('cast', (a) => a.pos[1] ?? NONE) : fn(`typing.${t}`, (a) => a.pos[0] ?? NONE)])));
  const ordered = fn('OrderedDict', (a, at) => lib.interp.call(lib.builtins.get('dict')!, a, at));
  // collections.abc: the abstract classes model code checks with isinstance (objects.ts isInstance).
  const abcNames = ['Sequence', 'MutableSequence', 'Mapping', 'MutableMapping', 'Iterable', 'Iterator', 'Callable', 'Sized', 'Container', 'Collection', 'Hashable', 'Set', 'MutableSet'];
  const collectionsAbc = lib.ns('collections.abc', Object.fromEntries(abcNames.map((t) => [t, fn(`collections.abc.${t}`, (_a, at) => lib.interp.fail(`collections.abc.${t} cannot be instantiated`, at))])));
  const collections = lib.ns('collections', { abc: collectionsAbc, OrderedDict: ordered, defaultdict: fn('defaultdict', (a, at) => {
    const [factory, ...rest] = a.pos;
    const init = lib.interp.call(lib.builtins.get('dict')!, { pos: rest, kw: a.kw }, at);
    return { k: 'dict', map: init.k === 'dict' ? init.map : new Map(), ...(factory && factory.k !== 'none' ? { defaultFactory: factory } : {}) } as DictV;
  }),
    deque: fn('deque', (a, at) => list(a.pos[0] ? lib.interp.iterate(a.pos[0], at) : [])),
    Counter: fn('Counter', (a, at) => {
      const d: DictV = { k: 'dict', map: new Map(), defaultFactory: fn('int', () => int(0)) };
      for (const x of a.pos[0] ? lib.interp.iterate(a.pos[0], at) : []) {
        const key = repr(x);
        const old = d.map.get(key)?.[1];
        d.map.set(key, [x, int((old?.k === 'num' ? old.v : 0) + 1)]);
      }
      return d;
    }), namedtuple: fn('namedtuple', (a, at) => namedtuple(lib, a, at)) });
  const partial = fn('functools.partial', (a, at) => {
    const [f, ...bound] = a.pos;
    if (!f) return lib.interp.fail('partial() without a function', at);
    return fn('partial', (b, where) => lib.interp.call(f, { pos: [...bound, ...b.pos], kw: new Map([...a.kw, ...b.kw]) }, where));
  });
  // `wraps(f)(g)`: g under f's name, remembering f (`inspect.signature` follows `__wrapped__`).
  const wraps = fn('functools.wraps', (a) => {
    const wrapped = a.pos[0] ?? a.kw.get('wrapped') ?? NONE;
    return fn('functools.wraps.<decorator>', (b) => {
      const g = b.pos[0] ?? NONE;
      if (g.k !== 'func') return g;
      const name = wrapped.k === 'func' || wrapped.k === 'builtin' || wrapped.k === 'class' ? wrapped.name : g.name;
      return { ...g, name, wrapped };
    });
  });
  const functools = lib.ns('functools', { partial, wraps, lru_cache: fn('lru_cache', (a) => (a.pos[0]?.k === 'func' ? a.pos[0] : fn('lru_cache', (b) => b.pos[0] ?? NONE))), cache: fn('cache', (a) => a.pos[0] ?? NONE), reduce: fn('reduce', (a, at) => {
    const items = lib.interp.iterate(a.pos[1] ?? list([]), at);
    let acc = a.pos[2] ?? items.shift() ?? NONE;
    for (const v of items) acc = lib.interp.call(a.pos[0] ?? NONE, { pos: [acc, v], kw: new Map() }, at);
    return acc;
  }) });
  const warnings = lib.ns('warnings', { warn: fn('warn', () => NONE) });
  const abc = lib.ns('abc', { ABC: pyClass('ABC'), abstractmethod: fn('abstractmethod', (a) => a.pos[0] ?? NONE) });
  const logging = lib.ns('logging', { getLogger: fn('getLogger', () => lib.ns('logger', { info: fn('info', () => NONE), warning: fn('warning', () => NONE), debug: fn('debug', () => NONE) })) });
  // copy.copy / copy.deepcopy of plain data (configs, lists, dicts); a module's deep copy gets fresh
  // parameters (nn.ts cloneModule).
  const copyOf = (deep: boolean) => (a: Args, at: Loc): Value => {
    const clone = (v: Value, depth: number): Value => {
      if (depth > 32) throw new PyException('RecursionError', 'copy of a too deeply nested value', at);
      const inner = (x: Value) => (deep ? clone(x, depth + 1) : x);
      switch (v.k) {
        case 'list': return list(v.items.map(inner));
        case 'tuple': return deep ? tuple(v.items.map(inner)) : v;
        case 'dict': return { k: 'dict', map: new Map([...v.map].map(([k, [kv, x]]) => [k, [kv, inner(x)]])) } as DictV;
        case 'instance':
          if (v.module) return deep ? cloneModule(lib, v) : lib.interp.fail('copy.copy() of an nn.Module is not modelled', at);
          return { k: 'instance', cls: v.cls, attrs: new Map([...v.attrs].map(([k, x]) => [k, inner(x)])), id: lib.interp.newInstanceId() };
        default: return v;
      }
    };
    return clone(a.pos[0] ?? NONE, 0);
  };
  const copy = lib.ns('copy', { copy: fn('copy.copy', copyOf(false)), deepcopy: fn('copy.deepcopy', copyOf(true)) });
  const enumBase = pyClass('Enum');
  enumBase.attrs.set(ENUM_MARKER, bool(true));
  const autoCls = pyClass('auto');
  autoCls.attrs.set(AUTO_MARKER, bool(true));
  const enumMeta = pyClass('EnumMeta');
  const enumModule = lib.ns('enum', {
    Enum: enumBase, IntEnum: pyClass('IntEnum', [enumBase]), Flag: pyClass('Flag', [enumBase]), IntFlag: pyClass('IntFlag', [enumBase]),
    EnumMeta: enumMeta, EnumType: enumMeta, auto: autoCls, unique: fn('enum.unique', (a) => a.pos[0] ?? NONE),
  });
  const types = lib.ns('types', {
    FunctionType: fn('FunctionType', (_a, at) => lib.interp.fail('types.FunctionType() is not modelled', at)),
    MethodType: fn('MethodType', (a) => (a.pos[0] && a.pos[1] ? { k: 'bound', fn: a.pos[0], self: a.pos[1] } : NONE)),
    ModuleType: pyClass('ModuleType'), SimpleNamespace: pyClass('SimpleNamespace'),
  });
  const sys = lib.ns('sys', { version_info: { k: 'tuple', items: [int(3), int(10), int(0)] }, maxsize: int(2 ** 53 - 1), platform: str('linux'), argv: list([]), modules: { k: 'dict', map: new Map() } as DictV });
  return new Map<string, Value>([
    ['math', math], ['copy', copy], ['enum', enumModule], ['inspect', inspectModule(lib)], ['types', types], ['sys', sys], ['dataclasses', dataclasses], ['typing', typing], ['typing_extensions', typing], ['collections', collections], ['collections.abc', collectionsAbc],
    ['functools', functools], ['warnings', warnings], ['abc', abc], ['logging', logging], ['__future__', lib.ns('__future__', {})],
  ]);
}

/** `collections.namedtuple("Name", ["a", "b"])` or `("Name", "a b")` / `"a, b"`: a class whose calls build named tuples. */
function namedtuple(lib: TorchLibrary, a: Args, at: Loc): Value {
  const name = a.pos[0] ?? a.kw.get('typename');
  const spec = a.pos[1] ?? a.kw.get('field_names');
  if (name?.k !== 'str' || !spec) return lib.interp.fail('namedtuple() needs a name and field names', at);
  const fields = spec.k === 'str' ? spec.v.split(/[\s,]+/).filter(Boolean) : lib.interp.iterate(spec, at).map((f) => (f.k === 'str' ? f.v : '?'));
  if (fields.includes('?')) return lib.interp.fail('namedtuple() field names must be strings', at);
  return namedTupleClass(name.v, fields, at);
}
