import type { Node, Tree } from '../python/parser';
import type { Budget } from './budget';
import type { Library, ModuleSource, UnknownEntry } from './host';
import { Args, BudgetExceeded, ClassV, FuncV, InstanceV, Loc, ModuleV, PyException, Scope, UnknownV, Value, unknown } from './values';

/**
 * What the engine watches while the analyzed file runs as a script (engine/discover.ts): the
 * modules script code builds and calls. "Script code" is code not running inside a module's
 * construction or forward (`InterpreterState.moduleDepth` 0).
 */
export interface ScriptWatch {
  /** A module instance is called from script code (`model(x)`, `model.forward(x)`); may throw to stop the script. */
  moduleCalled(module: InstanceV, a: Args, at: Loc): void;
  /** A call in script code returned a module instance: `node` is the call, `fn` the callee, `a` its arguments. */
  moduleBuilt(module: InstanceV, node: Node, fn: Value, a: Args, file: string): void;
  /** Whether unknowns of script code count as outside the model (a training script's logging, files, optimizers). */
  readonly unknownsOutside: boolean;
}

/**
 * What one analysis's interpreter shares between its parts (statements, expressions, calls, the
 * object model, modules): its surroundings, its budget, the unknowns it found, and the bookkeeping
 * of the Python it runs. Every part is a set of functions taking this state first.
 */
export class InterpreterState {
  readonly unknowns: UnknownEntry[] = [];
  /**
   * Unknowns met while an imported file's module body ran (its own imports, version checks,
   * registries), or while the analyzed file ran as a script outside any module (its logging, data
   * files, optimizers): they cannot change the model's numbers unless a value from them is used
   * later, and that use is reported where it happens (a module built from it, an input made of it).
   */
  readonly outsideUnknowns: UnknownEntry[] = [];
  /** How many imported files' module bodies are running (nested imports). */
  importDepth = 0;
  /** How many module constructions and module calls are running (0: script code). */
  moduleDepth = 0;
  /** How many `try` bodies are running (their exceptions go to their handlers). */
  tryDepth = 0;
  /** Set while the analyzed file runs as a script (see ScriptWatch). */
  script: ScriptWatch | null = null;
  private readonly seenUnknown = new Set<string>();
  /** The innermost user-code location being evaluated: ops and unknowns are attributed to it. */
  current: Loc = { file: '', line: 1 };
  private nextInstance = 1;
  /** Python call frames (innermost last), for `super()` without arguments. */
  readonly frames: { fn: FuncV; scope: Scope }[] = [];
  /** The class whose body defined each method (Python's `__class__` cell). */
  readonly methodOwner = new WeakMap<Node, ClassV>();
  /** `instance.name` lookups running a user `__getattr__` (a hook that reads a missing attribute of itself). */
  readonly inGetattr = new Set<string>();
  /** Exceptions whose `except` blocks are running (innermost last): a bare `raise` re-raises the last. */
  readonly handling: PyException[] = [];
  /**
   * Attributes this analysis set on classes every analysis shares (the modelled torch classes,
   * Python's built-in types): `setattr(torch.nn.Module, "smart_apply", f)` holds for this analysis only.
   */
  readonly classPatches = new Map<ClassV, Map<string, Value>>();
  /** Files with `from __future__ import annotations` (their annotations stay strings). */
  readonly futureAnnotations = new Set<string>();

  /** Files executed as modules, by absolute path (each runs once, as Python's `sys.modules`). */
  readonly modules = new Map<string, ModuleV>();
  /** The scope each file's module body ran in. */
  readonly moduleScopes = new WeakMap<ModuleV, Scope>();
  /** Files whose module body is running: importing one of them is a circular import. */
  readonly loading = new Set<string>();
  /** The first file loaded (the analyzed one): decides which installed packages count as its own. */
  entryFile: string | null = null;
  /** Registry keys already looked for in their package's modules (modules.ts completeRegistry). */
  readonly registryTried = new Set<string>();
  /** Trees of the imported files this analysis runs (shared through importedTrees). */
  readonly usedTrees = new Set<Tree>();

  constructor(readonly lib: Library, readonly source: ModuleSource, readonly budget: Budget) {}

  /** The watch of script code, when script code (not a module, not an import) is running. */
  get scriptCode(): ScriptWatch | null {
    return this.moduleDepth === 0 && this.importDepth === 0 ? this.script : null;
  }

  /** Records an unknown once per location and reason, and returns it as a value. */
  fail(reason: string, at: Loc, kind?: 'error'): UnknownV {
    this.report(reason, at, kind);
    return unknown(reason, at);
  }

  /** Forgets the unknowns recorded after the first `count` (an attempt that was abandoned). */
  forgetUnknowns(count: number): void {
    for (const u of this.unknowns.splice(count)) this.seenUnknown.delete(`${u.file}:${u.line}:${u.reason}`);
  }

  report(reason: string, at: Loc, kind?: 'error'): void {
    const key = `${at.file}:${at.line}:${reason}`;
    if (this.seenUnknown.has(key)) return;
    this.seenUnknown.add(key);
    const module = this.lib.runningModule?.() ?? null;
    const outside = this.importDepth > 0 || (this.script?.unknownsOutside === true && this.moduleDepth === 0);
    (outside ? this.outsideUnknowns : this.unknowns).push({ file: at.file, line: at.line, ...(at.column !== undefined ? { column: at.column } : {}), reason, ...(module !== null ? { module } : {}), ...(kind ? { kind } : {}) });
  }

  loc(node: Node, file: string): Loc {
    return { file, line: node.startPosition.row + 1, column: node.startPosition.column + 1 };
  }

  newInstanceId(): number {
    return this.nextInstance++;
  }

  /** Runs a callable and returns its result, turning Python exceptions and exhausted budgets into an unknown. */
  guarded(fn: () => Value): Value {
    try {
      return fn();
    } catch (e) {
      if (e instanceof PyException) return this.fail(e.message, e.at);
      if (e instanceof BudgetExceeded) return this.fail(e.message, e.at);
      throw e;
    }
  }
}
