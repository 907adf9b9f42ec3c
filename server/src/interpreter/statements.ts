// Execution of Python statements: assignments, control flow (if, loops, try, with), definitions
// and their decorators, imports. Loops are unrolled within the budget.
import type { Node } from '../python/parser';
import { STACK_OVERFLOW, isStackOverflow } from './budget';
import { call } from './calls';
import { makeClass, makeFunction } from './classes';
import { assign, evalExpr } from './expressions';
import { execImport, execImportFrom } from './modules';
import { iterate, truthy } from './objects';
import { packageRootOf } from './packageIndex';
import { binaryOp } from './operators';
import { BreakSignal, ContinueSignal, ReturnSignal } from './signals';
import type { InterpreterState } from './state';
import { Loc, NONE, PyException, Scope, Value, args, repr } from './values';

export function execBlock(state: InterpreterState, block: Node | null, scope: Scope, file: string): void {
  if (!block) return;
  // A training script runs to reach its model's call: a statement of its own code that raises
  // (outside any try) is reported and skipped, as statements of a module body are.
  const resilient = state.tryDepth === 0 && file === state.entryFile && state.scriptCode !== null;
  for (const stmt of block.namedChildren) {
    if (!stmt) continue;
    if (!resilient) {
      execStmt(state, stmt, scope, file);
      continue;
    }
    try {
      execStmt(state, stmt, scope, file);
    } catch (e) {
      if (!(e instanceof PyException)) throw e;
      state.report(`exception in the script: ${e.message}; the statement was skipped`, e.at);
    }
  }
}

export function execStmt(state: InterpreterState, node: Node, scope: Scope, file: string): void {
  const at = state.loc(node, file);
  state.budget.step(at);
  state.current = at;
  if (node.type === 'comment') return;
  try {
    execStmtOf(state, node, scope, file, at);
  } catch (e) {
    // A simple statement whose expression nests past the JS stack: skip it, keep analyzing.
    if (!isStackOverflow(e) || COMPOUND_STATEMENTS.has(node.type)) throw e;
    state.report(STACK_OVERFLOW, at);
  }
}

const COMPOUND_STATEMENTS = new Set(['function_definition', 'class_definition', 'decorated_definition', 'if_statement', 'for_statement', 'while_statement', 'with_statement', 'try_statement']);

function execStmtOf(state: InterpreterState, node: Node, scope: Scope, file: string, at: Loc): void {
  if (node.hasError && !COMPOUND_STATEMENTS.has(node.type) && node.type !== 'block') {
    state.report('syntax error: this statement was skipped', at);
    return;
  }
  switch (node.type) {
    case 'ERROR':
      state.report('syntax error: this part of the file was skipped', at);
      return;
    case 'expression_statement': {
      const inner = node.namedChildren[0];
      if (!inner) return;
      if (inner.type === 'assignment') execAssign(state, inner, scope, file);
      else if (inner.type === 'augmented_assignment') execAugAssign(state, inner, scope, file);
      else if (inner.type !== 'string') evalExpr(state, inner, scope, file);
      return;
    }
    case 'return_statement': {
      const e = node.namedChildren[0];
      throw new ReturnSignal(e ? evalExpr(state, e, scope, file) : NONE);
    }
    case 'pass_statement':
      return;
    case 'break_statement':
      throw new BreakSignal();
    case 'continue_statement':
      throw new ContinueSignal();
    case 'if_statement':
      return execIf(state, node, scope, file);
    case 'for_statement':
      return execFor(state, node, scope, file);
    case 'while_statement':
      return execWhile(state, node, scope, file);
    case 'function_definition':
      scope.vars.set(node.childForFieldName('name')?.text ?? '?', makeFunction(state, node, scope, file, []));
      return;
    case 'class_definition':
      scope.vars.set(node.childForFieldName('name')?.text ?? '?', makeClass(state, node, scope, file, []));
      return;
    case 'decorated_definition':
      return execDecorated(state, node, scope, file);
    case 'import_statement':
      return execImport(state, node, scope, file);
    case 'import_from_statement':
      return execImportFrom(state, node, scope, file);
    case 'future_import_statement':
      return;
    case 'raise_statement': {
      const e = node.namedChildren[0];
      const v = e ? evalExpr(state, e, scope, file) : NONE;
      const first = v.k === 'instance' ? v.attrs.get('args') : undefined;
      const message = first?.k === 'tuple' && first.items[0] ? (first.items[0].k === 'str' ? first.items[0].v : repr(first.items[0])) : repr(v);
      throw new PyException(v.k === 'instance' ? v.cls.name : v.k === 'class' ? v.name : 'Exception', message, at);
    }
    case 'assert_statement':
      return;
    case 'try_statement':
      return execTry(state, node, scope, file);
    case 'with_statement':
      return execWith(state, node, scope, file);
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
      state.report(`statement '${node.type}' is not modelled; skipped`, at);
  }
}

function execAssign(state: InterpreterState, node: Node, scope: Scope, file: string): void {
  const right = node.childForFieldName('right');
  const left = node.childForFieldName('left');
  if (!left) return;
  if (!right) return; // annotation only: `x: int`
  // Chained assignment `a = b = v` nests assignments on the right.
  let value: Value;
  if (right.type === 'assignment') {
    execAssign(state, right, scope, file);
    let r: Node = right;
    while (r.type === 'assignment') r = r.childForFieldName('right') ?? r;
    value = evalExpr(state, r, scope, file);
  } else value = evalExpr(state, right, scope, file);
  assign(state, left, value, scope, file);
}

function execAugAssign(state: InterpreterState, node: Node, scope: Scope, file: string): void {
  const left = node.childForFieldName('left')!;
  const right = evalExpr(state, node.childForFieldName('right')!, scope, file);
  const op = node.childForFieldName('operator')?.text ?? '+=';
  const cur = evalExpr(state, left, scope, file);
  const at = state.loc(node, file);
  const result = binaryOp(state, op, cur, right, at, true);
  assign(state, left, result, scope, file);
}

function execIf(state: InterpreterState, node: Node, scope: Scope, file: string): void {
  const condNode = node.childForFieldName('condition')!;
  // An installed package is read as a type checker reads it: its `if TYPE_CHECKING:` imports name
  // what the package exports (transformers' lazy modules define their namespace only there).
  if (/^(typing\.)?TYPE_CHECKING$/.test(condNode.text) && packageRootOf(file, state.source.libraryPaths ?? []) !== null) {
    return execBlock(state, node.childForFieldName('consequence'), scope, file);
  }
  const cond = evalExpr(state, condNode, scope, file);
  const at = state.loc(node, file);
  const t = truthy(state, cond, at);
  if (t === true) return execBlock(state, node.childForFieldName('consequence'), scope, file);
  if (t === undefined) {
    state.report(`condition is unknown (${cond.k === 'unknown' ? cond.reason : repr(cond)}); took the first branch`, at);
    return execBlock(state, node.childForFieldName('consequence'), scope, file);
  }
  for (const alt of node.childrenForFieldName('alternative')) {
    if (!alt) continue;
    if (alt.type === 'elif_clause') {
      const c = evalExpr(state, alt.childForFieldName('condition')!, scope, file);
      const ct = truthy(state, c, state.loc(alt, file));
      if (ct !== false) {
        if (ct === undefined) state.report('condition is unknown; took this branch', state.loc(alt, file));
        return execBlock(state, alt.childForFieldName('consequence'), scope, file);
      }
    } else if (alt.type === 'else_clause') {
      return execBlock(state, alt.childForFieldName('body'), scope, file);
    }
  }
}

function loopBody(state: InterpreterState, body: Node | null, scope: Scope, file: string): 'break' | 'continue' {
  try {
    execBlock(state, body, scope, file);
  } catch (e) {
    if (e instanceof BreakSignal) return 'break';
    if (e instanceof ContinueSignal) return 'continue';
    throw e;
  }
  return 'continue';
}

function execFor(state: InterpreterState, node: Node, scope: Scope, file: string): void {
  const at = state.loc(node, file);
  const iterable = evalExpr(state, node.childForFieldName('right')!, scope, file);
  const left = node.childForFieldName('left')!;
  const body = node.childForFieldName('body');
  if (iterable.k === 'unknown') {
    state.report(`loop over an unknown value (${iterable.reason}); body skipped`, at);
    return;
  }
  const items = iterate(state, iterable, at);
  if (items.length > state.budget.limits.loopIterations) {
    state.report(`loop of ${items.length} iterations exceeds the unroll limit (${state.budget.limits.loopIterations}); body skipped`, at);
    return;
  }
  let broke = false;
  for (const item of items) {
    assign(state, left, item, scope, file);
    if (loopBody(state, body, scope, file) === 'break') {
      broke = true;
      break;
    }
  }
  const alt = node.childForFieldName('alternative');
  if (!broke && alt) execBlock(state, alt.childForFieldName('body'), scope, file);
}

function execWhile(state: InterpreterState, node: Node, scope: Scope, file: string): void {
  const at = state.loc(node, file);
  for (let i = 0; ; i++) {
    if (i >= state.budget.limits.loopIterations) {
      state.report(`while loop exceeded ${state.budget.limits.loopIterations} iterations; stopped`, at);
      return;
    }
    const c = truthy(state, evalExpr(state, node.childForFieldName('condition')!, scope, file), at);
    if (c === undefined) {
      state.report('while condition is unknown; loop skipped', at);
      return;
    }
    if (!c) break;
    if (loopBody(state, node.childForFieldName('body'), scope, file) === 'break') return;
  }
}

function execTry(state: InterpreterState, node: Node, scope: Scope, file: string): void {
  const finallyClause = node.namedChildren.find((c) => c?.type === 'finally_clause');
  try {
    state.tryDepth++;
    try {
      execBlock(state, node.childForFieldName('body'), scope, file);
    } finally {
      state.tryDepth--;
    }
    const elseClause = node.namedChildren.find((c) => c?.type === 'else_clause');
    if (elseClause) execBlock(state, elseClause.childForFieldName('body'), scope, file);
  } catch (e) {
    if (!(e instanceof PyException)) throw e;
    const handler = node.namedChildren.find((c) => c?.type === 'except_clause');
    if (!handler) throw e;
    const block = handler.namedChildren.find((c) => c?.type === 'block') ?? null;
    execBlock(state, block, scope, file);
  } finally {
    if (finallyClause) execBlock(state, finallyClause.namedChildren.find((c) => c?.type === 'block') ?? null, scope, file);
  }
}

function execWith(state: InterpreterState, node: Node, scope: Scope, file: string): void {
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
      const v = evalExpr(state, valueNode, scope, file);
      const exit = state.lib.enterContext(v, state.loc(item, file));
      if (exit) exits.push(exit);
      if (target) assign(state, target, v, scope, file);
    }
    execBlock(state, node.childForFieldName('body'), scope, file);
  } finally {
    for (const exit of exits.reverse()) exit();
  }
}

// ── decorators ────────────────────────────────────────────────────────────

function execDecorated(state: InterpreterState, node: Node, scope: Scope, file: string): void {
  const def = node.childForFieldName('definition')!;
  const names = decoratorNames(node);
  const v: Value = def.type === 'class_definition' ? makeClass(state, def, scope, file, names) : makeFunction(state, def, scope, file, names);
  scope.vars.set(def.childForFieldName('name')?.text ?? '?', decorate(state, node, v, scope, file));
}

/**
 * Applies the decorators of a `decorated_definition` that are not modelled structurally,
 * innermost first, evaluating them in `scope` (the class body for methods). A decorator that is
 * unknown, or fails, leaves the definition undecorated (right for most wrappers) and is reported.
 */
export function decorate(state: InterpreterState, node: Node, undecorated: Value, scope: Scope, file: string): Value {
  const decorators = node.namedChildren.filter((c): c is Node => c?.type === 'decorator');
  const names = decoratorNames(node);
  const at = state.loc(node, file);
  let v = undecorated;
  for (let i = decorators.length - 1; i >= 0; i--) {
    const name = names[i];
    if (STRUCTURAL_DECORATORS.some((n) => name === n || name.startsWith(`${n}(`))) continue;
    const dec = state.guarded(() => evalExpr(state, decorators[i].namedChildren[0]!, scope, file));
    if (dec.k === 'unknown') {
      state.report(`decorator @${name} is unknown; the definition is used undecorated`, at);
      continue;
    }
    const r = state.guarded(() => call(state, dec, args([v]), at));
    if (r.k === 'unknown') {
      state.report(`decorator @${name} could not be applied (${r.reason}); the definition is used undecorated`, at);
      continue;
    }
    v = r;
  }
  return v;
}

/** Decorators modelled by what they mean (FuncV.decorators, dataclass fields), not applied as calls. */
const STRUCTURAL_DECORATORS = ['staticmethod', 'classmethod', 'property', 'dataclass', 'dataclasses.dataclass', 'torch.no_grad', 'torch.jit.script', 'torch.jit.ignore', 'torch.jit.unused', 'torch.jit._overload_method', 'torch.jit._overload', 'overload', 'typing.overload', 'torch.compile', 'abstractmethod', 'abc.abstractmethod', 'override', 'typing.override'];

export function decoratorNames(decorated: Node): string[] {
  return decorated.namedChildren.filter((c): c is Node => c?.type === 'decorator').map((d) => d.namedChildren[0]?.text ?? '');
}
