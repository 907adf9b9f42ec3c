// Evaluation of Python expressions, and assignment to targets (names, attributes, items, unpacking).
import type { Node } from '../python/parser';
import { call } from './calls';
import { makeFunction } from './classes';
import { getattr, getitem, iterate, setattr, setitem, truthy } from './objects';
import { binaryOp, compare, unaryOp } from './operators';
import type { InterpreterState } from './state';
import { DictV, FALSE, Loc, NONE, Scope, TRUE, Value, bool, int, list, num, repr, str, tuple, unknown } from './values';

export function evalExpr(state: InterpreterState, node: Node, scope: Scope, file: string): Value {
  const at = state.loc(node, file);
  switch (node.type) {
    case 'identifier': {
      const v = scope.lookup(node.text) ?? scope.globals?.lookup(node.text) ?? state.lib.builtins.get(node.text);
      if (v === undefined) return state.fail(`name '${node.text}' is not defined`, at);
      return v;
    }
    case 'integer': {
      const t = node.text.replace(/_/g, '').toLowerCase();
      if (t.endsWith('j')) return state.fail('complex numbers are not modelled', at);
      const v = t.startsWith('0x') || t.startsWith('0o') || t.startsWith('0b') ? Number(t) : parseInt(t.replace(/l$/, ''), 10);
      return int(v);
    }
    case 'float': {
      const t = node.text.replace(/_/g, '');
      if (/j$/i.test(t)) return state.fail('complex numbers are not modelled', at);
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
      return evalString(state, node, scope, file);
    case 'concatenated_string':
      return str(node.namedChildren.map((c) => (c ? evalString(state, c, scope, file) : str(''))).map((s) => (s.k === 'str' ? s.v : '')).join(''));
    case 'parenthesized_expression':
      return node.namedChildren[0] ? evalExpr(state, node.namedChildren[0], scope, file) : tuple([]);
    case 'tuple':
    case 'expression_list':
      return tuple(evalItems(state, node.namedChildren, scope, file));
    case 'list':
      return list(evalItems(state, node.namedChildren, scope, file));
    case 'set':
      return list(evalItems(state, node.namedChildren, scope, file));
    case 'dictionary':
      return evalDict(state, node, scope, file);
    case 'attribute': {
      const obj = evalExpr(state, node.childForFieldName('object')!, scope, file);
      return getattr(state, obj, node.childForFieldName('attribute')!.text, at);
    }
    case 'subscript': {
      const obj = evalExpr(state, node.childForFieldName('value')!, scope, file);
      const idx = evalSubscriptIndex(state, node, scope, file);
      return getitem(state, obj, idx, at);
    }
    case 'call':
      return evalCall(state, node, scope, file);
    case 'binary_operator': {
      const l = evalExpr(state, node.childForFieldName('left')!, scope, file);
      const r = evalExpr(state, node.childForFieldName('right')!, scope, file);
      return binaryOp(state, node.childForFieldName('operator')!.text, l, r, at, false);
    }
    case 'unary_operator': {
      const v = evalExpr(state, node.childForFieldName('argument')!, scope, file);
      return unaryOp(state, node.childForFieldName('operator')!.text, v, at);
    }
    case 'not_operator': {
      const t = truthy(state, evalExpr(state, node.childForFieldName('argument')!, scope, file), at);
      return t === undefined ? unknown('truth value unknown', at) : bool(!t);
    }
    case 'boolean_operator': {
      const op = node.childForFieldName('operator')!.text;
      const l = evalExpr(state, node.childForFieldName('left')!, scope, file);
      const t = truthy(state, l, at);
      if (t === undefined) return unknown('truth value unknown', at);
      if (op === 'and') return t ? evalExpr(state, node.childForFieldName('right')!, scope, file) : l;
      return t ? l : evalExpr(state, node.childForFieldName('right')!, scope, file);
    }
    case 'comparison_operator':
      return evalComparison(state, node, scope, file);
    case 'conditional_expression': {
      const [a, cond, b] = node.namedChildren;
      const t = truthy(state, evalExpr(state, cond!, scope, file), at);
      if (t === undefined) {
        state.report('condition is unknown; took the first branch', at);
        return evalExpr(state, a!, scope, file);
      }
      return evalExpr(state, t ? a! : b!, scope, file);
    }
    case 'lambda':
      return makeFunction(state, node, scope, file, []);
    case 'list_comprehension':
    case 'generator_expression':
    case 'set_comprehension':
      return list(evalComprehension(state, node, scope, file, false) as Value[]);
    case 'dictionary_comprehension': {
      const d: DictV = { k: 'dict', map: new Map() };
      for (const [k, v] of evalComprehension(state, node, scope, file, true) as [Value, Value][]) d.map.set(repr(k), [k, v]);
      return d;
    }
    case 'named_expression': {
      const v = evalExpr(state, node.childForFieldName('value')!, scope, file);
      scope.vars.set(node.childForFieldName('name')!.text, v);
      return v;
    }
    case 'keyword_argument':
      return evalExpr(state, node.childForFieldName('value')!, scope, file);
    case 'await':
    case 'yield':
      return state.fail(`'${node.type}' is not modelled`, at);
    default:
      return state.fail(`expression '${node.type}' is not modelled`, at);
  }
}

/** `f(a, *rest, k=v, **opts)`: evaluates the callee and its arguments, then calls. */
function evalCall(state: InterpreterState, node: Node, scope: Scope, file: string): Value {
  const at = state.loc(node, file);
  state.current = at;
  const fn = evalExpr(state, node.childForFieldName('function')!, scope, file);
  const argNode = node.childForFieldName('arguments');
  const pos: Value[] = [];
  const kw = new Map<string, Value>();
  if (argNode?.type === 'generator_expression') pos.push(evalExpr(state, argNode, scope, file));
  else {
    for (const a of argNode?.namedChildren ?? []) {
      if (!a || a.type === 'comment') continue;
      if (a.type === 'keyword_argument') kw.set(a.childForFieldName('name')!.text, evalExpr(state, a.childForFieldName('value')!, scope, file));
      else if (a.type === 'list_splat') pos.push(...iterate(state, evalExpr(state, a.namedChildren[0]!, scope, file), at));
      else if (a.type === 'dictionary_splat') {
        const d = evalExpr(state, a.namedChildren[0]!, scope, file);
        if (d.k === 'dict') for (const [k, v] of d.map.values()) if (k.k === 'str') kw.set(k.v, v);
      } else pos.push(evalExpr(state, a, scope, file));
    }
  }
  // Evaluating the arguments may have moved `current`; the call's ops belong to this line.
  state.current = at;
  const a = { pos, kw };
  const result = call(state, fn, a, at);
  if (result.k === 'instance' && result.module) state.scriptCode?.moduleBuilt(result, node, fn, a, file);
  return result;
}

function evalItems(state: InterpreterState, nodes: readonly (Node | null)[], scope: Scope, file: string): Value[] {
  const out: Value[] = [];
  for (const n of nodes) {
    if (!n || n.type === 'comment') continue;
    if (n.type === 'list_splat' || n.type === 'list_splat_pattern') {
      const v = evalExpr(state, n.namedChildren[0]!, scope, file);
      out.push(...iterate(state, v, state.loc(n, file)));
    } else out.push(evalExpr(state, n, scope, file));
  }
  return out;
}

function evalDict(state: InterpreterState, node: Node, scope: Scope, file: string): DictV {
  const d: DictV = { k: 'dict', map: new Map() };
  for (const c of node.namedChildren) {
    if (!c) continue;
    if (c.type === 'pair') {
      const k = evalExpr(state, c.childForFieldName('key')!, scope, file);
      d.map.set(repr(k), [k, evalExpr(state, c.childForFieldName('value')!, scope, file)]);
    } else if (c.type === 'dictionary_splat') {
      const v = evalExpr(state, c.namedChildren[0]!, scope, file);
      if (v.k === 'dict') for (const [k, e] of v.map) d.map.set(k, e);
    }
  }
  return d;
}

/** A string literal, f-strings included. */
function evalString(state: InterpreterState, node: Node, scope: Scope, file: string): Value {
  if (node.type !== 'string') return evalExpr(state, node, scope, file);
  const plain = plainString(node.text);
  if (plain !== null) return str(plain);
  let out = '';
  for (const c of node.namedChildren) {
    if (!c) continue;
    if (c.type === 'string_content') out += c.text;
    else if (c.type === 'escape_sequence') out += unescape(c.text);
    else if (c.type === 'interpolation') {
      const e = c.namedChildren[0];
      const v = e ? evalExpr(state, e, scope, file) : NONE;
      out += v.k === 'str' ? v.v : v.k === 'num' ? String(v.v) : repr(v);
    }
  }
  return str(out);
}

/** `a < b <= c`: each comparison in turn, stopping at the first that is not true. */
function evalComparison(state: InterpreterState, node: Node, scope: Scope, file: string): Value {
  const at = state.loc(node, file);
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
  let left = evalExpr(state, operands[0], scope, file);
  for (let i = 0; i < ops.length; i++) {
    const right = evalExpr(state, operands[i + 1], scope, file);
    const r = compare(state, ops[i], left, right, at);
    const t = truthy(state, r, at);
    if (t !== true || i === ops.length - 1) return r;
    left = right;
  }
  return TRUE;
}

/** The items a comprehension produces (key-value pairs for a dict comprehension), unrolled within the loop budget. */
function evalComprehension(state: InterpreterState, node: Node, scope: Scope, file: string, isDict: boolean): (Value | [Value, Value])[] {
  const at = state.loc(node, file);
  const body = node.childForFieldName('body')!;
  const clauses = node.namedChildren.filter((c): c is Node => !!c && (c.type === 'for_in_clause' || c.type === 'if_clause'));
  const inner = new Scope(scope, scope.globals ?? scope);
  const out: (Value | [Value, Value])[] = [];
  const run = (i: number): void => {
    if (i === clauses.length) {
      if (isDict) {
        out.push([evalExpr(state, body.childForFieldName('key')!, inner, file), evalExpr(state, body.childForFieldName('value')!, inner, file)]);
      } else out.push(evalExpr(state, body, inner, file));
      return;
    }
    const c = clauses[i];
    if (c.type === 'if_clause') {
      const t = truthy(state, evalExpr(state, c.namedChildren[0]!, inner, file), at);
      if (t !== false) run(i + 1);
      return;
    }
    const it = evalExpr(state, c.childForFieldName('right')!, inner, file);
    if (it.k === 'unknown') {
      state.report(`comprehension over an unknown value (${it.reason})`, at);
      return;
    }
    const items = iterate(state, it, at);
    if (items.length > state.budget.limits.loopIterations) {
      state.report(`comprehension of ${items.length} items exceeds the unroll limit`, at);
      return;
    }
    for (const item of items) {
      state.budget.step(at);
      assign(state, c.childForFieldName('left')!, item, inner, file);
      run(i + 1);
    }
  };
  run(0);
  return out;
}

function evalSubscriptIndex(state: InterpreterState, node: Node, scope: Scope, file: string): Value {
  const subs = node.childrenForFieldName('subscript').filter((c): c is Node => !!c);
  const vals = subs.map((s) => (s.type === 'slice' ? evalSlice(state, s, scope, file) : evalExpr(state, s, scope, file)));
  return vals.length === 1 ? vals[0] : tuple(vals);
}

function evalSlice(state: InterpreterState, node: Node, scope: Scope, file: string): Value {
  // Children: [start] ':' [stop] [':' [step]]
  const parts: (Value | null)[] = [null, null, null];
  let slot = 0;
  for (let i = 0; i < node.childCount; i++) {
    const c = node.child(i)!;
    if (c.type === ':') slot++;
    else if (c.isNamed) parts[slot] = evalExpr(state, c, scope, file);
  }
  return { k: 'slice', start: parts[0] ?? NONE, stop: parts[1] ?? NONE, step: parts[2] ?? NONE };
}

// ── assignment targets ────────────────────────────────────────────────────

export function assign(state: InterpreterState, target: Node, value: Value, scope: Scope, file: string): void {
  const at = state.loc(target, file);
  switch (target.type) {
    case 'identifier': {
      const old = scope.vars.get(target.text);
      if (old !== undefined && old !== value) state.lib.unbound(old);
      scope.vars.set(target.text, value);
      return;
    }
    case 'attribute': {
      const obj = evalExpr(state, target.childForFieldName('object')!, scope, file);
      const name = target.childForFieldName('attribute')!.text;
      const old = obj.k === 'instance' ? obj.attrs.get(name) : undefined;
      setattr(state, obj, name, value, at);
      if (old !== undefined && old !== value) state.lib.unstored(old);
      state.lib.stored(value);
      return;
    }
    case 'subscript': {
      const obj = evalExpr(state, target.childForFieldName('value')!, scope, file);
      const idx = evalSubscriptIndex(state, target, scope, file);
      setitem(state, obj, idx, value, at);
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
      const items = unpack(state, value, targets.length, starIdx, at);
      targets.forEach((t, i) => {
        if (t.type === 'list_splat_pattern') assign(state, t.namedChildren[0]!, items[i], scope, file);
        else assign(state, t, items[i], scope, file);
      });
      return;
    }
    case 'parenthesized_expression':
      assign(state, target.namedChildren[0]!, value, scope, file);
      return;
    default:
      state.report(`assignment target '${target.type}' is not modelled`, at);
  }
}

/** Splits a value for `a, b = v` (with at most one starred target). */
function unpack(state: InterpreterState, value: Value, n: number, starIdx: number, at: Loc): Value[] {
  if (value.k === 'unknown') return new Array<Value>(n).fill(value);
  const items = iterate(state, value, at);
  if (starIdx < 0) {
    if (items.length !== n) {
      return new Array<Value>(n).fill(state.fail(`cannot unpack ${items.length} values into ${n} targets`, at));
    }
    return items;
  }
  const after = n - starIdx - 1;
  return [...items.slice(0, starIdx), list(items.slice(starIdx, items.length - after)), ...items.slice(items.length - after)];
}

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

function unescape(s: string): string {
  const map: Record<string, string> = { n: '\n', t: '\t', r: '\r', '\\': '\\', "'": "'", '"': '"', '0': '\0' };
  return s.length === 2 && map[s[1]] !== undefined ? map[s[1]] : s;
}
