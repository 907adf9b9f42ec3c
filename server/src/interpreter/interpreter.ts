import * as path from 'path';
import type { Node, Tree } from '../python/parser';
import { importedTrees, syntaxRoot } from '../python/parser';
import { Budget } from './budget';
import { bindParams } from './binding';
import { braceFormat, percentFormat } from './strformat';
import { ENUM_MARKER, enumByName, enumByValue, enumMembers, enumMembersDict, isEnumClass, makeEnumMembers } from './pyenum';
import {
  Args, BudgetExceeded, ClassV, DictV, FALSE, FuncV, InstanceV, Lazy, Loc, ModuleV, NONE, NO_KW, PyException, Scope, TRUE, UnknownV,
  Value, args, bool, builtin, classAttr, int, isSubclass, lazyValue, list, moduleAttr, mro, nativeOf, num, repr, str, tuple, typeName, unknown,
} from './values';

/** Reads workspace files for imports: absolute path → text, or undefined when missing. */
export interface ModuleSource {
  readFile(absPath: string): string | undefined;
  /** A parsed tree for a file the caller already parsed (the open document). */
  treeFor?(absPath: string): Tree | undefined;
}

/** What the torch model library gives the interpreter (kept apart so the core stays Python-only). */
export interface Library {
  /** A modelled module by dotted name (`torch`, `torch.nn`, `math`…), or undefined. */
  module(name: string): Value | undefined;
  builtins: Map<string, Value>;
  /** Binary operator where an operand is a tensor; undefined when neither is. */
  tensorBinary(op: string, a: Value, b: Value, at: Loc): Value | undefined;
  tensorUnary(op: string, a: Value, at: Loc): Value | undefined;
  tensorAttr(t: Value, name: string, at: Loc): Value | undefined;
  tensorSubscript(t: Value, index: Value, at: Loc): Value | undefined;
  /** `self.x = value` on an nn.Module instance: registers parameters, buffers and submodules. */
  moduleSetattr(self: InstanceV, name: string, value: Value, at: Loc): boolean;
  moduleGetattr(self: InstanceV, name: string, at: Loc): Value | undefined;
  /** Calls an nn.Module instance (runs forward under hooks). */
  callModule(self: InstanceV, a: Args, at: Loc): Value | undefined;
  /** Called for every new instance before `__init__` runs (nn.Module instances get their registries). */
  onInstantiate(self: InstanceV, at: Loc): void;
  /** Enters/leaves a `with` context manager the library models (no_grad, autocast). */
  enterContext(v: Value, at: Loc): (() => void) | undefined;
}

class ReturnSignal { constructor(readonly value: Value) {} }
class BreakSignal {}
class ContinueSignal {}

export interface UnknownEntry { file: string; line: number; reason: string }

/** A bounded abstract interpreter for the Python that model files are written in. */
export class Interpreter {
  readonly unknowns: UnknownEntry[] = [];
  private readonly seenUnknown = new Set<string>();
  private readonly modules = new Map<string, ModuleV>();
  private readonly loading = new Set<string>();
  /** The innermost user-code location being evaluated. */
  current: Loc = { file: '', line: 1 };
  private nextInstance = 1;
  /** Python call frames (innermost last), for `super()` without arguments. */
  readonly frames: { fn: FuncV; scope: Scope }[] = [];
  /** The class whose body defined each method (Python's `__class__` cell). */
  readonly methodOwner = new WeakMap<Node, ClassV>();
  /** `instance.name` lookups running a user `__getattr__` (a hook that reads a missing attribute of itself). */
  private readonly inGetattr = new Set<string>();
  /** The first file loaded (the analyzed one): decides which installed packages count as its own. */
  private entryFile: string | null = null;
  /** Trees this interpreter parsed (imported files): their nodes back the functions and classes defined there. */
  /** Trees of the imported files this analysis runs (shared through importedTrees). */
  private readonly usedTrees = new Set<Tree>();

  constructor(readonly lib: Library, readonly source: ModuleSource, readonly budget: Budget) {}

  // ── reporting ─────────────────────────────────────────────────────────────

  /** Records an unknown once per location and reason, and returns it as a value. */
  fail(reason: string, at: Loc): UnknownV {
    this.report(reason, at);
    return unknown(reason, at);
  }

  report(reason: string, at: Loc): void {
    const key = `${at.file}:${at.line}:${reason}`;
    if (this.seenUnknown.has(key)) return;
    this.seenUnknown.add(key);
    this.unknowns.push({ file: at.file, line: at.line, reason });
  }

  loc(node: Node, file: string): Loc {
    return { file, line: node.startPosition.row + 1 };
  }

  newInstanceId(): number {
    return this.nextInstance++;
  }

  // ── modules and imports ───────────────────────────────────────────────────

  /** Executes a workspace file as a module (once) and returns its namespace. */
  loadFile(absPath: string, name: string): ModuleV | undefined {
    const cached = this.modules.get(absPath);
    if (cached) return cached;
    const tree = this.source.treeFor?.(absPath);
    const text = tree ? undefined : this.source.readFile(absPath);
    if (!tree && text === undefined) return undefined;
    this.entryFile ??= absPath;
    const mod: ModuleV = { k: 'module', name, attrs: new Map() };
    this.modules.set(absPath, mod);
    if (this.loading.has(absPath)) return mod; // circular import: the partial module, as Python does
    this.loading.add(absPath);
    const scope = new Scope(null, null);
    scope.vars.set('__name__', str(name));
    scope.vars.set('__file__', str(absPath));
    // The module's functions and classes keep pointing into this tree: the cache keeps it alive.
    const parsed = tree ?? importedTrees.tree(absPath, text ?? '', this.usedTrees);
    this.usedTrees.add(parsed);
    const errors: { line: number; reason: string }[] = [];
    if (parsed.rootNode.hasError) syntaxErrors(syntaxRoot(parsed), errors);
    for (const e of errors) this.report(e.reason, { file: absPath, line: e.line });
    // A lazily resolved import loads its file in the middle of evaluating something else.
    const resume = this.current;
    try {
      this.execModuleBody(syntaxRoot(parsed), scope, absPath);
    } finally {
      this.loading.delete(absPath);
      this.current = resume;
    }
    for (const [k, v] of scope.vars) mod.attrs.set(k, v);
    if (scope.lazy.size) mod.lazy = new Map(scope.lazy);
    moduleScopes.set(mod, scope);
    return mod;
  }

  /** Releases the imported files' trees to the cache; the interpreter must not evaluate anything afterwards. */
  dispose(): void {
    this.usedTrees.clear();
  }

  scopeOf(mod: ModuleV): Scope | undefined {
    return moduleScopes.get(mod);
  }

  private execModuleBody(root: Node, scope: Scope, file: string): void {
    for (const stmt of root.namedChildren) {
      if (!stmt) continue;
      try {
        this.execStmt(stmt, scope, file);
      } catch (e) {
        if (e instanceof BudgetExceeded) throw e;
        if (e instanceof PyException) {
          this.report(`exception at module level: ${e.message}`, e.at);
          continue;
        }
        if (e instanceof ReturnSignal || e instanceof BreakSignal || e instanceof ContinueSignal) continue;
        throw e;
      }
    }
  }

  private resolveImport(name: string, level: number, fromFile: string, at: Loc): Value {
    const parts = name ? name.split('.') : [];
    if (level === 0) {
      const lib = this.lib.module(name);
      if (lib) return lib;
      // `torch.hub`, `collections.abc`: a part of a modelled library that is not modelled is not
      // looked for among files (it would find the installed library's own sources).
      if (parts.length > 1 && this.lib.module(parts[0])) return this.fail(`'${name}' is not modelled; values from it are unknown`, at);
    }
    const mod = this.findModuleFile(parts, level, fromFile, name);
    if (mod) return mod;
    return this.fail(`unresolved import '${'.'.repeat(level)}${name}' (not a workspace file or a modelled library); values from it are unknown`, at);
  }

  /** Loads the workspace file a (relative or absolute) module name names, if there is one. */
  private findModuleFile(parts: readonly string[], level: number, fromFile: string, name: string): ModuleV | undefined {
    const bases: string[] = [];
    if (level > 0) {
      let dir = path.dirname(fromFile);
      for (let i = 1; i < level; i++) dir = path.dirname(dir);
      bases.push(dir);
    } else {
      // Absolute imports of workspace code: the file's folder and up to four folders above it.
      let dir = path.dirname(fromFile);
      for (let i = 0; i < 5; i++) {
        bases.push(dir);
        const up = path.dirname(dir);
        if (up === dir) break;
        dir = up;
      }
    }
    for (const base of bases) {
      const stem = path.join(base, ...parts);
      for (const candidate of [`${stem}.py`, path.join(stem, '__init__.py')]) {
        if (candidate === fromFile || this.isOtherInstalledPackage(candidate)) continue;
        const mod = this.loadFile(candidate, name || path.basename(base));
        if (mod) return mod;
      }
    }
    return undefined;
  }

  /**
   * True for a file of an installed package (under site-packages or dist-packages) other than the
   * one the analyzed file belongs to: numpy, PIL or torch's own sources are libraries, not model
   * code, and interpreting them would only spend the budget.
   */
  private isOtherInstalledPackage(file: string): boolean {
    const pkg = installedPackage(file);
    return pkg !== null && pkg !== (this.entryFile ? installedPackage(this.entryFile) : null);
  }

  /** A value that resolves an import when first read, reporting a failure at the import line then. */
  private lazyImport(resolve: () => Value, at: Loc): Lazy {
    return lazyValue(() => this.guarded(resolve), () => this.fail('circular import: the name is read while its module is still loading', at));
  }

  private execImport(node: Node, scope: Scope, file: string): void {
    const at = this.loc(node, file);
    for (const child of node.namedChildren) {
      if (!child) continue;
      if (child.type === 'dotted_name') {
        const full = child.text;
        const top = full.split('.')[0];
        // `import a.b` binds `a`; make sure `a.b` resolves through it.
        if (full === top) scope.bindLazy(top, this.lazyImport(() => this.resolveImport(full, 0, file, at), at));
        else {
          scope.bindLazy(top, this.lazyImport(() => {
            this.resolveImport(full, 0, file, at);
            return this.resolveImport(top, 0, file, at);
          }, at));
        }
      } else if (child.type === 'aliased_import') {
        const nameNode = child.childForFieldName('name');
        const alias = child.childForFieldName('alias');
        if (nameNode && alias) scope.bindLazy(alias.text, this.lazyImport(() => this.resolveImport(nameNode.text, 0, file, at), at));
      }
    }
  }

  private execImportFrom(node: Node, scope: Scope, file: string): void {
    const at = this.loc(node, file);
    const modNode = node.childForFieldName('module_name');
    if (!modNode) return;
    let level = 0;
    let name = modNode.text;
    if (modNode.type === 'relative_import') {
      const prefix = modNode.namedChildren.find((c) => c?.type === 'import_prefix');
      level = prefix ? prefix.text.length : 0;
      name = modNode.namedChildren.find((c) => c?.type === 'dotted_name')?.text ?? '';
    }
    if (node.namedChildren.some((c) => c?.type === 'wildcard_import')) {
      const mod = this.resolveImport(name, level, file, at);
      if (mod.k === 'module') {
        const exported = this.exportedNames(mod, at);
        for (const [k, v] of mod.attrs) if (exported ? exported.has(k) : !k.startsWith('_')) scope.vars.set(k, v);
        for (const [k, f] of mod.lazy ?? []) if (exported ? exported.has(k) : !k.startsWith('_')) scope.bindLazy(k, f);
      }
      return;
    }
    const mod = lazyValue(() => this.resolveImport(name, level, file, at), () => this.fail('circular import', at));
    for (const child of node.childrenForFieldName('name')) {
      if (!child) continue;
      let member = child.text;
      let alias = member;
      if (child.type === 'aliased_import') {
        member = child.childForFieldName('name')?.text ?? '';
        alias = child.childForFieldName('alias')?.text ?? member;
      }
      scope.bindLazy(alias, this.lazyImport(() => {
        // `from pkg import sub` where pkg/sub.py exists loads that file without running
        // pkg/__init__.py (which often imports the whole package); else sub is an attribute of pkg.
        const sub = (level > 0 || !this.lib.module(name)) ? this.findModuleFile([...(name ? name.split('.') : []), member], level, file, name ? `${name}.${member}` : member) : undefined;
        if (sub) return sub;
        const m = mod();
        if (m.k === 'unknown') return m;
        return this.getattrOrUndefined(m, member, at) ?? this.fail(`cannot import name '${member}' from '${'.'.repeat(level)}${name}'`, at);
      }, at));
    }
  }

  /** A module's `__all__` as a set of names, or null when it has none. */
  private exportedNames(mod: ModuleV, at: Loc): Set<string> | null {
    const all = mod.attrs.get('__all__');
    if (!all || (all.k !== 'list' && all.k !== 'tuple')) return null;
    void at;
    return new Set(all.items.flatMap((v) => (v.k === 'str' ? [v.v] : [])));
  }

  // ── statements ────────────────────────────────────────────────────────────

  execBlock(block: Node | null, scope: Scope, file: string): void {
    if (!block) return;
    for (const stmt of block.namedChildren) if (stmt) this.execStmt(stmt, scope, file);
  }

  execStmt(node: Node, scope: Scope, file: string): void {
    const at = this.loc(node, file);
    this.budget.step(at);
    this.current = at;
    if (node.type === 'comment') return;
    if (node.hasError && !['function_definition', 'class_definition', 'decorated_definition', 'if_statement', 'for_statement', 'while_statement', 'with_statement', 'try_statement', 'block'].includes(node.type)) {
      this.report('syntax error: this statement was skipped', at);
      return;
    }
    switch (node.type) {
      case 'ERROR':
        this.report('syntax error: this part of the file was skipped', at);
        return;
      case 'expression_statement': {
        const inner = node.namedChildren[0];
        if (!inner) return;
        if (inner.type === 'assignment') this.execAssign(inner, scope, file);
        else if (inner.type === 'augmented_assignment') this.execAugAssign(inner, scope, file);
        else if (inner.type !== 'string') this.evalExpr(inner, scope, file);
        return;
      }
      case 'return_statement': {
        const e = node.namedChildren[0];
        throw new ReturnSignal(e ? this.evalExpr(e, scope, file) : NONE);
      }
      case 'pass_statement':
        return;
      case 'break_statement':
        throw new BreakSignal();
      case 'continue_statement':
        throw new ContinueSignal();
      case 'if_statement':
        return this.execIf(node, scope, file);
      case 'for_statement':
        return this.execFor(node, scope, file);
      case 'while_statement':
        return this.execWhile(node, scope, file);
      case 'function_definition':
        scope.vars.set(node.childForFieldName('name')?.text ?? '?', this.makeFunction(node, scope, file, []));
        return;
      case 'class_definition':
        scope.vars.set(node.childForFieldName('name')?.text ?? '?', this.makeClass(node, scope, file, []));
        return;
      case 'decorated_definition':
        return this.execDecorated(node, scope, file);
      case 'import_statement':
        return this.execImport(node, scope, file);
      case 'import_from_statement':
        return this.execImportFrom(node, scope, file);
      case 'future_import_statement':
        return;
      case 'raise_statement': {
        const e = node.namedChildren[0];
        const v = e ? this.evalExpr(e, scope, file) : NONE;
        const first = v.k === 'instance' ? v.attrs.get('args') : undefined;
        const message = first?.k === 'tuple' && first.items[0] ? (first.items[0].k === 'str' ? first.items[0].v : repr(first.items[0])) : repr(v);
        throw new PyException(v.k === 'instance' ? v.cls.name : v.k === 'class' ? v.name : 'Exception', message, at);
      }
      case 'assert_statement':
        return;
      case 'try_statement':
        return this.execTry(node, scope, file);
      case 'with_statement':
        return this.execWith(node, scope, file);
      case 'delete_statement':
        for (const t of node.namedChildren) if (t?.type === 'identifier') scope.vars.delete(t.text);
        return;
      case 'global_statement':
      case 'nonlocal_statement':
      case 'type_alias_statement':
      case 'print_statement':
      case 'exec_statement':
        return;
      default:
        this.report(`statement '${node.type}' is not modelled; skipped`, at);
    }
  }

  private execAssign(node: Node, scope: Scope, file: string): void {
    const right = node.childForFieldName('right');
    const left = node.childForFieldName('left');
    if (!left) return;
    if (!right) return; // annotation only: `x: int`
    // Chained assignment `a = b = v` nests assignments on the right.
    let value: Value;
    if (right.type === 'assignment') {
      this.execAssign(right, scope, file);
      let r: Node = right;
      while (r.type === 'assignment') r = r.childForFieldName('right') ?? r;
      value = this.evalExpr(r, scope, file);
    } else value = this.evalExpr(right, scope, file);
    this.assign(left, value, scope, file);
  }

  assign(target: Node, value: Value, scope: Scope, file: string): void {
    const at = this.loc(target, file);
    switch (target.type) {
      case 'identifier':
        scope.vars.set(target.text, value);
        return;
      case 'attribute': {
        const obj = this.evalExpr(target.childForFieldName('object')!, scope, file);
        this.setattr(obj, target.childForFieldName('attribute')!.text, value, at);
        return;
      }
      case 'subscript': {
        const obj = this.evalExpr(target.childForFieldName('value')!, scope, file);
        const idx = this.evalSubscriptIndex(target, scope, file);
        this.setitem(obj, idx, value, at);
        return;
      }
      case 'pattern_list':
      case 'tuple_pattern':
      case 'list_pattern':
      case 'expression_list':
      case 'tuple':
      case 'list': {
        const targets = target.namedChildren.filter((c): c is Node => !!c && c.type !== 'comment');
        const starIdx = targets.findIndex((t) => t.type === 'list_splat_pattern');
        const items = this.unpack(value, targets.length, starIdx, at);
        targets.forEach((t, i) => {
          if (t.type === 'list_splat_pattern') this.assign(t.namedChildren[0]!, items[i], scope, file);
          else this.assign(t, items[i], scope, file);
        });
        return;
      }
      case 'parenthesized_expression':
        this.assign(target.namedChildren[0]!, value, scope, file);
        return;
      default:
        this.report(`assignment target '${target.type}' is not modelled`, at);
    }
  }

  /** Splits a value for `a, b = v` (with at most one starred target). */
  private unpack(value: Value, n: number, starIdx: number, at: Loc): Value[] {
    if (value.k === 'unknown') return new Array<Value>(n).fill(value);
    const items = this.iterate(value, at);
    if (starIdx < 0) {
      if (items.length !== n) {
        return new Array<Value>(n).fill(this.fail(`cannot unpack ${items.length} values into ${n} targets`, at));
      }
      return items;
    }
    const after = n - starIdx - 1;
    return [...items.slice(0, starIdx), list(items.slice(starIdx, items.length - after)), ...items.slice(items.length - after)];
  }

  private execAugAssign(node: Node, scope: Scope, file: string): void {
    const left = node.childForFieldName('left')!;
    const right = this.evalExpr(node.childForFieldName('right')!, scope, file);
    const op = node.childForFieldName('operator')?.text ?? '+=';
    const cur = this.evalExpr(left, scope, file);
    const at = this.loc(node, file);
    const result = this.binaryOp(op, cur, right, at, true);
    this.assign(left, result, scope, file);
  }

  private execIf(node: Node, scope: Scope, file: string): void {
    const cond = this.evalExpr(node.childForFieldName('condition')!, scope, file);
    const at = this.loc(node, file);
    const t = this.truthy(cond, at);
    if (t === true) return this.execBlock(node.childForFieldName('consequence'), scope, file);
    if (t === undefined) {
      this.report(`condition is unknown (${cond.k === 'unknown' ? cond.reason : repr(cond)}); took the first branch`, at);
      return this.execBlock(node.childForFieldName('consequence'), scope, file);
    }
    for (const alt of node.childrenForFieldName('alternative')) {
      if (!alt) continue;
      if (alt.type === 'elif_clause') {
        const c = this.evalExpr(alt.childForFieldName('condition')!, scope, file);
        const ct = this.truthy(c, this.loc(alt, file));
        if (ct !== false) {
          if (ct === undefined) this.report('condition is unknown; took this branch', this.loc(alt, file));
          return this.execBlock(alt.childForFieldName('consequence'), scope, file);
        }
      } else if (alt.type === 'else_clause') {
        return this.execBlock(alt.childForFieldName('body'), scope, file);
      }
    }
  }

  private loopBody(body: Node | null, scope: Scope, file: string): 'break' | 'continue' {
    try {
      this.execBlock(body, scope, file);
    } catch (e) {
      if (e instanceof BreakSignal) return 'break';
      if (e instanceof ContinueSignal) return 'continue';
      throw e;
    }
    return 'continue';
  }

  private execFor(node: Node, scope: Scope, file: string): void {
    const at = this.loc(node, file);
    const iterable = this.evalExpr(node.childForFieldName('right')!, scope, file);
    const left = node.childForFieldName('left')!;
    const body = node.childForFieldName('body');
    if (iterable.k === 'unknown') {
      this.report(`loop over an unknown value (${iterable.reason}); body skipped`, at);
      return;
    }
    const items = this.iterate(iterable, at);
    if (items.length > this.budget.limits.loopIterations) {
      this.report(`loop of ${items.length} iterations exceeds the unroll limit (${this.budget.limits.loopIterations}); body skipped`, at);
      return;
    }
    let broke = false;
    for (const item of items) {
      this.assign(left, item, scope, file);
      if (this.loopBody(body, scope, file) === 'break') {
        broke = true;
        break;
      }
    }
    const alt = node.childForFieldName('alternative');
    if (!broke && alt) this.execBlock(alt.childForFieldName('body'), scope, file);
  }

  private execWhile(node: Node, scope: Scope, file: string): void {
    const at = this.loc(node, file);
    for (let i = 0; ; i++) {
      if (i >= this.budget.limits.loopIterations) {
        this.report(`while loop exceeded ${this.budget.limits.loopIterations} iterations; stopped`, at);
        return;
      }
      const c = this.truthy(this.evalExpr(node.childForFieldName('condition')!, scope, file), at);
      if (c === undefined) {
        this.report('while condition is unknown; loop skipped', at);
        return;
      }
      if (!c) break;
      if (this.loopBody(node.childForFieldName('body'), scope, file) === 'break') return;
    }
  }

  private execTry(node: Node, scope: Scope, file: string): void {
    const finallyClause = node.namedChildren.find((c) => c?.type === 'finally_clause');
    try {
      this.execBlock(node.childForFieldName('body'), scope, file);
      const elseClause = node.namedChildren.find((c) => c?.type === 'else_clause');
      if (elseClause) this.execBlock(elseClause.childForFieldName('body'), scope, file);
    } catch (e) {
      if (!(e instanceof PyException)) throw e;
      const handler = node.namedChildren.find((c) => c?.type === 'except_clause');
      if (!handler) throw e;
      const block = handler.namedChildren.find((c) => c?.type === 'block') ?? null;
      this.execBlock(block, scope, file);
    } finally {
      if (finallyClause) this.execBlock(finallyClause.namedChildren.find((c) => c?.type === 'block') ?? null, scope, file);
    }
  }

  private execWith(node: Node, scope: Scope, file: string): void {
    const exits: (() => void)[] = [];
    const clause = node.namedChildren.find((c) => c?.type === 'with_clause');
    try {
      for (const item of clause?.namedChildren ?? []) {
        if (!item || item.type !== 'with_item') continue;
        let valueNode = item.childForFieldName('value')!;
        let target: Node | null = null;
        if (valueNode.type === 'as_pattern') {
          target = valueNode.namedChildren.find((c) => c?.type === 'as_pattern_target')?.namedChildren[0] ?? null;
          valueNode = valueNode.namedChildren[0]!;
        }
        const v = this.evalExpr(valueNode, scope, file);
        const exit = this.lib.enterContext(v, this.loc(item, file));
        if (exit) exits.push(exit);
        if (target) this.assign(target, v, scope, file);
      }
      this.execBlock(node.childForFieldName('body'), scope, file);
    } finally {
      for (const exit of exits.reverse()) exit();
    }
  }

  private execDecorated(node: Node, scope: Scope, file: string): void {
    const def = node.childForFieldName('definition')!;
    const names = decoratorNames(node);
    const v: Value = def.type === 'class_definition' ? this.makeClass(def, scope, file, names) : this.makeFunction(def, scope, file, names);
    scope.vars.set(def.childForFieldName('name')?.text ?? '?', this.decorate(node, v, scope, file));
  }

  /**
   * Applies the decorators of a `decorated_definition` that are not modelled structurally,
   * innermost first, evaluating them in `scope` (the class body for methods). A decorator that is
   * unknown, or fails, leaves the definition undecorated (right for most wrappers) and is reported.
   */
  private decorate(node: Node, undecorated: Value, scope: Scope, file: string): Value {
    const decorators = node.namedChildren.filter((c): c is Node => c?.type === 'decorator');
    const names = decoratorNames(node);
    const at = this.loc(node, file);
    let v = undecorated;
    for (let i = decorators.length - 1; i >= 0; i--) {
      const name = names[i];
      if (STRUCTURAL_DECORATORS.some((n) => name === n || name.startsWith(`${n}(`))) continue;
      const dec = this.guarded(() => this.evalExpr(decorators[i].namedChildren[0]!, scope, file));
      if (dec.k === 'unknown') {
        this.report(`decorator @${name} is unknown; the definition is used undecorated`, at);
        continue;
      }
      const r = this.guarded(() => this.call(dec, args([v]), at));
      if (r.k === 'unknown') {
        this.report(`decorator @${name} could not be applied (${r.reason}); the definition is used undecorated`, at);
        continue;
      }
      v = r;
    }
    return v;
  }

  makeFunction(node: Node, scope: Scope, file: string, decorators: readonly string[]): FuncV {
    const defaults = new Map<string, Value>();
    let lazyDefaults: Map<string, Lazy> | undefined;
    const params = node.childForFieldName('parameters');
    for (const p of params?.namedChildren ?? []) {
      if (!p) continue;
      if (p.type === 'default_parameter' || p.type === 'typed_default_parameter') {
        const name = p.childForFieldName('name')!.text;
        const expr = p.childForFieldName('value')!;
        const root = rootName(expr);
        if (root && scope.isLazy(root)) {
          lazyDefaults ??= new Map();
          const at = this.loc(expr, file);
          lazyDefaults.set(name, lazyValue(() => this.evalExpr(expr, scope, file), () => this.fail('a default value that reads itself', at)));
        } else defaults.set(name, this.evalExpr(expr, scope, file));
      }
    }
    const name = node.type === 'lambda' ? '<lambda>' : node.childForFieldName('name')?.text ?? '?';
    return { k: 'func', name, node, closure: scope, file, defaults, lazyDefaults, decorators };
  }

  private makeClass(node: Node, scope: Scope, file: string, decorators: readonly string[]): ClassV {
    const at = this.loc(node, file);
    const name = node.childForFieldName('name')?.text ?? '?';
    const bases: ClassV[] = [];
    for (const b of node.childForFieldName('superclasses')?.namedChildren ?? []) {
      if (!b || b.type === 'keyword_argument') continue;
      const v = this.evalExpr(b, scope, file);
      if (v.k === 'class') bases.push(v);
      else if (v.k === 'unknown') this.report(`base class ${b.text} is unknown; ${name} is analyzed without it`, at);
    }
    const cls: ClassV = { k: 'class', name, bases, attrs: new Map(), loc: at };
    const body = new Scope(scope, scope.globals ?? scope);
    // Methods close over the enclosing scope, not the class body (Python scoping).
    const bodyNode = node.childForFieldName('body');
    const fields: { name: string; dflt: Value | undefined }[] = [];
    for (const stmt of bodyNode?.namedChildren ?? []) {
      if (!stmt) continue;
      if (stmt.type === 'function_definition') {
        body.vars.set(stmt.childForFieldName('name')!.text, this.makeFunction(stmt, scope, file, []));
        continue;
      }
      if (stmt.type === 'decorated_definition') {
        const def = stmt.childForFieldName('definition')!;
        if (def.type === 'function_definition') {
          // Decorators are evaluated in the class body; the method closes over the enclosing scope.
          const fn = this.makeFunction(def, scope, file, decoratorNames(stmt));
          body.vars.set(def.childForFieldName('name')!.text, this.decorate(stmt, fn, body, file));
          continue;
        }
      }
      // Dataclass fields: `name: type = default` or `name: type`.
      const inner = stmt.type === 'expression_statement' ? stmt.namedChildren[0] : null;
      if (inner?.type === 'assignment' && inner.childForFieldName('type') && inner.childForFieldName('left')?.type === 'identifier') {
        const fname = inner.childForFieldName('left')!.text;
        const right = inner.childForFieldName('right');
        const dflt = right ? this.evalExpr(right, body, file) : undefined;
        fields.push({ name: fname, dflt });
        if (dflt) body.vars.set(fname, dflt);
        continue;
      }
      try {
        this.execStmt(stmt, body, file);
      } catch (e) {
        if (e instanceof PyException) this.report(e.message, e.at);
        else throw e;
      }
    }
    for (const k of [...body.lazy.keys()]) body.force(k);
    for (const [k, v] of body.vars) {
      cls.attrs.set(k, v);
      if (v.k === 'func') this.methodOwner.set(v.node, cls);
    }
    if (!cls.attrs.has('__module__')) {
      const moduleName = (scope.globals ?? scope).lookup('__name__');
      if (moduleName?.k === 'str') cls.attrs.set('__module__', moduleName);
    }
    if (isEnumClass(cls) && !cls.attrs.has(ENUM_MARKER)) makeEnumMembers(this, cls, at);
    if (decorators.some((d) => d === 'dataclass' || d.startsWith('dataclass(') || d.startsWith('dataclasses.dataclass'))) {
      const inherited = bases.flatMap((b) => b.dataclassFields ?? []);
      const all = [...inherited.filter((f) => !fields.some((g) => g.name === f.name)), ...fields];
      cls.dataclassFields = all;
    }
    return cls;
  }

  // ── expressions ───────────────────────────────────────────────────────────

  evalExpr(node: Node, scope: Scope, file: string): Value {
    const at = this.loc(node, file);
    switch (node.type) {
      case 'identifier': {
        const v = scope.lookup(node.text) ?? scope.globals?.lookup(node.text) ?? this.lib.builtins.get(node.text);
        if (v === undefined) return this.fail(`name '${node.text}' is not defined`, at);
        return v;
      }
      case 'integer': {
        const t = node.text.replace(/_/g, '').toLowerCase();
        if (t.endsWith('j')) return this.fail('complex numbers are not modelled', at);
        const v = t.startsWith('0x') || t.startsWith('0o') || t.startsWith('0b') ? Number(t) : parseInt(t.replace(/l$/, ''), 10);
        return int(v);
      }
      case 'float': {
        const t = node.text.replace(/_/g, '');
        if (/j$/i.test(t)) return this.fail('complex numbers are not modelled', at);
        return num(parseFloat(t), false);
      }
      case 'true':
        return TRUE;
      case 'false':
        return FALSE;
      case 'none':
        return NONE;
      case 'ellipsis':
        return { k: 'str', v: '...' };
      case 'string':
        return this.evalString(node, scope, file);
      case 'concatenated_string':
        return str(node.namedChildren.map((c) => (c ? this.evalString(c, scope, file) : str(''))).map((s) => (s.k === 'str' ? s.v : '')).join(''));
      case 'parenthesized_expression':
        return node.namedChildren[0] ? this.evalExpr(node.namedChildren[0], scope, file) : tuple([]);
      case 'tuple':
      case 'expression_list':
        return tuple(this.evalItems(node.namedChildren, scope, file));
      case 'list':
        return list(this.evalItems(node.namedChildren, scope, file));
      case 'set':
        return list(this.evalItems(node.namedChildren, scope, file));
      case 'dictionary':
        return this.evalDict(node, scope, file);
      case 'attribute': {
        const obj = this.evalExpr(node.childForFieldName('object')!, scope, file);
        return this.getattr(obj, node.childForFieldName('attribute')!.text, at);
      }
      case 'subscript': {
        const obj = this.evalExpr(node.childForFieldName('value')!, scope, file);
        const idx = this.evalSubscriptIndex(node, scope, file);
        return this.getitem(obj, idx, at);
      }
      case 'call':
        return this.evalCall(node, scope, file);
      case 'binary_operator': {
        const l = this.evalExpr(node.childForFieldName('left')!, scope, file);
        const r = this.evalExpr(node.childForFieldName('right')!, scope, file);
        return this.binaryOp(node.childForFieldName('operator')!.text, l, r, at, false);
      }
      case 'unary_operator': {
        const v = this.evalExpr(node.childForFieldName('argument')!, scope, file);
        return this.unaryOp(node.childForFieldName('operator')!.text, v, at);
      }
      case 'not_operator': {
        const t = this.truthy(this.evalExpr(node.childForFieldName('argument')!, scope, file), at);
        return t === undefined ? unknown('truth value unknown', at) : bool(!t);
      }
      case 'boolean_operator': {
        const op = node.childForFieldName('operator')!.text;
        const l = this.evalExpr(node.childForFieldName('left')!, scope, file);
        const t = this.truthy(l, at);
        if (t === undefined) return unknown('truth value unknown', at);
        if (op === 'and') return t ? this.evalExpr(node.childForFieldName('right')!, scope, file) : l;
        return t ? l : this.evalExpr(node.childForFieldName('right')!, scope, file);
      }
      case 'comparison_operator':
        return this.evalComparison(node, scope, file);
      case 'conditional_expression': {
        const [a, cond, b] = node.namedChildren;
        const t = this.truthy(this.evalExpr(cond!, scope, file), at);
        if (t === undefined) {
          this.report('condition is unknown; took the first branch', at);
          return this.evalExpr(a!, scope, file);
        }
        return this.evalExpr(t ? a! : b!, scope, file);
      }
      case 'lambda':
        return this.makeFunction(node, scope, file, []);
      case 'list_comprehension':
      case 'generator_expression':
      case 'set_comprehension':
        return list(this.evalComprehension(node, scope, file, false) as Value[]);
      case 'dictionary_comprehension': {
        const d: DictV = { k: 'dict', map: new Map() };
        for (const [k, v] of this.evalComprehension(node, scope, file, true) as [Value, Value][]) d.map.set(repr(k), [k, v]);
        return d;
      }
      case 'named_expression': {
        const v = this.evalExpr(node.childForFieldName('value')!, scope, file);
        scope.vars.set(node.childForFieldName('name')!.text, v);
        return v;
      }
      case 'keyword_argument':
        return this.evalExpr(node.childForFieldName('value')!, scope, file);
      case 'await':
      case 'yield':
        return this.fail(`'${node.type}' is not modelled`, at);
      default:
        return this.fail(`expression '${node.type}' is not modelled`, at);
    }
  }

  private evalItems(nodes: readonly (Node | null)[], scope: Scope, file: string): Value[] {
    const out: Value[] = [];
    for (const n of nodes) {
      if (!n || n.type === 'comment') continue;
      if (n.type === 'list_splat' || n.type === 'list_splat_pattern') {
        const v = this.evalExpr(n.namedChildren[0]!, scope, file);
        out.push(...this.iterate(v, this.loc(n, file)));
      } else out.push(this.evalExpr(n, scope, file));
    }
    return out;
  }

  private evalDict(node: Node, scope: Scope, file: string): DictV {
    const d: DictV = { k: 'dict', map: new Map() };
    for (const c of node.namedChildren) {
      if (!c) continue;
      if (c.type === 'pair') {
        const k = this.evalExpr(c.childForFieldName('key')!, scope, file);
        d.map.set(repr(k), [k, this.evalExpr(c.childForFieldName('value')!, scope, file)]);
      } else if (c.type === 'dictionary_splat') {
        const v = this.evalExpr(c.namedChildren[0]!, scope, file);
        if (v.k === 'dict') for (const [k, e] of v.map) d.map.set(k, e);
      }
    }
    return d;
  }

  private evalString(node: Node, scope: Scope, file: string): Value {
    if (node.type !== 'string') return this.evalExpr(node, scope, file);
    const plain = plainString(node.text);
    if (plain !== null) return str(plain);
    let out = '';
    for (const c of node.namedChildren) {
      if (!c) continue;
      if (c.type === 'string_content') out += c.text;
      else if (c.type === 'escape_sequence') out += unescape(c.text);
      else if (c.type === 'interpolation') {
        const e = c.namedChildren[0];
        const v = e ? this.evalExpr(e, scope, file) : NONE;
        out += v.k === 'str' ? v.v : v.k === 'num' ? String(v.v) : repr(v);
      }
    }
    return str(out);
  }

  private evalComparison(node: Node, scope: Scope, file: string): Value {
    const at = this.loc(node, file);
    const operands = node.namedChildren.filter((c): c is Node => !!c);
    const ops: string[] = [];
    // Operators are the anonymous children between operands ("not in" and "is not" are two tokens).
    let pending = '';
    for (let i = 0; i < node.childCount; i++) {
      const c = node.child(i)!;
      if (c.isNamed) {
        if (pending) ops.push(pending.trim());
        pending = '';
      } else pending += ` ${c.type}`;
    }
    let left = this.evalExpr(operands[0], scope, file);
    for (let i = 0; i < ops.length; i++) {
      const right = this.evalExpr(operands[i + 1], scope, file);
      const r = this.compare(ops[i], left, right, at);
      const t = this.truthy(r, at);
      if (t !== true || i === ops.length - 1) return r;
      left = right;
    }
    return TRUE;
  }

  private evalComprehension(node: Node, scope: Scope, file: string, isDict: boolean): (Value | [Value, Value])[] {
    const at = this.loc(node, file);
    const body = node.childForFieldName('body')!;
    const clauses = node.namedChildren.filter((c): c is Node => !!c && (c.type === 'for_in_clause' || c.type === 'if_clause'));
    const inner = new Scope(scope, scope.globals ?? scope);
    const out: (Value | [Value, Value])[] = [];
    const run = (i: number): void => {
      if (i === clauses.length) {
        if (isDict) {
          out.push([this.evalExpr(body.childForFieldName('key')!, inner, file), this.evalExpr(body.childForFieldName('value')!, inner, file)]);
        } else out.push(this.evalExpr(body, inner, file));
        return;
      }
      const c = clauses[i];
      if (c.type === 'if_clause') {
        const t = this.truthy(this.evalExpr(c.namedChildren[0]!, inner, file), at);
        if (t !== false) run(i + 1);
        return;
      }
      const it = this.evalExpr(c.childForFieldName('right')!, inner, file);
      if (it.k === 'unknown') {
        this.report(`comprehension over an unknown value (${it.reason})`, at);
        return;
      }
      const items = this.iterate(it, at);
      if (items.length > this.budget.limits.loopIterations) {
        this.report(`comprehension of ${items.length} items exceeds the unroll limit`, at);
        return;
      }
      for (const item of items) {
        this.budget.step(at);
        this.assign(c.childForFieldName('left')!, item, inner, file);
        run(i + 1);
      }
    };
    run(0);
    return out;
  }

  private evalSubscriptIndex(node: Node, scope: Scope, file: string): Value {
    const subs = node.childrenForFieldName('subscript').filter((c): c is Node => !!c);
    const vals = subs.map((s) => (s.type === 'slice' ? this.evalSlice(s, scope, file) : this.evalExpr(s, scope, file)));
    return vals.length === 1 ? vals[0] : tuple(vals);
  }

  private evalSlice(node: Node, scope: Scope, file: string): Value {
    // Children: [start] ':' [stop] [':' [step]]
    const parts: (Value | null)[] = [null, null, null];
    let slot = 0;
    for (let i = 0; i < node.childCount; i++) {
      const c = node.child(i)!;
      if (c.type === ':') slot++;
      else if (c.isNamed) parts[slot] = this.evalExpr(c, scope, file);
    }
    return { k: 'slice', start: parts[0] ?? NONE, stop: parts[1] ?? NONE, step: parts[2] ?? NONE };
  }

  private evalCall(node: Node, scope: Scope, file: string): Value {
    const at = this.loc(node, file);
    this.current = at;
    const fnNode = node.childForFieldName('function')!;
    const fn = this.evalExpr(fnNode, scope, file);
    const argNode = node.childForFieldName('arguments');
    const pos: Value[] = [];
    const kw = new Map<string, Value>();
    if (argNode?.type === 'generator_expression') pos.push(this.evalExpr(argNode, scope, file));
    else {
      for (const a of argNode?.namedChildren ?? []) {
        if (!a || a.type === 'comment') continue;
        if (a.type === 'keyword_argument') kw.set(a.childForFieldName('name')!.text, this.evalExpr(a.childForFieldName('value')!, scope, file));
        else if (a.type === 'list_splat') pos.push(...this.iterate(this.evalExpr(a.namedChildren[0]!, scope, file), at));
        else if (a.type === 'dictionary_splat') {
          const d = this.evalExpr(a.namedChildren[0]!, scope, file);
          if (d.k === 'dict') for (const [k, v] of d.map.values()) if (k.k === 'str') kw.set(k.v, v);
        } else pos.push(this.evalExpr(a, scope, file));
      }
    }
    this.current = at;
    return this.call(fn, { pos, kw }, at);
  }

  // ── calls ─────────────────────────────────────────────────────────────────

  call(fn: Value, a: Args, at: Loc): Value {
    this.budget.step(at);
    switch (fn.k) {
      case 'func':
        return this.callFunction(fn, a, at);
      case 'builtin':
        return fn.call(a, at);
      case 'bound':
        return this.call(fn.fn, { pos: [fn.self, ...a.pos], kw: a.kw }, at);
      case 'class':
        if (isEnumClass(fn) && enumMembers(fn).length > 0) return enumByValue(fn, a.pos[0] ?? NONE) ?? this.raise('ValueError', `${repr(a.pos[0] ?? NONE)} is not a valid ${fn.name}`, at);
        return this.instantiate(fn, a, at);
      case 'instance': {
        const viaModule = this.lib.callModule(fn, a, at);
        if (viaModule !== undefined) return viaModule;
        const callMethod = this.getattrOrUndefined(fn, '__call__', at);
        if (callMethod) return this.call(callMethod, a, at);
        return this.fail(`'${fn.cls.name}' object is not callable`, at);
      }
      case 'unknown':
        return fn;
      default:
        return this.fail(`'${typeName(fn)}' object is not callable`, at);
    }
  }

  callFunction(fn: FuncV, a: Args, at: Loc): Value {
    this.budget.enter(at);
    const saved = this.current;
    const local = new Scope(fn.closure, fn.closure.globals ?? fn.closure);
    try {
      const params = fn.node.childForFieldName('parameters');
      bindParams(this, params, fn, a, local, at);
      this.frames.push({ fn, scope: local });
      const body = fn.node.childForFieldName('body');
      if (fn.node.type === 'lambda') return body ? this.evalExpr(body, local, fn.file) : NONE;
      try {
        this.execBlock(body, local, fn.file);
      } catch (e) {
        if (e instanceof ReturnSignal) return e.value;
        throw e;
      }
      return NONE;
    } finally {
      if (this.frames[this.frames.length - 1]?.scope === local) this.frames.pop();
      this.current = saved;
      this.budget.leave();
    }
  }

  instantiate(cls: ClassV, a: Args, at: Loc): Value {
    const self: InstanceV = { k: 'instance', cls, attrs: new Map(), id: this.newInstanceId() };
    this.lib.onInstantiate(self, at);
    const init = classAttr(cls, '__init__');
    const native = nativeOf(cls);
    if (init && (!native || mro(cls).indexOf(init.owner) < mro(cls).indexOf(native.owner))) {
      this.call(init.value, { pos: [self, ...a.pos], kw: a.kw }, at);
    } else if (native?.native.init) {
      native.native.init(self, a, at);
    } else if (cls.dataclassFields) {
      this.initDataclass(self, cls, a, at);
    } else if (init) {
      this.call(init.value, { pos: [self, ...a.pos], kw: a.kw }, at);
    }
    const post = classAttr(cls, '__post_init__');
    if (cls.dataclassFields && post) this.call(post.value, args([self]), at);
    return self;
  }

  private initDataclass(self: InstanceV, cls: ClassV, a: Args, at: Loc): void {
    const fields = cls.dataclassFields ?? [];
    fields.forEach((f, i) => {
      let v = i < a.pos.length ? a.pos[i] : a.kw.get(f.name);
      if (v === undefined) {
        v = f.dflt;
        // `field(default_factory=...)` is modelled as a marker value.
        if (v?.k === 'dict' && v.map.has('"__default_factory__"')) v = this.call(v.map.get('"__default_factory__"')![1], args([]), at);
      }
      self.attrs.set(f.name, v ?? this.fail(`dataclass field '${f.name}' of ${cls.name} has no value`, at));
    });
  }

  // ── attributes and items ─────────────────────────────────────────────────

  getattr(obj: Value, name: string, at: Loc): Value {
    const v = this.getattrOrUndefined(obj, name, at);
    if (v !== undefined) return v;
    if (obj.k === 'unknown') return obj;
    return this.fail(`'${typeName(obj)}' object has no attribute '${name}'`, at);
  }

  getattrOrUndefined(obj: Value, name: string, at: Loc): Value | undefined {
    switch (obj.k) {
      case 'unknown':
        return obj;
      case 'module':
        return moduleAttr(obj, name);
      case 'instance': {
        const own = obj.attrs.get(name);
        if (own !== undefined) return own;
        const ca = classAttr(obj.cls, name);
        if (ca) return this.bindAttr(ca.value, obj, at);
        if (obj.module) {
          const m = this.lib.moduleGetattr(obj, name, at);
          if (m !== undefined) return m;
        }
        const native = nativeOf(obj.cls);
        const nv = native?.native.attr?.(obj, name, at);
        if (nv !== undefined) return nv;
        if (name === '__class__') return obj.cls;
        if (name === '__dict__') return { k: 'dict', map: new Map([...obj.attrs].map(([k, v]) => [repr(str(k)), [str(k), v]])) };
        return this.userGetattr(obj, name, at);
      }
      case 'class': {
        const ca = classAttr(obj, name);
        if (ca) {
          if (ca.value.k === 'func' && ca.value.decorators.includes('classmethod')) return { k: 'bound', fn: ca.value, self: obj };
          return ca.value;
        }
        if (name === '__name__' || name === '__qualname__') return str(obj.name);
        if (name === '__members__' && isEnumClass(obj)) return enumMembersDict(obj);
        return undefined;
      }
      case 'super': {
        const order = obj.self.k === 'instance' ? mro(obj.self.cls) : obj.self.k === 'class' ? mro(obj.self) : [];
        const start = order.indexOf(obj.cls);
        for (const c of order.slice(start + 1)) {
          const v = c.attrs.get(name);
          if (v !== undefined) return this.bindAttr(v, obj.self, at);
          if (c.dataclassFields && name === '__init__') {
            // The `__init__` @dataclass generates for c.
            return builtin(`${c.name}.__init__`, (a, where) => {
              if (obj.self.k === 'instance') this.initDataclass(obj.self, c, a, where);
              return NONE;
            });
          }
          if (c.native && name === '__init__') {
            const native = c.native;
            return builtin(`${c.name}.__init__`, (a, where) => {
              if (obj.self.k === 'instance') native.init?.(obj.self, a, where);
              return NONE;
            });
          }
          if (c.native && name === 'forward' && c.native.forward) {
            const native = c.native;
            return builtin(`${c.name}.forward`, (a, where) => (obj.self.k === 'instance' ? native.forward!(obj.self, a, where) : NONE));
          }
        }
        if (name === '__init__') return builtin('object.__init__', () => NONE);
        if (name === '__getattr__' || name === '__getattribute__') {
          const self = obj.self;
          return builtin(`object.${name}`, (a, where) => {
            const attr = a.pos[0];
            const found = attr?.k === 'str' && name === '__getattribute__' ? this.getattrOrUndefined(self, attr.v, where) : undefined;
            return found ?? this.raise('AttributeError', `'${typeName(self)}' object has no attribute ${attr ? repr(attr) : '?'}`, where);
          });
        }
        if (obj.self.k === 'instance') {
          const native = nativeOf(obj.self.cls);
          return native?.native.attr?.(obj.self, name, at);
        }
        return undefined;
      }
      case 'tensor':
        return this.lib.tensorAttr(obj, name, at);
      case 'func':
        if (name === '__name__' || name === '__qualname__') return str(obj.name);
        if (name === '__wrapped__') return obj.wrapped;
        if (name === '__class__') return builtin('function', () => NONE);
        if (name === '__module__') return obj.closure.lookup('__name__') ?? (obj.closure.globals ?? obj.closure).lookup('__name__');
        return undefined;
      case 'builtin':
        if (name === '__name__' || name === '__qualname__') return str(obj.name.replace(/^.*\./, ''));
        return undefined;
      default:
        return builtinMethod(this, obj, name, at);
    }
  }

  /** A class's own `__getattr__`, called for attributes found nowhere else (AttributeError: none). */
  private userGetattr(obj: InstanceV, name: string, at: Loc): Value | undefined {
    const hook = classAttr(obj.cls, '__getattr__');
    if (!hook || hook.value.k !== 'func' || name.startsWith('__')) return undefined;
    const key = `${obj.id}.${name}`;
    if (this.inGetattr.has(key)) return undefined;
    this.inGetattr.add(key);
    try {
      return this.call(hook.value, args([obj, str(name)]), at);
    } catch (e) {
      if (e instanceof PyException && e.type === 'AttributeError') return undefined;
      throw e;
    } finally {
      this.inGetattr.delete(key);
    }
  }

  private bindAttr(v: Value, self: Value, at: Loc): Value {
    if (v.k === 'func') {
      if (v.decorators.includes('staticmethod')) return v;
      if (v.decorators.includes('classmethod')) return { k: 'bound', fn: v, self: self.k === 'instance' ? self.cls : self };
      if (v.decorators.includes('property')) return this.call(v, args([self]), at);
      return { k: 'bound', fn: v, self };
    }
    return v;
  }

  setattr(obj: Value, name: string, value: Value, at: Loc): void {
    if (obj.k === 'instance') {
      if (obj.module && this.lib.moduleSetattr(obj, name, value, at)) return;
      obj.attrs.set(name, value);
      return;
    }
    if (obj.k === 'class') {
      obj.attrs.set(name, value);
      return;
    }
    if (obj.k === 'module') {
      obj.attrs.set(name, value);
      return;
    }
    if (obj.k === 'unknown' || obj.k === 'tensor') return;
    this.report(`cannot set attribute '${name}' on ${typeName(obj)}`, at);
  }

  getitem(obj: Value, idx: Value, at: Loc): Value {
    if (obj.k === 'unknown') return obj;
    if (idx.k === 'unknown') return idx;
    if (obj.k === 'tensor') return this.lib.tensorSubscript(obj, idx, at) ?? this.fail('tensor indexing of this form is not modelled', at);
    if (obj.k === 'tuple' || obj.k === 'list' || obj.k === 'str') {
      const items: readonly Value[] = obj.k === 'str' ? [...obj.v].map(str) : obj.items;
      if (idx.k === 'slice') {
        const picked = sliceItems(items, idx, this, at);
        if (obj.k === 'str') return str(picked.map((s) => (s.k === 'str' ? s.v : '')).join(''));
        return obj.k === 'tuple' ? tuple(picked) : list(picked);
      }
      const i = this.toInt(idx, at);
      if (i === undefined) return this.fail(`index ${repr(idx)} is not an integer`, at);
      const j = i < 0 ? items.length + i : i;
      if (j < 0 || j >= items.length) throw new PyException('IndexError', `index ${i} out of range for length ${items.length}`, at);
      return items[j];
    }
    if (obj.k === 'dict') {
      const e = obj.map.get(repr(idx));
      if (!e) throw new PyException('KeyError', repr(idx), at);
      return e[1];
    }
    if (obj.k === 'instance') {
      const m = this.getattrOrUndefined(obj, '__getitem__', at);
      if (m) return this.call(m, args([idx]), at);
    }
    if (obj.k === 'class' && isEnumClass(obj)) return enumByName(obj, idx) ?? this.raise('KeyError', repr(idx), at);
    if (obj.k === 'class' || obj.k === 'builtin') return obj; // typing generics: List[int]
    return this.fail(`'${typeName(obj)}' object is not subscriptable`, at);
  }

  setitem(obj: Value, idx: Value, value: Value, at: Loc): void {
    if (obj.k === 'list') {
      const i = this.toInt(idx, at);
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
      const m = this.getattrOrUndefined(obj, '__setitem__', at);
      if (m) this.call(m, args([idx, value]), at);
      return;
    }
    if (obj.k === 'tensor' || obj.k === 'unknown') return; // in-place writes into tensors keep their memory
    this.report(`item assignment on ${typeName(obj)} is not modelled`, at);
  }

  // ── operators ─────────────────────────────────────────────────────────────

  toInt(v: Value, _at: Loc): number | undefined {
    if (v.k === 'num' && Number.isInteger(v.v)) return v.v;
    if (v.k === 'bool') return v.v ? 1 : 0;
    return undefined;
  }

  /** Python truthiness; undefined when it cannot be known. */
  truthy(v: Value, at: Loc): boolean | undefined {
    switch (v.k) {
      case 'none': return false;
      case 'bool': return v.v;
      case 'num': return v.v !== 0;
      case 'str': return v.v.length > 0;
      case 'tuple': case 'list': return v.items.length > 0;
      case 'dict': return v.map.size > 0;
      case 'unknown': return undefined;
      case 'tensor': return undefined;
      case 'instance': {
        const m = this.getattrOrUndefined(v, '__len__', at);
        if (m && v.module === undefined) return this.truthy(this.call(m, args([]), at), at);
        if (v.module) return v.module.children.size > 0 || !['Sequential', 'ModuleList', 'ModuleDict'].includes(v.cls.name);
        return true;
      }
      default: return true;
    }
  }

  binaryOp(op: string, l: Value, r: Value, at: Loc, inplace: boolean): Value {
    const bare = op.replace(/=$/, '');
    if (l.k === 'unknown') return l;
    if (r.k === 'unknown') return r;
    if (l.k === 'tensor' || r.k === 'tensor') {
      return this.lib.tensorBinary(inplace ? `${bare}=` : bare, l, r, at) ?? this.fail(`operator ${op} on tensors is not modelled`, at);
    }
    const a = numeric(l);
    const b = numeric(r);
    if (a !== undefined && b !== undefined) {
      const bothInt = isIntLike(l) && isIntLike(r);
      switch (bare) {
        case '+': return num(a + b, bothInt);
        case '-': return num(a - b, bothInt);
        case '*': return num(a * b, bothInt);
        case '/': return num(a / b, false);
        case '//':
          if (b === 0) throw new PyException('ZeroDivisionError', 'integer division by zero', at);
          return num(Math.floor(a / b), bothInt);
        case '%': return num(a - b * Math.floor(a / b), bothInt);
        case '**': return num(a ** b, bothInt && b >= 0);
        case '<<': return int(a * 2 ** b);
        case '>>': return int(Math.floor(a / 2 ** b));
        case '&': return bothBool(l, r) ? bool(Boolean(a & b)) : int(a & b);
        case '|': return bothBool(l, r) ? bool(Boolean(a | b)) : int(a | b);
        case '^': return int(a ^ b);
        default: break;
      }
    }
    if (bare === '+') {
      if (l.k === 'str' && r.k === 'str') return str(l.v + r.v);
      if (l.k === 'list' && r.k === 'list') {
        if (inplace) {
          l.items.push(...r.items);
          return l;
        }
        return list([...l.items, ...r.items]);
      }
      if (l.k === 'tuple' && r.k === 'tuple') return tuple([...l.items, ...r.items]);
      if (l.k === 'list' && inplace && r.k === 'tuple') {
        l.items.push(...r.items);
        return l;
      }
    }
    if (bare === '*') {
      const [seq, n] = l.k === 'num' ? [r, l.v] : [l, b];
      if (n !== undefined && Number.isInteger(n)) {
        if (seq.k === 'list' || seq.k === 'tuple') {
          const total = seq.items.length * Math.max(n, 0);
          if (total > this.budget.limits.sequenceLength) return this.fail(`a sequence of ${total} items exceeds the limit`, at);
          const items: Value[] = [];
          for (let i = 0; i < n; i++) items.push(...seq.items);
          return seq.k === 'list' ? list(items) : tuple(items);
        }
        if (seq.k === 'str') return str(seq.v.repeat(Math.max(0, Math.min(n, this.budget.limits.sequenceLength))));
      }
    }
    if (bare === '%' && l.k === 'str') {
      const formatted = percentFormat(l.v, r);
      return formatted === undefined ? this.fail(`string formatting ${repr(l)} % ${repr(r)} is not modelled`, at) : str(formatted);
    }
    if (bare === '|' && l.k === 'dict' && r.k === 'dict') return { k: 'dict', map: new Map([...l.map, ...r.map]) };
    if (l.k === 'instance') {
      const m = this.getattrOrUndefined(l, dunder(bare), at);
      if (m) return this.call(m, args([r]), at);
    }
    if (bare === '|' && (l.k === 'class' || l.k === 'none' || l.k === 'builtin')) return l; // `int | None` annotations
    return this.fail(`operator ${bare} is not supported between ${typeName(l)} and ${typeName(r)}`, at);
  }

  unaryOp(op: string, v: Value, at: Loc): Value {
    if (v.k === 'unknown') return v;
    if (v.k === 'tensor') return this.lib.tensorUnary(op, v, at) ?? this.fail(`unary ${op} on tensors is not modelled`, at);
    const a = numeric(v);
    if (a === undefined) return this.fail(`bad operand type for unary ${op}: '${typeName(v)}'`, at);
    if (op === '-') return num(-a, isIntLike(v));
    if (op === '+') return num(a, isIntLike(v));
    if (op === '~') return int(~a);
    return this.fail(`unary ${op} is not modelled`, at);
  }

  compare(op: string, l: Value, r: Value, at: Loc): Value {
    if (op === 'is' || op === 'is not') {
      if (l.k === 'unknown' || r.k === 'unknown') {
        // `x is None` on an unknown: unknown values are never None literals we could see.
        if (l.k === 'none' || r.k === 'none') return bool(op === 'is not');
        return unknown('identity of an unknown value', at);
      }
      const same = identical(l, r);
      return bool(op === 'is' ? same : !same);
    }
    if (l.k === 'unknown') return l;
    if (r.k === 'unknown') return r;
    if (op === 'in' || op === 'not in') {
      const found = this.contains(r, l, at);
      if (found === undefined) return unknown('membership unknown', at);
      return bool(op === 'in' ? found : !found);
    }
    if (l.k === 'tensor' || r.k === 'tensor') return this.lib.tensorBinary(op, l, r, at) ?? unknown('tensor comparison', at);
    const a = numeric(l);
    const b = numeric(r);
    if (a !== undefined && b !== undefined) {
      switch (op) {
        case '<': return bool(a < b);
        case '<=': return bool(a <= b);
        case '>': return bool(a > b);
        case '>=': return bool(a >= b);
        case '==': return bool(a === b);
        case '!=': case '<>': return bool(a !== b);
      }
    }
    if (op === '==' || op === '!=') {
      const eq = repr(l) === repr(r) && l.k === r.k;
      return bool(op === '==' ? eq : !eq);
    }
    if (l.k === 'str' && r.k === 'str') {
      switch (op) {
        case '<': return bool(l.v < r.v);
        case '<=': return bool(l.v <= r.v);
        case '>': return bool(l.v > r.v);
        case '>=': return bool(l.v >= r.v);
      }
    }
    if ((l.k === 'tuple' || l.k === 'list') && (r.k === 'tuple' || r.k === 'list')) {
      const la = l.items.map(numeric);
      const ra = r.items.map(numeric);
      for (let i = 0; i < Math.min(la.length, ra.length); i++) {
        if (la[i] === undefined || ra[i] === undefined) break;
        if (la[i] !== ra[i]) return this.compare(op, num(la[i]!), num(ra[i]!), at);
      }
      return this.compare(op, int(la.length), int(ra.length), at);
    }
    return this.fail(`comparison ${op} between ${typeName(l)} and ${typeName(r)} is not modelled`, at);
  }

  contains(container: Value, item: Value, at: Loc): boolean | undefined {
    switch (container.k) {
      case 'str': return item.k === 'str' ? container.v.includes(item.v) : undefined;
      case 'tuple': case 'list': return container.items.some((x) => x.k === item.k && repr(x) === repr(item));
      case 'dict': return container.map.has(repr(item));
      case 'instance': {
        if (container.module && item.k === 'str') return container.module.children.has(item.v);
        const m = this.getattrOrUndefined(container, '__contains__', at);
        if (m) return this.truthy(this.call(m, args([item]), at), at);
        return undefined;
      }
      default: return undefined;
    }
  }

  /** The items of an iterable (bounded). */
  iterate(v: Value, at: Loc): Value[] {
    switch (v.k) {
      case 'tuple': case 'list': return [...v.items];
      case 'str': return [...v.v].map(str);
      case 'dict': return [...v.map.values()].map(([k]) => k);
      case 'tensor': {
        const n = v.t.shape[0];
        if (n === undefined) throw new PyException('TypeError', 'iteration over a 0-d tensor', at);
        return new Array<Value>(Math.min(n, this.budget.limits.loopIterations + 1)).fill(this.getitem(v, int(0), at));
      }
      case 'instance': {
        const it = this.getattrOrUndefined(v, '__iter__', at);
        if (it) return this.iterate(this.call(it, args([]), at), at);
        throw new PyException('TypeError', `'${v.cls.name}' object is not iterable`, at);
      }
      case 'unknown': return [];
      case 'class':
        if (isEnumClass(v)) return enumMembers(v);
        throw new PyException('TypeError', `'type' object is not iterable`, at);
      default: throw new PyException('TypeError', `'${typeName(v)}' object is not iterable`, at);
    }
  }

  raise(type: string, message: string, at: Loc): never {
    throw new PyException(type, message, at);
  }

  /** Runs a callable and returns its result, turning Python exceptions into an unknown. */
  guarded(fn: () => Value): Value {
    try {
      return fn();
    } catch (e) {
      if (e instanceof PyException) return this.fail(e.message, e.at);
      if (e instanceof BudgetExceeded) return this.fail(e.message, e.at);
      throw e;
    }
  }

  /** `super()` / `super(Cls, self)`: the zero-argument form reads the calling method's frame. */
  superOf(a: Args, at: Loc): Value {
    if (a.pos.length >= 2 && a.pos[0].k === 'class') return { k: 'super', cls: a.pos[0], self: a.pos[1] };
    const frame = this.frames[this.frames.length - 1];
    const cls = frame ? this.methodOwner.get(frame.fn.node) : undefined;
    const firstParam = frame?.fn.node.childForFieldName('parameters')?.namedChildren[0];
    const self = firstParam ? frame.scope.vars.get(firstParam.type === 'identifier' ? firstParam.text : firstParam.namedChildren[0]?.text ?? '') : undefined;
    if (cls && self) return { k: 'super', cls, self };
    return this.fail('super() outside a method', at);
  }

  isInstance(v: Value, cls: Value): boolean | undefined {
    if (cls.k === 'tuple') return cls.items.some((c) => this.isInstance(v, c));
    if (cls.k !== 'class' && cls.k !== 'builtin') return undefined;
    if (cls.k === 'class') return v.k === 'instance' ? isSubclass(v.cls, cls) : v.k === 'tensor' ? cls.name === 'Tensor' || cls.name === 'Parameter' && v.t.storage.kind === 'param' : false;
    switch (cls.name.replace(/^(typing|collections\.abc)\./, '')) {
      case 'Sequence': return v.k === 'list' || v.k === 'tuple' || v.k === 'str';
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
}

const moduleScopes = new WeakMap<ModuleV, Scope>();

/**
 * The value of a string literal without interpolation or escapes (`"conv1"`, `'''doc'''`), read
 * from its text without visiting its child nodes (long tables of names are common); else null.
 */
function plainString(text: string): string | null {
  const m = /^([rRuUbB]{0,2})('''|"""|'|")/.exec(text);
  if (!m) return null;
  const q = m[2];
  const body = text.slice(m[0].length, text.length - q.length);
  if (!text.endsWith(q) || text.length < m[0].length + q.length) return null;
  if (!/[rR]/.test(m[1]) && body.includes('\\')) return null;
  return body;
}

/** `a` for `a`, `a.b.c`: the name an attribute chain starts from. */
function rootName(expr: Node): string | null {
  let n: Node | null = expr;
  while (n?.type === 'attribute') n = n.childForFieldName('object');
  return n?.type === 'identifier' ? n.text : null;
}

/** `numpy` for `.../site-packages/numpy/core/x.py`; null outside installed packages. */
function installedPackage(file: string): string | null {
  const parts = file.split(path.sep);
  const i = parts.findIndex((p) => p === 'site-packages' || p === 'dist-packages');
  if (i < 0 || i + 1 >= parts.length) return null;
  return parts[i + 1].replace(/\.py$/, '');
}

/** Decorators modelled by what they mean (FuncV.decorators, dataclass fields), not applied as calls. */
const STRUCTURAL_DECORATORS = ['staticmethod', 'classmethod', 'property', 'dataclass', 'dataclasses.dataclass', 'torch.no_grad', 'torch.jit.script', 'torch.jit.ignore', 'torch.jit.unused', 'torch.jit._overload_method', 'torch.jit._overload', 'overload', 'typing.overload', 'torch.compile', 'abstractmethod', 'abc.abstractmethod', 'override', 'typing.override'];

function decoratorNames(decorated: Node): string[] {
  return decorated.namedChildren.filter((c): c is Node => c?.type === 'decorator').map((d) => d.namedChildren[0]?.text ?? '');
}

const COMPOUND = new Set(['module', 'block', 'function_definition', 'class_definition', 'decorated_definition', 'if_statement', 'for_statement', 'while_statement', 'with_statement', 'try_statement']);

/**
 * Locations of syntax errors: the innermost statement (or ERROR node) containing each. Reported
 * when a file is loaded, so an error in a method that never runs is reported too.
 */
function syntaxErrors(node: Node, out: { line: number; reason: string }[]): void {
  for (const c of node.namedChildren) {
    if (!c || !c.hasError && c.type !== 'ERROR') continue;
    if (c.type === 'ERROR') out.push({ line: c.startPosition.row + 1, reason: 'syntax error: this part of the file was skipped' });
    else if (COMPOUND.has(c.type) || c.type.endsWith('_clause')) syntaxErrors(c, out);
    else out.push({ line: c.startPosition.row + 1, reason: 'syntax error: this statement was skipped' });
  }
}

function numeric(v: Value): number | undefined {
  if (v.k === 'num') return v.v;
  if (v.k === 'bool') return v.v ? 1 : 0;
  return undefined;
}

function isIntLike(v: Value): boolean {
  return (v.k === 'num' && v.int) || v.k === 'bool';
}

function bothBool(a: Value, b: Value): boolean {
  return a.k === 'bool' && b.k === 'bool';
}

function identical(a: Value, b: Value): boolean {
  if (a.k === 'none' || b.k === 'none') return a.k === b.k;
  if (a.k === 'bool' && b.k === 'bool') return a.v === b.v;
  if (a.k === 'tensor' && b.k === 'tensor') return a.t.id === b.t.id;
  if (a.k === 'num' && b.k === 'num') return a.v === b.v;
  if (a.k === 'str' && b.k === 'str') return a.v === b.v;
  return a === b;
}

function dunder(op: string): string {
  const names: Record<string, string> = { '+': '__add__', '-': '__sub__', '*': '__mul__', '/': '__truediv__', '@': '__matmul__', '//': '__floordiv__', '%': '__mod__', '**': '__pow__' };
  return names[op] ?? '__op__';
}

function unescape(s: string): string {
  const map: Record<string, string> = { n: '\n', t: '\t', r: '\r', '\\': '\\', "'": "'", '"': '"', '0': '\0' };
  return s.length === 2 && map[s[1]] !== undefined ? map[s[1]] : s;
}

/** Items picked by a Python slice. */
export function sliceItems<T>(items: readonly T[], s: { start: Value; stop: Value; step: Value }, interp: Interpreter, at: Loc): T[] {
  const n = items.length;
  const step = s.step.k === 'none' ? 1 : interp.toInt(s.step, at) ?? 1;
  const norm = (v: Value, dflt: number): number => {
    if (v.k === 'none') return dflt;
    const i = interp.toInt(v, at) ?? dflt;
    const j = i < 0 ? i + n : i;
    return step > 0 ? Math.min(Math.max(j, 0), n) : Math.min(Math.max(j, -1), n - 1);
  };
  const start = norm(s.start, step > 0 ? 0 : n - 1);
  const stop = norm(s.stop, step > 0 ? n : -1);
  const out: T[] = [];
  if (step > 0) for (let i = start; i < stop; i += step) out.push(items[i]);
  else for (let i = start; i > stop; i += step) out.push(items[i]);
  return out;
}

/** Methods of Python's built-in types (list.append, dict.items, str.format…). */
function builtinMethod(interp: Interpreter, obj: Value, name: string, at: Loc): Value | undefined {
  const m = (fn: (a: Args, where: Loc) => Value) => builtin(`${typeName(obj)}.${name}`, fn);
  if (obj.k === 'list') {
    switch (name) {
      case 'append': return m((a) => { obj.items.push(a.pos[0] ?? NONE); return NONE; });
      case 'extend': return m((a, where) => { obj.items.push(...interp.iterate(a.pos[0] ?? list([]), where)); return NONE; });
      case 'insert': return m((a, where) => { obj.items.splice(interp.toInt(a.pos[0] ?? int(0), where) ?? 0, 0, a.pos[1] ?? NONE); return NONE; });
      case 'pop': return m((a, where) => {
        const i = a.pos[0] ? interp.toInt(a.pos[0], where) ?? -1 : -1;
        const [v] = obj.items.splice(i < 0 ? obj.items.length + i : i, 1);
        return v ?? NONE;
      });
      case 'reverse': return m(() => { obj.items.reverse(); return NONE; });
      case 'copy': return m(() => list([...obj.items]));
      case 'index': return m((a) => int(obj.items.findIndex((x) => repr(x) === repr(a.pos[0] ?? NONE))));
      case 'count': return m((a) => int(obj.items.filter((x) => repr(x) === repr(a.pos[0] ?? NONE)).length));
    }
  }
  if (obj.k === 'tuple') {
    if (name === 'index') return m((a) => int(obj.items.findIndex((x) => repr(x) === repr(a.pos[0] ?? NONE))));
    if (name === 'count') return m((a) => int(obj.items.filter((x) => repr(x) === repr(a.pos[0] ?? NONE)).length));
  }
  if (obj.k === 'dict') {
    switch (name) {
      case 'items': return m(() => list([...obj.map.values()].map(([k, v]) => tuple([k, v]))));
      case 'keys': return m(() => list([...obj.map.values()].map(([k]) => k)));
      case 'values': return m(() => list([...obj.map.values()].map(([, v]) => v)));
      case 'get': return m((a) => obj.map.get(repr(a.pos[0] ?? NONE))?.[1] ?? a.pos[1] ?? NONE);
      case 'pop': return m((a) => {
        const key = repr(a.pos[0] ?? NONE);
        const e = obj.map.get(key);
        obj.map.delete(key);
        return e?.[1] ?? a.pos[1] ?? NONE;
      });
      case 'setdefault': return m((a) => {
        const key = repr(a.pos[0] ?? NONE);
        if (!obj.map.has(key)) obj.map.set(key, [a.pos[0] ?? NONE, a.pos[1] ?? NONE]);
        return obj.map.get(key)![1];
      });
      case 'update': return m((a) => {
        const d = a.pos[0];
        if (d?.k === 'dict') for (const [k, e] of d.map) obj.map.set(k, e);
        for (const [k, v] of a.kw) obj.map.set(repr(str(k)), [str(k), v]);
        return NONE;
      });
      case 'copy': return m(() => ({ k: 'dict', map: new Map(obj.map) }));
    }
  }
  if (obj.k === 'str') {
    switch (name) {
      case 'format': return m((a, where) => {
        const formatted = braceFormat(obj.v, a.pos, a.kw);
        return formatted === undefined ? interp.fail(`${repr(obj)}.format() with these arguments is not modelled`, where) : str(formatted);
      });
      case 'lower': return m(() => str(obj.v.toLowerCase()));
      case 'upper': return m(() => str(obj.v.toUpperCase()));
      case 'strip': return m(() => str(obj.v.trim()));
      case 'startswith': return m((a) => bool(a.pos[0]?.k === 'str' && obj.v.startsWith(a.pos[0].v)));
      case 'endswith': return m((a) => bool(a.pos[0]?.k === 'str' && obj.v.endsWith(a.pos[0].v)));
      case 'split': return m((a) => list(obj.v.split(a.pos[0]?.k === 'str' ? a.pos[0].v : /\s+/).filter((s) => a.pos[0] || s).map(str)));
      case 'join': return m((a, where) => str(interp.iterate(a.pos[0] ?? list([]), where).map((x) => (x.k === 'str' ? x.v : repr(x))).join(obj.v)));
      case 'replace': return m((a) => str(a.pos[0]?.k === 'str' && a.pos[1]?.k === 'str' ? obj.v.split(a.pos[0].v).join(a.pos[1].v) : obj.v));
    }
  }
  if (obj.k === 'num' && name === 'is_integer') return m(() => bool(Number.isInteger(obj.v)));
  void at;
  return undefined;
}

export { NO_KW };
