import { listIterator, makeDict, pairsOf } from '../builtinTypes';
import { newInstance } from '../calls';
import { dataclassesModule } from '../dataClasses';
import { AUTO_MARKER, ENUM_MARKER } from '../enums';
import { namedTupleClass } from '../namedTuples';
import { bindAttr, delitem, getitem, iterate, lengthOf, lookupClassAttr, pyEquals, setitem } from '../objects';
import { binaryOp, compare } from '../operators';
import type { InterpreterState } from '../state';
import { cloneModule } from '../torch/nn';
import type { TorchLibrary } from '../torch/library';
import {
  Args, ClassV, DictV, FuncV, InstanceV, Loc, ModuleV, NONE, PyException, Value, args, bool, builtin, builtinMethodOf, int, keyOf, list, mro, num, str, tuple,
} from '../values';
import { pyClass } from './builtins';
import { annotationsDict, classAnnotations } from '../classes';
import { evalSource } from '../expressions';
import { inspectModule } from './inspect';
import { systemModules } from './systemModules';

/** The standard-library modules model files and libraries import (math, dataclasses, typing, functools…). */
export function pythonModules(lib: TorchLibrary): Map<string, Value> {
  const st = (): InterpreterState => lib.interp.state;
  const fn = (name: string, f: (a: Args, at: Loc) => Value) => builtin(name, f);
  const cls = (name: string) => lib.builtins.get(name) as ClassV;
  const n = (a: Args, i: number, at: Loc): number => {
    const v = a.pos[i];
    if (v?.k === 'num') return v.v;
    if (v?.k === 'bool') return v.v ? 1 : 0;
    if (v?.k === 'instance' && v.base?.k === 'num') return v.base.v;
    throw new PyException('TypeError', `must be real number, not ${v?.k ?? 'nothing'}`, at);
  };
  const unary = (name: string, f: (x: number) => number, asInt = false) =>
    fn(`math.${name}`, (a, at) => {
      if (a.pos[0]?.k === 'unknown') return a.pos[0];
      const x = n(a, 0, at);
      const r = f(x);
      if (Number.isNaN(r) && !Number.isNaN(x)) throw new PyException('ValueError', 'math domain error', at);
      return asInt ? int(r) : num(r, false);
    });
  const math = lib.ns('math', {
    sqrt: unary('sqrt', Math.sqrt), exp: unary('exp', Math.exp), log2: unary('log2', Math.log2), log10: unary('log10', Math.log10), log1p: unary('log1p', Math.log1p), expm1: unary('expm1', Math.expm1),
    ceil: unary('ceil', Math.ceil, true), floor: unary('floor', Math.floor, true), trunc: unary('trunc', Math.trunc, true),
    cos: unary('cos', Math.cos), sin: unary('sin', Math.sin), tan: unary('tan', Math.tan), tanh: unary('tanh', Math.tanh), atan: unary('atan', Math.atan), acos: unary('acos', Math.acos), asin: unary('asin', Math.asin),
    fabs: unary('fabs', Math.abs), erf: unary('erf', erf), isqrt: unary('isqrt', (x) => Math.floor(Math.sqrt(x)), true),
    radians: unary('radians', (x) => (x * Math.PI) / 180), degrees: unary('degrees', (x) => (x * 180) / Math.PI),
    isnan: fn('math.isnan', (a, at) => bool(Number.isNaN(n(a, 0, at)))), isinf: fn('math.isinf', (a, at) => bool(Math.abs(n(a, 0, at)) === Infinity)), isfinite: fn('math.isfinite', (a, at) => bool(Number.isFinite(n(a, 0, at)))),
    log: fn('math.log', (a, at) => num(a.pos[1] ? Math.log(n(a, 0, at)) / Math.log(n(a, 1, at)) : Math.log(n(a, 0, at)), false)),
    pow: fn('math.pow', (a, at) => num(n(a, 0, at) ** n(a, 1, at), false)),
    atan2: fn('math.atan2', (a, at) => num(Math.atan2(n(a, 0, at), n(a, 1, at)), false)),
    hypot: fn('math.hypot', (a, at) => num(Math.hypot(...a.pos.map((_, i) => n(a, i, at))), false)),
    copysign: fn('math.copysign', (a, at) => num(Math.sign(n(a, 1, at)) * Math.abs(n(a, 0, at)), false)),
    fmod: fn('math.fmod', (a, at) => num(n(a, 0, at) % n(a, 1, at), false)),
    gcd: fn('math.gcd', (a, at) => { let g = 0; for (let i = 0; i < a.pos.length; i++) { let [x, y] = [Math.abs(g), Math.abs(n(a, i, at))]; while (y) [x, y] = [y, x % y]; g = x; } return int(g); }),
    lcm: fn('math.lcm', (a, at) => { let l = 1; for (let i = 0; i < a.pos.length; i++) { const y = Math.abs(n(a, i, at)); let [p, q] = [l, y]; while (q) [p, q] = [q, p % q]; l = p ? (l / p) * y : 0; } return int(l); }),
    factorial: fn('math.factorial', (a, at) => { let p = 1; for (let i = 2; i <= n(a, 0, at); i++) p *= i; return int(p); }),
    comb: fn('math.comb', (a, at) => { const [x, k] = [n(a, 0, at), n(a, 1, at)]; let r = 1; for (let i = 1; i <= k; i++) r = (r * (x - k + i)) / i; return int(Math.round(r)); }),
    prod: fn('math.prod', (a, at) => {
      let acc: Value = a.kw.get('start') ?? int(1);
      for (const v of iterate(st(), a.pos[0] ?? list([]), at)) acc = binaryOp(st(), '*', acc, v, at, false);
      return acc;
    }),
    fsum: fn('math.fsum', (a, at) => num(iterate(st(), a.pos[0] ?? list([]), at).reduce((s, v) => s + (v.k === 'num' ? v.v : 0), 0), false)),
    isclose: fn('math.isclose', (a, at) => {
      const [x, y] = [n(a, 0, at), n(a, 1, at)];
      const rel = a.kw.get('rel_tol')?.k === 'num' ? (a.kw.get('rel_tol') as { v: number }).v : 1e-9;
      const abs = a.kw.get('abs_tol')?.k === 'num' ? (a.kw.get('abs_tol') as { v: number }).v : 0;
      return bool(x === y || Math.abs(x - y) <= Math.max(rel * Math.max(Math.abs(x), Math.abs(y)), abs));
    }),
    pi: num(Math.PI, false), e: num(Math.E, false), inf: num(Infinity, false), nan: num(NaN, false), tau: num(2 * Math.PI, false),
  });

  // ── copy ──
  // copy.copy / copy.deepcopy: a module's deep copy gets fresh parameters (nn.ts cloneModule);
  // `__copy__`/`__deepcopy__` of a class run; other objects are copied through their attributes.
  const copyOf = (deep: boolean) => (a: Args, at: Loc): Value => {
    const memo = new Map<object, Value>();
    const clone = (v: Value, depth: number): Value => {
      if (depth > 64) throw new PyException('RecursionError', 'copy of a too deeply nested value', at);
      const done = memo.get(v);
      if (done) return done;
      const inner = (x: Value) => (deep ? clone(x, depth + 1) : x);
      switch (v.k) {
        case 'list': {
          const out = list([]);
          memo.set(v, out);
          out.items.push(...v.items.map(inner));
          return out;
        }
        case 'tuple': return deep ? { ...v, items: v.items.map(inner) } : v;
        case 'dict': {
          const out: DictV = { k: 'dict', map: new Map(), ...(v.defaultFactory ? { defaultFactory: v.defaultFactory } : {}), ...(v.cls ? { cls: v.cls } : {}) };
          memo.set(v, out);
          for (const [k, [kv, x]] of v.map) out.map.set(k, [kv, inner(x)]);
          return out;
        }
        case 'set': return v.frozen && !deep ? v : { k: 'set', map: new Map([...v.map].map(([k, x]) => [k, inner(x)])), ...(v.frozen ? { frozen: true } : {}) };
        case 'tensor':
          if (deep) throw new PyException('NotImplementedError', 'copy.deepcopy() of a tensor outside a module is not modelled', at);
          return v;
        case 'instance': {
          if (v.module) return deep ? cloneModule(lib, v) : st().fail('copy.copy() of an nn.Module is not modelled', at);
          const hook = lookupClassAttr(st(), v.cls, deep ? '__deepcopy__' : '__copy__');
          if (hook && hook.value.k === 'func') return lib.interp.call(bindAttr(st(), hook.value, v, v.cls, at), args(deep ? [{ k: 'dict', map: new Map() }] : []), at);
          if (v.id < 0) return v; // sentinels (dataclasses.MISSING)
          const out = newInstance(st(), v.cls, at, v.base ? (deep ? clone(v.base, depth + 1) : v.base.k === 'dict' ? { ...v.base, map: new Map(v.base.map) } : v.base.k === 'list' ? list([...v.base.items]) : v.base) : undefined);
          memo.set(v, out);
          for (const [k, x] of v.attrs) out.attrs.set(k, inner(x));
          return out;
        }
        default: return v;
      }
    };
    return clone(a.pos[0] ?? NONE, 0);
  };
  const copy = lib.ns('copy', { copy: fn('copy.copy', copyOf(false)), deepcopy: fn('copy.deepcopy', copyOf(true)), Error: cls('Exception') });

  // ── enum ──
  const enumBase = pyClass('Enum');
  enumBase.attrs.set(ENUM_MARKER, bool(true));
  enumBase.attrs.set('__module__', str('enum'));
  const autoCls = pyClass('auto');
  autoCls.attrs.set(AUTO_MARKER, bool(true));
  const enumMeta = pyClass('EnumMeta', [cls('type')]);
  const strEnum = pyClass('StrEnum', [cls('str'), enumBase]);
  const intEnum = pyClass('IntEnum', [cls('int'), enumBase]);
  const enumModule = lib.ns('enum', {
    Enum: enumBase, IntEnum: intEnum, StrEnum: strEnum, Flag: pyClass('Flag', [enumBase]), IntFlag: pyClass('IntFlag', [cls('int'), enumBase]), ReprEnum: pyClass('ReprEnum', [enumBase]),
    EnumMeta: enumMeta, EnumType: enumMeta, auto: autoCls, unique: fn('enum.unique', (a) => a.pos[0] ?? NONE),
  });

  // ── types ──
  // `types.FunctionType(code, globals, name, argdefs, closure)`: a new function of the code's `def`.
  const functionType: ClassV = { ...cls('function'), native: { construct: (a, at) => {
    const code = a.pos[0];
    const f = code?.k === 'instance' ? code.attrs.get('__function__') : undefined;
    if (f?.k !== 'func') return st().fail('types.FunctionType() of a code object not read from a function', at);
    const name = a.pos[2] ?? a.kw.get('name');
    const copy: FuncV = { ...f, defaults: new Map(), lazyDefaults: undefined, attrs: undefined, name: name?.k === 'str' ? name.v : f.name, decorators: [] };
    const argdefs = a.pos[3] ?? a.kw.get('argdefs');
    if (argdefs) lib.interp.setattr(copy, '__defaults__', argdefs, at);
    return copy;
  } } };
  const types = lib.ns('types', {
    FunctionType: functionType, LambdaType: functionType, MethodType: cls('method'), ModuleType: cls('module'), BuiltinFunctionType: cls('function'),
    NoneType: cls('NoneType'), GeneratorType: pyClass('generator'), SimpleNamespace: simpleNamespace(lib),
    MappingProxyType: fn('types.MappingProxyType', (a) => a.pos[0] ?? { k: 'dict', map: new Map() }),
    new_class: fn('types.new_class', (_a, at) => st().fail('types.new_class() is not modelled', at)),
  });

  // ── sys ──
  const versionInfo: Value = { k: 'tuple', items: [int(3), int(12), int(0), str('final'), int(0)], fields: ['major', 'minor', 'micro', 'releaselevel', 'serial'] };
  const sys = lib.ns('sys', {
    version_info: versionInfo, version: str('3.12.0'), maxsize: int(2 ** 53 - 1), platform: str('linux'), argv: list([]), modules: { k: 'dict', map: new Map() } as DictV,
    byteorder: str('little'), executable: str('python'), path: list([]), flags: lib.ns('sys.flags', { optimize: int(0) }), float_info: lib.ns('sys.float_info', { max: num(Number.MAX_VALUE, false), epsilon: num(Number.EPSILON, false), min: num(2.2250738585072014e-308, false) }),
    stdout: lib.ns('sys.stdout', { write: fn('write', () => NONE), flush: fn('flush', () => NONE), isatty: fn('isatty', () => bool(false)) }),
    stderr: lib.ns('sys.stderr', { write: fn('write', () => NONE), flush: fn('flush', () => NONE), isatty: fn('isatty', () => bool(false)) }),
    getrecursionlimit: fn('sys.getrecursionlimit', () => int(1000)), setrecursionlimit: fn('sys.setrecursionlimit', () => NONE),
    exc_info: fn('sys.exc_info', () => {
      const e = st().handling[st().handling.length - 1];
      return e ? tuple([lib.builtins.get(e.type) ?? NONE, e.value ?? NONE, NONE]) : tuple([NONE, NONE, NONE]);
    }),
    intern: fn('sys.intern', (a) => a.pos[0] ?? NONE),
    getsizeof: fn('sys.getsizeof', (_a, at) => st().fail('sys.getsizeof() is not modelled', at)),
    _getframe: fn('sys._getframe', (_a, at) => st().fail('sys._getframe() is not modelled', at)),
  });


  // ── collections ──
  const dictCls = cls('dict');
  const dictKind = (name: string, construct: (a: Args, at: Loc, self: ClassV) => Value): ClassV => {
    const c: ClassV = { k: 'class', name, bases: [dictCls], attrs: new Map([['__module__', str('collections')]]), loc: null, builtinType: 'dict' };
    c.native = { construct: (a, at) => construct(a, at, c) };
    return c;
  };
  const fillDict = (d: DictV, src: Value | undefined, kw: ReadonlyMap<string, Value>, at: Loc) => {
    if (src && src.k !== 'none') for (const [k, v] of pairsOf(st(), src, at)) d.map.set(keyOf(k), [k, v]);
    for (const [k, v] of kw) d.map.set(keyOf(str(k)), [str(k), v]);
    return d;
  };
  const orderedDict = dictKind('OrderedDict', (a, at, c) => fillDict({ k: 'dict', map: new Map(), cls: c }, a.pos[0], a.kw, at));
  const defaultdict = dictKind('defaultdict', (a, at, c) => {
    const [factory, src] = a.pos;
    return fillDict({ k: 'dict', map: new Map(), cls: c, ...(factory && factory.k !== 'none' ? { defaultFactory: factory } : {}) }, src, a.kw, at);
  });
  const counter = dictKind('Counter', (a, at, c) => {
    const d: DictV = { k: 'dict', map: new Map(), cls: c };
    const src = a.pos[0];
    if (src?.k === 'dict') return fillDict(d, src, a.kw, at);
    for (const x of src ? iterate(st(), src, at) : []) {
      const key = keyOf(x);
      const old = d.map.get(key)?.[1];
      d.map.set(key, [x, int((old?.k === 'num' ? old.v : 0) + 1)]);
    }
    return fillDict(d, undefined, a.kw, at);
  });
  const abcClasses = abstractCollections(lib);
  const collectionsAbc = lib.ns('collections.abc', abcClasses);
  const userDict = pyClass('UserDict', [dictCls]);
  const typing = typingModule(lib, abcClasses);
  const collections = lib.ns('collections', {
    abc: collectionsAbc, OrderedDict: orderedDict, defaultdict, Counter: counter, UserDict: userDict, ChainMap: fn('ChainMap', (a, at) => {
      const d: DictV = { k: 'dict', map: new Map() };
      for (const m of [...a.pos].reverse()) fillDict(d, m, new Map(), at);
      return d;
    }),
    deque: fn('deque', (a, at) => {
      const items = a.pos[0] ? iterate(st(), a.pos[0], at) : [];
      const max = a.pos[1] ?? a.kw.get('maxlen');
      return list(max?.k === 'num' ? items.slice(Math.max(0, items.length - max.v)) : items);
    }),
    namedtuple: fn('namedtuple', (a, at) => namedtuple(lib, a, at)),
  });

  // ── functools ──
  const partialCls = pyClass('partial');
  partialCls.attrs.set('__module__', str('functools'));
  partialCls.native = {
    construct: (a, at) => {
      const [f, ...bound] = a.pos;
      if (!f) throw new PyException('TypeError', 'type \'partial\' takes at least one argument', at);
      // partial(partial(f, a), b) flattens, as Python's does.
      if (f.k === 'instance' && f.cls === partialCls) {
        const inner = f.attrs.get('args');
        const innerKw = f.attrs.get('keywords');
        return makePartial(f.attrs.get('func') ?? NONE, [...(inner?.k === 'tuple' ? inner.items : []), ...bound], new Map([...(innerKw?.k === 'dict' ? [...innerKw.map.values()].map(([k, v]) => [k.k === 'str' ? k.v : '', v] as [string, Value]) : []), ...a.kw]));
      }
      return makePartial(f, bound, a.kw);
    },
  };
  const makePartial = (f: Value, bound: Value[], kw: ReadonlyMap<string, Value>): InstanceV => ({
    k: 'instance', cls: partialCls, id: lib.interp.newInstanceId(),
    attrs: new Map<string, Value>([['func', f], ['args', tuple(bound)], ['keywords', makeDict([...kw].map(([k, v]) => [str(k), v]))]]),
  });
  partialCls.attrs.set('__call__', builtinMethodOf('partial.__call__', (a, at) => {
    const [self, ...rest] = a.pos;
    if (self?.k !== 'instance') return NONE;
    const bound = self.attrs.get('args');
    const kw = self.attrs.get('keywords');
    const merged = new Map<string, Value>(kw?.k === 'dict' ? [...kw.map.values()].map(([k, v]) => [k.k === 'str' ? k.v : '', v]) : []);
    for (const [k, v] of a.kw) merged.set(k, v);
    return lib.interp.call(self.attrs.get('func') ?? NONE, { pos: [...(bound?.k === 'tuple' ? bound.items : []), ...rest], kw: merged }, at);
  }));
  // `update_wrapper(wrapper, wrapped)`: the wrapper takes the wrapped function's name and remembers it.
  const updateWrapper = (wrapper: Value, wrapped: Value): Value => {
    if (wrapper.k === 'func') {
      const name = wrapped.k === 'func' || wrapped.k === 'builtin' || wrapped.k === 'class' ? wrapped.name : wrapper.name;
      (wrapper as { name: string }).name = name;
      wrapper.wrapped = wrapped;
      if (wrapped.k === 'func' && wrapped.attrs) for (const [k, v] of wrapped.attrs) (wrapper.attrs ??= new Map()).set(k, v);
    } else if (wrapper.k === 'instance' && !wrapper.module) wrapper.attrs.set('__wrapped__', wrapped);
    return wrapper;
  };
  const wraps = fn('functools.wraps', (a) => {
    const wrapped = a.pos[0] ?? a.kw.get('wrapped') ?? NONE;
    return fn('functools.wraps.<decorator>', (b) => updateWrapper(b.pos[0] ?? NONE, wrapped));
  });
  // lru_cache/cache: results kept per arguments (as Python's: a cached call returns the same object).
  const cacheWrapperCls = pyClass('_lru_cache_wrapper');
  cacheWrapperCls.attrs.set('__call__', builtinMethodOf('_lru_cache_wrapper.__call__', (a, at) => {
    const [self, ...rest] = a.pos;
    if (self?.k !== 'instance') return NONE;
    const f = self.attrs.get('__wrapped__') ?? NONE;
    const cache = cacheOf.get(self)!;
    const key = keyOf(tuple([...rest, ...[...a.kw].flatMap(([k, v]) => [str(k), v])]));
    const hit = cache.get(key);
    if (hit) return hit;
    const r = lib.interp.call(f, { pos: rest, kw: a.kw }, at);
    if (r.k !== 'unknown') cache.set(key, r);
    return r;
  }));
  cacheWrapperCls.attrs.set('__get__', builtinMethodOf('_lru_cache_wrapper.__get__', (a) => (a.pos[1] && a.pos[1].k !== 'none' ? { k: 'bound', fn: a.pos[0] ?? NONE, self: a.pos[1] } : a.pos[0] ?? NONE)));
  cacheWrapperCls.attrs.set('cache_clear', builtinMethodOf('cache_clear', (a) => {
    if (a.pos[0]?.k === 'instance') cacheOf.get(a.pos[0])?.clear();
    return NONE;
  }));
  cacheWrapperCls.attrs.set('cache_info', builtinMethodOf('cache_info', (_a, at) => st().fail('cache_info() is not modelled', at)));
  const cacheOf = new WeakMap<InstanceV, Map<string, Value>>();
  const cached = (f: Value): Value => {
    const w: InstanceV = { k: 'instance', cls: cacheWrapperCls, attrs: new Map([['__wrapped__', f]]), id: lib.interp.newInstanceId() };
    if (f.k === 'func' || f.k === 'builtin') w.attrs.set('__name__', str(f.name));
    cacheOf.set(w, new Map());
    return w;
  };
  const lruCache = fn('functools.lru_cache', (a) => {
    const f = a.pos[0];
    if (f && (f.k === 'func' || f.k === 'builtin' || f.k === 'bound')) return cached(f);
    return fn('functools.lru_cache.<decorator>', (b) => cached(b.pos[0] ?? NONE));
  });
  // cached_property: computed once per instance, then kept in the instance's attributes.
  const cachedProperty = pyClass('cached_property');
  cachedProperty.native = { construct: (a) => ({ k: 'instance', cls: cachedProperty, attrs: new Map([['func', a.pos[0] ?? NONE], ['attrname', a.pos[0]?.k === 'func' ? str(a.pos[0].name) : NONE]]), id: lib.interp.newInstanceId() }) };
  cachedProperty.attrs.set('__get__', builtinMethodOf('cached_property.__get__', (a, at) => {
    const [self, obj] = a.pos;
    if (!obj || obj.k !== 'instance' || self?.k !== 'instance') return self ?? NONE;
    const name = self.attrs.get('attrname');
    const v = lib.interp.call(self.attrs.get('func') ?? NONE, args([obj]), at);
    if (name?.k === 'str') obj.attrs.set(name.v, v);
    return v;
  }));
  cachedProperty.attrs.set('__set_name__', builtinMethodOf('cached_property.__set_name__', (a) => {
    if (a.pos[0]?.k === 'instance' && a.pos[2]) a.pos[0].attrs.set('attrname', a.pos[2]);
    return NONE;
  }));
  const functools = lib.ns('functools', {
    partial: partialCls, wraps, update_wrapper: fn('functools.update_wrapper', (a) => updateWrapper(a.pos[0] ?? NONE, a.pos[1] ?? NONE)),
    lru_cache: lruCache, cache: fn('functools.cache', (a) => cached(a.pos[0] ?? NONE)), cached_property: cachedProperty,
    reduce: fn('functools.reduce', (a, at) => {
      const items = iterate(st(), a.pos[1] ?? list([]), at);
      if (!items.length && !a.pos[2]) throw new PyException('TypeError', 'reduce() of empty iterable with no initial value', at);
      let acc = a.pos[2] ?? items.shift() ?? NONE;
      for (const v of items) acc = lib.interp.call(a.pos[0] ?? NONE, args([acc, v]), at);
      return acc;
    }),
    total_ordering: fn('functools.total_ordering', (a) => a.pos[0] ?? NONE),
    cmp_to_key: fn('functools.cmp_to_key', (_a, at) => st().fail('functools.cmp_to_key() is not modelled', at)),
    singledispatch: fn('functools.singledispatch', (_a, at) => st().fail('functools.singledispatch is not modelled', at)),
    WRAPPER_ASSIGNMENTS: tuple(['__module__', '__name__', '__qualname__', '__doc__', '__dict__', '__annotations__'].map(str)),
    WRAPPER_UPDATES: tuple([str('__dict__')]),
  });

  const warningsCatch = pyClass('catch_warnings');
  warningsCatch.attrs.set('__enter__', builtinMethodOf('catch_warnings.__enter__', () => list([])));
  warningsCatch.attrs.set('__exit__', builtinMethodOf('catch_warnings.__exit__', () => bool(false)));
  const warnings = lib.ns('warnings', {
    warn: fn('warnings.warn', () => NONE), filterwarnings: fn('warnings.filterwarnings', () => NONE), simplefilter: fn('warnings.simplefilter', () => NONE),
    catch_warnings: warningsCatch, resetwarnings: fn('warnings.resetwarnings', () => NONE), warn_explicit: fn('warnings.warn_explicit', () => NONE),
  });
  const abcMeta = pyClass('ABCMeta', [cls('type')]);
  const abcCls = pyClass('ABC');
  abcCls.meta = abcMeta;
  const abc = lib.ns('abc', { ABC: abcCls, ABCMeta: abcMeta, abstractmethod: fn('abstractmethod', (a) => a.pos[0] ?? NONE), abstractproperty: cls('property') });

  return new Map<string, Value>([
    ['math', math], ['copy', copy], ['enum', enumModule], ['inspect', inspectModule(lib)], ['types', types], ['sys', sys], ['dataclasses', dataclassesModule(lib)],
    ['typing', typing], ['typing_extensions', typing], ['collections', collections], ['collections.abc', collectionsAbc],
    ['functools', functools], ['warnings', warnings], ['abc', abc], ['logging', loggingModule(lib)], ['__future__', lib.ns('__future__', { annotations: bool(true) })],
    ['operator', operatorModule(lib)], ['builtins', lib.ns('builtins', Object.fromEntries(lib.builtins))],
    ...systemModules(lib),
  ]);
}

/**
 * `collections.abc`: the abstract classes, in their hierarchy, with their mixin methods (a class
 * deriving from MutableMapping that defines `__getitem__`, `__setitem__`, `__delitem__`, `__iter__`
 * and `__len__` gets `keys`, `items`, `get`, `pop`, `update`… as Python gives it). isinstance of a
 * built-in value checks what the value is (objects.ts).
 */
function abstractCollections(lib: TorchLibrary): Record<string, ClassV> {
  const st = () => lib.interp.state;
  const c: Record<string, ClassV> = {};
  const def = (name: string, bases: string[]) => {
    const k = pyClass(name, bases.map((b) => c[b]));
    k.attrs.set('__abc__', bool(true));
    k.attrs.set('__module__', str('collections.abc'));
    c[name] = k;
  };
  for (const [n, b] of [
    ['Hashable', []], ['Awaitable', []], ['Coroutine', ['Awaitable']], ['AsyncIterable', []], ['AsyncIterator', ['AsyncIterable']], ['Iterable', []], ['Iterator', ['Iterable']],
    ['Reversible', ['Iterable']], ['Generator', ['Iterator']], ['Sized', []], ['Container', []], ['Callable', []], ['Collection', ['Sized', 'Iterable', 'Container']],
    ['Set', ['Collection']], ['MutableSet', ['Set']], ['Mapping', ['Collection']], ['MutableMapping', ['Mapping']], ['MappingView', ['Sized']],
    ['KeysView', ['MappingView', 'Set']], ['ItemsView', ['MappingView', 'Set']], ['ValuesView', ['MappingView', 'Collection']],
    ['Sequence', ['Reversible', 'Collection']], ['MutableSequence', ['Sequence']], ['ByteString', ['Sequence']],
  ] as [string, string[]][]) def(n, b);
  const mixin = (cls: string, name: string, f: (self: Value, a: Value[], at: Loc, kw: ReadonlyMap<string, Value>) => Value) =>
    c[cls].attrs.set(name, builtinMethodOf(`${cls}.${name}`, (a, at) => f(a.pos[0] ?? NONE, a.pos.slice(1), at, a.kw)));
  const get = (self: Value, k: Value, at: Loc) => getitem(st(), self, k, at);
  const keys = (self: Value, at: Loc) => iterate(st(), self, at);
  const isKeyError = (e: unknown) => e instanceof PyException && (e.type === 'KeyError' || e.type === 'IndexError');
  mixin('Iterator', '__iter__', (self) => self);
  mixin('Mapping', '__contains__', (self, [k], at) => {
    try {
      get(self, k ?? NONE, at);
      return bool(true);
    } catch (e) {
      if (isKeyError(e)) return bool(false);
      throw e;
    }
  });
  mixin('Mapping', 'get', (self, [k, d], at) => {
    try {
      return get(self, k ?? NONE, at);
    } catch (e) {
      if (isKeyError(e)) return d ?? NONE;
      throw e;
    }
  });
  mixin('Mapping', 'keys', (self, _a, at) => list(keys(self, at)));
  mixin('Mapping', 'items', (self, _a, at) => list(keys(self, at).map((k) => tuple([k, get(self, k, at)]))));
  mixin('Mapping', 'values', (self, _a, at) => list(keys(self, at).map((k) => get(self, k, at))));
  mixin('Mapping', '__eq__', (self, [o], at) => bool(o?.k === 'instance' && pyEquals(st(), makeDict(keys(self, at).map((k) => [k, get(self, k, at)])), makeDict(keys(o, at).map((k) => [k, get(o, k, at)])), at)));
  const MISSING = { k: 'none' } as Value;
  mixin('MutableMapping', 'pop', (self, [k, d = MISSING], at) => {
    let v: Value;
    try {
      v = get(self, k ?? NONE, at);
    } catch (e) {
      if (isKeyError(e) && d !== MISSING) return d;
      throw e;
    }
    delitem(st(), self, k ?? NONE, at);
    return v;
  });
  mixin('MutableMapping', 'popitem', (self, _a, at) => {
    const [k] = keys(self, at);
    if (!k) throw new PyException('KeyError', 'popitem(): mapping is empty', at);
    const v = get(self, k, at);
    delitem(st(), self, k, at);
    return tuple([k, v]);
  });
  mixin('MutableMapping', 'clear', (self, _a, at) => {
    for (const k of keys(self, at)) delitem(st(), self, k, at);
    return NONE;
  });
  mixin('MutableMapping', 'update', (self, [other], at, kw) => {
    if (other) for (const [k, v] of pairsOf(st(), other, at)) setitem(st(), self, k, v, at);
    for (const [k, v] of kw) setitem(st(), self, str(k), v, at);
    return NONE;
  });
  mixin('MutableMapping', 'setdefault', (self, [k, d], at) => {
    try {
      return get(self, k ?? NONE, at);
    } catch (e) {
      if (!isKeyError(e)) throw e;
      setitem(st(), self, k ?? NONE, d ?? NONE, at);
      return d ?? NONE;
    }
  });
  mixin('Sequence', '__iter__', (self, _a, at) => {
    const out: Value[] = [];
    for (let i = 0; i <= lib.interp.budget.limits.loopIterations; i++) {
      try {
        out.push(get(self, int(i), at));
      } catch (e) {
        if (isKeyError(e)) break;
        throw e;
      }
    }
    return listIterator(out);
  });
  mixin('Sequence', '__contains__', (self, [x], at) => bool(iterate(st(), self, at).some((v) => pyEquals(st(), v, x ?? NONE, at))));
  mixin('Sequence', '__reversed__', (self, _a, at) => listIterator(iterate(st(), self, at).reverse()));
  mixin('Sequence', 'index', (self, [x], at) => {
    const i = iterate(st(), self, at).findIndex((v) => pyEquals(st(), v, x ?? NONE, at));
    if (i < 0) throw new PyException('ValueError', 'value not in sequence', at);
    return int(i);
  });
  mixin('Sequence', 'count', (self, [x], at) => int(iterate(st(), self, at).filter((v) => pyEquals(st(), v, x ?? NONE, at)).length));
  mixin('MutableSequence', 'append', (self, [x], at) => {
    lib.interp.call(lib.interp.getattr(self, 'insert', at), args([lengthOf(st(), self, at), x ?? NONE]), at);
    return NONE;
  });
  mixin('MutableSequence', 'extend', (self, [xs], at) => {
    for (const x of iterate(st(), xs ?? list([]), at)) lib.interp.call(lib.interp.getattr(self, 'append', at), args([x]), at);
    return NONE;
  });
  mixin('Set', 'isdisjoint', (self, [o], at) => {
    const other = iterate(st(), o ?? list([]), at);
    return bool(!iterate(st(), self, at).some((v) => other.some((x) => pyEquals(st(), v, x, at))));
  });
  return c;
}

/** `types.SimpleNamespace(**kw)`: an object whose attributes are the keywords. */
function simpleNamespace(lib: TorchLibrary): ClassV {
  const c = pyClass('SimpleNamespace');
  c.attrs.set('__init__', builtinMethodOf('SimpleNamespace.__init__', (a) => {
    const self = a.pos[0];
    if (self?.k === 'instance') for (const [k, v] of a.kw) self.attrs.set(k, v);
    return NONE;
  }));
  c.attrs.set('__eq__', builtinMethodOf('SimpleNamespace.__eq__', (a, at) => {
    const [x, y] = a.pos;
    if (x?.k !== 'instance' || y?.k !== 'instance') return bool(false);
    return bool(x.attrs.size === y.attrs.size && [...x.attrs].every(([k, v]) => y.attrs.has(k) && pyEquals(lib.interp.state, v, y.attrs.get(k)!, at)));
  }));
  return c;
}

/** `typing` (and `typing_extensions`): names that annotate; the few with run-time behaviour behave. */
function typingModule(lib: TorchLibrary, abcClasses: Record<string, ClassV>): ModuleV {
  const fn = (name: string, f: (a: Args, at: Loc) => Value) => builtin(name, f);
  const identity = (name: string) => fn(`typing.${name}`, (a) => a.pos[0] ?? NONE);
  /** A typing name that is subscripted (`Optional[int]`) and maybe a base class (`Generic[T]`). */
  const special = (name: string): ClassV => {
    const c = pyClass(name);
    c.attrs.set('__module__', str('typing'));
    return c;
  };
  const names: Record<string, Value> = {};
  for (const t of ['Optional', 'Union', 'Any', 'Callable', 'Type', 'Literal', 'ClassVar', 'Final', 'Annotated', 'Unpack', 'Required', 'NotRequired', 'Self', 'Never', 'NoReturn', 'LiteralString', 'TypeAlias', 'Concatenate', 'TypeGuard', 'ParamSpec', 'TypeVarTuple', 'Iterable', 'Iterator', 'Generator', 'Sequence', 'Mapping', 'MutableMapping', 'Set', 'FrozenSet', 'AbstractSet', 'Hashable', 'Sized', 'Collection', 'Container', 'Reversible', 'Awaitable', 'Coroutine', 'AsyncIterator', 'Pattern', 'Match', 'IO', 'TextIO', 'BinaryIO', 'SupportsInt', 'SupportsFloat', 'SupportsIndex', 'ForwardRef']) {
    names[t] = special(t);
  }
  // The abstract collections are collections.abc's (isinstance checks them by what a value is).
  for (const [t, c] of Object.entries(abcClasses)) names[t] = c;
  names.AbstractSet = abcClasses.Set;
  for (const [t, b] of [['List', 'list'], ['Dict', 'dict'], ['Tuple', 'tuple'], ['DefaultDict', 'dict'], ['OrderedDict', 'dict'], ['Deque', 'list'], ['Text', 'str']] as const) names[t] = lib.builtins.get(b) ?? special(t);
  const generic = special('Generic');
  const protocol = special('Protocol');
  const namedTupleMarker = special('NamedTuple');
  const typedDict: ClassV = { k: 'class', name: 'TypedDict', bases: [lib.builtins.get('dict') as ClassV], attrs: new Map([['__module__', str('typing')]]), loc: null, builtinType: 'dict' };
  typedDict.attrs.set('__init_subclass__', builtinMethodOf('TypedDict.__init_subclass__', () => NONE));
  return lib.ns('typing', {
    ...names, Generic: generic, Protocol: protocol, NamedTuple: namedTupleMarker, TypedDict: typedDict,
    TYPE_CHECKING: bool(false), cast: fn('typing.cast', (a) => a.pos[1] ?? NONE), overload: identity('overload'), override: identity('override'), final: identity('final'),
    no_type_check: identity('no_type_check'), runtime_checkable: identity('runtime_checkable'), dataclass_transform: fn('typing.dataclass_transform', () => identity('dataclass_transform.<decorator>')),
    deprecated: fn('typing_extensions.deprecated', () => identity('deprecated.<decorator>')), assert_never: fn('typing.assert_never', () => NONE), reveal_type: identity('reveal_type'),
    TypeVar: fn('typing.TypeVar', (a) => special(a.pos[0]?.k === 'str' ? a.pos[0].v : 'T')),
    NewType: fn('typing.NewType', (a) => a.pos[1] ?? NONE),
    get_type_hints: fn('typing.get_type_hints', (a, at) => typeHints(lib, a.pos[0] ?? NONE, at)),
    get_origin: fn('typing.get_origin', (_a, at) => lib.interp.fail('typing.get_origin() is not modelled', at)),
    get_args: fn('typing.get_args', (_a, at) => lib.interp.fail('typing.get_args() is not modelled', at)),
    is_typeddict: fn('typing.is_typeddict', () => bool(false)),
  });
}

/**
 * `typing.get_type_hints(cls)`: the annotations of the class and its bases (bases first), string
 * annotations evaluated in their class's module.
 */
function typeHints(lib: TorchLibrary, obj: Value, at: Loc): Value {
  const st = lib.interp.state;
  if (obj.k !== 'class') return lib.interp.fail(`typing.get_type_hints() of a ${obj.k} is not modelled`, at);
  const out: DictV = { k: 'dict', map: new Map() };
  for (const c of [...mro(obj)].reverse()) {
    const own = classAnnotations(c);
    if (!own.length) continue;
    const d = annotationsDict(st, c);
    for (const a of own) {
      let v = d.map.get(keyOf(str(a.name)))?.[1] ?? NONE;
      if (v.k === 'str') v = evalSource(st, v.v, a.scope.globals ?? a.scope, a.file, at);
      out.map.set(keyOf(str(a.name)), [str(a.name), v]);
    }
  }
  return out;
}

/** `operator`: the operators as functions. */
function operatorModule(lib: TorchLibrary): ModuleV {
  const st = () => lib.interp.state;
  const bin = (name: string, op: string) => builtin(`operator.${name}`, (a, at) => binaryOp(st(), op, a.pos[0] ?? NONE, a.pos[1] ?? NONE, at, false));
  const cmp = (name: string, op: string) => builtin(`operator.${name}`, (a, at) => compare(st(), op, a.pos[0] ?? NONE, a.pos[1] ?? NONE, at));
  const getter = (name: string, get: (obj: Value, key: Value, at: Loc) => Value) => builtin(`operator.${name}`, (a) => {
    const keys = a.pos;
    return builtin(`operator.${name}.<getter>`, (b, at) => {
      const obj = b.pos[0] ?? NONE;
      const vals = keys.map((k) => get(obj, k, at));
      return vals.length === 1 ? vals[0] : tuple(vals);
    });
  });
  return lib.ns('operator', {
    add: bin('add', '+'), sub: bin('sub', '-'), mul: bin('mul', '*'), truediv: bin('truediv', '/'), floordiv: bin('floordiv', '//'), mod: bin('mod', '%'), pow: bin('pow', '**'),
    and_: bin('and_', '&'), or_: bin('or_', '|'), xor: bin('xor', '^'), matmul: bin('matmul', '@'), lshift: bin('lshift', '<<'), rshift: bin('rshift', '>>'),
    eq: cmp('eq', '=='), ne: cmp('ne', '!='), lt: cmp('lt', '<'), le: cmp('le', '<='), gt: cmp('gt', '>'), ge: cmp('ge', '>='), contains: builtin('operator.contains', (a, at) => compare(st(), 'in', a.pos[1] ?? NONE, a.pos[0] ?? NONE, at)),
    neg: builtin('operator.neg', (a, at) => lib.interp.binaryOp('*', int(-1), a.pos[0] ?? NONE, at, false)),
    not_: builtin('operator.not_', (a, at) => { const t = lib.interp.truthy(a.pos[0] ?? NONE, at); return t === undefined ? lib.interp.fail('truth value unknown', at) : bool(!t); }),
    truth: builtin('operator.truth', (a, at) => { const t = lib.interp.truthy(a.pos[0] ?? NONE, at); return t === undefined ? lib.interp.fail('truth value unknown', at) : bool(t); }),
    getitem: builtin('operator.getitem', (a, at) => getitem(st(), a.pos[0] ?? NONE, a.pos[1] ?? NONE, at)),
    itemgetter: getter('itemgetter', (obj, key, at) => lib.interp.call(lib.interp.getattr(obj, '__getitem__', at), args([key]), at)),
    attrgetter: getter('attrgetter', (obj, key, at) => (key.k === 'str' ? key.v.split('.').reduce((o, part) => lib.interp.getattr(o, part, at), obj) : NONE)),
    methodcaller: builtin('operator.methodcaller', (a) => {
      const [name, ...rest] = a.pos;
      return builtin('operator.methodcaller.<caller>', (b, at) => lib.interp.call(lib.interp.getattr(b.pos[0] ?? NONE, name?.k === 'str' ? name.v : '?', at), { pos: rest, kw: a.kw }, at));
    }),
    index: builtin('operator.index', (a) => a.pos[0] ?? NONE),
    length_hint: builtin('operator.length_hint', (a, at) => int(iterate(st(), a.pos[0] ?? list([]), at).length)),
  });
}

/** `logging`: loggers that log nothing (messages change no number), with the levels and classes library code reads. */
function loggingModule(lib: TorchLibrary): ModuleV {
  const fn = (name: string, f: (a: Args, at: Loc) => Value) => builtin(name, f);
  const levels: Record<string, number> = { CRITICAL: 50, FATAL: 50, ERROR: 40, WARNING: 30, WARN: 30, INFO: 20, DEBUG: 10, NOTSET: 0 };
  const handler = pyClass('Handler');
  for (const m of ['setLevel', 'setFormatter', 'addFilter', 'flush', 'close', 'emit', 'handle']) handler.attrs.set(m, builtinMethodOf(`Handler.${m}`, () => NONE));
  handler.attrs.set('__init__', builtinMethodOf('Handler.__init__', () => NONE));
  const streamHandler = pyClass('StreamHandler', [handler]);
  const formatter = pyClass('Formatter');
  formatter.attrs.set('__init__', builtinMethodOf('Formatter.__init__', () => NONE));
  const logger = pyClass('Logger');
  logger.attrs.set('__init__', builtinMethodOf('Logger.__init__', (a) => {
    const self = a.pos[0];
    if (self?.k === 'instance') {
      self.attrs.set('name', a.pos[1] ?? str('root'));
      self.attrs.set('level', int(0));
      self.attrs.set('handlers', list([]));
      self.attrs.set('propagate', bool(true));
      self.attrs.set('disabled', bool(false));
    }
    return NONE;
  }));
  for (const m of ['debug', 'info', 'warning', 'warn', 'error', 'exception', 'critical', 'fatal', 'log', 'addHandler', 'removeHandler', 'addFilter', 'removeFilter', 'warning_once', 'info_once', 'warning_advice']) logger.attrs.set(m, builtinMethodOf(`Logger.${m}`, () => NONE));
  logger.attrs.set('setLevel', builtinMethodOf('Logger.setLevel', (a) => {
    if (a.pos[0]?.k === 'instance') a.pos[0].attrs.set('level', a.pos[1] ?? int(0));
    return NONE;
  }));
  logger.attrs.set('getEffectiveLevel', builtinMethodOf('Logger.getEffectiveLevel', (a) => (a.pos[0]?.k === 'instance' ? a.pos[0].attrs.get('level') ?? int(30) : int(30))));
  logger.attrs.set('isEnabledFor', builtinMethodOf('Logger.isEnabledFor', () => bool(false)));
  const loggers = new Map<string, Value>();
  const getLogger = fn('logging.getLogger', (a, at) => {
    const name = a.pos[0]?.k === 'str' ? a.pos[0].v : 'root';
    let l = loggers.get(name);
    if (!l) {
      l = lib.interp.instantiate(logger, args([str(name)]), at);
      loggers.set(name, l);
    }
    return l;
  });
  return lib.ns('logging', {
    ...Object.fromEntries(Object.entries(levels).map(([k, v]) => [k, int(v)])),
    getLogger, Logger: logger, Handler: handler, StreamHandler: streamHandler, Formatter: formatter, NullHandler: pyClass('NullHandler', [handler]), FileHandler: pyClass('FileHandler', [handler]),
    Filter: pyClass('Filter'), LogRecord: pyClass('LogRecord'),
    basicConfig: fn('logging.basicConfig', () => NONE), captureWarnings: fn('logging.captureWarnings', () => NONE), disable: fn('logging.disable', () => NONE),
    debug: fn('logging.debug', () => NONE), info: fn('logging.info', () => NONE), warning: fn('logging.warning', () => NONE), error: fn('logging.error', () => NONE),
    getLevelName: fn('logging.getLevelName', (a) => str(Object.entries(levels).find(([, v]) => a.pos[0]?.k === 'num' && v === a.pos[0].v)?.[0] ?? 'Level')),
    root: lib.ns('logging.root', { handlers: list([]), level: int(30) }),
    handlers: lib.ns('logging.handlers', {}),
  });
}

/** `collections.namedtuple("Name", ["a", "b"])` or `("Name", "a b")` / `"a, b"`: a class whose calls build named tuples. */
function namedtuple(lib: TorchLibrary, a: Args, at: Loc): Value {
  const name = a.pos[0] ?? a.kw.get('typename');
  const spec = a.pos[1] ?? a.kw.get('field_names');
  if (name?.k !== 'str' || !spec) return lib.interp.fail('namedtuple() needs a name and field names', at);
  const fields = spec.k === 'str' ? spec.v.split(/[\s,]+/).filter(Boolean) : lib.interp.iterate(spec, at).map((f) => (f.k === 'str' ? f.v : '?'));
  if (fields.includes('?')) return lib.interp.fail('namedtuple() field names must be strings', at);
  const c = namedTupleClass(name.v, fields, at);
  const defaults = a.kw.get('defaults');
  if (defaults && defaults.k !== 'none') {
    const ds = lib.interp.iterate(defaults, at);
    c.attrs.set('_field_defaults', makeDict(ds.map((d, i) => [str(fields[fields.length - ds.length + i]), d])));
  }
  return c;
}

/** The error function (Abramowitz–Stegun 7.1.26 is not exact enough; this series/continued fraction is to ~1e-15). */
function erf(x: number): number {
  const t = Math.abs(x);
  if (t < 2.5) {
    let sum = t;
    let term = t;
    for (let n = 1; n < 60; n++) {
      term *= (-t * t) / n;
      sum += term / (2 * n + 1);
    }
    return Math.sign(x) * (2 / Math.sqrt(Math.PI)) * sum;
  }
  // Continued fraction for erfc.
  let f = 0;
  for (let n = 60; n >= 1; n--) f = n / 2 / (t + f);
  const erfc = Math.exp(-t * t) / Math.sqrt(Math.PI) / (t + f);
  return Math.sign(x) * (1 - erfc);
}

