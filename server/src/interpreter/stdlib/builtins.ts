import { Args, ClassV, DictV, Loc, NONE, PyException, Value, bool, builtin, int, list, num, repr, str, tuple, typeName } from '../values';
import type { TorchLibrary } from '../torch/library';

/** A class of the modelled standard library (no Python source, no native behaviour). */
export const pyClass = (name: string, bases: ClassV[] = []): ClassV => ({ k: 'class', name, bases, attrs: new Map(), loc: null });

/** Python's built-in functions, as far as model files use them. */
export function pythonBuiltins(lib: TorchLibrary): Map<string, Value> {
  const interp = () => lib.interp;
  const numOf = (v: Value | undefined, at: Loc): number => {
    if (v?.k === 'num') return v.v;
    if (v?.k === 'bool') return v.v ? 1 : 0;
    throw new PyException('TypeError', `expected a number, got ${v ? typeName(v) : 'nothing'}`, at);
  };
  const b = new Map<string, Value>();
  const def = (name: string, fn: (a: Args, at: Loc) => Value) => b.set(name, builtin(name, fn));

  def('range', (a, at) => {
    for (const v of a.pos) if (v.k === 'unknown') return v;
    const ns = a.pos.map((v) => numOf(v, at));
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
  def('len', (a, at) => {
    const v = a.pos[0] ?? NONE;
    if (v.k === 'unknown') return v;
    if (v.k === 'tensor') return int(v.t.shape[0] ?? 0);
    if (v.k === 'instance') {
      const m = interp().getattrOrUndefined(v, '__len__', at);
      if (m) return interp().call(m, { pos: [], kw: new Map() }, at);
    }
    if (v.k === 'dict') return int(v.map.size);
    return int(interp().iterate(v, at).length);
  });
  /** `int(x)` / `float(x)` of a tensor: its `__int__` / `__float__` (the element, when known). */
  const tensorConversion = (v: Value, method: string, at: Loc): Value | undefined => {
    if (v.k !== 'tensor') return undefined;
    const m = interp().getattrOrUndefined(v, method, at);
    return m ? interp().call(m, { pos: [], kw: new Map() }, at) : undefined;
  };
  def('int', (a, at) => {
    const v = a.pos[0] ?? int(0);
    if (v.k === 'unknown') return v;
    const t = tensorConversion(v, '__int__', at);
    if (t) return t.k === 'num' ? int(Math.trunc(t.v)) : t;
    if (v.k === 'str') return int(parseInt(v.v, 10));
    return int(Math.trunc(numOf(v, at)));
  });
  def('float', (a, at) => {
    const v = a.pos[0] ?? num(0, false);
    if (v.k === 'unknown') return v;
    const t = tensorConversion(v, '__float__', at);
    if (t) return t.k === 'num' ? num(t.v, false) : t;
    if (v.k === 'str') return num(v.v === 'inf' ? Infinity : v.v === '-inf' ? -Infinity : parseFloat(v.v), false);
    return num(numOf(v, at), false);
  });
  def('bool', (a, at) => {
    const t = interp().truthy(a.pos[0] ?? NONE, at);
    return t === undefined ? interp().fail('truth value unknown', at) : bool(t);
  });
  def('str', (a) => {
    const v = a.pos[0] ?? str('');
    return v.k === 'str' ? v : str(v.k === 'num' ? String(v.v) : repr(v));
  });
  def('list', (a, at) => list(a.pos[0] ? interp().iterate(a.pos[0], at) : []));
  def('tuple', (a, at) => tuple(a.pos[0] ? interp().iterate(a.pos[0], at) : []));
  def('set', (a, at) => list(a.pos[0] ? dedupe(interp().iterate(a.pos[0], at)) : []));
  def('frozenset', (a, at) => list(a.pos[0] ? dedupe(interp().iterate(a.pos[0], at)) : []));
  def('dict', (a, at) => {
    const d: DictV = { k: 'dict', map: new Map() };
    const src = a.pos[0];
    if (src?.k === 'dict') for (const [k, e] of src.map) d.map.set(k, e);
    else if (src) for (const pair of interp().iterate(src, at)) {
      const [k, v] = interp().iterate(pair, at);
      if (k && v) d.map.set(repr(k), [k, v]);
    }
    for (const [k, v] of a.kw) d.map.set(repr(str(k)), [str(k), v]);
    return d;
  });
  def('enumerate', (a, at) => {
    const start = a.pos[1] ? numOf(a.pos[1], at) : 0;
    return list(interp().iterate(a.pos[0] ?? list([]), at).map((v, i) => tuple([int(i + start), v])));
  });
  def('zip', (a, at) => {
    const seqs = a.pos.map((s) => interp().iterate(s, at));
    const n = Math.min(...seqs.map((s) => s.length));
    return list(Array.from({ length: seqs.length ? n : 0 }, (_, i) => tuple(seqs.map((s) => s[i]))));
  });
  def('reversed', (a, at) => list(interp().iterate(a.pos[0] ?? list([]), at).reverse()));
  def('sorted', (a, at) => {
    const items = interp().iterate(a.pos[0] ?? list([]), at);
    const sortedItems = [...items].sort((x, y) => (x.k === 'num' && y.k === 'num' ? x.v - y.v : repr(x).localeCompare(repr(y))));
    const rev = a.kw.get('reverse');
    return list(rev?.k === 'bool' && rev.v ? sortedItems.reverse() : sortedItems);
  });
  const minmax = (name: 'min' | 'max') => (a: Args, at: Loc): Value => {
    const items = a.pos.length === 1 ? interp().iterate(a.pos[0], at) : a.pos;
    if (items.some((v) => v.k === 'unknown')) return items.find((v) => v.k === 'unknown')!;
    if (items.length === 0) return a.kw.get('default') ?? interp().fail(`${name}() of an empty sequence`, at);
    return items.reduce((best, v) => ((name === 'min' ? numOf(v, at) < numOf(best, at) : numOf(v, at) > numOf(best, at)) ? v : best));
  };
  def('min', minmax('min'));
  def('max', minmax('max'));
  def('sum', (a, at) => {
    const items = interp().iterate(a.pos[0] ?? list([]), at);
    let acc: Value = a.pos[1] ?? int(0);
    for (const v of items) acc = interp().binaryOp('+', acc, v, at, false);
    return acc;
  });
  def('abs', (a, at) => {
    const v = a.pos[0] ?? int(0);
    if (v.k === 'num') return num(Math.abs(v.v), v.int);
    if (v.k === 'bool') return int(v.v ? 1 : 0);
    if (v.k === 'unknown') return v;
    // A tensor (or an object) defines `__abs__`.
    const m = v.k === 'tensor' || v.k === 'instance' ? interp().getattrOrUndefined(v, '__abs__', at) : undefined;
    return m ? interp().call(m, { pos: [], kw: new Map() }, at) : interp().fail('abs() of a non-number', at);
  });
  def('round', (a, at) => {
    const v = numOf(a.pos[0], at);
    const digits = a.pos[1] ? numOf(a.pos[1], at) : undefined;
    if (digits === undefined) return int(roundHalfEven(v));
    const f = 10 ** digits;
    return num(Math.round(v * f) / f, false);
  });
  def('divmod', (a, at) => {
    const [x, y] = [numOf(a.pos[0], at), numOf(a.pos[1], at)];
    return tuple([int(Math.floor(x / y)), int(x - y * Math.floor(x / y))]);
  });
  def('pow', (a, at) => interp().binaryOp('**', a.pos[0] ?? int(0), a.pos[1] ?? int(1), at, false));
  def('any', (a, at) => bool(interp().iterate(a.pos[0] ?? list([]), at).some((v) => interp().truthy(v, at) === true)));
  def('all', (a, at) => bool(interp().iterate(a.pos[0] ?? list([]), at).every((v) => interp().truthy(v, at) !== false)));
  def('map', (a, at) => list(interp().iterate(a.pos[1] ?? list([]), at).map((v) => interp().call(a.pos[0] ?? NONE, { pos: [v], kw: new Map() }, at))));
  def('filter', (a, at) => list(interp().iterate(a.pos[1] ?? list([]), at).filter((v) => (a.pos[0]?.k === 'none' ? interp().truthy(v, at) : interp().truthy(interp().call(a.pos[0] ?? NONE, { pos: [v], kw: new Map() }, at), at)) !== false)));
  def('iter', (a) => a.pos[0] ?? NONE);
  // `slice(stop)` / `slice(start, stop[, step])`: what `x[a:b]` builds.
  def('slice', (a) => {
    const [x, y, z] = a.pos;
    return a.pos.length <= 1 ? { k: 'slice', start: NONE, stop: x ?? NONE, step: NONE } : { k: 'slice', start: x ?? NONE, stop: y ?? NONE, step: z ?? NONE };
  });
  def('next', (a, at) => {
    const items = interp().iterate(a.pos[0] ?? list([]), at);
    return items[0] ?? a.pos[1] ?? interp().fail('next() of an empty iterator', at);
  });
  def('isinstance', (a, at) => {
    const r = interp().isInstance(a.pos[0] ?? NONE, a.pos[1] ?? NONE);
    return r === undefined ? interp().fail('isinstance() with an unknown class', at) : bool(r);
  });
  def('issubclass', (a) => {
    const [c, base] = a.pos;
    return bool(c?.k === 'class' && base?.k === 'class' && (c === base || c.bases.some((x) => x === base)));
  });
  def('hasattr', (a, at) => {
    const name = a.pos[1];
    if (name?.k !== 'str') return interp().fail('hasattr() with a non-constant name', at);
    const v = interp().getattrOrUndefined(a.pos[0] ?? NONE, name.v, at);
    return v === undefined ? bool(false) : v.k === 'unknown' && a.pos[0]?.k === 'unknown' ? v : bool(true);
  });
  def('getattr', (a, at) => {
    const name = a.pos[1];
    if (name?.k !== 'str') return interp().fail('getattr() with a non-constant name', at);
    const v = interp().getattrOrUndefined(a.pos[0] ?? NONE, name.v, at);
    return v ?? a.pos[2] ?? interp().getattr(a.pos[0] ?? NONE, name.v, at);
  });
  def('setattr', (a, at) => {
    const name = a.pos[1];
    if (name?.k === 'str') interp().setattr(a.pos[0] ?? NONE, name.v, a.pos[2] ?? NONE, at);
    return NONE;
  });
  def('super', (a, at) => interp().superOf(a, at));
  def('print', () => NONE);
  def('id', (a) => int(a.pos[0]?.k === 'instance' ? a.pos[0].id : 0));
  def('repr', (a) => str(repr(a.pos[0] ?? NONE)));
  def('callable', (a) => bool(['func', 'builtin', 'bound', 'class'].includes(a.pos[0]?.k ?? '')));
  def('type', (a) => (a.pos[0]?.k === 'instance' ? a.pos[0].cls : builtin(typeName(a.pos[0] ?? NONE), () => NONE)));
  def('vars', (a) => {
    const d: DictV = { k: 'dict', map: new Map() };
    if (a.pos[0]?.k === 'instance') for (const [k, v] of a.pos[0].attrs) d.map.set(repr(str(k)), [str(k), v]);
    return d;
  });
  def('staticmethod', (a) => a.pos[0] ?? NONE);
  def('classmethod', (a) => a.pos[0] ?? NONE);
  def('property', (a) => a.pos[0] ?? NONE);
  def('NotImplemented', () => NONE);
  const object = pyClass('object');
  object.attrs.set('__getattribute__', builtin('object.__getattribute__', (a, at) => interp().getattr(a.pos[0] ?? NONE, a.pos[1]?.k === 'str' ? a.pos[1].v : '?', at)));
  object.attrs.set('__setattr__', builtin('object.__setattr__', (a, at) => {
    if (a.pos[1]?.k === 'str') interp().setattr(a.pos[0] ?? NONE, a.pos[1].v, a.pos[2] ?? NONE, at);
    return NONE;
  }));
  b.set('object', object);
  const exc = pyClass('Exception');
  exc.attrs.set('__init__', builtin('Exception.__init__', (a) => {
    const [self, ...rest] = a.pos;
    if (self?.k === 'instance') self.attrs.set('args', tuple(rest));
    return NONE;
  }));
  b.set('Exception', exc);
  b.set('BaseException', exc);
  for (const e of ['ValueError', 'TypeError', 'RuntimeError', 'NotImplementedError', 'KeyError', 'IndexError', 'AssertionError', 'AttributeError', 'ImportError', 'ModuleNotFoundError', 'ZeroDivisionError', 'StopIteration', 'OSError', 'FileNotFoundError', 'OverflowError', 'RecursionError', 'LookupError', 'ArithmeticError']) b.set(e, pyClass(e, [exc]));
  const warning = pyClass('Warning', [exc]);
  b.set('Warning', warning);
  for (const w of ['UserWarning', 'DeprecationWarning', 'FutureWarning', 'RuntimeWarning', 'PendingDeprecationWarning', 'SyntaxWarning']) b.set(w, pyClass(w, [warning]));
  b.set('__name__', str('__builtins__'));
  b.set('Ellipsis', str('...'));
  return b;
}

function dedupe(items: Value[]): Value[] {
  const seen = new Set<string>();
  return items.filter((v) => {
    const k = repr(v);
    if (seen.has(k)) return false;
    seen.add(k);
    return true;
  });
}

function roundHalfEven(v: number): number {
  const r = Math.round(v);
  return Math.abs(v % 1) === 0.5 && r % 2 !== 0 ? r - 1 : r;
}
