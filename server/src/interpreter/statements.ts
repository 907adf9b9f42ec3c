// Execution of Python statements: assignments, control flow (if, loops, try, with), definitions
// and their decorators, imports. Loops are unrolled within the budget.
import type { Node } from '../python/parser';
import { exceptionOf } from './builtinTypes';
import { STACK_OVERFLOW, isStackOverflow } from './budget';
import { call } from './calls';
import { makeClass, makeFunction } from './classes';
import { assign, bindName, declaredScope, evalExpr } from './expressions';
import { execImport, execImportFrom } from './modules';
import { delattr, delitem, exceptionClass, getattrOrUndefined, iterator, truthy } from './objects';
import { packageRootOf } from './packageIndex';
import { binaryOp } from './operators';
import { BreakSignal, ContinueSignal, ReturnSignal } from './signals';
import type { InterpreterState } from './state';
import { pyRepr } from './stdlib/strformat';
import { ClassV, IterV, Loc, NONE, PyException, Scope, Value, args, isSubclass, str, tuple, typeName } from './values';

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
      const stmtAt = state.loc(stmt, file);
      // Raised inside a library the statement called: reported at the statement, saying where.
      const where = e.at.file !== file ? ` (raised in ${e.at.file.split('/').slice(-2).join('/')}:${e.at.line})` : '';
      state.report(`exception in the script: ${e.message}${where}; the statement was skipped`, where ? stmtAt : e.at);
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

export const COMPOUND_STATEMENTS = new Set(['function_definition', 'class_definition', 'decorated_definition', 'if_statement', 'for_statement', 'while_statement', 'with_statement', 'try_statement', 'match_statement']);

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
      const e = node.namedChildren.find((c) => c.type !== 'comment');
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
      bindName(state, scope, node.childForFieldName('name')?.text ?? '?', makeFunction(state, node, scope, file, []));
      return;
    case 'class_definition':
      bindName(state, scope, node.childForFieldName('name')?.text ?? '?', makeClass(state, node, scope, file, []));
      return;
    case 'decorated_definition':
      return execDecorated(state, node, scope, file);
    case 'import_statement':
      return execImport(state, node, scope, file);
    case 'import_from_statement':
      return execImportFrom(state, node, scope, file);
    case 'future_import_statement':
      if (/\bannotations\b/.test(node.text)) state.futureAnnotations.add(file);
      return;
    case 'raise_statement':
      return execRaise(state, node, scope, file, at);
    case 'assert_statement': {
      const [cond, msg] = node.namedChildren.filter((c) => c.type !== 'comment');
      if (!cond) return;
      // An assertion on a value that is not known is taken to hold (the program is assumed to run).
      const t = truthy(state, evalExpr(state, cond, scope, file), at);
      if (t === false) {
        const m = msg ? evalExpr(state, msg, scope, file) : undefined;
        throw new PyException('AssertionError', m ? (m.k === 'str' ? m.v : pyRepr(m)) : '', at);
      }
      return;
    }
    case 'try_statement':
      return execTry(state, node, scope, file);
    case 'with_statement':
      return execWith(state, node, scope, file);
    case 'delete_statement':
      for (const t of node.namedChildren) if (t && t.type !== 'comment') deleteTarget(state, t, scope, file);
      return;
    case 'global_statement':
    case 'nonlocal_statement':
    case 'type_alias_statement':
    case 'print_statement':
    case 'exec_statement':
      return;
    case 'match_statement':
      state.report('the match statement is not modelled; skipped', at);
      return;
    default:
      state.report(`statement '${node.type}' is not modelled; skipped`, at);
  }
}

function deleteTarget(state: InterpreterState, t: Node, scope: Scope, file: string): void {
  const at = state.loc(t, file);
  switch (t.type) {
    case 'identifier': {
      const s = declaredScope(scope, t.text);
      if (!s.vars.delete(t.text) && !s.lazy.delete(t.text)) throw new PyException('NameError', `name '${t.text}' is not defined`, at);
      return;
    }
    case 'attribute':
      delattr(state, evalExpr(state, t.childForFieldName('object')!, scope, file), t.childForFieldName('attribute')!.text, at);
      return;
    case 'subscript': {
      const obj = evalExpr(state, t.childForFieldName('value')!, scope, file);
      const subs = t.childrenForFieldName('subscript').filter((c) => c.type !== 'comment');
      const idx = subs.length === 1 ? evalSubscript(state, subs[0], scope, file) : tuple(subs.map((s) => evalSubscript(state, s, scope, file)));
      delitem(state, obj, idx, at);
      return;
    }
    case 'expression_list': case 'tuple': case 'list': case 'parenthesized_expression': case 'pattern_list':
      for (const c of t.namedChildren) if (c.type !== 'comment') deleteTarget(state, c, scope, file);
      return;
    default:
      state.report(`del of '${t.type}' is not modelled`, at);
  }
}

function evalSubscript(state: InterpreterState, s: Node, scope: Scope, file: string): Value {
  if (s.type !== 'slice') return evalExpr(state, s, scope, file);
  const parts: Value[] = [NONE, NONE, NONE];
  let slot = 0;
  for (let i = 0; i < s.childCount; i++) {
    const c = s.child(i)!;
    if (c.type === ':') slot++;
    else if (c.isNamed) parts[slot] = evalExpr(state, c, scope, file);
  }
  return { k: 'slice', start: parts[0], stop: parts[1], step: parts[2] };
}

/** `raise`, `raise E`, `raise E(...)`, `raise E from cause`. */
function execRaise(state: InterpreterState, node: Node, scope: Scope, file: string, at: Loc): never {
  const e = node.namedChildren.filter((c) => c.type !== 'comment')[0];
  if (!e) {
    const active = state.handling[state.handling.length - 1];
    if (active) throw active;
    throw new PyException('RuntimeError', 'No active exception to reraise', at);
  }
  const v = evalExpr(state, e, scope, file);
  if (v.k === 'unknown') throw new PyException('Exception', `an exception of unknown type (${v.reason})`, at);
  const exc = exceptionOf(state, v, at);
  throw exc.at === at ? exc : new PyException(exc.type, exc.pyMessage, at, exc.value);
}

function execAssign(state: InterpreterState, node: Node, scope: Scope, file: string): void {
  const right = node.childForFieldName('right');
  const left = node.childForFieldName('left');
  if (!left) return;
  if (!right) return; // annotation only: `x: int`
  // Chained assignment `a = b = v` nests assignments on the right: the value is evaluated once,
  // then bound to the targets left to right.
  const targets: Node[] = [left];
  let r: Node = right;
  while (r.type === 'assignment' && r.childForFieldName('right')) {
    targets.push(r.childForFieldName('left')!);
    r = r.childForFieldName('right')!;
  }
  const value = evalExpr(state, r, scope, file);
  for (const t of targets) assign(state, t, value, scope, file);
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
    state.report(`condition is unknown (${cond.k === 'unknown' ? cond.reason : `a ${typeName(cond)} value`}); took the first branch`, at);
    return execBlock(state, node.childForFieldName('consequence'), scope, file);
  }
  for (const alt of node.childrenForFieldName('alternative')) {
    if (!alt) continue;
    if (alt.type === 'elif_clause') {
      const c = evalExpr(state, alt.childForFieldName('condition')!, scope, file);
      const ct = truthy(state, c, state.loc(alt, file));
      if (ct !== false) {
        if (ct === undefined) state.report(`condition is unknown (${c.k === 'unknown' ? c.reason : `a ${typeName(c)} value`}); took this branch`, state.loc(alt, file));
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

/** The iterator a `for` loop runs over, or undefined (reported) when the loop is skipped. */
export function loopIterator(state: InterpreterState, iterable: Value, at: Loc): IterV | undefined {
  if (iterable.k === 'unknown') {
    state.report(`loop over an unknown value (${iterable.reason}); body skipped`, at);
    return undefined;
  }
  const size = iterable.k === 'list' || iterable.k === 'tuple' ? iterable.items.length : iterable.k === 'dict' || iterable.k === 'set' ? iterable.map.size : 0;
  if (size > state.budget.limits.loopIterations) {
    state.report(`loop of ${size} iterations exceeds the unroll limit (${state.budget.limits.loopIterations}); body skipped`, at);
    return undefined;
  }
  return iterator(state, iterable, at);
}

function execFor(state: InterpreterState, node: Node, scope: Scope, file: string): void {
  const at = state.loc(node, file);
  const items = loopIterator(state, evalExpr(state, node.childForFieldName('right')!, scope, file), at);
  if (!items) return;
  const left = node.childForFieldName('left')!;
  const body = node.childForFieldName('body');
  let broke = false;
  let n = 0;
  for (let item = items.next(); item !== undefined; item = items.next()) {
    if (++n > state.budget.limits.loopIterations) {
      state.report(`loop exceeded ${state.budget.limits.loopIterations} iterations; stopped`, at);
      return;
    }
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
    const go = whileGoesOn(state, node, scope, file, i, at);
    if (go === 'stop') return;
    if (!go) break;
    if (loopBody(state, node.childForFieldName('body'), scope, file) === 'break') return;
  }
  const alt = node.childForFieldName('alternative');
  if (alt) execBlock(state, alt.childForFieldName('body'), scope, file);
}

/**
 * Whether a `while` loop runs its body once more: its condition's truth, or 'stop' (reported) when
 * the condition is unknown or the loop has run the iteration limit (its `else` is then not run).
 */
export function whileGoesOn(state: InterpreterState, node: Node, scope: Scope, file: string, i: number, at: Loc): boolean | 'stop' {
  if (i >= state.budget.limits.loopIterations) {
    state.report(`while loop exceeded ${state.budget.limits.loopIterations} iterations; stopped`, at);
    return 'stop';
  }
  const c = truthy(state, evalExpr(state, node.childForFieldName('condition')!, scope, file), at);
  if (c === undefined) {
    state.report('while condition is unknown; loop skipped', at);
    return 'stop';
  }
  return c;
}

/** The handler of a try statement that catches `e`, if one does (its `as` name bound). */
export function findHandler(state: InterpreterState, node: Node, e: PyException, scope: Scope, file: string): { block: Node | null; name: string | null } | undefined {
  for (const handler of node.namedChildren) {
    if (handler?.type !== 'except_clause' && handler?.type !== 'except_group_clause') continue;
    const parts = handler.namedChildren.filter((c) => c.type !== 'comment' && c.type !== 'block');
    const block = handler.namedChildren.find((c) => c.type === 'block') ?? null;
    let typeNode: Node | null = parts[0] ?? null;
    let name: string | null = null;
    if (typeNode?.type === 'as_pattern') {
      name = typeNode.namedChildren.find((c) => c.type === 'as_pattern_target')?.text ?? null;
      typeNode = typeNode.namedChildren[0] ?? null;
    } else if (parts[1]?.type === 'identifier' && handler.text.includes(' as ')) name = parts[1].text;
    if (!typeNode) return { block, name };
    const t = evalExpr(state, typeNode, scope, file);
    if (handlerMatches(state, e, t)) return { block, name };
  }
  return undefined;
}

function handlerMatches(state: InterpreterState, e: PyException, t: Value): boolean {
  if (t.k === 'tuple') return t.items.some((x) => handlerMatches(state, e, x));
  if (t.k !== 'class') return false;
  const cls = exceptionClass(state, e);
  if (cls) return isSubclass(cls, t);
  return e.type === t.name || t.name === 'BaseException' || t.name === 'Exception';
}

/** The exception object of `e` (made from its type and message when Python code never saw one). */
export function exceptionValue(state: InterpreterState, e: PyException): Value {
  if (e.value) return e.value;
  const cls = exceptionClass(state, e);
  if (!cls) return str(e.pyMessage);
  const v = state.guarded(() => call(state, cls, args(e.pyMessage ? [str(e.pyMessage)] : []), e.at));
  e.value = v;
  return v;
}

function execTry(state: InterpreterState, node: Node, scope: Scope, file: string): void {
  const finallyClause = node.namedChildren.find((c) => c?.type === 'finally_clause');
  const elseClause = node.namedChildren.find((c) => c?.type === 'else_clause');
  try {
    let caught = false;
    try {
      state.tryDepth++;
      try {
        execBlock(state, node.childForFieldName('body'), scope, file);
      } finally {
        state.tryDepth--;
      }
    } catch (e) {
      if (!(e instanceof PyException)) throw e;
      const handler = findHandler(state, node, e, scope, file);
      if (!handler) throw e;
      caught = true;
      runHandler(state, handler, e, scope, file);
    }
    if (!caught && elseClause) execBlock(state, elseClause.childForFieldName('body'), scope, file);
  } finally {
    if (finallyClause) execBlock(state, finallyClause.namedChildren.find((c) => c?.type === 'block') ?? null, scope, file);
  }
}

/** Runs an except block with the exception active (for a bare `raise`) and bound to its `as` name. */
export function runHandler(state: InterpreterState, handler: { block: Node | null; name: string | null }, e: PyException, scope: Scope, file: string): void {
  if (handler.name) bindName(state, scope, handler.name, exceptionValue(state, e));
  state.handling.push(e);
  try {
    execBlock(state, handler.block, scope, file);
  } finally {
    state.handling.pop();
    if (handler.name) declaredScope(scope, handler.name).vars.delete(handler.name);
  }
}

/** A `with` item entered: its `__exit__`, called with the exception (or Nones) when the block ends. */
export interface Entered { exit(e: PyException | null): boolean }

/** Enters a context manager: calls `__enter__`, returns its value and how to exit. */
export function enterContext(state: InterpreterState, v: Value, at: Loc): { value: Value; exit: Entered } | undefined {
  if (v.k === 'unknown') {
    state.report(`context manager is unknown (${v.reason}); the block runs without it`, at);
    return undefined;
  }
  const enter = getattrOrUndefined(state, v, '__enter__', at);
  const exit = getattrOrUndefined(state, v, '__exit__', at);
  if (!enter || !exit) {
    state.report(`'${typeName(v)}' object is not a modelled context manager; the block runs without it`, at);
    return undefined;
  }
  const value = call(state, enter, args([]), at);
  return {
    value,
    exit: {
      exit: (e) => {
        const excArgs = e ? [exceptionClass(state, e) ?? NONE, exceptionValue(state, e), NONE] : [NONE, NONE, NONE];
        const r = call(state, exit, args(excArgs), at);
        return e !== null && truthy(state, r, at) === true;
      },
    },
  };
}

function execWith(state: InterpreterState, node: Node, scope: Scope, file: string): void {
  const clause = node.namedChildren.find((c) => c?.type === 'with_clause');
  const items = (clause?.namedChildren ?? []).filter((c) => c.type === 'with_item');
  const run = (i: number): void => {
    if (i === items.length) {
      execBlock(state, node.childForFieldName('body'), scope, file);
      return;
    }
    const item = items[i];
    let valueNode = item.childForFieldName('value')!;
    let target: Node | null = null;
    if (valueNode.type === 'as_pattern') {
      target = valueNode.namedChildren.find((c) => c?.type === 'as_pattern_target')?.namedChildren[0] ?? null;
      valueNode = valueNode.namedChildren[0]!;
    }
    const at = state.loc(item, file);
    const v = evalExpr(state, valueNode, scope, file);
    const entered = enterContext(state, v, at);
    if (target) assign(state, target, entered ? entered.value : v, scope, file);
    if (!entered) return run(i + 1);
    try {
      run(i + 1);
    } catch (e) {
      if (e instanceof PyException) {
        if (entered.exit.exit(e)) return;
        throw e;
      }
      entered.exit.exit(null);
      throw e;
    }
    entered.exit.exit(null);
  };
  run(0);
}

// ── functions' scopes ─────────────────────────────────────────────────────

const declarations = new WeakMap<Node, { globals: Set<string>; nonlocals: Set<string>; generator: boolean }>();

/** A function's `global`/`nonlocal` names and whether it is a generator (its body has `yield`), read once. */
export function functionFacts(fn: Node): { globals: Set<string>; nonlocals: Set<string>; generator: boolean } {
  let d = declarations.get(fn);
  if (d) return d;
  d = { globals: new Set(), nonlocals: new Set(), generator: false };
  const body = fn.childForFieldName('body');
  // An explicit stack: a body may nest deeper than the JS stack allows (`((((…))))`).
  const stack: Node[] = body ? [body] : [];
  while (stack.length) {
    const n = stack.pop()!;
    for (const c of n.namedChildren) {
      if (c.type === 'function_definition' || c.type === 'class_definition' || c.type === 'lambda') continue;
      if (c.type === 'decorated_definition') {
        for (const dec of c.namedChildren) if (dec.type === 'decorator') stack.push(dec);
        continue;
      }
      if (c.type === 'global_statement' || c.type === 'nonlocal_statement') {
        for (const id of c.namedChildren) if (id.type === 'identifier') (c.type === 'global_statement' ? d.globals : d.nonlocals).add(id.text);
        continue;
      }
      if (c.type === 'yield') d.generator = true;
      stack.push(c);
    }
  }
  if (fn.type === 'lambda') d.globals.clear();
  declarations.set(fn, d);
  return d;
}

// ── decorators ────────────────────────────────────────────────────────────

function execDecorated(state: InterpreterState, node: Node, scope: Scope, file: string): void {
  const def = node.childForFieldName('definition')!;
  const names = decoratorNames(node);
  const v: Value = def.type === 'class_definition' ? makeClass(state, def, scope, file, names) : makeFunction(state, def, scope, file, names);
  bindName(state, scope, def.childForFieldName('name')?.text ?? '?', decorate(state, node, v, scope, file));
}

/**
 * Applies the decorators of a `decorated_definition`, innermost first, evaluating them in `scope`
 * (the class body for methods). `staticmethod`/`classmethod` mark the function they get; the
 * structural ones (typing's `overload`, `abstractmethod`, torch.jit's markers) change nothing at
 * run time. A decorator that is unknown, or fails, leaves the definition undecorated and is reported.
 */
export function decorate(state: InterpreterState, node: Node, undecorated: Value, scope: Scope, file: string): Value {
  const decorators = node.namedChildren.filter((c): c is Node => c?.type === 'decorator');
  const names = decoratorNames(node);
  const at = state.loc(node, file);
  let v = undecorated;
  for (let i = decorators.length - 1; i >= 0; i--) {
    const name = names[i];
    if (name === 'staticmethod' || name === 'classmethod') {
      v = v.k === 'func' ? (v.decorators.includes(name) ? v : { ...v, decorators: [...v.decorators, name] }) : call(state, state.lib.builtins.get(name)!, args([v]), at);
      continue;
    }
    if (STRUCTURAL_DECORATORS.some((n) => name === n || name.startsWith(`${n}(`))) continue;
    const dec = state.guarded(() => evalExpr(state, decorators[i].namedChildren[0]!, scope, file));
    if (dec.k === 'unknown') {
      state.report(`decorator @${name} is unknown (${dec.reason}); the definition is used undecorated`, at);
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

/** Decorators that change nothing a run computes (typing markers, torch.jit/compile, grad-mode markers modelled elsewhere). */
const STRUCTURAL_DECORATORS = ['torch.jit.script', 'torch.jit.ignore', 'torch.jit.unused', 'torch.jit._overload_method', 'torch.jit._overload', 'overload', 'typing.overload', 'torch.compile', 'abstractmethod', 'abc.abstractmethod', 'override', 'typing.override', 'typing_extensions.override', 'final', 'typing.final'];

export function decoratorNames(decorated: Node): string[] {
  return decorated.namedChildren.filter((c): c is Node => c?.type === 'decorator').map((d) => d.namedChildren[0]?.text ?? '');
}

export type { ClassV };
