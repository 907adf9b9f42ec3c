import type { Node, Tree } from '../python/parser';
import type { Budget } from './budget';
import type { Library, ModuleSource, UnknownEntry } from './host';
import { BudgetExceeded, ClassV, FuncV, Loc, ModuleV, PyException, Scope, UnknownV, Value, unknown } from './values';

/**
 * What one analysis's interpreter shares between its parts (statements, expressions, calls, the
 * object model, modules): its surroundings, its budget, the unknowns it found, and the bookkeeping
 * of the Python it runs. Every part is a set of functions taking this state first.
 */
export class InterpreterState {
  readonly unknowns: UnknownEntry[] = [];
  /**
   * Unknowns met while an imported file's module body ran (its own imports, version checks,
   * registries): they cannot change the model's numbers unless a value from them is used later,
   * and that use is reported where it happens.
   */
  readonly outsideUnknowns: UnknownEntry[] = [];
  /** How many imported files' module bodies are running (nested imports). */
  importDepth = 0;
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

  /** Records an unknown once per location and reason, and returns it as a value. */
  fail(reason: string, at: Loc): UnknownV {
    this.report(reason, at);
    return unknown(reason, at);
  }

  report(reason: string, at: Loc): void {
    const key = `${at.file}:${at.line}:${reason}`;
    if (this.seenUnknown.has(key)) return;
    this.seenUnknown.add(key);
    (this.importDepth > 0 ? this.outsideUnknowns : this.unknowns).push({ file: at.file, line: at.line, reason });
  }

  loc(node: Node, file: string): Loc {
    return { file, line: node.startPosition.row + 1 };
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
