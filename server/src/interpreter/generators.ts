// Generator functions: calling one binds its arguments and returns a generator; each `next()` runs
// the body to its next `yield` (a JS generator mirrors the statements that can hold one), so a
// generator is as lazy as Python's: a loop that breaks early, a `contextlib.contextmanager` whose
// block runs between its `yield` and the rest, `send`, `throw` and `close` all behave as in Python.
import type { Node } from '../python/parser';
import { assign, evalExpr } from './expressions';
import { iterator, truthy } from './objects';
import { BreakSignal, ContinueSignal, ReturnSignal } from './signals';
import type { InterpreterState } from './state';
import { enterContext, execStmt, findHandler, loopIterator, runHandler, whileGoesOn } from './statements';
import { FuncV, IterV, Loc, NONE, PyException, Scope, Value } from './values';

type Gen = Generator<Value, void, Value | undefined>;

/** The generator a call of generator function `fn` returns; `local` holds its bound arguments. */
export function makeGenerator(state: InterpreterState, fn: FuncV, local: Scope, at: Loc): IterV {
  const body = fn.node.childForFieldName('body');
  let gen: Gen | null = null;
  let finished = false;
  const frame = { fn, scope: local };
  const resume = (how: 'next' | 'throw' | 'close', v?: unknown): Value | undefined => {
    if (finished) {
      if (how === 'throw') throw v;
      return undefined;
    }
    state.budget.enter(at);
    state.frames.push(frame);
    const saved = state.current;
    try {
      gen ??= block(state, body, local, fn.file);
      const r = how === 'throw' ? gen.throw(v) : how === 'close' ? gen.return() : gen.next(v as Value | undefined);
      if (r.done) {
        finished = true;
        return undefined;
      }
      return r.value;
    } catch (e) {
      finished = true;
      if (e instanceof ReturnSignal) return undefined;
      throw e;
    } finally {
      if (state.frames[state.frames.length - 1] === frame) state.frames.pop();
      state.current = saved;
      state.budget.leave();
    }
  };
  return {
    k: 'iter',
    name: 'generator',
    next: () => resume('next', NONE),
    gen: {
      send: (v) => resume('next', v),
      throw: (e) => resume('throw', e),
      close: () => void resume('close'),
    },
  };
}

const yieldCache = new WeakMap<Node, boolean>();

/** True when a statement has a `yield` outside nested functions and classes. */
function holdsYield(n: Node): boolean {
  let v = yieldCache.get(n);
  if (v === undefined) {
    v = false;
    const stack: Node[] = [n];
    while (stack.length && !v) {
      const c = stack.pop()!;
      if (c.type === 'yield') v = true;
      else if (c === n || (c.type !== 'function_definition' && c.type !== 'class_definition' && c.type !== 'lambda' && c.type !== 'decorated_definition')) stack.push(...c.namedChildren);
    }
    yieldCache.set(n, v);
  }
  return v;
}

function* block(state: InterpreterState, node: Node | null, scope: Scope, file: string): Gen {
  if (!node) return;
  for (const stmt of node.namedChildren) {
    if (!holdsYield(stmt)) execStmt(state, stmt, scope, file);
    else yield* statement(state, stmt, scope, file);
  }
}

function* statement(state: InterpreterState, node: Node, scope: Scope, file: string): Gen {
  const at = state.loc(node, file);
  state.budget.step(at);
  state.current = at;
  switch (node.type) {
    case 'expression_statement': {
      const inner = node.namedChildren[0];
      if (inner?.type === 'yield') {
        yield* yieldExpr(state, inner, scope, file);
        return;
      }
      const right = inner?.type === 'assignment' ? inner.childForFieldName('right') : null;
      if (right?.type === 'yield') {
        const sent = yield* yieldExpr(state, right, scope, file);
        assign(state, inner!.childForFieldName('left')!, sent, scope, file);
        return;
      }
      break;
    }
    case 'if_statement': {
      const cond = truthy(state, evalExpr(state, node.childForFieldName('condition')!, scope, file), at);
      if (cond !== false) {
        if (cond === undefined) state.report('condition is unknown; took the first branch', at);
        yield* block(state, node.childForFieldName('consequence'), scope, file);
        return;
      }
      for (const alt of node.childrenForFieldName('alternative')) {
        if (alt.type === 'elif_clause') {
          const c = truthy(state, evalExpr(state, alt.childForFieldName('condition')!, scope, file), at);
          if (c !== false) {
            if (c === undefined) state.report('condition is unknown; took this branch', state.loc(alt, file));
            yield* block(state, alt.childForFieldName('consequence'), scope, file);
            return;
          }
        } else if (alt.type === 'else_clause') {
          yield* block(state, alt.childForFieldName('body'), scope, file);
          return;
        }
      }
      return;
    }
    case 'for_statement': {
      const items = loopIterator(state, evalExpr(state, node.childForFieldName('right')!, scope, file), at);
      if (!items) return;
      let broke = false;
      let n = 0;
      for (let item = items.next(); item !== undefined; item = items.next()) {
        if (++n > state.budget.limits.loopIterations) {
          state.report(`loop exceeded ${state.budget.limits.loopIterations} iterations; stopped`, at);
          return;
        }
        assign(state, node.childForFieldName('left')!, item, scope, file);
        const r = yield* loopBody(state, node.childForFieldName('body'), scope, file);
        if (r === 'break') {
          broke = true;
          break;
        }
      }
      const alt = node.childForFieldName('alternative');
      if (!broke && alt) yield* block(state, alt.childForFieldName('body'), scope, file);
      return;
    }
    case 'while_statement': {
      for (let i = 0; ; i++) {
        const go = whileGoesOn(state, node, scope, file, i, at);
        if (go === 'stop') return;
        if (!go) break;
        if ((yield* loopBody(state, node.childForFieldName('body'), scope, file)) === 'break') return;
      }
      const alt = node.childForFieldName('alternative');
      if (alt) yield* block(state, alt.childForFieldName('body'), scope, file);
      return;
    }
    case 'try_statement': {
      const finallyClause = node.namedChildren.find((c) => c.type === 'finally_clause');
      const elseClause = node.namedChildren.find((c) => c.type === 'else_clause');
      try {
        let caught = false;
        try {
          yield* block(state, node.childForFieldName('body'), scope, file);
        } catch (e) {
          if (!(e instanceof PyException)) throw e;
          const handler = findHandler(state, node, e, scope, file);
          if (!handler) throw e;
          caught = true;
          if (handler.block && holdsYield(handler.block)) {
            state.handling.push(e);
            try {
              yield* block(state, handler.block, scope, file);
            } finally {
              state.handling.pop();
            }
          } else runHandler(state, handler, e, scope, file);
        }
        if (!caught && elseClause) yield* block(state, elseClause.childForFieldName('body'), scope, file);
      } finally {
        if (finallyClause) yield* block(state, finallyClause.namedChildren.find((c) => c.type === 'block') ?? null, scope, file);
      }
      return;
    }
    case 'with_statement': {
      const clause = node.namedChildren.find((c) => c.type === 'with_clause');
      const items = (clause?.namedChildren ?? []).filter((c) => c.type === 'with_item');
      const exits: { exit(e: PyException | null): boolean }[] = [];
      for (const item of items) {
        let valueNode = item.childForFieldName('value')!;
        let target: Node | null = null;
        if (valueNode.type === 'as_pattern') {
          target = valueNode.namedChildren.find((c) => c.type === 'as_pattern_target')?.namedChildren[0] ?? null;
          valueNode = valueNode.namedChildren[0]!;
        }
        const v = evalExpr(state, valueNode, scope, file);
        const entered = enterContext(state, v, state.loc(item, file));
        if (target) assign(state, target, entered ? entered.value : v, scope, file);
        if (entered) exits.push(entered.exit);
      }
      let pending: unknown = null;
      try {
        yield* block(state, node.childForFieldName('body'), scope, file);
      } catch (e) {
        pending = e;
      }
      for (const exit of exits.reverse()) {
        if (pending instanceof PyException) {
          if (exit.exit(pending)) pending = null;
        } else exit.exit(null);
      }
      if (pending) throw pending;
      return;
    }
    default:
      break;
  }
  state.report(`a yield inside a '${node.type}' is not modelled; the statement was skipped`, at);
}

function* loopBody(state: InterpreterState, body: Node | null, scope: Scope, file: string): Generator<Value, 'break' | 'continue', Value | undefined> {
  try {
    yield* block(state, body, scope, file);
  } catch (e) {
    if (e instanceof BreakSignal) return 'break';
    if (e instanceof ContinueSignal) return 'continue';
    throw e;
  }
  return 'continue';
}

/** `yield v` (the value sent back is its result) or `yield from it`. */
function* yieldExpr(state: InterpreterState, node: Node, scope: Scope, file: string): Generator<Value, Value, Value | undefined> {
  const at = state.loc(node, file);
  const e = node.namedChildren.find((c) => c.type !== 'comment');
  if (node.child(1)?.type === 'from') {
    const src = iterator(state, e ? evalExpr(state, e, scope, file) : NONE, at);
    for (let x = src.next(); x !== undefined; x = src.next()) {
      const sent = yield x;
      if (sent !== undefined && sent.k !== 'none' && src.gen) {
        const next = src.gen.send(sent);
        if (next === undefined) break;
        yield next;
      }
    }
    return NONE;
  }
  const sent = yield e ? evalExpr(state, e, scope, file) : NONE;
  return sent ?? NONE;
}
