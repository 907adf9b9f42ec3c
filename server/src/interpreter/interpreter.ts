// The interpreter as code outside this folder sees it: the engine (loading the analyzed file,
// running the entry) and the modelled libraries (builtins and torch calling back into Python).
import type { Node } from '../python/parser';
import type { Budget } from './budget';
import { call, instantiate } from './calls';
import { evalExpr } from './expressions';
import type { Library, ModuleSource, UnknownEntry } from './host';
import { loadFile, resolveImport } from './modules';
import { getattr, getattrOrUndefined, isInstance, iterate, setattr, superOf, truthy } from './objects';
import { binaryOp } from './operators';
import { InterpreterState, ScriptWatch } from './state';
import { execStmt } from './statements';
import type { Args, ClassV, Loc, ModuleV, Scope, UnknownV, Value } from './values';

export type { Library, ModuleSource } from './host';
export type { ScriptWatch } from './state';

/** A bounded abstract interpreter for the Python that model files are written in, for one analysis. */
export interface Interpreter {
  /** What could not be computed, once per place and reason, in the order found. */
  readonly unknowns: UnknownEntry[];
  /** Unknowns in imported files' module-level code that no number depends on (counted only). */
  readonly outsideUnknowns: UnknownEntry[];
  /** The innermost user-code location being evaluated: ops and unknowns are attributed to it. */
  current: Loc;
  readonly budget: Budget;
  /** The interpreter's state, for the modelled standard library's functions that need Python's object model. */
  readonly state: InterpreterState;

  /**
   * Executes a workspace file as a module (once) and returns its namespace; `stopOn` may end its
   * body at a statement that throws something other than a Python exception (see modules.ts).
   */
  loadFile(absPath: string, name: string, stopOn?: (e: unknown) => boolean): ModuleV | undefined;
  /** Watches the analyzed file run as a script (null: stop watching). */
  watchScript(watch: ScriptWatch | null): void;
  /** True while script code runs (see ScriptWatch): a loop there only has to reach the model's call. */
  readonly inScript: boolean;
  /** The scope a loaded file's module body ran in. */
  scopeOf(mod: ModuleV): Scope | undefined;
  execStmt(node: Node, scope: Scope, file: string): void;
  evalExpr(node: Node, scope: Scope, file: string): Value;
  /** Releases the imported files' trees to the cache; nothing may be evaluated afterwards. */
  dispose(): void;

  call(fn: Value, a: Args, at: Loc): Value;
  instantiate(cls: ClassV, a: Args, at: Loc): Value;
  getattr(obj: Value, name: string, at: Loc): Value;
  /** `obj.name`, or undefined where Python raises AttributeError. */
  getattrOrUndefined(obj: Value, name: string, at: Loc): Value | undefined;
  setattr(obj: Value, name: string, value: Value, at: Loc): void;
  binaryOp(op: string, l: Value, r: Value, at: Loc, inplace: boolean): Value;
  /** Python truthiness; undefined when it cannot be known. */
  truthy(v: Value, at: Loc): boolean | undefined;
  /** The items of an iterable (bounded). */
  iterate(v: Value, at: Loc): Value[];
  isInstance(v: Value, cls: Value): boolean | undefined;
  superOf(a: Args, at: Loc): Value;
  /** `import name` from where the interpreter is (`importlib.import_module`, `__import__`): the module, or an unknown. */
  importModule(name: string, at: Loc): Value;
  newInstanceId(): number;

  /** Records an unknown once per location and reason, and returns it as a value. */
  /** `kind` 'error': PyTorch would raise here (a kernel's shape check), not an unknown value. */
  fail(reason: string, at: Loc, kind?: 'error'): UnknownV;
  /** Forgets the unknowns recorded after the first `count` (an abandoned attempt's). */
  forgetUnknowns(count: number): void;
  report(reason: string, at: Loc): void;
  /** Runs a callable and returns its result, turning Python exceptions and exhausted budgets into an unknown. */
  guarded(fn: () => Value): Value;
}

export function createInterpreter(lib: Library, source: ModuleSource, budget: Budget): Interpreter {
  const state = new InterpreterState(lib, source, budget);
  return {
    unknowns: state.unknowns,
    outsideUnknowns: state.outsideUnknowns,
    get current() {
      return state.current;
    },
    set current(at: Loc) {
      state.current = at;
    },
    budget,
    state,
    loadFile: (absPath, name, stopOn) => loadFile(state, absPath, name, stopOn),
    watchScript: (watch) => {
      state.script = watch;
    },
    get inScript() {
      return state.scriptCode !== null;
    },
    scopeOf: (mod) => state.moduleScopes.get(mod),
    execStmt: (node, scope, file) => execStmt(state, node, scope, file),
    evalExpr: (node, scope, file) => evalExpr(state, node, scope, file),
    dispose: () => state.usedTrees.clear(),
    call: (fn, a, at) => call(state, fn, a, at),
    instantiate: (cls, a, at) => instantiate(state, cls, a, at),
    getattr: (obj, name, at) => getattr(state, obj, name, at),
    getattrOrUndefined: (obj, name, at) => getattrOrUndefined(state, obj, name, at),
    setattr: (obj, name, value, at) => setattr(state, obj, name, value, at),
    binaryOp: (op, l, r, at, inplace) => binaryOp(state, op, l, r, at, inplace),
    truthy: (v, at) => truthy(state, v, at),
    iterate: (v, at) => iterate(state, v, at),
    isInstance,
    superOf: (a, at) => superOf(state, a, at),
    importModule: (name, at) => resolveImport(state, name, 0, at.file, at),
    newInstanceId: () => state.newInstanceId(),
    fail: (reason, at, kind) => state.fail(reason, at, kind),
    forgetUnknowns: (count) => state.forgetUnknowns(count),
    report: (reason, at) => state.report(reason, at),
    guarded: (fn) => state.guarded(fn),
  };
}
