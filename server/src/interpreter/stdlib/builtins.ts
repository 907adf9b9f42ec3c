// Python's built-in functions and classes. The built-in types (`object`, `type`, `int`, `str`,
// `list`, `dict`, `set`…) are classes: calling one converts as Python does, a class may derive
// from one (its instances hold a value of that type), and `type(x)` / `isinstance` see them.
import * as fs from 'fs';
import { MAX_READ_BYTES, readRegularFile } from '../files';
import { listIterator, makeDict, makeSet, pairsOf, sortValues } from '../builtinTypes';
import { newInstance } from '../calls';
import { lazyIterator } from '../expressions';
import {
  bindAttr, delattr, genericGetattr, patchClass, setClassAttr, genericSetattr, iterate, iterator, lengthOf, lookupClassAttr, pyEquals, toStr,
} from '../objects';
import { binaryOp, compare, toInt } from '../operators';
import type { InterpreterState } from '../state';
import {
  Args, ClassV, DictV, IterV, Loc, NONE, NativeClass, PyException, Value, args, bool, builtin, builtinMethodOf, int, isSubclass, keyOf, list, mro, num, raise, str, tuple, typeName,
} from '../values';
import { formatSpec, pyRepr } from './strformat';
import type { TorchLibrary } from '../torch/library';

/** A class of the modelled standard library (no Python source, no native behaviour). */
export const pyClass = (name: string, bases: ClassV[] = []): ClassV => ({ k: 'class', name, bases, attrs: new Map(), loc: null });

/** A built-in class: calling it exactly runs `construct`; a class derived from it holds a value of its type. */
function builtinClass(name: string, type: string, bases: ClassV[], construct?: NativeClass['construct']): ClassV {
  const attrs = new Map<string, Value>([['__module__', str('builtins')]]);
  return { k: 'class', name, bases, attrs, loc: null, builtinType: type, ...(construct ? { native: { construct } } : {}) };
}

/** Python's built-in functions and classes, for one analysis. */
export function pythonBuiltins(lib: TorchLibrary): Map<string, Value> {
  const st = (): InterpreterState => lib.interp.state;
  const interp = () => lib.interp;
  const numOf = (v: Value | undefined, at: Loc): number => {
    if (v?.k === 'num') return v.v;
    if (v?.k === 'bool') return v.v ? 1 : 0;
    if (v?.k === 'instance' && v.base) return numOf(v.base, at);
    throw new PyException('TypeError', `expected a number, got ${v ? typeName(v) : 'nothing'}`, at);
  };
  const b = new Map<string, Value>();
  const def = (name: string, fn: (a: Args, at: Loc) => Value) => b.set(name, builtin(name, fn));
  /** A dunder of an instance's class defined in Python, called on it; undefined when it has none. */
  const dunder = (v: Value, name: string, rest: Value[], at: Loc): Value | undefined => {
    if (v.k !== 'instance') return undefined;
    const m = lookupClassAttr(st(), v.cls, name);
    if (!m || m.owner.builtinType) return undefined;
    return interp().call(bindAttr(st(), m.value, v, v.cls, at), args(rest), at);
  };

  // ── object and type ──
  const object = builtinClass('object', 'object', [], () => newInstance(st(), object, interp().current));
  const objAttr = (name: string, fn: (a: Args, at: Loc) => Value) => object.attrs.set(name, builtinMethodOf(`object.${name}`, fn));
  objAttr('__init__', () => NONE);
  objAttr('__new__', (a, at) => {
    const cls = a.pos[0];
    if (cls?.k !== 'class') throw new PyException('TypeError', 'object.__new__(X): X is not a type object', at);
    return newInstance(st(), cls, at);
  });
  object.attrs.set('__new__', { ...(object.attrs.get('__new__') as Value & { k: 'builtin' }), binds: false });
  objAttr('__init_subclass__', () => NONE);
  objAttr('__getattribute__', (a, at) => {
    const [self, name] = a.pos;
    if (name?.k !== 'str') throw new PyException('TypeError', 'attribute name must be string', at);
    const v = self?.k === 'instance' ? genericGetattr(st(), self, name.v, at) : interp().getattrOrUndefined(self ?? NONE, name.v, at);
    return v ?? raise('AttributeError', `'${typeName(self ?? NONE)}' object has no attribute '${name.v}'`, at);
  });
  objAttr('__setattr__', (a, at) => {
    const [self, name, value] = a.pos;
    if (name?.k !== 'str') throw new PyException('TypeError', 'attribute name must be string', at);
    if (self?.k === 'instance') genericSetattr(st(), self, name.v, value ?? NONE, at);
    else interp().setattr(self ?? NONE, name.v, value ?? NONE, at);
    return NONE;
  });
  objAttr('__delattr__', (a, at) => {
    const [self, name] = a.pos;
    if (self?.k === 'instance' && name?.k === 'str' && !self.attrs.delete(name.v)) throw new PyException('AttributeError', name.v, at);
    return NONE;
  });
  objAttr('__eq__', (a) => (a.pos[0] === a.pos[1] ? bool(true) : b.get('NotImplemented')!));
  objAttr('__ne__', (a) => bool(a.pos[0] !== a.pos[1]));
  objAttr('__hash__', (a) => int(a.pos[0]?.k === 'instance' ? a.pos[0].id : 0));
  objAttr('__repr__', (a) => str(a.pos[0]?.k === 'instance' ? `<${a.pos[0].cls.name} object>` : pyRepr(a.pos[0] ?? NONE)));
  objAttr('__str__', (a, at) => str(toStr(st(), a.pos[0] ?? NONE, at)));
  objAttr('__format__', (a, at) => str(toStr(st(), a.pos[0] ?? NONE, at)));
  objAttr('__reduce_ex__', (_a, at) => st().fail('pickling is not modelled', at));
  b.set('object', object);

  const typeOfValue = (v: Value): Value => {
    if (v.k === 'instance') return v.cls;
    if (v.k === 'class') return v.meta ?? type;
    const name = v.k === 'func' ? 'function' : v.k === 'bound' ? 'method' : v.k === 'iter' ? v.name : typeName(v);
    if (v.k === 'dict' && v.cls) return v.cls;
    const cls = b.get(name);
    if (cls?.k === 'class') return cls;
    return builtinClass(name, name, [object]);
  };
  const type: ClassV = builtinClass('type', 'type', [object], (a, at) => {
    if (a.pos.length === 1) return typeOfValue(a.pos[0]);
    const [name, bases, ns] = a.pos;
    if (name?.k !== 'str' || (bases?.k !== 'tuple') || ns?.k !== 'dict') throw new PyException('TypeError', 'type() takes 1 or 3 arguments', at);
    const cls: ClassV = { k: 'class', name: name.v, bases: bases.items.filter((x): x is ClassV => x.k === 'class'), attrs: new Map(), loc: at };
    for (const [k, v] of ns.map.values()) if (k.k === 'str') cls.attrs.set(k.v, v);
    return cls;
  });
  type.attrs.set('__call__', builtinMethodOf('type.__call__', (a, at) => {
    const [cls, ...rest] = a.pos;
    if (cls?.k !== 'class') throw new PyException('TypeError', "descriptor '__call__' requires a 'type' object", at);
    return interp().instantiate(cls, { pos: rest, kw: a.kw }, at);
  }));
  // `type.__setattr__`: what a metaclass's `__setattr__` ends in (`super().__setattr__(name, value)`).
  type.attrs.set('__setattr__', builtinMethodOf('type.__setattr__', (a, at) => {
    const [cls, name, value] = a.pos;
    if (cls?.k !== 'class' || name?.k !== 'str') throw new PyException('TypeError', "can't set attributes of this object", at);
    if (cls.native || cls.builtinType) patchClass(st(), cls, name.v, value ?? NONE);
    else setClassAttr(cls, name.v, value ?? NONE);
    return NONE;
  }));
  b.set('type', type);

  // ── numbers, strings, containers ──
  const toIntValue = (v: Value, base: number | undefined, at: Loc): Value => {
    if (v.k === 'unknown') return v;
    if (v.k === 'str' || (v.k === 'instance' && v.base?.k === 'str')) {
      const s = (v.k === 'str' ? v.v : (v.base as { v: string }).v).trim().replace(/_/g, '');
      const radix = base ?? 10;
      const body = radix === 16 ? s.replace(/^[+-]?0x/i, (m) => m.replace(/0x/i, '')) : radix === 8 ? s.replace(/^([+-]?)0o/i, '$1') : radix === 2 ? s.replace(/^([+-]?)0b/i, '$1') : s;
      const ok = radix === 10 ? /^[+-]?\d+$/.test(body) : /^[+-]?[0-9a-z]+$/i.test(body);
      const n = ok ? parseInt(body, radix === 0 ? undefined : radix) : NaN;
      if (Number.isNaN(n)) throw new PyException('ValueError', `invalid literal for int() with base ${radix}: ${pyRepr(str(s))}`, at);
      return int(n);
    }
    if (v.k === 'instance') {
      const r = dunder(v, '__int__', [], at) ?? dunder(v, '__index__', [], at);
      if (r) return r;
    }
    if (v.k === 'tensor') return toIntValue(interp().call(interp().getattr(v, 'item', at), args([]), at), undefined, at);
    const n = numOf(v, at);
    if (!Number.isFinite(n)) throw new PyException(Number.isNaN(n) ? 'ValueError' : 'OverflowError', 'cannot convert float to integer', at);
    return int(Math.trunc(n));
  };
  const intCls = builtinClass('int', 'int', [object], (a, at) => (a.pos[0] ? toIntValue(a.pos[0], a.pos[1] ? toInt(a.pos[1]) : a.kw.get('base') ? toInt(a.kw.get('base')!) : undefined, at) : int(0)));
  b.set('int', intCls);
  const floatCls = builtinClass('float', 'float', [object], (a, at) => {
    const v = a.pos[0] ?? num(0, false);
    if (v.k === 'unknown') return v;
    if (v.k === 'str') {
      const s = v.v.trim().toLowerCase().replace(/_/g, '');
      const n = /^[+-]?(inf|infinity)$/.test(s) ? (s.startsWith('-') ? -Infinity : Infinity) : /^[+-]?nan$/.test(s) ? NaN : /^[+-]?(\d+\.?\d*|\.\d+)(e[+-]?\d+)?$/.test(s) ? parseFloat(s) : undefined;
      if (n === undefined) throw new PyException('ValueError', `could not convert string to float: ${pyRepr(v)}`, at);
      return num(n, false);
    }
    if (v.k === 'instance') {
      const r = dunder(v, '__float__', [], at);
      if (r) return r;
    }
    if (v.k === 'tensor') {
      const x = interp().call(interp().getattr(v, 'item', at), args([]), at);
      return x.k === 'num' ? num(x.v, false) : x;
    }
    return num(numOf(v, at), false);
  });
  floatCls.attrs.set('fromhex', builtin('float.fromhex', (_a, at) => st().fail('float.fromhex() is not modelled', at)));
  b.set('float', floatCls);
  const boolCls = builtinClass('bool', 'bool', [intCls], (a, at) => {
    const t = interp().truthy(a.pos[0] ?? NONE, at);
    return t === undefined ? st().fail('truth value unknown', at) : bool(t);
  });
  b.set('bool', boolCls);
  const strCls = builtinClass('str', 'str', [object], (a, at) => {
    const v = a.pos[0] ?? str('');
    if (v.k === 'unknown') return v;
    return str(toStr(st(), v, at));
  });
  strCls.attrs.set('maketrans', builtin('str.maketrans', (_a, at) => st().fail('str.maketrans() is not modelled', at)));
  b.set('str', strCls);
  b.set('bytes', builtinClass('bytes', 'str', [object], (a, at) => (a.pos[0]?.k === 'str' ? a.pos[0] : st().fail('bytes() is not modelled', at))));
  const listCls = builtinClass('list', 'list', [object], (a, at) => list(a.pos[0] ? iterate(st(), a.pos[0], at) : []));
  listCls.attrs.set('__init__', builtinMethodOf('list.__init__', (a, at) => {
    const [self, src] = a.pos;
    const target = self?.k === 'instance' ? self.base : self;
    if (target?.k === 'list') target.items.splice(0, target.items.length, ...(src ? iterate(st(), src, at) : []));
    return NONE;
  }));
  b.set('list', listCls);
  const tupleCls = builtinClass('tuple', 'tuple', [object], (a, at) => (a.pos[0] ? (a.pos[0].k === 'tuple' && !a.pos[0].fields ? a.pos[0] : tuple(iterate(st(), a.pos[0], at))) : tuple([])));
  b.set('tuple', tupleCls);
  const dictFrom = (a: Args, at: Loc, d: DictV): DictV => {
    const src = a.pos[0];
    if (src && src.k !== 'none') for (const [k, v] of pairsOf(st(), src, at)) d.map.set(keyOf(k), [k, v]);
    for (const [k, v] of a.kw) d.map.set(keyOf(str(k)), [str(k), v]);
    return d;
  };
  const dictCls = builtinClass('dict', 'dict', [object], (a, at) => dictFrom(a, at, { k: 'dict', map: new Map() }));
  dictCls.attrs.set('__init__', builtinMethodOf('dict.__init__', (a, at) => {
    const [self, ...rest] = a.pos;
    const target = self?.k === 'instance' ? self.base : self;
    if (target?.k === 'dict') dictFrom({ pos: rest, kw: a.kw }, at, target);
    return NONE;
  }));
  dictCls.attrs.set('fromkeys', builtin('dict.fromkeys', (a, at) => makeDict(iterate(st(), a.pos[0] ?? list([]), at).map((k) => [k, a.pos[1] ?? NONE]))));
  b.set('dict', dictCls);
  const setCls = builtinClass('set', 'set', [object], (a, at) => makeSet(a.pos[0] ? iterate(st(), a.pos[0], at) : []));
  setCls.attrs.set('__init__', builtinMethodOf('set.__init__', (a, at) => {
    const [self, src] = a.pos;
    const target = self?.k === 'instance' ? self.base : self;
    if (target?.k === 'set' && src) for (const v of iterate(st(), src, at)) target.map.set(keyOf(v), v);
    return NONE;
  }));
  b.set('set', setCls);
  b.set('frozenset', builtinClass('frozenset', 'frozenset', [object], (a, at) => makeSet(a.pos[0] ? iterate(st(), a.pos[0], at) : [], true)));
  b.set('slice', builtinClass('slice', 'slice', [object], (a) => {
    const [x, y, z] = a.pos;
    return a.pos.length <= 1 ? { k: 'slice', start: NONE, stop: x ?? NONE, step: NONE } : { k: 'slice', start: x ?? NONE, stop: y ?? NONE, step: z ?? NONE };
  }));
  b.set('NoneType', builtinClass('NoneType', 'NoneType', [object], () => NONE));
  b.set('function', builtinClass('function', 'function', [object], (_a, at) => st().fail('function() is not modelled', at)));
  b.set('method', builtinClass('method', 'method', [object], (a) => (a.pos[0] && a.pos[1] ? { k: 'bound', fn: a.pos[0], self: a.pos[1] } : NONE)));
  b.set('module', builtinClass('module', 'module', [object], (a) => ({ k: 'module', name: a.pos[0]?.k === 'str' ? a.pos[0].v : '?', attrs: new Map() })));

  // ── descriptors: property, staticmethod, classmethod ──
  const property: ClassV = builtinClass('property', 'property', [object]);
  const makeProperty = (cls: ClassV, fget: Value, fset: Value, fdel: Value, doc: Value, at: Loc): Value => {
    const p = cls === property ? { k: 'instance' as const, cls, attrs: new Map<string, Value>(), id: interp().newInstanceId() } : newInstance(st(), cls, at);
    p.attrs.set('fget', fget).set('fset', fset).set('fdel', fdel).set('__doc__', doc);
    return p;
  };
  property.native = { construct: (a, at) => makeProperty(property, a.pos[0] ?? a.kw.get('fget') ?? NONE, a.pos[1] ?? a.kw.get('fset') ?? NONE, a.pos[2] ?? a.kw.get('fdel') ?? NONE, a.pos[3] ?? a.kw.get('doc') ?? NONE, at) };
  property.attrs.set('__init__', builtinMethodOf('property.__init__', (a) => {
    const [self, fget, fset, fdel] = a.pos;
    if (self?.k === 'instance') self.attrs.set('fget', fget ?? a.kw.get('fget') ?? NONE).set('fset', fset ?? a.kw.get('fset') ?? NONE).set('fdel', fdel ?? a.kw.get('fdel') ?? NONE);
    return NONE;
  }));
  for (const part of ['getter', 'setter', 'deleter'] as const) {
    property.attrs.set(part, builtinMethodOf(`property.${part}`, (a, at) => {
      const [self, f] = a.pos;
      if (self?.k !== 'instance') return NONE;
      const get = (n: string) => self.attrs.get(n) ?? NONE;
      return makeProperty(self.cls, part === 'getter' ? f ?? NONE : get('fget'), part === 'setter' ? f ?? NONE : get('fset'), part === 'deleter' ? f ?? NONE : get('fdel'), get('__doc__'), at);
    }));
  }
  property.attrs.set('__get__', builtinMethodOf('property.__get__', (a, at) => {
    const [self, obj] = a.pos;
    if (!obj || obj.k === 'none' || self?.k !== 'instance') return self ?? NONE;
    return interp().call(self.attrs.get('fget') ?? NONE, args([obj]), at);
  }));
  b.set('property', property);
  for (const kind of ['staticmethod', 'classmethod'] as const) {
    const cls = builtinClass(kind, kind, [object]);
    cls.native = {
      construct: (a) => {
        const f = a.pos[0] ?? NONE;
        if (f.k === 'func') return f.decorators.includes(kind) ? f : { ...f, decorators: [...f.decorators, kind] };
        return { k: 'instance', cls, attrs: new Map([['__func__', f]]), id: interp().newInstanceId() };
      },
    };
    b.set(kind, cls);
  }

  // ── exceptions ──
  const baseExc = builtinClass('BaseException', 'BaseException', [object]);
  baseExc.attrs.set('__init__', builtinMethodOf('BaseException.__init__', (a) => {
    const [self, ...rest] = a.pos;
    if (self?.k === 'instance') self.attrs.set('args', tuple(rest));
    return NONE;
  }));
  baseExc.attrs.set('__str__', builtinMethodOf('BaseException.__str__', (a, at) => {
    const argv = a.pos[0]?.k === 'instance' ? a.pos[0].attrs.get('args') : undefined;
    if (argv?.k !== 'tuple' || argv.items.length === 0) return str('');
    return str(argv.items.length === 1 ? toStr(st(), argv.items[0], at) : pyRepr(argv));
  }));
  baseExc.attrs.set('with_traceback', builtinMethodOf('BaseException.with_traceback', (a) => a.pos[0] ?? NONE));
  baseExc.attrs.set('add_note', builtinMethodOf('BaseException.add_note', () => NONE));
  b.set('BaseException', baseExc);
  const exc = (name: string, base: string) => {
    const c = pyClass(name, [b.get(base) as ClassV]);
    c.attrs.set('__module__', str('builtins'));
    b.set(name, c);
  };
  const hierarchy: [string, string][] = [
    ['Exception', 'BaseException'], ['SystemExit', 'BaseException'], ['KeyboardInterrupt', 'BaseException'], ['GeneratorExit', 'BaseException'],
    ['ArithmeticError', 'Exception'], ['ZeroDivisionError', 'ArithmeticError'], ['OverflowError', 'ArithmeticError'], ['FloatingPointError', 'ArithmeticError'],
    ['LookupError', 'Exception'], ['KeyError', 'LookupError'], ['IndexError', 'LookupError'],
    ['AssertionError', 'Exception'], ['AttributeError', 'Exception'], ['BufferError', 'Exception'], ['EOFError', 'Exception'],
    ['ImportError', 'Exception'], ['ModuleNotFoundError', 'ImportError'], ['MemoryError', 'Exception'], ['NameError', 'Exception'], ['UnboundLocalError', 'NameError'],
    ['OSError', 'Exception'], ['FileNotFoundError', 'OSError'], ['FileExistsError', 'OSError'], ['PermissionError', 'OSError'], ['IsADirectoryError', 'OSError'], ['NotADirectoryError', 'OSError'], ['TimeoutError', 'OSError'], ['ConnectionError', 'OSError'],
    ['ReferenceError', 'Exception'], ['RuntimeError', 'Exception'], ['NotImplementedError', 'RuntimeError'], ['RecursionError', 'RuntimeError'],
    ['StopIteration', 'Exception'], ['StopAsyncIteration', 'Exception'], ['SyntaxError', 'Exception'], ['SystemError', 'Exception'], ['TypeError', 'Exception'],
    ['ValueError', 'Exception'], ['UnicodeError', 'ValueError'], ['UnicodeDecodeError', 'UnicodeError'], ['UnicodeEncodeError', 'UnicodeError'],
    ['Warning', 'Exception'], ['UserWarning', 'Warning'], ['DeprecationWarning', 'Warning'], ['PendingDeprecationWarning', 'Warning'], ['SyntaxWarning', 'Warning'],
    ['RuntimeWarning', 'Warning'], ['FutureWarning', 'Warning'], ['ImportWarning', 'Warning'], ['UnicodeWarning', 'Warning'], ['ResourceWarning', 'Warning'],
  ];
  for (const [name, base] of hierarchy) exc(name, base);
  b.set('EnvironmentError', b.get('OSError')!);
  b.set('IOError', b.get('OSError')!);

  // ── functions ──
  def('range', (a, at) => {
    for (const v of a.pos) if (v.k === 'unknown') return v;
    const ns = a.pos.map((v) => {
      const i = toInt(v);
      if (i === undefined) throw new PyException('TypeError', `'${typeName(v)}' object cannot be interpreted as an integer`, at);
      return i;
    });
    const [start, stop, step] = ns.length === 1 ? [0, ns[0], 1] : [ns[0], ns[1], ns[2] ?? 1];
    if (step === 0) throw new PyException('ValueError', 'range() arg 3 must not be zero', at);
    const count = Math.max(0, Math.ceil((stop - start) / step));
    const limit = lib.interp.budget.limits.loopIterations;
    // A training script's `for step in range(max_iters)` only has to reach the model's call.
    if (count > limit && !interp().inScript) return interp().fail(`range of ${count} items exceeds the unroll limit (${limit})`, at);
    const items: Value[] = [];
    for (let i = 0; i < Math.min(count, limit); i++) items.push(int(start + i * step));
    return list(items);
  });
  def('len', (a, at) => lengthOf(st(), a.pos[0] ?? NONE, at));
  def('repr', (a, at) => {
    const v = a.pos[0] ?? NONE;
    const r = dunder(v, '__repr__', [], at);
    return r ?? str(pyRepr(v));
  });
  def('ascii', (a) => str(pyRepr(a.pos[0] ?? NONE)));
  def('format', (a, at) => {
    const v = a.pos[0] ?? NONE;
    const spec = a.pos[1]?.k === 'str' ? a.pos[1].v : '';
    const r = dunder(v, '__format__', [str(spec)], at);
    if (r) return r;
    const s = formatSpec(v.k === 'instance' && v.base ? v.base : v, spec, toStr(st(), v, at));
    return s === undefined ? raise('ValueError', `Invalid format specifier '${spec}'`, at) : str(s);
  });
  def('enumerate', (a, at) => {
    const start = a.pos[1] ?? a.kw.get('start');
    let i = start ? numOf(start, at) : 0;
    const src = iterator(st(), a.pos[0] ?? a.kw.get('iterable') ?? list([]), at);
    return { k: 'iter', name: 'enumerate', next: () => {
      const v = src.next();
      return v === undefined ? undefined : tuple([int(i++), v]);
    } } satisfies IterV;
  });
  def('zip', (a, at) => {
    const its = a.pos.map((s) => iterator(st(), s, at));
    const strict = a.kw.get('strict');
    let done = false;
    return { k: 'iter', name: 'zip', next: () => {
      if (done || !its.length) return undefined;
      const row: Value[] = [];
      for (const it of its) {
        const v = it.next();
        if (v === undefined) {
          done = true;
          if (strict && interp().truthy(strict, at) && (row.length > 0 || its.slice(1).some((o) => o.next() !== undefined))) throw new PyException('ValueError', 'zip() arguments have different lengths', at);
          return undefined;
        }
        row.push(v);
      }
      return tuple(row);
    } } satisfies IterV;
  });
  def('reversed', (a, at) => {
    const v = a.pos[0] ?? NONE;
    const r = dunder(v, '__reversed__', [], at);
    if (r) return r;
    if (v.k === 'iter') throw new PyException('TypeError', `'${v.name}' object is not reversible`, at);
    return listIterator(iterate(st(), v, at).reverse(), 'reversed');
  });
  def('sorted', (a, at) => list(sortValues(st(), iterate(st(), a.pos[0] ?? list([]), at), a.kw.get('key'), a.kw.get('reverse'), at)));
  const minmax = (name: 'min' | 'max') => (a: Args, at: Loc): Value => {
    const items = a.pos.length === 1 ? iterate(st(), a.pos[0], at) : [...a.pos];
    const key = a.kw.get('key');
    if (items.some((v) => v.k === 'unknown')) return items.find((v) => v.k === 'unknown')!;
    if (items.length === 0) return a.kw.get('default') ?? raise('ValueError', `${name}() arg is an empty sequence`, at);
    const keyed = items.map((v) => [key && key.k !== 'none' ? interp().call(key, args([v]), at) : v, v] as const);
    let best = keyed[0];
    for (const cur of keyed.slice(1)) {
      const better = compare(st(), name === 'min' ? '<' : '>', cur[0], best[0], at);
      if (better.k === 'unknown') return better;
      if (interp().truthy(better, at)) best = cur;
    }
    return best[1];
  };
  def('min', minmax('min'));
  def('max', minmax('max'));
  def('sum', (a, at) => {
    const items = iterate(st(), a.pos[0] ?? list([]), at);
    let acc: Value = a.pos[1] ?? a.kw.get('start') ?? int(0);
    for (const v of items) acc = binaryOp(st(), '+', acc, v, at, false);
    return acc;
  });
  def('abs', (a, at) => {
    const v = a.pos[0] ?? int(0);
    if (v.k === 'unknown') return v;
    const r = dunder(v, '__abs__', [], at);
    if (r) return r;
    if (v.k === 'tensor') return interp().call(interp().getattr(v, 'abs', at), args([]), at);
    if (v.k === 'bool') return int(v.v ? 1 : 0);
    if (v.k === 'num') return num(Math.abs(v.v), v.int);
    throw new PyException('TypeError', `bad operand type for abs(): '${typeName(v)}'`, at);
  });
  def('round', (a, at) => {
    const v0 = a.pos[0] ?? NONE;
    if (v0.k === 'unknown') return v0;
    const r = dunder(v0, '__round__', a.pos.slice(1), at);
    if (r) return r;
    const v = numOf(v0, at);
    const digitsV = a.pos[1] ?? a.kw.get('ndigits');
    if (!digitsV || digitsV.k === 'none') return int(roundHalfEven(v));
    const digits = numOf(digitsV, at);
    const f = 10 ** digits;
    const rounded = roundHalfEven(v * f) / f;
    return num(rounded, v0.k === 'num' && v0.int);
  });
  def('divmod', (a, at) => {
    const [x, y] = [numOf(a.pos[0], at), numOf(a.pos[1], at)];
    if (y === 0) throw new PyException('ZeroDivisionError', 'integer division or modulo by zero', at);
    const isInt = (a.pos[0]?.k === 'num' && a.pos[0].int) && (a.pos[1]?.k === 'num' && a.pos[1].int);
    return tuple([num(Math.floor(x / y), !!isInt), num(x - y * Math.floor(x / y), !!isInt)]);
  });
  def('pow', (a, at) => {
    const r = binaryOp(st(), '**', a.pos[0] ?? int(0), a.pos[1] ?? int(1), at, false);
    if (a.pos[2] && r.k === 'num') return int(r.v % numOf(a.pos[2], at));
    return r;
  });
  def('any', (a, at) => {
    const it = iterator(st(), a.pos[0] ?? list([]), at);
    let unknownSeen = false;
    for (let v = it.next(); v !== undefined; v = it.next()) {
      const t = interp().truthy(v, at);
      if (t === true) return bool(true);
      if (t === undefined) unknownSeen = true;
    }
    return unknownSeen ? st().fail('any() of values whose truth is unknown', at) : bool(false);
  });
  def('all', (a, at) => {
    const it = iterator(st(), a.pos[0] ?? list([]), at);
    let unknownSeen = false;
    for (let v = it.next(); v !== undefined; v = it.next()) {
      const t = interp().truthy(v, at);
      if (t === false) return bool(false);
      if (t === undefined) unknownSeen = true;
    }
    return unknownSeen ? st().fail('all() of values whose truth is unknown', at) : bool(true);
  });
  def('map', (a, at) => {
    const [fn, ...srcs] = a.pos;
    const its = srcs.map((s) => iterator(st(), s, at));
    return lazyIterator('map', (function* () {
      for (;;) {
        const row: Value[] = [];
        for (const it of its) {
          const v = it.next();
          if (v === undefined) return;
          row.push(v);
        }
        if (!row.length) return;
        yield interp().call(fn ?? NONE, args(row), at);
      }
    })());
  });
  def('filter', (a, at) => {
    const [fn, src] = a.pos;
    const it = iterator(st(), src ?? list([]), at);
    return lazyIterator('filter', (function* () {
      for (let v = it.next(); v !== undefined; v = it.next()) {
        const t = interp().truthy(!fn || fn.k === 'none' ? v : interp().call(fn, args([v]), at), at);
        if (t !== false) yield v;
      }
    })());
  });
  def('iter', (a, at) => {
    const [src, sentinel] = a.pos;
    if (sentinel !== undefined) {
      return lazyIterator('callable_iterator', (function* () {
        for (let i = 0; i <= lib.interp.budget.limits.loopIterations; i++) {
          const v = interp().call(src ?? NONE, args([]), at);
          if (pyEquals(st(), v, sentinel, at)) return;
          yield v;
        }
      })());
    }
    return iterator(st(), src ?? NONE, at);
  });
  def('next', (a, at) => {
    const src = a.pos[0] ?? NONE;
    if (src.k === 'unknown') return src;
    let v: Value | undefined;
    if (src.k === 'iter') v = src.next();
    else if (src.k === 'instance') {
      const m = interp().getattrOrUndefined(src, '__next__', at);
      if (!m) throw new PyException('TypeError', `'${typeName(src)}' object is not an iterator`, at);
      try {
        v = interp().call(m, args([]), at);
      } catch (e) {
        if (e instanceof PyException && e.type === 'StopIteration' && a.pos[1]) return a.pos[1];
        throw e;
      }
    } else throw new PyException('TypeError', `'${typeName(src)}' object is not an iterator`, at);
    return v ?? a.pos[1] ?? raise('StopIteration', '', at);
  });
  def('isinstance', (a, at) => {
    const v = a.pos[0] ?? NONE;
    if (v.k === 'unknown') return v;
    const r = interp().isInstance(v, a.pos[1] ?? NONE);
    return r === undefined ? st().fail(`isinstance() with a class that is not modelled (${(a.pos[1]?.k === 'unknown' ? a.pos[1].reason : typeName(a.pos[1] ?? NONE))})`, at) : bool(r);
  });
  def('issubclass', (a, at) => {
    const [c, base] = a.pos;
    if (c?.k === 'unknown') return c;
    if (c?.k !== 'class') throw new PyException('TypeError', 'issubclass() arg 1 must be a class', at);
    const bases = base?.k === 'tuple' ? base.items : [base ?? NONE];
    let unknownSeen = false;
    for (const x of bases) {
      if (x.k === 'class') {
        if (isSubclass(c, x) || x === object) return bool(true);
      } else if (x.k === 'builtin') {
        if (c.name === x.name.replace(/^.*\./, '')) return bool(true);
      } else unknownSeen = true;
    }
    return unknownSeen ? st().fail('issubclass() with a class that is not modelled', at) : bool(false);
  });
  def('hasattr', (a, at) => {
    const name = a.pos[1];
    if (name?.k !== 'str') return name?.k === 'unknown' ? name : raise('TypeError', 'hasattr(): attribute name must be string', at);
    const obj = a.pos[0] ?? NONE;
    if (obj.k === 'unknown') return obj;
    try {
      const v = interp().getattrOrUndefined(obj, name.v, at);
      return bool(v !== undefined);
    } catch (e) {
      if (e instanceof PyException && e.type === 'AttributeError') return bool(false);
      if (e instanceof PyException) {
        const cls = b.get(e.type);
        const attrErr = b.get('AttributeError');
        if (e.value?.k === 'instance' && attrErr?.k === 'class' && isSubclass(e.value.cls, attrErr)) return bool(false);
        if (cls?.k === 'class' && attrErr?.k === 'class' && isSubclass(cls, attrErr)) return bool(false);
      }
      throw e;
    }
  });
  def('getattr', (a, at) => {
    const name = a.pos[1];
    if (name?.k !== 'str') return name?.k === 'unknown' ? name : raise('TypeError', 'getattr(): attribute name must be string', at);
    const obj = a.pos[0] ?? NONE;
    if (a.pos.length < 3) return interp().getattr(obj, name.v, at);
    try {
      return interp().getattrOrUndefined(obj, name.v, at) ?? a.pos[2];
    } catch (e) {
      if (e instanceof PyException && e.type === 'AttributeError') return a.pos[2];
      throw e;
    }
  });
  def('setattr', (a, at) => {
    const name = a.pos[1];
    if (name?.k === 'str') interp().setattr(a.pos[0] ?? NONE, name.v, a.pos[2] ?? NONE, at);
    else if (name?.k !== 'unknown') throw new PyException('TypeError', 'setattr(): attribute name must be string', at);
    return NONE;
  });
  def('delattr', (a, at) => {
    const name = a.pos[1];
    if (name?.k === 'str') delattr(st(), a.pos[0] ?? NONE, name.v, at);
    return NONE;
  });
  def('super', (a, at) => interp().superOf(a, at));
  def('print', () => NONE);
  def('input', (_a, at) => st().fail('input() is not modelled', at));
  def('open', (a, at) => openFile(st(), a, at));
  def('exec', (_a, at) => st().fail('exec() is not modelled', at));
  def('eval', (_a, at) => st().fail('eval() is not modelled', at));
  def('compile', (_a, at) => st().fail('compile() is not modelled', at));
  def('globals', (_a, at) => {
    const frame = st().frames[st().frames.length - 1];
    const g = frame ? frame.fn.closure.globals ?? frame.fn.closure : undefined;
    return g ? dictOfScope(g.vars) : st().fail('globals() outside a function is not modelled', at);
  });
  def('locals', (_a, at) => {
    const frame = st().frames[st().frames.length - 1];
    return frame ? dictOfScope(frame.scope.vars) : st().fail('locals() outside a function is not modelled', at);
  });
  def('id', (a) => {
    const v = a.pos[0] ?? NONE;
    return int(v.k === 'instance' ? v.id : v.k === 'tensor' ? v.t.id : idOf(v));
  });
  def('hash', (a, at) => {
    const v = a.pos[0] ?? NONE;
    if (v.k === 'list' || v.k === 'dict' || (v.k === 'set' && !v.frozen)) throw new PyException('TypeError', `unhashable type: '${typeName(v)}'`, at);
    const r = dunder(v, '__hash__', [], at);
    if (r) return r;
    const s = keyOf(v);
    let h = 0;
    for (let i = 0; i < s.length; i++) h = (Math.imul(h, 31) + s.charCodeAt(i)) | 0;
    return int(v.k === 'num' && v.int ? v.v : h);
  });
  def('callable', (a, at) => {
    const v = a.pos[0] ?? NONE;
    if (v.k === 'instance') return bool(!!v.module || interp().getattrOrUndefined(v, '__call__', at) !== undefined);
    return bool(['func', 'builtin', 'bound', 'class'].includes(v.k));
  });
  def('vars', (a, at) => {
    const v = a.pos[0];
    if (!v) return interp().call(b.get('locals')!, args([]), at);
    return interp().getattr(v, '__dict__', at);
  });
  def('dir', (a, at) => {
    const v = a.pos[0];
    if (!v) {
      const frame = st().frames[st().frames.length - 1];
      return list([...(frame?.scope.vars.keys() ?? [])].sort().map(str));
    }
    const names = new Set<string>();
    if (v.k === 'module') {
      for (const k of v.attrs.keys()) names.add(k);
      for (const k of v.lazy?.keys() ?? []) names.add(k);
    } else if (v.k === 'class' || v.k === 'instance') {
      if (v.k === 'instance') for (const k of v.attrs.keys()) names.add(k);
      for (const c of mro(v.k === 'class' ? v : v.cls)) for (const k of c.attrs.keys()) names.add(k);
      if (v.k === 'instance' && v.module) for (const r of [v.module.params, v.module.buffers, v.module.children]) for (const k of r.keys()) names.add(k);
    } else return st().fail(`dir() of a ${typeName(v)} is not modelled`, at);
    return list([...names].sort().map(str));
  });
  def('chr', (a, at) => str(String.fromCodePoint(numOf(a.pos[0], at))));
  def('ord', (a, at) => (a.pos[0]?.k === 'str' && [...a.pos[0].v].length === 1 ? int(a.pos[0].v.codePointAt(0)!) : raise('TypeError', 'ord() expected a character', at)));
  def('hex', (a, at) => str(intText(numOf(a.pos[0], at), 16, '0x')));
  def('oct', (a, at) => str(intText(numOf(a.pos[0], at), 8, '0o')));
  def('bin', (a, at) => str(intText(numOf(a.pos[0], at), 2, '0b')));
  def('NotImplemented', () => NONE);
  def('__import__', (a, at) => (a.pos[0]?.k === 'str' ? lib.interp.importModule(a.pos[0].v, at) : raise('TypeError', '__import__() argument 1 must be str', at)));
  b.set('__name__', str('builtins'));
  const ellipsisCls = builtinClass('ellipsis', 'ellipsis', [object]);
  b.set('Ellipsis', { k: 'instance', cls: ellipsisCls, attrs: new Map(), id: -1 });
  b.set('__debug__', bool(true));
  return b;
}

/**
 * `open(path)` for reading text (library code reads a model's `config.json`): a file object over
 * the file's text. Writing is not modelled (Memlens writes no files).
 */
function openFile(state: InterpreterState, a: Args, at: Loc): Value {
  const p = a.pos[0] ?? a.kw.get('file');
  const mode = a.pos[1] ?? a.kw.get('mode') ?? str('r');
  const file = p?.k === 'str' ? p.v : p?.k === 'instance' && p.base?.k === 'str' ? p.base.v : undefined;
  if (file === undefined) return state.fail('open() of a path that is not known', at);
  if (mode.k !== 'str' || /[wax+]/.test(mode.v)) return state.fail(`open(${pyRepr(str(file))}, ${pyRepr(mode)}) for writing is not modelled (Memlens writes no files)`, at);
  let size: number;
  try {
    size = fs.statSync(file).size;
  } catch {
    throw new PyException('FileNotFoundError', `[Errno 2] No such file or directory: ${pyRepr(str(file))}`, at);
  }
  if (size > MAX_READ_BYTES) return state.fail(`open(${pyRepr(str(file))}): the file is too large to read`, at);
  // Only regular files: a FIFO or a device (/dev/zero) would block or never end.
  const text = readRegularFile(file);
  if (text === undefined) return state.fail(`open(${pyRepr(str(file))}): not a regular file Memlens reads`, at);
  const cls: ClassV = { k: 'class', name: 'TextIOWrapper', bases: [], attrs: new Map(), loc: null };
  let pos = 0;
  const lines = () => {
    const rest = text.slice(pos);
    pos = text.length;
    return rest.match(/[^\n]*\n|[^\n]+$/g) ?? [];
  };
  const m = (name: string, f: (b: Args) => Value) => cls.attrs.set(name, builtinMethodOf(`TextIOWrapper.${name}`, (b) => f({ pos: b.pos.slice(1), kw: b.kw })));
  m('read', (b) => {
    const n = b.pos[0] && b.pos[0].k === 'num' && b.pos[0].v >= 0 ? b.pos[0].v : text.length - pos;
    const out = text.slice(pos, pos + n);
    pos += out.length;
    return str(out);
  });
  m('readline', () => {
    const i = text.indexOf('\n', pos);
    const out = text.slice(pos, i < 0 ? text.length : i + 1);
    pos += out.length;
    return str(out);
  });
  m('readlines', () => list(lines().map(str)));
  m('__iter__', () => listIterator(lines().map(str), 'TextIOWrapper'));
  m('__enter__', () => inst);
  m('__exit__', () => bool(false));
  m('close', () => NONE);
  const inst: Value = { k: 'instance', cls, attrs: new Map<string, Value>([['name', str(file)], ['mode', mode], ['closed', bool(false)]]), id: state.newInstanceId() };
  return inst;
}

/** A function's locals or a module's globals as a dict (a snapshot whose writes go back). */
function dictOfScope(vars: Map<string, Value>): DictV {
  const d: DictV = { k: 'dict', map: new Map(), mirror: vars };
  for (const [k, v] of vars) d.map.set(keyOf(str(k)), [str(k), v]);
  return d;
}

const ids = new WeakMap<object, number>();
let nextId = 1 << 20;
function idOf(v: Value): number {
  let i = ids.get(v);
  if (i === undefined) ids.set(v, (i = nextId++));
  return i;
}

function intText(n: number, radix: number, prefix: string): string {
  return (n < 0 ? '-' : '') + prefix + Math.abs(Math.trunc(n)).toString(radix);
}

function roundHalfEven(v: number): number {
  const r = Math.round(v);
  return Math.abs(v % 1) === 0.5 && r % 2 !== 0 ? r - 1 : r;
}
