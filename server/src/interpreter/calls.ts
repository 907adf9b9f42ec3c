// Calling values: dispatch on what is called, Python functions run in a new frame (generator
// functions return a generator), classes instantiated: `__new__` (the class's own or object's,
// which gives an instance of a built-in type's subclass its value), then `__init__` (a Python one,
// a modelled torch class's own, or the one @dataclass generated).
import { bindArguments, parametersOf } from './binding';
import { callEnumClass } from './enums';
import { evalExpr } from './expressions';
import { makeGenerator } from './generators';
import { callNamedTupleClass } from './namedTuples';
import { bindAttr, getattrOrUndefined, lookupClassAttr } from './objects';
import { ReturnSignal } from './signals';
import type { InterpreterState } from './state';
import { execBlock, functionFacts } from './statements';
import { Args, ClassV, FuncV, InstanceV, Loc, NONE, PyException, Scope, Value, isSubclass, mro, nativeOf, typeName } from './values';

export function call(state: InterpreterState, fn: Value, a: Args, at: Loc): Value {
  state.budget.step(at);
  switch (fn.k) {
    case 'func':
      return callFunction(state, fn, a, at);
    case 'builtin':
      return fn.call(a, at);
    case 'bound':
      // `model.forward(x)` from script code is the model's call as much as `model(x)`.
      if (fn.self.k === 'instance' && fn.self.module && fn.fn.k === 'func' && fn.fn.name === 'forward') state.scriptCode?.moduleCalled(fn.self, a, at);
      return call(state, fn.fn, { pos: [fn.self, ...a.pos], kw: a.kw }, at);
    case 'class': {
      if (fn.tupleFields) return callNamedTupleClass(fn, fn.tupleFields, a, at);
      const metaCall = fn.meta ? lookupClassAttr(state, fn.meta, '__call__') : undefined;
      if (metaCall && metaCall.value.k === 'func') return call(state, metaCall.value, { pos: [fn, ...a.pos], kw: a.kw }, at);
      return callEnumClass(fn, a, at) ?? instantiate(state, fn, a, at);
    }
    case 'instance': {
      if (fn.module) {
        state.scriptCode?.moduleCalled(fn, a, at);
        state.moduleDepth++;
        try {
          const viaModule = state.lib.callModule(fn, a, at);
          if (viaModule !== undefined) return viaModule;
        } finally {
          state.moduleDepth--;
        }
      }
      const callMethod = getattrOrUndefined(state, fn, '__call__', at);
      if (callMethod) return call(state, callMethod, a, at);
      throw new PyException('TypeError', `'${fn.cls.name}' object is not callable`, at);
    }
    case 'unknown':
      // Calling an unknown (from an unresolved import, a library part not modelled) changes the
      // model's numbers when tensors or modules go into it: reported then; otherwise its result
      // is an unknown that is reported where it is used (a condition, a loop, a torch argument).
      if ([...a.pos, ...a.kw.values()].some(carriesModelState)) state.report(`called with tensors: ${fn.reason}`, at);
      return fn;
    default:
      throw new PyException('TypeError', `'${typeName(fn)}' object is not callable`, at);
  }
}

/** Runs a Python function or lambda on its arguments in a new frame (a generator function returns its generator). */
function callFunction(state: InterpreterState, fn: FuncV, a: Args, at: Loc): Value {
  const facts = functionFacts(fn.node);
  const local = new Scope(fn.closure, fn.closure.globals ?? fn.closure);
  if (facts.globals.size) local.globalNames = facts.globals;
  if (facts.nonlocals.size) local.nonlocalNames = facts.nonlocals;
  if (facts.generator) {
    bindArguments(fn.name, parametersOf(fn.node), a, at, (p) => fn.defaults.get(p.name) ?? fn.lazyDefaults?.get(p.name)?.(), local.vars);
    return makeGenerator(state, fn, local, at);
  }
  state.budget.enter(at);
  const saved = state.current;
  try {
    bindArguments(fn.name, parametersOf(fn.node), a, at, (p) => fn.defaults.get(p.name) ?? fn.lazyDefaults?.get(p.name)?.(), local.vars);
    state.frames.push({ fn, scope: local });
    const body = fn.node.childForFieldName('body');
    if (fn.node.type === 'lambda') return body ? evalExpr(state, body, local, fn.file) : NONE;
    try {
      execBlock(state, body, local, fn.file);
    } catch (e) {
      if (e instanceof ReturnSignal) return e.value;
      throw e;
    }
    return NONE;
  } finally {
    if (state.frames[state.frames.length - 1]?.scope === local) state.frames.pop();
    // The frame's variables go: what they held lived until now (Python frees on the last reference).
    for (const v of local.vars.values()) state.lib.unbound(v);
    state.current = saved;
    state.budget.leave();
  }
}

/** The built-in type a class derives from (`dict` for `class Output(OrderedDict)`), if any. */
export function builtinBaseOf(cls: ClassV): ClassV | undefined {
  for (const c of mro(cls)) if (c.builtinType && c.builtinType !== 'object') return c;
  return undefined;
}

/** `object.__new__(cls)`: a bare instance; one of a built-in type's subclass holds an empty value of that type. */
export function newInstance(state: InterpreterState, cls: ClassV, at: Loc, base?: Value): InstanceV {
  const self: InstanceV = { k: 'instance', cls, attrs: new Map(), id: state.newInstanceId() };
  const bt = builtinBaseOf(cls);
  if (base) self.base = base;
  else if (bt) {
    const empty = emptyOf(bt.builtinType!);
    if (empty) self.base = empty;
  }
  state.lib.onInstantiate(self, at);
  return self;
}

function emptyOf(type: string): Value | undefined {
  switch (type) {
    case 'dict': return { k: 'dict', map: new Map() };
    case 'list': return { k: 'list', items: [] };
    case 'set': return { k: 'set', map: new Map() };
    case 'frozenset': return { k: 'set', map: new Map(), frozen: true };
    case 'tuple': return { k: 'tuple', items: [] };
    case 'str': return { k: 'str', v: '' };
    case 'int': return { k: 'num', v: 0, int: true };
    case 'float': return { k: 'num', v: 0, int: false };
    default: return undefined;
  }
}

/**
 * `Cls(...)`: `__new__` (when the class or a base defines one in Python), then the `__init__`
 * nearest in the MRO: a Python one, the modelled torch class's, or a built-in class's.
 */
/** The arguments each object (not a module) was constructed with: how a report writes a config (`LlamaConfig(vocab_size=2000, …)`). */
export const CONSTRUCTED_WITH = new WeakMap<InstanceV, Args>();

export function instantiate(state: InterpreterState, cls: ClassV, a: Args, at: Loc): Value {
  // A modelled class whose call makes something other than an instance (`torch.Tensor(data)`).
  if (cls.native?.construct) return cls.native.construct(a, at, state.lib);
  for (const c of mro(cls)) for (const b of c.unknownBases ?? []) state.report(`base class ${b.text} of ${c.name} is unknown (${b.reason}); ${c.name} is analyzed without it`, c.loc ?? at);
  let self: Value;
  const userNew = lookupClassAttr(state, cls, '__new__');
  if (userNew && !userNew.owner.builtinType && !userNew.owner.native) {
    self = call(state, userNew.value, { pos: [cls, ...a.pos], kw: a.kw }, at);
    if (self.k !== 'instance' || !isSubclass(self.cls, cls)) return self;
  } else {
    const bt = builtinBaseOf(cls);
    // An immutable built-in base (str, int, tuple…) takes its value from the arguments, as its `__new__` does.
    const base = bt && IMMUTABLE.has(bt.builtinType!) ? call(state, bt, { pos: a.pos.slice(0, 1), kw: new Map() }, at) : undefined;
    self = newInstance(state, cls, at, base);
  }
  if (self.module === undefined) CONSTRUCTED_WITH.set(self, a);
  // Building a module is model code, wherever it is called from (ScriptWatch).
  const isModule = self.module !== undefined;
  if (isModule) state.moduleDepth++;
  try {
    initInstance(state, self, cls, a, at);
  } finally {
    if (isModule) state.moduleDepth--;
  }
  return self;
}

const IMMUTABLE = new Set(['str', 'int', 'float', 'tuple', 'frozenset', 'bool']);

/** Runs `__init__` on a new instance: the nearest of a Python one, a modelled class's, a built-in one's. */
function initInstance(state: InterpreterState, self: InstanceV, cls: ClassV, a: Args, at: Loc): void {
  const init = lookupClassAttr(state, cls, '__init__');
  const native = nativeOf(cls);
  const order = mro(cls);
  // An `__init__` found outside the class's own MRO (object's, for a modelled class without
  // bases) comes after every class in it.
  const rank = (c: ClassV) => {
    const i = order.indexOf(c);
    return i < 0 ? Infinity : i;
  };
  if (native?.native.init && (!init || rank(native.owner) <= rank(init.owner))) {
    native.native.init(self, a, at, state.lib);
    return;
  }
  if (init) call(state, bindAttr(state, init.value, self, cls, at), a, at);
}

/** True for a value that carries tensors or modules (so passing it to unknown code matters). */
function carriesModelState(v: Value, depth = 0): boolean {
  if (depth > 3) return false;
  switch (v.k) {
    case 'tensor': return true;
    case 'instance': return v.module !== undefined;
    case 'tuple': case 'list': return v.items.some((x) => carriesModelState(x, depth + 1));
    case 'dict': return [...v.map.values()].some(([, x]) => carriesModelState(x, depth + 1));
    default: return false;
  }
}
