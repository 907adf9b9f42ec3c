// Methods of Python's built-in types (list.append, dict.items, set.union, str.format…), and the
// dunder methods every built-in value answers to (`d.__getitem__`, `x.__eq__`).
import { call } from './calls';
import { completeRegistry } from './modules';
import { contains, delitem, getattrOrUndefined, getitem, iterate, lengthOf, pyEquals, setitem, toStr, truthy } from './objects';
import { binaryOp, compare, toInt } from './operators';
import type { InterpreterState } from './state';
import { DTYPE_BYTES, isFloating } from '../../../kernels/src';
import { braceFormat, formatSpec, pyRepr } from './stdlib/strformat';
import {
  Args, ClassV, DictV, IterV, ListV, Loc, NONE, PyException, SetV, Value, args, bool, builtin, int, keyOf, list, mro, raise, str, tuple, typeName,
} from './values';

/** Items picked by a Python slice. */
export function sliceItems<T>(items: readonly T[], s: { start: Value; stop: Value; step: Value }): T[] {
  const n = items.length;
  const [start, stop, step] = sliceIndices(n, s);
  const out: T[] = [];
  if (step > 0) for (let i = start; i < stop; i += step) out.push(items[i]);
  else for (let i = start; i > stop; i += step) out.push(items[i]);
  return out;
}

/** `slice.indices(n)`: start, stop and step normalized for a sequence of n items. */
export function sliceIndices(n: number, s: { start: Value; stop: Value; step: Value }): [number, number, number] {
  const step = s.step.k === 'none' ? 1 : toInt(s.step) ?? 1;
  const norm = (v: Value, dflt: number): number => {
    if (v.k === 'none') return dflt;
    const i = toInt(v) ?? dflt;
    const j = i < 0 ? i + n : i;
    return step > 0 ? Math.min(Math.max(j, 0), n) : Math.min(Math.max(j, -1), n - 1);
  };
  return [norm(s.start, step > 0 ? 0 : n - 1), norm(s.stop, step > 0 ? n : -1), step];
}

/** A new set (or frozenset) of `items`, each once. */
export function makeSet(items: Iterable<Value>, frozen = false): SetV {
  const map = new Map<string, Value>();
  for (const v of items) {
    const key = keyOf(v);
    if (!map.has(key)) map.set(key, v);
  }
  return frozen ? { k: 'set', map, frozen: true } : { k: 'set', map };
}

/** A new dict of key-value pairs. */
export function makeDict(pairs: Iterable<readonly [Value, Value]>): DictV {
  const d: DictV = { k: 'dict', map: new Map() };
  for (const [k, v] of pairs) d.map.set(keyOf(k), [k, v]);
  return d;
}

/** An iterator over a fixed list of items (`iter(list)`, a dict's keys). */
export function listIterator(items: readonly Value[], name = 'list_iterator'): IterV {
  let i = 0;
  return { k: 'iter', name, next: () => (i < items.length ? items[i++] : undefined) };
}

/** Methods of Python's built-in types (list.append, dict.items, str.format…); undefined for other names. */
export function builtinMethod(state: InterpreterState, obj: Value, name: string): Value | undefined {
  const m = (fn: (a: Args, where: Loc) => Value) => builtin(`${typeName(obj)}.${name}`, fn);
  switch (obj.k) {
    case 'list': return listMethod(state, obj, name, m) ?? sequenceMethod(state, obj, name, m) ?? commonMethod(state, obj, name, m);
    case 'tuple': return sequenceMethod(state, obj, name, m) ?? commonMethod(state, obj, name, m);
    case 'dict': return dictMethod(state, obj, name, m) ?? commonMethod(state, obj, name, m);
    case 'set': return setMethod(state, obj, name, m) ?? commonMethod(state, obj, name, m);
    case 'str': return strMethod(state, obj.v, name, m) ?? sequenceMethod(state, obj, name, m) ?? commonMethod(state, obj, name, m);
    case 'num': case 'bool': return numberMethod(state, obj, name, m) ?? commonMethod(state, obj, name, m);
    case 'iter': return iterMethod(state, obj, name, m) ?? commonMethod(state, obj, name, m);
    case 'slice':
      if (name === 'start' || name === 'stop' || name === 'step') return obj[name];
      if (name === 'indices') return m((a) => tuple(sliceIndices(toInt(a.pos[0] ?? int(0)) ?? 0, obj).map(int)));
      return commonMethod(state, obj, name, m);
    case 'dtype':
      switch (name) {
        case 'is_floating_point': return bool(isFloating(obj.v));
        case 'is_complex': return bool(false);
        case 'is_signed': return bool(obj.v !== 'uint8' && obj.v !== 'bool');
        case 'itemsize': return int(DTYPE_BYTES[obj.v]);
        default: return commonMethod(state, obj, name, m);
      }
    case 'none': return commonMethod(state, obj, name, m);
    default: return undefined;
  }
}

type Maker = (fn: (a: Args, where: Loc) => Value) => Value;

/** Dunders every built-in value has (`x.__eq__(y)`, `d.__getitem__(k)`, `type(x)` as `x.__class__`). */
function commonMethod(state: InterpreterState, obj: Value, name: string, m: Maker): Value | undefined {
  switch (name) {
    case '__class__': return typeOf(state, obj);
    case '__eq__': return m((a, where) => bool(pyEquals(state, obj, a.pos[0] ?? NONE, where)));
    case '__ne__': return m((a, where) => bool(!pyEquals(state, obj, a.pos[0] ?? NONE, where)));
    case '__lt__': case '__le__': case '__gt__': case '__ge__': {
      const op = { __lt__: '<', __le__: '<=', __gt__: '>', __ge__: '>=' }[name];
      return m((a, where) => compare(state, op, obj, a.pos[0] ?? NONE, where));
    }
    case '__hash__': return m(() => int(hashString(keyOf(obj))));
    case '__str__': return m((_a, where) => str(toStr(state, obj, where)));
    case '__repr__': return m(() => str(pyRepr(obj)));
    case '__format__': return m((a, where) => {
      const spec = a.pos[0]?.k === 'str' ? a.pos[0].v : '';
      const s = formatSpec(obj, spec, toStr(state, obj, where));
      return s === undefined ? raise('ValueError', `Invalid format specifier '${spec}' for object of type '${typeName(obj)}'`, where) : str(s);
    });
    case '__bool__': return m((_a, where) => {
      const t = truthy(state, obj, where);
      return t === undefined ? state.fail('truth value unknown', where) : bool(t);
    });
    case '__getitem__': return m((a, where) => getitem(state, obj, a.pos[0] ?? NONE, where));
    case '__setitem__': return m((a, where) => { setitem(state, obj, a.pos[0] ?? NONE, a.pos[1] ?? NONE, where); return NONE; });
    case '__delitem__': return m((a, where) => { delitem(state, obj, a.pos[0] ?? NONE, where); return NONE; });
    case '__contains__': return m((a, where) => {
      const r = contains(state, obj, a.pos[0] ?? NONE, where);
      return r === undefined ? state.fail('membership unknown', where) : bool(r);
    });
    case '__len__': return m((_a, where) => lengthOf(state, obj, where));
    case '__iter__': return m((_a, where) => (obj.k === 'iter' ? obj : listIterator(iterate(state, obj, where))));
    case '__add__': case '__sub__': case '__mul__': case '__truediv__': case '__floordiv__': case '__mod__': case '__pow__':
    case '__and__': case '__or__': case '__xor__': case '__lshift__': case '__rshift__': {
      const op = DUNDER_OPS[name];
      return m((a, where) => binaryOp(state, op, obj, a.pos[0] ?? NONE, where, false));
    }
    case '__radd__': case '__rsub__': case '__rmul__': case '__rtruediv__': case '__rfloordiv__': case '__rmod__': case '__rpow__':
    case '__rand__': case '__ror__': case '__rxor__': {
      const op = DUNDER_OPS[`__${name.slice(3)}`];
      return m((a, where) => binaryOp(state, op, a.pos[0] ?? NONE, obj, where, false));
    }
    case '__doc__': return NONE;
    default: return undefined;
  }
}

export const DUNDER_OPS: Record<string, string> = {
  __add__: '+', __sub__: '-', __mul__: '*', __truediv__: '/', __floordiv__: '//', __mod__: '%', __pow__: '**',
  __and__: '&', __or__: '|', __xor__: '^', __lshift__: '<<', __rshift__: '>>', __matmul__: '@',
};

/** The built-in class of a built-in value (`type(3)` is `int`). */
export function typeOf(state: InterpreterState, v: Value): Value {
  if (v.k === 'instance') return v.cls;
  if (v.k === 'dict' && v.cls) return v.cls;
  const name = v.k === 'func' || v.k === 'builtin' ? 'function' : v.k === 'bound' ? 'method' : v.k === 'iter' ? v.name : typeName(v);
  const cls = state.lib.builtins.get(name === 'NoneType' ? 'NoneType' : name);
  if (cls?.k === 'class') return cls;
  const types = state.lib.module('types');
  const fromTypes = types?.k === 'module' ? types.attrs.get(TYPES_NAMES[name] ?? '') : undefined;
  if (fromTypes?.k === 'class') return fromTypes;
  return builtin(name, (_a, at) => state.fail(`calling type(${typeName(v)}) is not modelled`, at));
}

const TYPES_NAMES: Record<string, string> = { function: 'FunctionType', method: 'MethodType', module: 'ModuleType', generator: 'GeneratorType', NoneType: 'NoneType' };

function hashString(s: string): number {
  let h = 0;
  for (let i = 0; i < s.length; i++) h = (Math.imul(h, 31) + s.charCodeAt(i)) | 0;
  return h;
}

function listMethod(state: InterpreterState, obj: ListV, name: string, m: Maker): Value | undefined {
  switch (name) {
    case 'append': return m((a) => { obj.items.push(a.pos[0] ?? NONE); return NONE; });
    case 'extend': return m((a, where) => { obj.items.push(...iterate(state, a.pos[0] ?? list([]), where)); return NONE; });
    case 'insert': return m((a) => {
      const n = obj.items.length;
      let i = toInt(a.pos[0] ?? int(0)) ?? 0;
      if (i < 0) i = Math.max(0, n + i);
      obj.items.splice(Math.min(i, n), 0, a.pos[1] ?? NONE);
      return NONE;
    });
    case 'pop': return m((a, where) => {
      if (obj.items.length === 0) throw new PyException('IndexError', 'pop from empty list', where);
      const i = a.pos[0] ? toInt(a.pos[0]) ?? -1 : -1;
      const j = i < 0 ? obj.items.length + i : i;
      if (j < 0 || j >= obj.items.length) throw new PyException('IndexError', 'pop index out of range', where);
      return obj.items.splice(j, 1)[0];
    });
    case 'remove': return m((a, where) => {
      const i = obj.items.findIndex((x) => pyEquals(state, x, a.pos[0] ?? NONE, where));
      if (i < 0) throw new PyException('ValueError', 'list.remove(x): x not in list', where);
      obj.items.splice(i, 1);
      return NONE;
    });
    case 'clear': return m(() => { obj.items.length = 0; return NONE; });
    case 'reverse': return m(() => { obj.items.reverse(); return NONE; });
    case 'sort': return m((a, where) => {
      const sorted = sortValues(state, obj.items, a.kw.get('key'), a.kw.get('reverse'), where);
      obj.items.splice(0, obj.items.length, ...sorted);
      return NONE;
    });
    // collections.deque is a list here.
    case 'appendleft': return m((a) => { obj.items.unshift(a.pos[0] ?? NONE); return NONE; });
    case 'popleft': return m((_a, where) => obj.items.shift() ?? raise('IndexError', 'pop from an empty deque', where));
    case 'extendleft': return m((a, where) => { for (const x of iterate(state, a.pos[0] ?? list([]), where)) obj.items.unshift(x); return NONE; });
    case 'copy': return m(() => list([...obj.items]));
    default: return undefined;
  }
}

/** Methods of lists, tuples and strings (index, count) and their slicing dunders. */
function sequenceMethod(state: InterpreterState, obj: Value & { k: 'list' | 'tuple' | 'str' }, name: string, m: Maker): Value | undefined {
  const items = (): readonly Value[] => (obj.k === 'str' ? [...obj.v].map(str) : obj.items);
  switch (name) {
    case 'index':
      if (obj.k === 'str') return undefined;
      return m((a, where) => {
        const i = items().findIndex((x) => pyEquals(state, x, a.pos[0] ?? NONE, where));
        if (i < 0) throw new PyException('ValueError', `${pyRepr(a.pos[0] ?? NONE)} is not in ${obj.k}`, where);
        return int(i);
      });
    case 'count':
      if (obj.k === 'str') return undefined;
      return m((a, where) => int(items().filter((x) => pyEquals(state, x, a.pos[0] ?? NONE, where)).length));
    default: return undefined;
  }
}

/** `sorted(items, key=, reverse=)`: a stable sort by Python's `<` on the keys. */
export function sortValues(state: InterpreterState, items: readonly Value[], key: Value | undefined, reverse: Value | undefined, at: Loc): Value[] {
  const keyed = items.map((v) => [key && key.k !== 'none' ? call(state, key, args([v]), at) : v, v] as const);
  const less = (x: Value, y: Value): boolean => truthy(state, compare(state, '<', x, y, at), at) === true;
  const rev = reverse ? truthy(state, reverse, at) === true : false;
  const sorted = [...keyed].sort((p, q) => (less(p[0], q[0]) ? -1 : less(q[0], p[0]) ? 1 : 0));
  // Python's reverse keeps equal items in their original order.
  if (rev) {
    const idx = keyed.map((_, i) => i).sort((i, j) => (less(keyed[j][0], keyed[i][0]) ? -1 : less(keyed[i][0], keyed[j][0]) ? 1 : i - j));
    return idx.map((i) => keyed[i][1]);
  }
  return sorted.map(([, v]) => v);
}

function dictMethod(state: InterpreterState, obj: DictV, name: string, m: Maker): Value | undefined {
  const lookup = (key: Value, where: Loc): [Value, Value] | undefined => {
    let e = obj.map.get(keyOf(key));
    if (!e && key.k === 'str' && completeRegistry(state, key.v, where)) e = obj.map.get(keyOf(key));
    return e;
  };
  const mirror = () => {
    if (obj.mirror) {
      obj.mirror.clear();
      for (const [k, v] of obj.map.values()) if (k.k === 'str') obj.mirror.set(k.v, v);
    }
  };
  switch (name) {
    case 'items': return m(() => list([...obj.map.values()].map(([k, v]) => tuple([k, v]))));
    case 'keys': return m(() => ({ ...makeSet([...obj.map.values()].map(([k]) => k), true), view: true }));
    case 'values': return m(() => list([...obj.map.values()].map(([, v]) => v)));
    case 'get': return m((a, where) => lookup(a.pos[0] ?? NONE, where)?.[1] ?? a.pos[1] ?? NONE);
    case 'pop': return m((a, where) => {
      const key = a.pos[0] ?? NONE;
      const e = obj.map.get(keyOf(key));
      if (!e) return a.pos[1] ?? raise('KeyError', pyRepr(key), where);
      obj.map.delete(keyOf(key));
      mirror();
      return e[1];
    });
    case 'popitem': return m((a, where) => {
      const entries = [...obj.map];
      if (!entries.length) throw new PyException('KeyError', 'popitem(): dictionary is empty', where);
      const last = !(a.pos[0] ?? a.kw.get('last')) || truthy(state, a.pos[0] ?? a.kw.get('last')!, where) !== false;
      const [k, e] = last ? entries[entries.length - 1] : entries[0];
      obj.map.delete(k);
      mirror();
      return tuple(e);
    });
    case 'setdefault': return m((a) => {
      const key = keyOf(a.pos[0] ?? NONE);
      if (!obj.map.has(key)) obj.map.set(key, [a.pos[0] ?? NONE, a.pos[1] ?? NONE]);
      mirror();
      return obj.map.get(key)![1];
    });
    case 'update': return m((a, where) => {
      const d = a.pos[0];
      if (d) for (const [k, v] of pairsOf(state, d, where)) obj.map.set(keyOf(k), [k, v]);
      for (const [k, v] of a.kw) obj.map.set(keyOf(str(k)), [str(k), v]);
      mirror();
      return NONE;
    });
    case 'clear': return m(() => { obj.map.clear(); mirror(); return NONE; });
    case 'copy': return m(() => ({ k: 'dict', map: new Map(obj.map), ...(obj.defaultFactory ? { defaultFactory: obj.defaultFactory } : {}), ...(obj.cls ? { cls: obj.cls } : {}) }));
    case 'move_to_end': return m((a, where) => {
      const key = keyOf(a.pos[0] ?? NONE);
      const e = obj.map.get(key) ?? raise('KeyError', pyRepr(a.pos[0] ?? NONE), where);
      obj.map.delete(key);
      const last = a.pos[1] ?? a.kw.get('last');
      if (last && truthy(state, last, where) === false) {
        const rest = [...obj.map];
        obj.map.clear();
        obj.map.set(key, e);
        for (const [k, x] of rest) obj.map.set(k, x);
      } else obj.map.set(key, e);
      return NONE;
    });
    case 'default_factory': return obj.defaultFactory ?? (obj.cls?.name === 'defaultdict' ? NONE : undefined);
    case 'most_common': return obj.cls?.name === 'Counter' ? m((a) => {
      const entries = [...obj.map.values()].sort((p, q) => (q[1].k === 'num' ? q[1].v : 0) - (p[1].k === 'num' ? p[1].v : 0));
      const n = a.pos[0] ? toInt(a.pos[0]) : undefined;
      return list(entries.slice(0, n ?? entries.length).map((e) => tuple(e)));
    }) : undefined;
    default: return undefined;
  }
}

/** The key-value pairs of a mapping (a dict, an object with `keys()`) or of an iterable of pairs. */
export function pairsOf(state: InterpreterState, v: Value, at: Loc): [Value, Value][] {
  if (v.k === 'dict') return [...v.map.values()].map(([k, x]) => [k, x]);
  // A dict subclass that keeps dict's iteration is copied from its dict directly (as CPython does).
  if (v.k === 'instance' && v.base?.k === 'dict' && !overridesIter(v.cls)) return pairsOf(state, v.base, at);
  if (v.k === 'instance') {
    const keys = getattrOrUndefined(state, v, 'keys', at);
    if (keys) return iterate(state, call(state, keys, args([]), at), at).map((k) => [k, getitem(state, v, k, at)]);
  }
  return iterate(state, v, at).map((pair) => {
    const kv = iterate(state, pair, at);
    if (kv.length !== 2) throw new PyException('ValueError', `dictionary update sequence element has length ${kv.length}; 2 is required`, at);
    return [kv[0], kv[1]];
  });
}

function overridesIter(cls: ClassV): boolean {
  for (const c of mro(cls)) {
    if (c.builtinType) return false;
    if (c.attrs.has('__iter__')) return true;
  }
  return false;
}

function setMethod(state: InterpreterState, obj: SetV, name: string, m: Maker): Value | undefined {
  const others = (a: Args, where: Loc): SetV[] => a.pos.map((x) => (x.k === 'set' ? x : makeSet(iterate(state, x, where))));
  const mutating = (fn: (a: Args, where: Loc) => Value) => (obj.frozen ? undefined : m(fn));
  const result = (items: Iterable<Value>) => makeSet(items, obj.frozen);
  switch (name) {
    case 'add': return mutating((a) => { const v = a.pos[0] ?? NONE; if (!obj.map.has(keyOf(v))) obj.map.set(keyOf(v), v); return NONE; });
    case 'discard': return mutating((a) => { obj.map.delete(keyOf(a.pos[0] ?? NONE)); return NONE; });
    case 'remove': return mutating((a, where) => {
      const key = keyOf(a.pos[0] ?? NONE);
      if (!obj.map.has(key)) throw new PyException('KeyError', pyRepr(a.pos[0] ?? NONE), where);
      obj.map.delete(key);
      return NONE;
    });
    case 'pop': return mutating((_a, where) => {
      const first = obj.map.entries().next();
      if (first.done) throw new PyException('KeyError', 'pop from an empty set', where);
      obj.map.delete(first.value[0]);
      return first.value[1];
    });
    case 'clear': return mutating(() => { obj.map.clear(); return NONE; });
    case 'update': case '__ior__': return mutating((a, where) => { for (const s of others(a, where)) for (const [k, v] of s.map) if (!obj.map.has(k)) obj.map.set(k, v); return NONE; });
    case 'intersection_update': return mutating((a, where) => { for (const s of others(a, where)) for (const k of [...obj.map.keys()]) if (!s.map.has(k)) obj.map.delete(k); return NONE; });
    case 'difference_update': return mutating((a, where) => { for (const s of others(a, where)) for (const k of s.map.keys()) obj.map.delete(k); return NONE; });
    case 'symmetric_difference_update': return mutating((a, where) => {
      for (const s of others(a, where)) for (const [k, v] of s.map) if (obj.map.has(k)) obj.map.delete(k); else obj.map.set(k, v);
      return NONE;
    });
    case 'union': return m((a, where) => result([...obj.map.values(), ...others(a, where).flatMap((s) => [...s.map.values()])]));
    case 'intersection': return m((a, where) => { const os = others(a, where); return result([...obj.map].filter(([k]) => os.every((s) => s.map.has(k))).map(([, v]) => v)); });
    case 'difference': return m((a, where) => { const os = others(a, where); return result([...obj.map].filter(([k]) => !os.some((s) => s.map.has(k))).map(([, v]) => v)); });
    case 'symmetric_difference': return m((a, where) => {
      const [o] = others(a, where);
      return result([...[...obj.map].filter(([k]) => !o?.map.has(k)), ...[...(o?.map ?? [])].filter(([k]) => !obj.map.has(k))].map(([, v]) => v));
    });
    case 'issubset': return m((a, where) => { const [o] = others(a, where); return bool([...obj.map.keys()].every((k) => o?.map.has(k))); });
    case 'issuperset': return m((a, where) => { const [o] = others(a, where); return bool([...(o?.map.keys() ?? [])].every((k) => obj.map.has(k))); });
    case 'isdisjoint': return m((a, where) => { const [o] = others(a, where); return bool(![...obj.map.keys()].some((k) => o?.map.has(k))); });
    case 'copy': return m(() => result(obj.map.values()));
    default: return undefined;
  }
}

function iterMethod(state: InterpreterState, obj: IterV, name: string, m: Maker): Value | undefined {
  switch (name) {
    case '__next__': return m((_a, where) => obj.next() ?? raise('StopIteration', '', where));
    case 'send': return obj.gen ? m((a, where) => obj.gen!.send(a.pos[0] ?? NONE) ?? raise('StopIteration', '', where)) : undefined;
    case 'throw': return obj.gen ? m((a, where) => obj.gen!.throw(exceptionOf(state, a.pos[0] ?? NONE, where)) ?? raise('StopIteration', '', where)) : undefined;
    case 'close': return obj.gen ? m(() => { obj.gen!.close(); return NONE; }) : undefined;
    default: return undefined;
  }
}

/** A Python exception (class or instance) as the JS error `raise` throws. */
export function exceptionOf(state: InterpreterState, v: Value, at: Loc): PyException {
  const inst = v.k === 'class' ? call(state, v, args([]), at) : v;
  const cls = inst.k === 'instance' ? inst.cls : null;
  const first = inst.k === 'instance' ? inst.attrs.get('args') : undefined;
  const message = first?.k === 'tuple' && first.items[0] ? (first.items[0].k === 'str' ? first.items[0].v : pyRepr(first.items[0])) : '';
  return new PyException(cls?.name ?? 'TypeError', cls ? message : 'exceptions must derive from BaseException', at, cls ? inst : undefined);
}

function numberMethod(state: InterpreterState, obj: Value & { k: 'num' | 'bool' }, name: string, m: Maker): Value | undefined {
  const n = obj.k === 'bool' ? (obj.v ? 1 : 0) : obj.v;
  switch (name) {
    case 'is_integer': return m(() => bool(Number.isInteger(n)));
    case 'bit_length': return m(() => int(n === 0 ? 0 : Math.floor(Math.log2(Math.abs(n))) + 1));
    case 'real': return obj;
    case 'imag': return int(0);
    case 'numerator': return obj;
    case 'denominator': return int(1);
    case 'conjugate': return m(() => obj);
    case 'as_integer_ratio': return m((_a, where) => (Number.isInteger(n) ? tuple([int(n), int(1)]) : state.fail('float.as_integer_ratio() is not modelled', where)));
    case 'hex': return m(() => str(`0x${n.toString(16)}`));
    default: return undefined;
  }
}

function strMethod(state: InterpreterState, s: string, name: string, m: Maker): Value | undefined {
  const strArg = (v: Value | undefined): string | undefined => (v?.k === 'str' ? v.v : v?.k === 'instance' && v.base?.k === 'str' ? v.base.v : undefined);
  const range = (a: Args): [number, number] => {
    const norm = (v: Value | undefined, dflt: number) => {
      const i = v && v.k !== 'none' ? toInt(v) ?? dflt : dflt;
      return i < 0 ? Math.max(0, s.length + i) : Math.min(i, s.length);
    };
    return [norm(a.pos[1], 0), norm(a.pos[2], s.length)];
  };
  switch (name) {
    case 'format': return m((a, where) => {
            const formatted = braceFormat(s, a.pos, a.kw, (v) => toStr(state, v, where), (v, n) => getattrOrUndefined(state, v, n, where), (v, k) => state.guarded(() => getitem(state, v, k, where)));
      return formatted === undefined ? state.fail(`${pyRepr(str(s))}.format() with these arguments is not modelled`, where) : str(formatted);
    });
    case 'format_map': return m((a, where) => {
      const d = a.pos[0];
      const kw = new Map<string, Value>(d ? pairsOf(state, d, where).flatMap(([k, v]) => (k.k === 'str' ? [[k.v, v] as [string, Value]] : [])) : []);
      const formatted = braceFormat(s, [], kw, (v) => toStr(state, v, where));
      return formatted === undefined ? state.fail('str.format_map() with these arguments is not modelled', where) : str(formatted);
    });
    case 'lower': case 'casefold': return m(() => str(s.toLowerCase()));
    case 'upper': return m(() => str(s.toUpperCase()));
    case 'title': return m(() => str(s.replace(/[A-Za-z]+/g, (w) => w[0].toUpperCase() + w.slice(1).toLowerCase())));
    case 'capitalize': return m(() => str(s.slice(0, 1).toUpperCase() + s.slice(1).toLowerCase()));
    case 'swapcase': return m(() => str([...s].map((c) => (c === c.toUpperCase() ? c.toLowerCase() : c.toUpperCase())).join('')));
    case 'strip': case 'lstrip': case 'rstrip': return m((a) => str(stripChars(s, strArg(a.pos[0]) ?? null, name)));
    case 'startswith': case 'endswith': return m((a, where) => {
      const p = a.pos[0] ?? NONE;
      const prefixes = p.k === 'tuple' ? p.items.map(strArg) : [strArg(p)];
      if (prefixes.some((x) => x === undefined)) throw new PyException('TypeError', `${name} first arg must be str or a tuple of str`, where);
      const [from, to] = range(a);
      const part = s.slice(from, to);
      return bool(prefixes.some((x) => (name === 'startswith' ? part.startsWith(x!) : part.endsWith(x!))));
    });
    case 'removeprefix': return m((a) => { const p = strArg(a.pos[0]); return str(p !== undefined && s.startsWith(p) ? s.slice(p.length) : s); });
    case 'removesuffix': return m((a) => { const p = strArg(a.pos[0]); return str(p && s.endsWith(p) ? s.slice(0, -p.length) : s); });
    case 'split': case 'rsplit': return m((a, where) => {
      const sep = a.pos[0] ?? a.kw.get('sep');
      const max = toInt(a.pos[1] ?? a.kw.get('maxsplit') ?? int(-1)) ?? -1;
      const sepStr = sep && sep.k !== 'none' ? strArg(sep) : null;
      if (sepStr === '') throw new PyException('ValueError', 'empty separator', where);
      return list(splitString(s, sepStr ?? null, max, name === 'rsplit').map(str));
    });
    case 'splitlines': return m((a, where) => {
      const keep = a.pos[0] ?? a.kw.get('keepends');
      const parts = s.match(/[^\r\n]*(\r\n|\r|\n)|[^\r\n]+$/g) ?? [];
      return list(parts.map((p) => str(keep && truthy(state, keep, where) ? p : p.replace(/(\r\n|\r|\n)$/, ''))));
    });
    case 'partition': case 'rpartition': return m((a, where) => {
      const sep = strArg(a.pos[0]) ?? '';
      if (!sep) throw new PyException('ValueError', 'empty separator', where);
      const i = name === 'partition' ? s.indexOf(sep) : s.lastIndexOf(sep);
      if (i < 0) return name === 'partition' ? tuple([str(s), str(''), str('')]) : tuple([str(''), str(''), str(s)]);
      return tuple([str(s.slice(0, i)), str(sep), str(s.slice(i + sep.length))]);
    });
    case 'find': case 'index': case 'rfind': case 'rindex': return m((a, where) => {
      const sub = strArg(a.pos[0]);
      if (sub === undefined) throw new PyException('TypeError', 'must be str', where);
      const [from, to] = range(a);
      const part = s.slice(from, to);
      const j = name.startsWith('r') ? part.lastIndexOf(sub) : part.indexOf(sub);
      if (j < 0 && name.endsWith('index')) throw new PyException('ValueError', 'substring not found', where);
      return int(j < 0 ? -1 : j + from);
    });
    case 'count': return m((a) => { const sub = strArg(a.pos[0]); const [from, to] = range(a); return int(sub === undefined ? 0 : sub === '' ? to - from + 1 : s.slice(from, to).split(sub).length - 1); });
    case 'isdigit': case 'isnumeric': case 'isdecimal': return m(() => bool(/^[0-9]+$/.test(s)));
    case 'isalpha': return m(() => bool(/^\p{L}+$/u.test(s)));
    case 'isalnum': return m(() => bool(/^[\p{L}0-9]+$/u.test(s)));
    case 'isidentifier': return m(() => bool(/^[\p{L}_][\p{L}0-9_]*$/u.test(s)));
    case 'islower': return m(() => bool(/[a-z]/.test(s) && s === s.toLowerCase()));
    case 'isupper': return m(() => bool(/[A-Z]/.test(s) && s === s.toUpperCase()));
    case 'isspace': return m(() => bool(/^\s+$/.test(s)));
    case 'isascii': return m(() => bool(/^[\x00-\x7f]*$/.test(s)));
    case 'istitle': return m(() => bool(/[A-Za-z]/.test(s) && s === s.replace(/[A-Za-z]+/g, (w) => w[0].toUpperCase() + w.slice(1).toLowerCase())));
    case 'zfill': return m((a) => {
      const w = toInt(a.pos[0] ?? int(0)) ?? 0;
      const sign = /^[+-]/.test(s) ? s[0] : '';
      return str(sign + s.slice(sign.length).padStart(w - sign.length, '0'));
    });
    case 'ljust': case 'rjust': case 'center': return m((a) => {
      const w = toInt(a.pos[0] ?? int(0)) ?? 0;
      const fill = strArg(a.pos[1]) || ' ';
      if (name === 'ljust') return str(s.padEnd(w, fill));
      if (name === 'rjust') return str(s.padStart(w, fill));
      const total = Math.max(0, w - s.length);
      const left = Math.floor(total / 2) + (total % 2 && w % 2 ? 1 : 0);
      return str(fill.repeat(left) + s + fill.repeat(total - left));
    });
    case 'expandtabs': return m((a) => str(s.replace(/\t/g, ' '.repeat(toInt(a.pos[0] ?? int(8)) ?? 8))));
    case 'encode': return m(() => str(s));
    case 'decode': return m(() => str(s));
    case 'join': return m((a, where) => str(iterate(state, a.pos[0] ?? list([]), where).map((x) => {
      const v = strArg(x);
      if (v === undefined) throw new PyException('TypeError', `sequence item: expected str instance, ${typeName(x)} found`, where);
      return v;
    }).join(s)));
    case 'replace': return m((a) => {
      const [from, to] = [strArg(a.pos[0]), strArg(a.pos[1])];
      if (from === undefined || to === undefined) return str(s);
      const count = a.pos[2] ? toInt(a.pos[2]) ?? -1 : -1;
      if (count < 0) return str(s.split(from).join(to));
      const parts = s.split(from);
      return str(parts.slice(0, count + 1).join(to) + (parts.length > count + 1 ? from + parts.slice(count + 1).join(from) : ''));
    });
    case 'translate': return m((_a, where) => state.fail('str.translate() is not modelled', where));
    case 'maketrans': return m((_a, where) => state.fail('str.maketrans() is not modelled', where));
    default: return undefined;
  }
}

/** `str.strip/lstrip/rstrip(chars)`. */
function stripChars(s: string, chars: string | null, which: string): string {
  const drop = (c: string) => (chars === null ? /\s/.test(c) : chars.includes(c));
  let i = 0;
  let j = s.length;
  if (which !== 'rstrip') while (i < j && drop(s[i])) i++;
  if (which !== 'lstrip') while (j > i && drop(s[j - 1])) j--;
  return s.slice(i, j);
}

/** `str.split/rsplit(sep, maxsplit)`: whitespace runs when sep is None (empty parts dropped). */
function splitString(s: string, sep: string | null, max: number, fromRight: boolean): string[] {
  if (sep === null) {
    const words = s.split(/\s+/).filter((x) => x !== '');
    if (max < 0 || words.length <= max + 1) return words;
    if (fromRight) {
      const tail = words.slice(words.length - max);
      const rest = s.trimEnd();
      let cut = rest.length;
      for (let i = 0; i < max; i++) cut = rest.slice(0, cut).trimEnd().search(/\S+$/);
      return [rest.slice(0, cut).trimEnd(), ...tail];
    }
    const out: string[] = [];
    let rest = s.trimStart();
    for (let i = 0; i < max; i++) {
      const mm = /^(\S+)\s*/.exec(rest);
      if (!mm) break;
      out.push(mm[1]);
      rest = rest.slice(mm[0].length);
    }
    if (rest) out.push(rest);
    return out;
  }
  const parts = s.split(sep);
  if (max < 0 || parts.length <= max + 1) return parts;
  return fromRight ? [parts.slice(0, parts.length - max).join(sep), ...parts.slice(parts.length - max)] : [...parts.slice(0, max), parts.slice(max).join(sep)];
}

