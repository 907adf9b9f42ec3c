import * as path from 'path';
import type { Node, Tree } from '../python/parser';
import { importedTrees, syntaxRoot } from '../python/parser';
import { Budget } from './budget';
import { ENUM_MARKER, isEnumClass, makeEnumMembers } from './pyenum';
import {
  BudgetExceeded, ClassV, Lazy, Loc, ModuleV, NONE, NO_KW, PyException, Scope, Value, args, lazyValue, repr, str,
} from './values';
import { ExpressionEvaluator } from './expressions';
import type { Library, ModuleSource } from './host';
import { BreakSignal, ContinueSignal, ReturnSignal } from './signals';

export type { Library, ModuleSource, UnknownEntry } from './host';

/** A bounded abstract interpreter for the Python that model files are written in: modules, imports, statements. */
export class Interpreter extends ExpressionEvaluator {
  private readonly modules = new Map<string, ModuleV>();
  private readonly loading = new Set<string>();
  /** The first file loaded (the analyzed one): decides which installed packages count as its own. */
  private entryFile: string | null = null;
  /** Trees of the imported files this analysis runs (shared through importedTrees). */
  private readonly usedTrees = new Set<Tree>();

  constructor(lib: Library, readonly source: ModuleSource, budget: Budget) {
    super(lib, budget);
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
        if (isStackOverflow(e)) {
          this.report(STACK_OVERFLOW, this.loc(stmt, file));
          continue;
        }
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
    try {
      this.execStmtOf(node, scope, file, at);
    } catch (e) {
      // A simple statement whose expression nests past the JS stack: skip it, keep analyzing.
      if (!isStackOverflow(e) || COMPOUND_STATEMENTS.has(node.type)) throw e;
      this.report(STACK_OVERFLOW, at);
    }
  }

  private execStmtOf(node: Node, scope: Scope, file: string, at: Loc): void {
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

}

const moduleScopes = new WeakMap<ModuleV, Scope>();


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


export { NO_KW };

/** The unknown's reason when an expression nests deeper than the evaluator's stack (`((((…))))`). */
const COMPOUND_STATEMENTS = new Set(['function_definition', 'class_definition', 'decorated_definition', 'if_statement', 'for_statement', 'while_statement', 'with_statement', 'try_statement']);

export const STACK_OVERFLOW = 'nested too deeply to evaluate; skipped';

/** V8's "Maximum call stack size exceeded". */
export function isStackOverflow(e: unknown): boolean {
  return e instanceof RangeError && /call stack/i.test(e.message);
}
