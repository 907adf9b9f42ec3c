// Python's object model as the interpreter sees it: attributes (descriptors, properties, a class's
// own `__getattribute__`/`__getattr__`/`__setattr__`), items, truth, iteration, equality,
// isinstance and super. Operators are in operators.ts.
import { annotationsDict } from './classes';
import { completeRegistry } from './modules';
import { Parameter, parametersOf } from './binding';
import { builtinMethod, listIterator, makeDict, makeSet, sliceItems, typeOf } from './builtinTypes';
import { call } from './calls';
import { enumByName, enumMembers, enumMembersDict, isEnumClass } from './enums';
import { isNamedTupleOf, namedTupleAttr, namedTupleClassAttr } from './namedTuples';
import { toInt } from './operators';
import type { InterpreterState } from './state';
import { pyRepr, pyStr } from './stdlib/strformat';
import {
  Args, BoundV, ClassV, DictV, FuncV, InstanceV, IterV, Loc, ModuleV, NONE, PyException, SuperV, Value, args, bool, builtin, builtinMethodOf, int, isSubclass,
  keyOf, list, moduleAttr, mro, nativeOf, raise, repr, setRequiresGrad, str, tuple, typeName,
} from './values';

/**
 * `obj.name`. A name a modelled object (torch, a torch layer, a tensor, the modelled standard
 * library) lacks is an unknown (the real object may have it); on Python objects it raises
 * AttributeError, as Python does.
 */
export function getattr(state: InterpreterState, obj: Value, name: string, at: Loc): Value {
  const v = getattrOrUndefined(state, obj, name, at);
  if (v !== undefined) return v;
  if (obj.k === 'unknown') return obj;
  if (isModelledObject(obj, name)) return state.fail(`${modelledName(obj)}.${name} is not modelled`, at);
  // A class with a base that could not be read may inherit the name from it: unknown, not absent.
  const cls = obj.k === 'class' ? obj : obj.k === 'instance' ? obj.cls : null;
  const unread = cls ? mro(cls).flatMap((c) => c.unknownBases ?? [])[0] : undefined;
  if (unread) return state.fail(`${cls!.name}.${name} may come from its base ${unread.text}, which is unknown (${unread.reason})`, at);
  throw new PyException('AttributeError', obj.k === 'module' ? `module '${obj.name}' has no attribute '${name}'` : obj.k === 'class' ? `type object '${obj.name}' has no attribute '${name}'` : `'${typeName(obj)}' object has no attribute '${name}'`, at);
}

/** True when a missing attribute of `obj` is one the engine does not model rather than one that does not exist. */
function isModelledObject(obj: Value, name: string): boolean {
  switch (obj.k) {
    case 'tensor': case 'dtype': return true;
    case 'module': return !!obj.modelled;
    case 'instance': {
      const native = nativeOf(obj.cls);
      if (!native) return false;
      // A torch layer's own attributes; an nn.Module subclass's inherited nn.Module attributes.
      return native.owner.name !== 'Module' && mro(obj.cls)[0].native !== undefined || TORCH_MODULE_ATTRS.has(name);
    }
    case 'class': return !!obj.native && TORCH_MODULE_ATTRS.has(name);
    default: return false;
  }
}

function modelledName(obj: Value): string {
  return obj.k === 'module' ? obj.name : obj.k === 'instance' ? obj.cls.name : obj.k === 'class' ? obj.name : typeName(obj);
}

/** The attributes of torch.nn.Module (PyTorch 2.x), methods and instance state. */
const TORCH_MODULE_ATTRS = new Set(('T_destination _apply _backward_hooks _backward_pre_hooks _buffers _call_impl _compiled_call_impl _forward_hooks _forward_hooks_always_called '
  + '_forward_hooks_with_kwargs _forward_pre_hooks _forward_pre_hooks_with_kwargs _get_backward_hooks _get_backward_pre_hooks _get_name _is_full_backward_hook '
  + '_load_from_state_dict _load_state_dict_post_hooks _load_state_dict_pre_hooks _maybe_warn_non_full_backward_hook _modules _named_members '
  + '_non_persistent_buffers_set _parameters _register_load_state_dict_pre_hook _register_state_dict_hook _replicate_for_data_parallel _save_to_state_dict '
  + '_slow_forward _state_dict_hooks _state_dict_pre_hooks _version _wrapped_call_impl add_module apply bfloat16 buffers call_super_init children compile cpu '
  + 'cuda double dump_patches eval extra_repr float forward get_buffer get_extra_state get_parameter get_submodule half ipu load_state_dict modules mtia '
  + 'named_buffers named_children named_modules named_parameters parameters register_backward_hook register_buffer register_forward_hook '
  + 'register_forward_pre_hook register_full_backward_hook register_full_backward_pre_hook register_load_state_dict_post_hook '
  + 'register_load_state_dict_pre_hook register_module register_parameter register_state_dict_post_hook register_state_dict_pre_hook requires_grad_ '
  + 'set_extra_state set_submodule share_memory state_dict to to_empty train training type xpu zero_grad').split(' '));

/** `obj.name`, or undefined where Python raises AttributeError. */
export function getattrOrUndefined(state: InterpreterState, obj: Value, name: string, at: Loc): Value | undefined {
  switch (obj.k) {
    case 'unknown':
      return obj;
    case 'module':
      return moduleAttr(obj, name) ?? moduleSpecial(state, obj, name, at);
    case 'instance':
      return instanceAttr(state, obj, name, at);
    case 'class':
      return classGetattr(state, obj, name, at);
    case 'super':
      return superAttr(state, obj, name, at);
    case 'tensor':
      return state.lib.tensorAttr(obj, name, at);
    case 'func':
      return obj.attrs?.get(name) ?? functionAttr(state, obj, name);
    case 'builtin':
      if (name === '__name__' || name === '__qualname__') return str(obj.name.replace(/^.*\./, ''));
      if (name === '__module__') return str('builtins');
      if (name === '__doc__') return NONE;
      if (name === '__call__') return obj;
      return undefined;
    case 'bound':
      if (name === '__self__') return obj.self;
      if (name === '__func__') return obj.fn;
      if (name === '__call__') return obj;
      return getattrOrUndefined(state, obj.fn, name, at);
    case 'tuple':
      return namedTupleAttr(obj, name) ?? builtinMethod(state, obj, name);
    case 'dict':
      return obj.attrs?.get(name) ?? builtinMethod(state, obj, name);
    default:
      return builtinMethod(state, obj, name);
  }
}

/** Attributes every module has beyond its namespace, and a module-level `__getattr__` (PEP 562). */
function moduleSpecial(state: InterpreterState, obj: ModuleV, name: string, at: Loc): Value | undefined {
  if (name === '__dict__') {
    // `vars(module)` / `module.__dict__`: every name, its lazily imported ones resolved.
    for (const k of [...(obj.lazy?.keys() ?? [])]) moduleAttr(obj, k);
    return dictOfAttrs(obj.attrs);
  }
  if (name === '__name__') return str(obj.name);
  if (name === '__class__') return typeOf(state, obj);
  if (name.startsWith('__') && name.endsWith('__')) return undefined;
  const hook = obj.attrs.get('__getattr__');
  if (hook && (hook.k === 'func' || hook.k === 'builtin')) {
    try {
      return call(state, hook, args([str(name)]), at);
    } catch (e) {
      if (e instanceof PyException && isAttributeError(state, e)) return undefined;
      throw e;
    }
  }
  return undefined;
}

function functionAttr(state: InterpreterState, obj: FuncV, name: string): Value | undefined {
  switch (name) {
    case '__name__': case '__qualname__': return str(obj.name);
    case '__wrapped__': return obj.wrapped;
    case '__class__': return typeOf(state, obj);
    case '__module__': return (obj.closure.globals ?? obj.closure).lookup('__name__');
    case '__doc__': return NONE;
    case '__dict__': {
      obj.attrs ??= new Map();
      return dictOfAttrs(obj.attrs);
    }
    case '__defaults__': case '__kwdefaults__': {
      const params = parametersOf(obj.node).filter((p) => (name === '__defaults__' ? p.kind === 'positional' || p.kind === 'normal' : p.kind === 'keyword') && p.required === false);
      const value = (p: Parameter) => obj.defaults.get(p.name) ?? obj.lazyDefaults?.get(p.name)?.() ?? NONE;
      if (!params.length) return NONE;
      return name === '__defaults__' ? tuple(params.map(value)) : makeDict(params.map((p) => [str(p.name), value(p)]));
    }
    case '__code__': return codeObject(state, obj);
    case '__globals__': return dictOfAttrs((obj.closure.globals ?? obj.closure).vars);
    case '__closure__': return NONE;
    case '__annotations__': return { k: 'dict', map: new Map() };
    case '__call__': return obj;
    case '__get__': return builtin('function.__get__', (a) => (a.pos[0] && a.pos[0].k !== 'none' ? { k: 'bound', fn: obj, self: a.pos[0] } : obj));
    default: return undefined;
  }
}

const codeObjects = new WeakMap<FuncV, InstanceV>();

/** `f.__code__`: its name, file and argument names, and the function it was read from (`types.FunctionType(code, …)`). */
function codeObject(state: InterpreterState, f: FuncV): InstanceV {
  let c = codeObjects.get(f);
  if (!c) {
    const params = parametersOf(f.node);
    const cls = state.lib.builtins.get('code');
    c = {
      k: 'instance', cls: cls?.k === 'class' ? cls : { k: 'class', name: 'code', bases: [], attrs: new Map(), loc: null }, id: state.newInstanceId(),
      attrs: new Map<string, Value>([
        ['co_name', str(f.name)], ['co_qualname', str(f.name)], ['co_filename', str(f.file)], ['co_firstlineno', int(f.node.startPosition.row + 1)],
        ['co_argcount', int(params.filter((p) => p.kind === 'positional' || p.kind === 'normal').length)], ['co_kwonlyargcount', int(params.filter((p) => p.kind === 'keyword').length)],
        ['co_varnames', tuple(params.map((p) => str(p.name)))], ['__function__', f],
      ]),
    };
    codeObjects.set(f, c);
  }
  return c;
}

/** A live `__dict__`: a dict whose writes go to the attributes too. */
function dictOfAttrs(attrs: Map<string, Value>): DictV {
  const d: DictV = { k: 'dict', map: new Map(), mirror: attrs };
  for (const [k, v] of attrs) d.map.set(keyOf(str(k)), [str(k), v]);
  return d;
}

// ── classes ───────────────────────────────────────────────────────────────

/** `Cls.name`: the class's namespace and its bases' (descriptors see no instance), then its metaclass's. */
function classGetattr(state: InterpreterState, cls: ClassV, name: string, at: Loc): Value | undefined {
  const fields = namedTupleClassAttr(cls, name);
  if (fields) return fields;
  const ca = lookupClassAttr(state, cls, name);
  if (ca) return bindClassAttr(state, ca.value, cls, at);
  switch (name) {
    case '__name__': return str(cls.name);
    case '__qualname__': return str(cls.name);
    case '__dict__': return dictOfAttrs(cls.attrs);
    case '__mro__': return tuple(mro(cls));
    case '__bases__': return tuple(cls.bases.length ? cls.bases : objectBase(state));
    case '__base__': return cls.bases[0] ?? objectBase(state)[0] ?? NONE;
    case '__class__': return cls.meta ?? state.lib.builtins.get('type') ?? NONE;
    case '__doc__': return NONE;
    case '__annotations__': return cls.attrs.get('__annotations__') ?? annotationsDict(state, cls);
    case '__members__': return isEnumClass(cls) ? enumMembersDict(cls) : undefined;
    case '__subclasses__': return builtin('type.__subclasses__', () => list([]));
    case 'mro': return builtin('type.mro', () => list([...mro(cls)]));
    case '__init__': case '__new__': case '__init_subclass__': case '__setattr__': case '__getattribute__': case '__eq__': case '__hash__': case '__repr__': case '__str__':
      return objectMethod(state, name);
  }
  const native = nativeOf(cls);
  const nv = native?.native.classAttr?.(name, state.lib);
  if (nv !== undefined) return nv;
  // A metaclass's methods and properties, bound to the class.
  if (cls.meta) {
    const ma = lookupClassAttr(state, cls.meta, name);
    if (ma) return bindAttr(state, ma.value, cls, cls.meta, at);
  }
  return undefined;
}

function objectBase(state: InterpreterState): ClassV[] {
  const o = state.lib.builtins.get('object');
  return o?.k === 'class' ? [o] : [];
}

/** A class attribute read through the class: classmethods bind to it, descriptors get `__get__(None, cls)`. */
function bindClassAttr(state: InterpreterState, v: Value, cls: ClassV, at: Loc): Value {
  if (v.k === 'func') {
    if (v.decorators.includes('classmethod')) return { k: 'bound', fn: v, self: cls };
    return v;
  }
  if (v.k === 'instance') {
    const wrapped = v.attrs.get('__func__');
    if (wrapped && v.cls.name === 'classmethod' && v.cls.builtinType) return { k: 'bound', fn: wrapped, self: cls };
    if (wrapped && v.cls.name === 'staticmethod' && v.cls.builtinType) return wrapped;
    if (isProperty(v)) return v;
    const get = descriptorGet(state, v);
    if (get) return call(state, get, args([v, NONE, cls]), at);
  }
  return v;
}

/** The class attribute `name` along the MRO, methods of the built-in classes included. */
export function lookupClassAttr(state: InterpreterState, cls: ClassV, name: string): { value: Value; owner: ClassV } | undefined {
  const patched = state.classPatches.size > 0;
  for (const c of mro(cls)) {
    const v = (patched ? state.classPatches.get(c)?.get(name) : undefined) ?? c.attrs.get(name);
    if (v !== undefined) return { value: v, owner: c };
    if (c.builtinType) {
      const m = builtinClassMethod(state, c, name);
      if (m) return { value: m, owner: c };
    }
  }
  return undefined;
}

// Methods of the built-in classes read through the class (`dict.__setitem__`, `str.join`), made
// once per class and name so that they compare identical.
const builtinClassMethods = new WeakMap<ClassV, Map<string, Value | null>>();

/** A built-in type's method as an unbound function (`dict.keys`), taking its instance first. */
export function builtinClassMethod(state: InterpreterState, c: ClassV, name: string): Value | undefined {
  let cache = builtinClassMethods.get(c);
  if (!cache) builtinClassMethods.set(c, (cache = new Map()));
  const hit = cache.get(name);
  if (hit !== undefined) return hit ?? undefined;
  const sample = sampleOf(c.builtinType!);
  const probe = sample ? builtinMethod(state, sample, name) : undefined;
  const m = probe && (probe.k === 'builtin')
    ? builtinMethodOf(`${c.name}.${name}`, (a, at) => {
      const [self, ...rest] = a.pos;
      const target = self?.k === 'instance' && self.base ? self.base : self ?? NONE;
      const bound = builtinMethod(state, target, name);
      if (!bound) return raise('TypeError', `descriptor '${name}' for '${c.name}' objects doesn't apply to a '${typeName(target)}' object`, at);
      return call(state, bound, { pos: rest, kw: a.kw }, at);
    })
    : undefined;
  cache.set(name, m ?? null);
  return m;
}

function sampleOf(type: string): Value | undefined {
  switch (type) {
    case 'dict': return { k: 'dict', map: new Map() };
    case 'list': return list([]);
    case 'tuple': return tuple([]);
    case 'set': return makeSet([]);
    case 'frozenset': return makeSet([], true);
    case 'str': return str('');
    case 'int': return int(0);
    case 'float': return { k: 'num', v: 0, int: false };
    case 'bool': return bool(false);
    default: return undefined;
  }
}

/** `object`'s own methods where a class does not define them (`super().__setattr__`, `object.__new__`). */
function objectMethod(state: InterpreterState, name: string): Value | undefined {
  const o = state.lib.builtins.get('object');
  return o?.k === 'class' ? o.attrs.get(name) : undefined;
}

// ── instances ─────────────────────────────────────────────────────────────

/**
 * The hooks a class defines in Python (not `object`'s): `__getattribute__`, `__getattr__`,
 * `__setattr__`, `__delattr__`. Kept per class until any class attribute changes.
 */
interface Hooks {
  getattribute?: Value;
  getattr?: Value;
  setattr?: Value;
  delattr?: Value;
}
const hookCache = new WeakMap<ClassV, { epoch: number; hooks: Hooks }>();
let classEpoch = 0;

/** Any class attribute changed (`cls.__setattr__ = f`): cached lookups are stale. */
export function classChanged(): void {
  classEpoch++;
}

function hooksOf(cls: ClassV): Hooks {
  const hit = hookCache.get(cls);
  if (hit && hit.epoch === classEpoch) return hit.hooks;
  const hooks: Hooks = {};
  const find = (name: string): Value | undefined => {
    for (const c of mro(cls)) {
      if (c.builtinType || c.native) return undefined;
      const v = c.attrs.get(name);
      if (v !== undefined) return v;
    }
    return undefined;
  };
  hooks.getattribute = find('__getattribute__');
  hooks.getattr = find('__getattr__');
  hooks.setattr = find('__setattr__');
  hooks.delattr = find('__delattr__');
  hookCache.set(cls, { epoch: classEpoch, hooks });
  return hooks;
}

function instanceAttr(state: InterpreterState, obj: InstanceV, name: string, at: Loc): Value | undefined {
  const hooks = hooksOf(obj.cls);
  let v: Value | undefined;
  if (hooks.getattribute) {
    try {
      v = call(state, bindAttr(state, hooks.getattribute, obj, obj.cls, at), args([str(name)]), at);
    } catch (e) {
      if (!(e instanceof PyException && isAttributeError(state, e))) throw e;
      v = undefined;
    }
  } else v = genericGetattr(state, obj, name, at);
  if (v !== undefined) return v;
  return hooks.getattr ? userGetattr(state, obj, hooks.getattr, name, at) : undefined;
}

/** `object.__getattribute__(obj, name)`: own attributes, then the class's (bound), then modelled state. */
export function genericGetattr(state: InterpreterState, obj: InstanceV, name: string, at: Loc): Value | undefined {
  const own = obj.attrs.get(name);
  if (own !== undefined) return own;
  const ca = lookupClassAttr(state, obj.cls, name);
  if (ca) return bindAttr(state, ca.value, obj, obj.cls, at);
  if (obj.module) {
    const m = state.lib.moduleGetattr(obj, name, at);
    if (m !== undefined) return m;
  }
  const native = nativeOf(obj.cls);
  const nv = native?.native.attr?.(obj, name, at, state.lib);
  if (nv !== undefined) return nv;
  if (name === '__class__') return obj.cls;
  if (name === '__dict__') return dictOfAttrs(obj.attrs);
  if (obj.base) return builtinMethod(state, obj.base, name);
  if (name === '__init__' || name === '__setattr__' || name === '__getattribute__' || name === '__eq__' || name === '__hash__' || name === '__repr__' || name === '__str__' || name === '__ne__') {
    const m = objectMethod(state, name);
    if (m) return bindAttr(state, m, obj, obj.cls, at);
  }
  return undefined;
}

/** A class's own `__getattr__`, called for attributes found nowhere else (AttributeError: none). */
function userGetattr(state: InterpreterState, obj: InstanceV, hook: Value, name: string, at: Loc): Value | undefined {
  const key = `${obj.id}.${name}`;
  if (state.inGetattr.has(key)) return undefined;
  state.inGetattr.add(key);
  try {
    return call(state, bindAttr(state, hook, obj, obj.cls, at), args([str(name)]), at);
  } catch (e) {
    if (e instanceof PyException && isAttributeError(state, e)) return undefined;
    throw e;
  } finally {
    state.inGetattr.delete(key);
  }
}

/** True for an AttributeError (or a subclass of it). */
export function isAttributeError(state: InterpreterState, e: PyException): boolean {
  return exceptionMatches(state, e, 'AttributeError');
}

/** True when `e` is an instance of the built-in exception class `name` (or of a subclass). */
export function exceptionMatches(state: InterpreterState, e: PyException, name: string): boolean {
  const target = state.lib.builtins.get(name);
  const cls = exceptionClass(state, e);
  if (cls && target?.k === 'class') return isSubclass(cls, target);
  return e.type === name;
}

/** The class of a raised exception: its object's, or the built-in class its type names. */
export function exceptionClass(state: InterpreterState, e: PyException): ClassV | undefined {
  if (e.value?.k === 'instance') return e.value.cls;
  const c = state.lib.builtins.get(e.type);
  return c?.k === 'class' ? c : undefined;
}

/** A class attribute read through an instance (or `super()`): methods bind, properties and descriptors run. */
export function bindAttr(state: InterpreterState, v: Value, self: Value, cls: ClassV, at: Loc): Value {
  switch (v.k) {
    case 'func':
      if (v.decorators.includes('staticmethod')) return v;
      if (v.decorators.includes('classmethod')) return { k: 'bound', fn: v, self: cls };
      return { k: 'bound', fn: v, self };
    case 'builtin':
      return v.binds ? { k: 'bound', fn: v, self } : v;
    case 'instance': {
      if (isProperty(v)) {
        const fget = v.attrs.get('fget');
        if (!fget || fget.k === 'none') throw new PyException('AttributeError', `property of '${cls.name}' object has no getter`, at);
        return call(state, fget, args([self]), at);
      }
      const wrapped = v.attrs.get('__func__');
      if (wrapped && v.cls.builtinType && v.cls.name === 'staticmethod') return wrapped;
      if (wrapped && v.cls.builtinType && v.cls.name === 'classmethod') return { k: 'bound', fn: wrapped, self: cls };
      const get = descriptorGet(state, v);
      if (get) return call(state, get, args([v, self, cls]), at);
      return v;
    }
    default:
      return v;
  }
}

/** A `property` object (the built-in class or one derived from it). */
export function isProperty(v: InstanceV): boolean {
  return mro(v.cls).some((c) => c.builtinType === 'property');
}

/** The `__get__` a descriptor's class defines in Python, if any. */
function descriptorGet(state: InterpreterState, v: InstanceV): Value | undefined {
  if (v.module) return undefined;
  const get = lookupClassAttr(state, v.cls, '__get__');
  return get && (get.value.k === 'func' || get.value.k === 'builtin') ? get.value : undefined;
}

/** `super().name`: the classes after the method's own in the instance's MRO. */
function superAttr(state: InterpreterState, obj: SuperV, name: string, at: Loc): Value | undefined {
  // `super()` in a metaclass's method: the class is an instance of the metaclass, and methods bind to it.
  const ofMeta = obj.self.k === 'class' && (obj.cls.builtinType === 'type' || !!obj.self.meta && mro(obj.self.meta).includes(obj.cls));
  const selfCls = obj.self.k === 'instance' ? obj.self.cls : obj.self.k === 'class' ? (ofMeta ? obj.self.meta ?? (state.lib.builtins.get('type') as ClassV) : obj.self) : null;
  const order = selfCls ? mro(selfCls) : [];
  const start = order.indexOf(obj.cls);
  const bindTo = (v: Value): Value => {
    // `__new__` is a static method; `__init_subclass__` and `__class_getitem__` are class methods.
    if (name === '__new__') return v;
    if (name === '__init_subclass__' || name === '__class_getitem__') return { k: 'bound', fn: v, self: obj.self };
    if (obj.self.k === 'class' && !ofMeta) return bindClassAttr(state, v, obj.self, at);
    return bindAttr(state, v, obj.self, selfCls ?? obj.cls, at);
  };
  for (const c of order.slice(start + 1)) {
    const v = c.attrs.get(name);
    if (v !== undefined) return bindTo(v);
    if (c.builtinType) {
      const m = builtinClassMethod(state, c, name);
      if (m) return bindTo(m);
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
  const self = obj.self;
  if (name === '__getattr__') {
    return builtin('object.__getattr__', (a, where) => {
      const attr = a.pos[0];
      const found = attr?.k === 'str' && self.k === 'instance' && self.module ? state.lib.moduleGetattr(self, attr.v, where) : undefined;
      return found ?? raise('AttributeError', `'${typeName(self)}' object has no attribute ${attr ? pyRepr(attr) : '?'}`, where);
    });
  }
  const m = objectMethod(state, name);
  if (m) return bindTo(m);
  if (obj.self.k === 'instance') {
    const native = nativeOf(obj.self.cls);
    return native?.native.attr?.(obj.self, name, at, state.lib);
  }
  return undefined;
}

// ── setting and deleting attributes ───────────────────────────────────────

export function setattr(state: InterpreterState, obj: Value, name: string, value: Value, at: Loc): void {
  if (obj.k === 'instance') {
    const hook = hooksOf(obj.cls).setattr;
    if (hook) {
      call(state, bindAttr(state, hook, obj, obj.cls, at), args([str(name), value]), at);
      return;
    }
    genericSetattr(state, obj, name, value, at);
    return;
  }
  if (obj.k === 'class') {
    // Library classes (nn.Module, nn.Sequential…) are shared by every analysis: a patch of one
    // holds for this analysis only.
    if (obj.native || obj.builtinType) {
      patchClass(state, obj, name, value);
      return;
    }
    const metaHook = obj.meta ? lookupClassAttr(state, obj.meta, '__setattr__') : undefined;
    if (metaHook && metaHook.value.k === 'func') {
      call(state, metaHook.value, args([obj, str(name), value]), at);
      return;
    }
    setClassAttr(obj, name, value);
    return;
  }
  if (obj.k === 'module') {
    obj.attrs.set(name, value);
    return;
  }
  if (obj.k === 'func') {
    setFunctionAttr(obj, name, value);
    return;
  }
  if (obj.k === 'tensor') {
    // Freezing (`p.requires_grad = False`) changes what backward and the optimizer hold; `.data`
    // and `.grad` assignments of the same shape change nothing a step holds.
    if (name === 'requires_grad' && value.k === 'bool') setRequiresGrad(obj, value.v);
    return;
  }
  if (obj.k === 'unknown') return;
  // `OrderedDict`, `defaultdict` and `Counter` instances have a `__dict__`; a plain dict has none.
  if (obj.k === 'dict' && obj.cls) {
    (obj.attrs ??= new Map()).set(name, value);
    return;
  }
  throw new PyException('AttributeError', `'${typeName(obj)}' object has no attribute '${name}'`, at);
}

/** `f.name = value`: the special names change the function (its name, its defaults), others go to its `__dict__`. */
function setFunctionAttr(f: FuncV, name: string, value: Value): void {
  switch (name) {
    case '__name__': case '__qualname__':
      if (value.k === 'str') (f as { name: string }).name = value.v;
      return;
    case '__wrapped__':
      f.wrapped = value;
      return;
    case '__defaults__': case '__kwdefaults__': {
      const params = parametersOf(f.node).filter((p) => (name === '__defaults__' ? p.kind === 'positional' || p.kind === 'normal' : p.kind === 'keyword'));
      for (const p of params) if (p.required === false) f.defaults.delete(p.name);
      if (name === '__defaults__' && value.k === 'tuple') {
        const tail = params.slice(params.length - value.items.length);
        tail.forEach((p, i) => f.defaults.set(p.name, value.items[i]));
      } else if (value.k === 'dict') for (const [k, v] of value.map.values()) if (k.k === 'str') f.defaults.set(k.v, v);
      return;
    }
    default:
      (f.attrs ??= new Map()).set(name, value);
  }
}

/** Sets an attribute of a shared class for this analysis only (state.classPatches). */
export function patchClass(state: InterpreterState, cls: ClassV, name: string, value: Value): void {
  let m = state.classPatches.get(cls);
  if (!m) state.classPatches.set(cls, (m = new Map()));
  m.set(name, value);
  classChanged();
}

/** Binds a class attribute (what `type.__setattr__` does), keeping a method's owner for `super()`. */
export function setClassAttr(cls: ClassV, name: string, value: Value): void {
  cls.attrs.set(name, value);
  classChanged();
}

/** `object.__setattr__(obj, name, value)`: a data descriptor's setter, the module registries, else the instance's dict. */
export function genericSetattr(state: InterpreterState, obj: InstanceV, name: string, value: Value, at: Loc): void {
  const ca = obj.attrs.has(name) ? undefined : lookupClassAttr(state, obj.cls, name);
  if (ca?.value.k === 'instance') {
    const d = ca.value;
    if (isProperty(d)) {
      const fset = d.attrs.get('fset');
      if (!fset || fset.k === 'none') throw new PyException('AttributeError', `property '${name}' of '${obj.cls.name}' object has no setter`, at);
      call(state, fset, args([obj, value]), at);
      return;
    }
    const set = d.module ? undefined : lookupClassAttr(state, d.cls, '__set__');
    if (set && (set.value.k === 'func' || set.value.k === 'builtin')) {
      call(state, set.value, args([d, obj, value]), at);
      return;
    }
  }
  if (obj.module && state.lib.moduleSetattr(obj, name, value, at)) return;
  obj.attrs.set(name, value);
}

export function delattr(state: InterpreterState, obj: Value, name: string, at: Loc): void {
  if (obj.k === 'instance') {
    const hook = hooksOf(obj.cls).delattr;
    if (hook) {
      call(state, bindAttr(state, hook, obj, obj.cls, at), args([str(name)]), at);
      return;
    }
    const ca = obj.attrs.has(name) ? undefined : lookupClassAttr(state, obj.cls, name);
    if (ca?.value.k === 'instance' && isProperty(ca.value)) {
      const fdel = ca.value.attrs.get('fdel');
      if (!fdel || fdel.k === 'none') throw new PyException('AttributeError', `property '${name}' of '${obj.cls.name}' object has no deleter`, at);
      call(state, fdel, args([obj]), at);
      return;
    }
    if (obj.attrs.delete(name)) return;
    const m = obj.module;
    if (m && (m.params.delete(name) || m.buffers.delete(name) || m.children.delete(name))) return;
    throw new PyException('AttributeError', `'${obj.cls.name}' object has no attribute '${name}'`, at);
  }
  if (obj.k === 'class' && !obj.native && !obj.builtinType) {
    obj.attrs.delete(name);
    classChanged();
    return;
  }
  if (obj.k === 'module') {
    obj.attrs.delete(name);
    return;
  }
  if (obj.k === 'func') {
    obj.attrs?.delete(name);
    return;
  }
  if (obj.k === 'unknown') return;
  throw new PyException('AttributeError', `'${typeName(obj)}' object has no attribute '${name}'`, at);
}

// ── items ─────────────────────────────────────────────────────────────────

export function getitem(state: InterpreterState, obj: Value, idx: Value, at: Loc): Value {
  if (obj.k === 'unknown') return obj;
  if (idx.k === 'unknown') return idx;
  switch (obj.k) {
    case 'tensor':
      return state.lib.tensorSubscript(obj, idx, at) ?? state.fail('tensor indexing of this form is not modelled', at);
    case 'tuple': case 'list': case 'str': {
      const items: readonly Value[] = obj.k === 'str' ? [...obj.v].map(str) : obj.items;
      if (idx.k === 'slice') {
        const picked = sliceItems(items, idx);
        if (obj.k === 'str') return str(picked.map((s) => (s.k === 'str' ? s.v : '')).join(''));
        return obj.k === 'tuple' ? tuple(picked) : list(picked);
      }
      const i = indexOf(state, idx, at);
      if (i === undefined) throw new PyException('TypeError', `${typeName(obj)} indices must be integers or slices, not ${typeName(idx)}`, at);
      const j = i < 0 ? items.length + i : i;
      if (j < 0 || j >= items.length) throw new PyException('IndexError', `${typeName(obj)} index out of range`, at);
      return items[j];
    }
    case 'dict': {
      const key = keyOf(idx);
      let e = obj.map.get(key);
      if (!e && idx.k === 'str' && completeRegistry(state, idx.v, at)) e = obj.map.get(key);
      if (e) return e[1];
      if (obj.defaultFactory) {
        const v = call(state, obj.defaultFactory, args([]), at);
        obj.map.set(key, [idx, v]);
        return v;
      }
      if (obj.cls?.name === 'Counter') return int(0);
      throw new PyException('KeyError', pyRepr(idx), at);
    }
    case 'instance': {
      const m = getattrOrUndefined(state, obj, '__getitem__', at);
      if (m) return call(state, m, args([idx]), at);
      // A dict subclass's `__missing__` is asked by dict.__getitem__ itself.
      break;
    }
    case 'class': {
      if (isEnumClass(obj)) return enumByName(obj, idx) ?? raise('KeyError', pyRepr(idx), at);
      const cg = lookupClassAttr(state, obj, '__class_getitem__');
      if (cg && cg.value.k === 'func') return call(state, cg.value, args([obj, idx]), at);
      // Generic aliases in annotations (`List[int]`, `dict[str, int]`) read as their class.
      return obj;
    }
    case 'builtin':
      return obj; // typing generics: List[int]
    default:
      break;
  }
  throw new PyException('TypeError', `'${typeName(obj)}' object is not subscriptable`, at);
}

/** An index as an int: ints, bools, objects with `__index__` (a one-element constant tensor included). */
function indexOf(state: InterpreterState, idx: Value, at: Loc): number | undefined {
  const i = toInt(idx);
  if (i !== undefined) return i;
  if (idx.k === 'instance') {
    if (idx.base) return indexOf(state, idx.base, at);
    const m = getattrOrUndefined(state, idx, '__index__', at);
    if (m) return toInt(call(state, m, args([]), at));
  }
  if (idx.k === 'tensor' && idx.values?.length === 1 && idx.t.shape.length === 0) return idx.values[0];
  return undefined;
}

export function setitem(state: InterpreterState, obj: Value, idx: Value, value: Value, at: Loc): void {
  switch (obj.k) {
    case 'list': {
      if (idx.k === 'slice') {
        const n = obj.items.length;
        const items = iterate(state, value, at);
        const step = idx.step.k === 'none' ? 1 : toInt(idx.step) ?? 1;
        if (step !== 1) {
          const positions = sliceItems(obj.items.map((_, i) => i), idx);
          if (positions.length !== items.length) throw new PyException('ValueError', `attempt to assign sequence of size ${items.length} to extended slice of size ${positions.length}`, at);
          positions.forEach((p, i) => (obj.items[p] = items[i]));
          return;
        }
        const norm = (v: Value, dflt: number) => {
          if (v.k === 'none') return dflt;
          const i = toInt(v) ?? dflt;
          return Math.min(Math.max(i < 0 ? i + n : i, 0), n);
        };
        const start = norm(idx.start, 0);
        const stop = Math.max(start, norm(idx.stop, n));
        obj.items.splice(start, stop - start, ...items);
        return;
      }
      const i = indexOf(state, idx, at);
      if (i === undefined) throw new PyException('TypeError', `list indices must be integers or slices, not ${typeName(idx)}`, at);
      const j = i < 0 ? obj.items.length + i : i;
      if (j < 0 || j >= obj.items.length) throw new PyException('IndexError', 'list assignment index out of range', at);
      obj.items[j] = value;
      return;
    }
    case 'dict':
      obj.map.set(keyOf(idx), [idx, value]);
      if (obj.mirror && idx.k === 'str') obj.mirror.set(idx.v, value);
      return;
    case 'instance': {
      const m = getattrOrUndefined(state, obj, '__setitem__', at);
      if (m) {
        call(state, m, args([idx, value]), at);
        return;
      }
      break;
    }
    case 'tensor':
      state.lib.tensorSetitem(obj, idx, value, at);
      return;
    case 'unknown':
      return;
    default:
      break;
  }
  throw new PyException('TypeError', `'${typeName(obj)}' object does not support item assignment`, at);
}

export function delitem(state: InterpreterState, obj: Value, idx: Value, at: Loc): void {
  switch (obj.k) {
    case 'list': {
      if (idx.k === 'slice') {
        const drop = new Set(sliceItems(obj.items.map((_, i) => i), idx));
        const kept = obj.items.filter((_, i) => !drop.has(i));
        obj.items.splice(0, obj.items.length, ...kept);
        return;
      }
      const i = indexOf(state, idx, at);
      const j = i === undefined ? -1 : i < 0 ? obj.items.length + i : i;
      if (j < 0 || j >= obj.items.length) throw new PyException('IndexError', 'list assignment index out of range', at);
      obj.items.splice(j, 1);
      return;
    }
    case 'dict':
      if (!obj.map.delete(keyOf(idx))) throw new PyException('KeyError', pyRepr(idx), at);
      if (obj.mirror && idx.k === 'str') obj.mirror.delete(idx.v);
      return;
    case 'instance': {
      const m = getattrOrUndefined(state, obj, '__delitem__', at);
      if (m) {
        call(state, m, args([idx]), at);
        return;
      }
      break;
    }
    case 'unknown':
      return;
    default:
      break;
  }
  throw new PyException('TypeError', `'${typeName(obj)}' object does not support item deletion`, at);
}

// ── truth, length, membership, iteration ──────────────────────────────────

/** Python truthiness; undefined when it cannot be known. */
export function truthy(state: InterpreterState, v: Value, at: Loc): boolean | undefined {
  switch (v.k) {
    case 'none': return false;
    case 'bool': return v.v;
    case 'num': return v.v !== 0;
    case 'str': return v.v.length > 0;
    case 'tuple': case 'list': return v.items.length > 0;
    case 'dict': case 'set': return v.map.size > 0;
    case 'unknown': return undefined;
    case 'tensor': {
      // `if x:` is `x.__bool__()`: known for a one-element constant, else left unknown to the caller.
      if (v.t.values?.length !== 1 || v.t.shape.some((d) => d !== 1)) return undefined;
      const m = getattrOrUndefined(state, v, '__bool__', at);
      const r = m ? call(state, m, args([]), at) : undefined;
      return r?.k === 'bool' ? r.v : undefined;
    }
    case 'instance': {
      if (v.module) {
        const len = getattrOrUndefined(state, v, '__len__', at);
        if (len && ['Sequential', 'ModuleList', 'ModuleDict'].includes(nativeOf(v.cls)?.owner.name ?? '')) return truthy(state, call(state, len, args([]), at), at);
        return true;
      }
      const b = getattrOrUndefined(state, v, '__bool__', at);
      if (b) return truthy(state, call(state, b, args([]), at), at);
      const m = getattrOrUndefined(state, v, '__len__', at);
      if (m) return truthy(state, call(state, m, args([]), at), at);
      return true;
    }
    default: return true;
  }
}

/** `len(v)`. */
export function lengthOf(state: InterpreterState, v: Value, at: Loc): Value {
  switch (v.k) {
    case 'unknown': return v;
    case 'tensor':
      if (v.t.shape.length === 0) throw new PyException('TypeError', 'len() of a 0-d tensor', at);
      return int(v.t.shape[0]);
    case 'str': return int([...v.v].length);
    case 'tuple': case 'list': return int(v.items.length);
    case 'dict': case 'set': return int(v.map.size);
    case 'instance': {
      const m = getattrOrUndefined(state, v, '__len__', at);
      if (m) return call(state, m, args([]), at);
      break;
    }
    case 'class':
      if (isEnumClass(v)) return int(enumMembers(v).length);
      break;
    default: break;
  }
  throw new PyException('TypeError', `object of type '${typeName(v)}' has no len()`, at);
}

/** `item in container`; undefined when it cannot be known. */
export function contains(state: InterpreterState, container: Value, item: Value, at: Loc): boolean | undefined {
  switch (container.k) {
    case 'str': {
      const s = item.k === 'str' ? item.v : item.k === 'instance' && item.base?.k === 'str' ? item.base.v : undefined;
      if (s === undefined) throw new PyException('TypeError', `'in <string>' requires string as left operand, not ${typeName(item)}`, at);
      return container.v.includes(s);
    }
    case 'tuple': case 'list': {
      let unknownSeen = false;
      for (const x of container.items) {
        const eq = pyEqualsOrUndefined(state, x, item, at);
        if (eq === true) return true;
        if (eq === undefined) unknownSeen = true;
      }
      return unknownSeen ? undefined : false;
    }
    case 'dict':
      if (container.map.has(keyOf(item))) return true;
      return item.k === 'str' && completeRegistry(state, item.v, at) ? container.map.has(keyOf(item)) : false;
    case 'set':
      return container.map.has(keyOf(item));
    case 'iter': {
      for (let v = container.next(), n = 0; v !== undefined; v = container.next(), n++) {
        if (n > state.budget.limits.loopIterations) return undefined;
        if (pyEquals(state, v, item, at)) return true;
      }
      return false;
    }
    case 'instance': {
      if (container.module && item.k === 'str' && !getattrOrUndefined(state, container, '__contains__', at)) return container.module.children.has(item.v);
      const m = getattrOrUndefined(state, container, '__contains__', at);
      if (m) return truthy(state, call(state, m, args([item]), at), at);
      const it = getattrOrUndefined(state, container, '__iter__', at);
      if (it) return iterate(state, container, at).some((x) => pyEquals(state, x, item, at));
      return undefined;
    }
    case 'class':
      if (isEnumClass(container)) return enumMembers(container).some((m) => m === item);
      return undefined;
    default: return undefined;
  }
}

/** The items of an iterable, all of them (bounded by the loop limit). */
export function iterate(state: InterpreterState, v: Value, at: Loc): Value[] {
  switch (v.k) {
    case 'tuple': case 'list': return [...v.items];
    case 'str': return [...v.v].map(str);
    case 'dict': return [...v.map.values()].map(([k]) => k);
    case 'set': return [...v.map.values()];
    case 'iter': {
      const out: Value[] = [];
      const limit = state.budget.limits.loopIterations;
      for (let x = v.next(); x !== undefined; x = v.next()) {
        out.push(x);
        if (out.length > limit) return state.fail(`an iterator of more than ${limit} items exceeds the unroll limit`, at) && out;
      }
      return out;
    }
    case 'tensor': {
      const n = v.t.shape[0];
      if (n === undefined) throw new PyException('TypeError', 'iteration over a 0-d tensor', at);
      // `for row in x` is `x.unbind(0)`: views, with the elements of a constant's rows.
      return Array.from({ length: Math.min(n, state.budget.limits.loopIterations + 1) }, (_, i) => getitem(state, v, int(i), at));
    }
    case 'instance': {
      const it = getattrOrUndefined(state, v, '__iter__', at);
      if (it) {
        const r = call(state, it, args([]), at);
        if (r === v) throw new PyException('TypeError', `'${v.cls.name}' object is not iterable`, at);
        return iterate(state, r, at);
      }
      if (getattrOrUndefined(state, v, '__getitem__', at)) return sequenceProtocol(state, v, at);
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

/** Iteration by `__getitem__(0)`, `(1)`… until IndexError (objects without `__iter__`). */
function sequenceProtocol(state: InterpreterState, v: Value, at: Loc): Value[] {
  const out: Value[] = [];
  for (let i = 0; i <= state.budget.limits.loopIterations; i++) {
    try {
      out.push(getitem(state, v, int(i), at));
    } catch (e) {
      if (e instanceof PyException && (exceptionMatches(state, e, 'IndexError') || exceptionMatches(state, e, 'StopIteration'))) return out;
      throw e;
    }
  }
  return out;
}

/**
 * A lazy iterator over `v` (`iter(v)`): items are produced one at a time, so a loop that breaks
 * early runs a generator only as far as Python would.
 */
export function iterator(state: InterpreterState, v: Value, at: Loc): IterV {
  if (v.k === 'iter') return v;
  if (v.k === 'instance') {
    const it = getattrOrUndefined(state, v, '__iter__', at);
    if (it) {
      const r = call(state, it, args([]), at);
      if (r.k === 'iter') return r;
      if (r.k === 'instance' && r !== v || r.k === 'instance' && getattrOrUndefined(state, r, '__next__', at)) {
        const next = getattrOrUndefined(state, r, '__next__', at);
        if (next) return pythonIterator(state, next, at);
      }
      if (r.k === 'instance' && r === v) {
        const next = getattrOrUndefined(state, v, '__next__', at);
        if (next) return pythonIterator(state, next, at);
      }
      return listIterator(iterate(state, r, at));
    }
  }
  return listIterator(iterate(state, v, at));
}

/** An object with a Python `__next__`: StopIteration ends it. */
function pythonIterator(state: InterpreterState, next: Value, at: Loc): IterV {
  let done = false;
  return {
    k: 'iter', name: 'iterator', next: () => {
      if (done) return undefined;
      try {
        return call(state, next, args([]), at);
      } catch (e) {
        if (e instanceof PyException && exceptionMatches(state, e, 'StopIteration')) {
          done = true;
          return undefined;
        }
        throw e;
      }
    },
  };
}

// ── equality and str ──────────────────────────────────────────────────────

/** `a == b` as Python decides it (numbers by value, containers by their items, objects by `__eq__`). */
export function pyEquals(state: InterpreterState, a: Value, b: Value, at: Loc): boolean {
  return pyEqualsOrUndefined(state, a, b, at) === true;
}

/** `a == b`; undefined when it cannot be known (an unknown, a tensor). */
export function pyEqualsOrUndefined(state: InterpreterState, a: Value, b: Value, at: Loc, depth = 0): boolean | undefined {
  if (a === b && a.k !== 'num') return true;
  if (a.k === 'unknown' || b.k === 'unknown') return undefined;
  if (depth > 32) return undefined;
  const na = a.k === 'num' ? a.v : a.k === 'bool' ? (a.v ? 1 : 0) : undefined;
  const nb = b.k === 'num' ? b.v : b.k === 'bool' ? (b.v ? 1 : 0) : undefined;
  if (na !== undefined && nb !== undefined) return na === nb;
  if (a.k === 'instance' || b.k === 'instance') {
    for (const [x, y] of [[a, b], [b, a]] as const) {
      if (x.k !== 'instance') continue;
      const eq = userEq(state, x, y, at);
      if (eq !== undefined) return eq;
    }
    if (a.k === 'instance' && a.base && (b.k !== 'instance' || b.base)) return pyEqualsOrUndefined(state, a.base, b.k === 'instance' ? b.base! : b, at, depth + 1);
    if (b.k === 'instance' && b.base) return pyEqualsOrUndefined(state, a, b.base, at, depth + 1);
    return a === b;
  }
  if (a.k !== b.k) return false;
  switch (a.k) {
    case 'none': return true;
    case 'str': return a.v === (b as typeof a).v;
    case 'tuple': case 'list': {
      const bi = (b as typeof a).items;
      if (a.items.length !== bi.length) return false;
      for (let i = 0; i < bi.length; i++) {
        const eq = pyEqualsOrUndefined(state, a.items[i], bi[i], at, depth + 1);
        if (eq !== true) return eq;
      }
      return true;
    }
    case 'dict': {
      const bm = (b as typeof a).map;
      if (a.map.size !== bm.size) return false;
      for (const [k, [, x]] of a.map) {
        const y = bm.get(k);
        if (!y) return false;
        const eq = pyEqualsOrUndefined(state, x, y[1], at, depth + 1);
        if (eq !== true) return eq;
      }
      return true;
    }
    case 'set': {
      const bm = (b as typeof a).map;
      return a.map.size === bm.size && [...a.map.keys()].every((k) => bm.has(k));
    }
    case 'dtype': return a.v === (b as typeof a).v;
    case 'slice': return pyEquals(state, a.start, (b as typeof a).start, at) && pyEquals(state, a.stop, (b as typeof a).stop, at) && pyEquals(state, a.step, (b as typeof a).step, at);
    case 'tensor': return undefined;
    case 'bound': return a.fn === (b as typeof a).fn && a.self === (b as typeof a).self;
    default: return a === b;
  }
}

/** An instance's own `__eq__` (a Python one): its verdict, or undefined when it has none or returns NotImplemented. */
function userEq(state: InterpreterState, x: InstanceV, y: Value, at: Loc): boolean | undefined {
  for (const c of mro(x.cls)) {
    if (c.builtinType || c.native) return undefined;
    const eq = c.attrs.get('__eq__');
    if (eq === undefined) continue;
    const r = call(state, bindAttr(state, eq, x, x.cls, at), args([y]), at);
    if (r.k === 'builtin' && r.name === 'NotImplemented') return undefined;
    return truthy(state, r, at);
  }
  return undefined;
}

/** `str(v)`: an instance's `__str__` (or `__repr__`), exception messages, Python's formatting of the rest. */
export function toStr(state: InterpreterState, v: Value, at: Loc): string {
  if (v.k === 'instance') {
    for (const name of ['__str__', '__repr__']) {
      const m = lookupClassAttr(state, v.cls, name);
      if (m && (m.value.k === 'func' || m.owner.builtinType && v.base)) {
        const r = call(state, bindAttr(state, m.value, v, v.cls, at), args([]), at);
        if (r.k === 'str') return r.v;
      }
    }
    if (v.base) return pyStr(v.base);
    if (isEnumClass(v.cls)) {
      const n = v.attrs.get('_name_');
      return `${v.cls.name}.${n?.k === 'str' ? n.v : '?'}`;
    }
    const exc = v.attrs.get('args');
    if (exc?.k === 'tuple' && isExceptionClass(state, v.cls)) return exc.items.length === 1 ? toStr(state, exc.items[0], at) : exc.items.length === 0 ? '' : pyRepr(exc);
    const mod = lookupClassAttr(state, v.cls, '__module__')?.value;
    return `<${mod?.k === 'str' ? `${mod.v}.` : ''}${v.cls.name} object>`;
  }
  if (v.k === 'class') {
    const mod = v.attrs.get('__module__');
    return `<class '${mod?.k === 'str' && mod.v !== 'builtins' ? `${mod.v}.` : ''}${v.name}'>`;
  }
  if (v.k === 'tensor') return repr(v);
  if (v.k === 'dtype') return `torch.${v.v}`;
  return pyStr(v);
}

function isExceptionClass(state: InterpreterState, cls: ClassV): boolean {
  const base = state.lib.builtins.get('BaseException');
  return base?.k === 'class' && isSubclass(cls, base);
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
  if (cls.k === 'tuple') {
    let unknownSeen = false;
    for (const c of cls.items) {
      const r = isInstance(v, c);
      if (r === true) return true;
      if (r === undefined) unknownSeen = true;
    }
    return unknownSeen ? undefined : false;
  }
  // A class not modelled (numpy's `np.ndarray`, from a module not read) is never the class of a
  // tensor, None or a Python scalar: their classes are modelled.
  if (cls.k === 'unknown') return v.k === 'tensor' || v.k === 'none' || v.k === 'bool' || v.k === 'num' || v.k === 'str' ? false : undefined;
  if (cls.k !== 'class' && cls.k !== 'builtin') return undefined;
  if (cls.k === 'class' && cls.tupleFields) return isNamedTupleOf(v, cls);
  if (cls.k === 'class') {
    if (v.k === 'instance') return isSubclass(v.cls, cls);
    if (v.k === 'dict' && v.cls && isSubclass(v.cls, cls)) return true;
    if (v.k === 'tensor') return cls.name === 'Tensor' || cls.name === 'Parameter' && v.t.storage.kind === 'param';
    if (v.k === 'class' && cls.builtinType === 'type') return true;
    if (cls.builtinType) return isBuiltinInstance(v, cls.builtinType === 'dict' && cls.name !== 'dict' ? cls.name : cls.builtinType);
    if (cls.attrs.has('__abc__')) return isBuiltinInstance(v, cls.name);
    return false;
  }
  return isBuiltinInstance(v, cls.name.replace(/^(typing|collections\.abc)\./, ''));
}

function isBuiltinInstance(v: Value, type: string): boolean | undefined {
  switch (type) {
    case 'Sequence': case 'Reversible': return v.k === 'list' || v.k === 'tuple' || v.k === 'str';
    case 'MutableSequence': return v.k === 'list';
    case 'Sized': case 'Container': case 'Collection': return v.k === 'list' || v.k === 'tuple' || v.k === 'dict' || v.k === 'str' || v.k === 'tensor' || v.k === 'set';
    case 'MutableMapping': return v.k === 'dict';
    case 'Iterator': case 'Generator': return v.k === 'iter';
    case 'Hashable': return v.k !== 'list' && v.k !== 'dict' && !(v.k === 'set' && !v.frozen);
    case 'Set': case 'AbstractSet': return v.k === 'set';
    case 'MutableSet': return v.k === 'set' && !v.frozen;
    case 'List': return v.k === 'list';
    case 'Tuple': return v.k === 'tuple';
    case 'Dict': case 'Mapping': return v.k === 'dict';
    case 'Iterable': return v.k === 'list' || v.k === 'tuple' || v.k === 'dict' || v.k === 'str' || v.k === 'tensor' || v.k === 'set' || v.k === 'iter';
    case 'Callable': return ['func', 'builtin', 'bound', 'class'].includes(v.k);
    case 'Any': return true;
    case 'int': return v.k === 'num' && v.int || v.k === 'bool';
    case 'float': return v.k === 'num' && !v.int;
    case 'bool': return v.k === 'bool';
    case 'str': return v.k === 'str';
    case 'list': return v.k === 'list';
    case 'tuple': return v.k === 'tuple';
    case 'dict': return v.k === 'dict';
    case 'OrderedDict': case 'defaultdict': case 'Counter': return v.k === 'dict' && v.cls?.name === type;
    case 'dtype': return v.k === 'dtype' || (v.k === 'instance' && v.attrs.has('__unmodelled_dtype__'));
    case 'set': return v.k === 'set' && !v.frozen;
    case 'frozenset': return v.k === 'set' && !!v.frozen;
    case 'slice': return v.k === 'slice';
    case 'function': case 'FunctionType': case 'LambdaType': return v.k === 'func';
    case 'BuiltinFunctionType': case 'builtin_function_or_method': return v.k === 'builtin';
    case 'MethodType': case 'method': return v.k === 'bound';
    case 'ModuleType': case 'module': return v.k === 'module';
    case 'NoneType': return v.k === 'none';
    case 'type': return v.k === 'class';
    case 'object': return true;
    case 'property': case 'staticmethod': case 'classmethod': return false;
    case 'Number': case 'Complex': return v.k === 'num' || v.k === 'bool';
    case 'Real': return v.k === 'num' || v.k === 'bool';
    case 'Rational': case 'Integral': return v.k === 'num' && v.int || v.k === 'bool';
    case 'KeysView': case 'ValuesView': case 'ItemsView': case 'AsyncIterator': case 'Awaitable': case 'Coroutine': return false;
    default: return undefined;
  }
}

export type { BoundV };
