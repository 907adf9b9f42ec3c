// Python's object model as the interpreter sees it: attributes, items, truth, iteration,
// isinstance and super. Operators are in operators.ts.
import { completeRegistry } from './modules';
import { builtinMethod, sliceItems } from './builtinTypes';
import { call } from './calls';
import { initDataclass } from './dataClasses';
import { enumByName, enumMembers, enumMembersDict, isEnumClass } from './enums';
import { isNamedTupleOf, namedTupleAttr, namedTupleClassAttr } from './namedTuples';
import { toInt } from './operators';
import type { InterpreterState } from './state';
import {
  Args, InstanceV, Loc, NONE, PyException, SuperV, Value, args, builtin, classAttr, int, isSubclass, list, moduleAttr, mro, nativeOf, raise, repr, setRequiresGrad, str, tuple, typeName,
} from './values';

export function getattr(state: InterpreterState, obj: Value, name: string, at: Loc): Value {
  const v = getattrOrUndefined(state, obj, name, at);
  if (v !== undefined) return v;
  if (obj.k === 'unknown') return obj;
  return state.fail(`'${typeName(obj)}' object has no attribute '${name}'`, at);
}

/** `obj.name`, or undefined where Python raises AttributeError. */
export function getattrOrUndefined(state: InterpreterState, obj: Value, name: string, at: Loc): Value | undefined {
  switch (obj.k) {
    case 'unknown':
      return obj;
    case 'module': {
      const v = moduleAttr(obj, name);
      if (v !== undefined || name !== '__dict__') return v;
      // `vars(module)` / `module.__dict__`: every name, its lazily imported ones resolved.
      for (const k of [...(obj.lazy?.keys() ?? [])]) moduleAttr(obj, k);
      return { k: 'dict', map: new Map([...obj.attrs].map(([k, x]) => [repr(str(k)), [str(k), x]])) };
    }
    case 'instance':
      return instanceAttr(state, obj, name, at);
    case 'class': {
      const fields = namedTupleClassAttr(obj, name);
      if (fields) return fields;
      const ca = classAttr(obj, name);
      if (ca) {
        if (ca.value.k === 'func' && ca.value.decorators.includes('classmethod')) return { k: 'bound', fn: ca.value, self: obj };
        return ca.value;
      }
      if (name === '__name__' || name === '__qualname__') return str(obj.name);
      if (name === '__members__' && isEnumClass(obj)) return enumMembersDict(obj);
      return undefined;
    }
    case 'super':
      return superAttr(state, obj, name, at);
    case 'tensor':
      return state.lib.tensorAttr(obj, name, at);
    case 'func':
      if (name === '__name__' || name === '__qualname__') return str(obj.name);
      if (name === '__wrapped__') return obj.wrapped;
      if (name === '__class__') return builtin('function', () => NONE);
      if (name === '__module__') return obj.closure.lookup('__name__') ?? (obj.closure.globals ?? obj.closure).lookup('__name__');
      return undefined;
    case 'builtin':
      if (name === '__name__' || name === '__qualname__') return str(obj.name.replace(/^.*\./, ''));
      return undefined;
    case 'tuple':
      return namedTupleAttr(obj, name) ?? builtinMethod(state, obj, name);
    default:
      return builtinMethod(state, obj, name);
  }
}

function instanceAttr(state: InterpreterState, obj: InstanceV, name: string, at: Loc): Value | undefined {
  const own = obj.attrs.get(name);
  if (own !== undefined) return own;
  const ca = classAttr(obj.cls, name);
  if (ca) return bindAttr(state, ca.value, obj, at);
  if (obj.module) {
    const m = state.lib.moduleGetattr(obj, name, at);
    if (m !== undefined) return m;
  }
  const native = nativeOf(obj.cls);
  const nv = native?.native.attr?.(obj, name, at, state.lib);
  if (nv !== undefined) return nv;
  if (name === '__class__') return obj.cls;
  if (name === '__dict__') return { k: 'dict', map: new Map([...obj.attrs].map(([k, v]) => [repr(str(k)), [str(k), v]])) };
  return userGetattr(state, obj, name, at);
}

/** `super().name`: the classes after the method's own in the instance's MRO. */
function superAttr(state: InterpreterState, obj: SuperV, name: string, at: Loc): Value | undefined {
  const order = obj.self.k === 'instance' ? mro(obj.self.cls) : obj.self.k === 'class' ? mro(obj.self) : [];
  const start = order.indexOf(obj.cls);
  for (const c of order.slice(start + 1)) {
    const v = c.attrs.get(name);
    if (v !== undefined) return bindAttr(state, v, obj.self, at);
    if (c.dataclassFields && name === '__init__') {
      // The `__init__` @dataclass generates for c.
      return builtin(`${c.name}.__init__`, (a, where) => {
        if (obj.self.k === 'instance') initDataclass(state, obj.self, c, a, where);
        return NONE;
      });
    }
    if (c.native && name === '__init__') {
      const native = c.native;
      return builtin(`${c.name}.__init__`, (a, where) => {
        if (obj.self.k === 'instance') native.init?.(obj.self, a, where, state.lib);
        return NONE;
      });
    }
    if (c.native && name === 'forward' && c.native.forward) {
      const native = c.native;
      return builtin(`${c.name}.forward`, (a, where) => (obj.self.k === 'instance' ? native.forward!(obj.self, a, where, state.lib) : NONE));
    }
  }
  if (name === '__init__') return builtin('object.__init__', () => NONE);
  if (name === '__getattr__' || name === '__getattribute__') {
    const self = obj.self;
    return builtin(`object.${name}`, (a, where) => {
      const attr = a.pos[0];
      const found = attr?.k === 'str' && name === '__getattribute__' ? getattrOrUndefined(state, self, attr.v, where) : undefined;
      return found ?? raise('AttributeError', `'${typeName(self)}' object has no attribute ${attr ? repr(attr) : '?'}`, where);
    });
  }
  if (obj.self.k === 'instance') {
    const native = nativeOf(obj.self.cls);
    return native?.native.attr?.(obj.self, name, at, state.lib);
  }
  return undefined;
}

/** A class's own `__getattr__`, called for attributes found nowhere else (AttributeError: none). */
function userGetattr(state: InterpreterState, obj: InstanceV, name: string, at: Loc): Value | undefined {
  const hook = classAttr(obj.cls, '__getattr__');
  if (!hook || hook.value.k !== 'func' || name.startsWith('__')) return undefined;
  const key = `${obj.id}.${name}`;
  if (state.inGetattr.has(key)) return undefined;
  state.inGetattr.add(key);
  try {
    return call(state, hook.value, args([obj, str(name)]), at);
  } catch (e) {
    if (e instanceof PyException && e.type === 'AttributeError') return undefined;
    throw e;
  } finally {
    state.inGetattr.delete(key);
  }
}

/** A class attribute read through an instance (or `super()`): methods bind, properties run. */
function bindAttr(state: InterpreterState, v: Value, self: Value, at: Loc): Value {
  if (v.k === 'func') {
    if (v.decorators.includes('staticmethod')) return v;
    if (v.decorators.includes('classmethod')) return { k: 'bound', fn: v, self: self.k === 'instance' ? self.cls : self };
    if (v.decorators.includes('property')) return call(state, v, args([self]), at);
    return { k: 'bound', fn: v, self };
  }
  return v;
}

export function setattr(state: InterpreterState, obj: Value, name: string, value: Value, at: Loc): void {
  if (obj.k === 'instance') {
    if (obj.module && state.lib.moduleSetattr(obj, name, value, at)) return;
    obj.attrs.set(name, value);
    return;
  }
  if (obj.k === 'class') {
    // Library classes (nn.Module, nn.Sequential…) are shared by every analysis: patching them
    // would leak into the next file analyzed.
    if (obj.native) {
      state.report(`assigning ${obj.name}.${name} on a modelled torch class is not modelled; ignored`, at);
      return;
    }
    obj.attrs.set(name, value);
    return;
  }
  if (obj.k === 'module') {
    obj.attrs.set(name, value);
    return;
  }
  if (obj.k === 'tensor') {
    // Freezing (`p.requires_grad = False`) changes what backward and the optimizer hold; `.data`
    // and `.grad` assignments of the same shape change nothing a step holds.
    if (name === 'requires_grad' && value.k === 'bool') setRequiresGrad(obj, value.v);
    return;
  }
  if (obj.k === 'unknown') return;
  state.report(`cannot set attribute '${name}' on ${typeName(obj)}`, at);
}

// ── items ─────────────────────────────────────────────────────────────────

export function getitem(state: InterpreterState, obj: Value, idx: Value, at: Loc): Value {
  if (obj.k === 'unknown') return obj;
  if (idx.k === 'unknown') return idx;
  if (obj.k === 'tensor') return state.lib.tensorSubscript(obj, idx, at) ?? state.fail('tensor indexing of this form is not modelled', at);
  if (obj.k === 'tuple' || obj.k === 'list' || obj.k === 'str') {
    const items: readonly Value[] = obj.k === 'str' ? [...obj.v].map(str) : obj.items;
    if (idx.k === 'slice') {
      const picked = sliceItems(items, idx);
      if (obj.k === 'str') return str(picked.map((s) => (s.k === 'str' ? s.v : '')).join(''));
      return obj.k === 'tuple' ? tuple(picked) : list(picked);
    }
    const i = toInt(idx);
    if (i === undefined) return state.fail(`index ${repr(idx)} is not an integer`, at);
    const j = i < 0 ? items.length + i : i;
    if (j < 0 || j >= items.length) throw new PyException('IndexError', `index ${i} out of range for length ${items.length}`, at);
    return items[j];
  }
  if (obj.k === 'dict') {
    let e = obj.map.get(repr(idx));
    if (!e && idx.k === 'str' && completeRegistry(state, idx.v, at)) e = obj.map.get(repr(idx));
    if (!e && obj.defaultFactory) {
      const v = call(state, obj.defaultFactory, args([]), at);
      obj.map.set(repr(idx), [idx, v]);
      return v;
    }
    if (!e) throw new PyException('KeyError', repr(idx), at);
    return e[1];
  }
  if (obj.k === 'instance') {
    const m = getattrOrUndefined(state, obj, '__getitem__', at);
    if (m) return call(state, m, args([idx]), at);
  }
  if (obj.k === 'class' && isEnumClass(obj)) return enumByName(obj, idx) ?? raise('KeyError', repr(idx), at);
  if (obj.k === 'class' || obj.k === 'builtin') return obj; // typing generics: List[int]
  return state.fail(`'${typeName(obj)}' object is not subscriptable`, at);
}

export function setitem(state: InterpreterState, obj: Value, idx: Value, value: Value, at: Loc): void {
  if (obj.k === 'list') {
    const i = toInt(idx);
    if (i === undefined) return;
    const j = i < 0 ? obj.items.length + i : i;
    if (j >= 0 && j < obj.items.length) obj.items[j] = value;
    return;
  }
  if (obj.k === 'dict') {
    obj.map.set(repr(idx), [idx, value]);
    return;
  }
  if (obj.k === 'instance') {
    const m = getattrOrUndefined(state, obj, '__setitem__', at);
    if (m) call(state, m, args([idx, value]), at);
    return;
  }
  if (obj.k === 'tensor') {
    state.lib.tensorSetitem(obj, idx, value, at);
    return;
  }
  if (obj.k === 'unknown') return;
  state.report(`item assignment on ${typeName(obj)} is not modelled`, at);
}

// ── truth and iteration ───────────────────────────────────────────────────

/** Python truthiness; undefined when it cannot be known. */
export function truthy(state: InterpreterState, v: Value, at: Loc): boolean | undefined {
  switch (v.k) {
    case 'none': return false;
    case 'bool': return v.v;
    case 'num': return v.v !== 0;
    case 'str': return v.v.length > 0;
    case 'tuple': case 'list': return v.items.length > 0;
    case 'dict': return v.map.size > 0;
    case 'unknown': return undefined;
    case 'tensor': {
      // `if x:` is `x.__bool__()`: known for a one-element constant, else left unknown to the caller.
      if (v.t.values?.length !== 1 || v.t.shape.some((d) => d !== 1)) return undefined;
      const m = getattrOrUndefined(state, v, '__bool__', at);
      const r = m ? call(state, m, args([]), at) : undefined;
      return r?.k === 'bool' ? r.v : undefined;
    }
    case 'instance': {
      const m = getattrOrUndefined(state, v, '__len__', at);
      if (m && v.module === undefined) return truthy(state, call(state, m, args([]), at), at);
      if (v.module) return v.module.children.size > 0 || !['Sequential', 'ModuleList', 'ModuleDict'].includes(v.cls.name);
      return true;
    }
    default: return true;
  }
}

/** The items of an iterable (bounded). */
export function iterate(state: InterpreterState, v: Value, at: Loc): Value[] {
  switch (v.k) {
    case 'tuple': case 'list': return [...v.items];
    case 'str': return [...v.v].map(str);
    case 'dict': return [...v.map.values()].map(([k]) => k);
    case 'tensor': {
      const n = v.t.shape[0];
      if (n === undefined) throw new PyException('TypeError', 'iteration over a 0-d tensor', at);
      // `for row in x` is `x.unbind(0)`: views, with the elements of a constant's rows.
      return Array.from({ length: Math.min(n, state.budget.limits.loopIterations + 1) }, (_, i) => getitem(state, v, int(i), at));
    }
    case 'instance': {
      const it = getattrOrUndefined(state, v, '__iter__', at);
      if (it) return iterate(state, call(state, it, args([]), at), at);
      throw new PyException('TypeError', `'${v.cls.name}' object is not iterable`, at);
    }
    case 'unknown':
      state.report(`iterating an unknown value (${v.reason}); taken as empty`, at);
      return [];
    case 'class':
      if (isEnumClass(v)) return enumMembers(v);
      throw new PyException('TypeError', `'type' object is not iterable`, at);
    default: throw new PyException('TypeError', `'${typeName(v)}' object is not iterable`, at);
  }
}

// ── super and isinstance ──────────────────────────────────────────────────

/** `super()` / `super(Cls, self)`: the zero-argument form reads the calling method's frame. */
export function superOf(state: InterpreterState, a: Args, at: Loc): Value {
  if (a.pos.length >= 2 && a.pos[0].k === 'class') return { k: 'super', cls: a.pos[0], self: a.pos[1] };
  const frame = state.frames[state.frames.length - 1];
  const cls = frame ? state.methodOwner.get(frame.fn.node) : undefined;
  const firstParam = frame?.fn.node.childForFieldName('parameters')?.namedChildren[0];
  const self = firstParam ? frame.scope.vars.get(firstParam.type === 'identifier' ? firstParam.text : firstParam.namedChildren[0]?.text ?? '') : undefined;
  if (cls && self) return { k: 'super', cls, self };
  return state.fail('super() outside a method', at);
}

/** `isinstance(v, cls)`; undefined when `cls` is not a class the model knows. */
export function isInstance(v: Value, cls: Value): boolean | undefined {
  if (cls.k === 'tuple') return cls.items.some((c) => isInstance(v, c));
  if (cls.k !== 'class' && cls.k !== 'builtin') return undefined;
  if (cls.k === 'class' && cls.tupleFields) return isNamedTupleOf(v, cls);
  if (cls.k === 'class') return v.k === 'instance' ? isSubclass(v.cls, cls) : v.k === 'tensor' ? cls.name === 'Tensor' || cls.name === 'Parameter' && v.t.storage.kind === 'param' : false;
  return isBuiltinInstance(v, cls.name.replace(/^(typing|collections\.abc)\./, ''));
}

function isBuiltinInstance(v: Value, type: string): boolean | undefined {
  switch (type) {
    case 'Sequence': case 'Reversible': return v.k === 'list' || v.k === 'tuple' || v.k === 'str';
    case 'MutableSequence': return v.k === 'list';
    case 'Sized': case 'Container': case 'Collection': return v.k === 'list' || v.k === 'tuple' || v.k === 'dict' || v.k === 'str' || v.k === 'tensor';
    case 'MutableMapping': return v.k === 'dict';
    case 'Iterator': return false;
    case 'Hashable': return v.k !== 'list' && v.k !== 'dict';
    case 'Set': case 'MutableSet': return false;
    case 'List': return v.k === 'list';
    case 'Tuple': return v.k === 'tuple';
    case 'Dict': case 'Mapping': return v.k === 'dict';
    case 'Iterable': return v.k === 'list' || v.k === 'tuple' || v.k === 'dict' || v.k === 'str' || v.k === 'tensor';
    case 'Callable': return ['func', 'builtin', 'bound', 'class'].includes(v.k);
    case 'Any': return true;
    case 'int': return v.k === 'num' && v.int || v.k === 'bool';
    case 'float': return v.k === 'num' && !v.int;
    case 'bool': return v.k === 'bool';
    case 'str': return v.k === 'str';
    case 'list': return v.k === 'list';
    case 'tuple': return v.k === 'tuple';
    case 'dict': return v.k === 'dict';
    case 'function': case 'FunctionType': return v.k === 'func' || v.k === 'builtin' || v.k === 'bound';
    case 'object': return true;
    default: return undefined;
  }
}
