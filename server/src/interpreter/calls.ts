// Calling values: dispatch on what is called, Python functions run in a new frame, classes
// instantiated (user `__init__`, a modelled torch class's own, or a dataclass's generated one).
import { bindArguments, parametersOf } from './binding';
import { initDataclass, postInitDataclass } from './dataClasses';
import { callEnumClass } from './enums';
import { evalExpr } from './expressions';
import { callNamedTupleClass } from './namedTuples';
import { getattrOrUndefined } from './objects';
import { ReturnSignal } from './signals';
import type { InterpreterState } from './state';
import { execBlock } from './statements';
import { Args, ClassV, FuncV, InstanceV, Loc, NONE, Scope, Value, classAttr, mro, nativeOf, typeName } from './values';

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
    case 'class':
      if (fn.tupleFields) return callNamedTupleClass(fn, fn.tupleFields, a, at);
      return callEnumClass(fn, a, at) ?? instantiate(state, fn, a, at);
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
      return state.fail(`'${fn.cls.name}' object is not callable`, at);
    }
    case 'unknown':
      // Calling an unknown (from an unresolved import, a library part not modelled) changes the
      // model's numbers when tensors or modules go into it: reported then; otherwise its result
      // is an unknown that is reported where it is used (a condition, a loop, a torch argument).
      if ([...a.pos, ...a.kw.values()].some(carriesModelState)) state.report(`called with tensors: ${fn.reason}`, at);
      return fn;
    default:
      return state.fail(`'${typeName(fn)}' object is not callable`, at);
  }
}

/** Runs a Python function or lambda on its arguments in a new frame. */
function callFunction(state: InterpreterState, fn: FuncV, a: Args, at: Loc): Value {
  state.budget.enter(at);
  const saved = state.current;
  const local = new Scope(fn.closure, fn.closure.globals ?? fn.closure);
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

/**
 * `Cls(...)`: a new instance, initialised by the `__init__` nearest in the MRO: a Python one, the
 * modelled torch class's, or the one @dataclass generates.
 */
export function instantiate(state: InterpreterState, cls: ClassV, a: Args, at: Loc): Value {
  // A modelled class whose call makes something other than an instance (`torch.Tensor(data)`).
  if (cls.native?.construct) return cls.native.construct(a, at, state.lib);
  const self: InstanceV = { k: 'instance', cls, attrs: new Map(), id: state.newInstanceId() };
  state.lib.onInstantiate(self, at);
  // Building a module is model code, wherever it is called from (ScriptWatch).
  const isModule = self.module !== undefined;
  if (isModule) state.moduleDepth++;
  try {
    for (const c of mro(cls)) for (const b of c.unknownBases ?? []) state.report(`base class ${b.text} of ${c.name} is unknown (${b.reason}); ${c.name} is analyzed without it`, c.loc ?? at);
    return initInstance(state, self, cls, a, at);
  } finally {
    if (isModule) state.moduleDepth--;
  }
}

function initInstance(state: InterpreterState, self: InstanceV, cls: ClassV, a: Args, at: Loc): InstanceV {
  const init = classAttr(cls, '__init__');
  const native = nativeOf(cls);
  if (init && (!native || mro(cls).indexOf(init.owner) < mro(cls).indexOf(native.owner))) {
    call(state, init.value, { pos: [self, ...a.pos], kw: a.kw }, at);
  } else if (native?.native.init) {
    native.native.init(self, a, at, state.lib);
  } else if (cls.dataclassFields) {
    initDataclass(state, self, cls, a, at);
  } else if (init) {
    call(state, init.value, { pos: [self, ...a.pos], kw: a.kw }, at);
  }
  postInitDataclass(state, self, cls, at);
  return self;
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
