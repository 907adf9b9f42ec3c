// Evaluation of Python expressions, and assignment to targets (names, attributes, items, unpacking).
import type { Node } from '../python/parser';
import { parsePython, syntaxRoot } from '../python/parser';
import { makeSet, pairsOf } from './builtinTypes';
import { call } from './calls';
import { makeFunction } from './classes';
import { getattr, getattrOrUndefined, getitem, iterate, iterator, setattr, setitem, toStr, truthy } from './objects';
import { binaryOp, compare, unaryOp } from './operators';
import type { InterpreterState } from './state';
import { formatSpec, pyRepr } from './stdlib/strformat';
import { DictV, FALSE, IterV, Loc, NONE, PyException, Scope, TRUE, Value, bool, int, keyOf, list, num, str, tuple, typeName, unknown } from './values';

export function evalExpr(state: InterpreterState, node: Node, scope: Scope, file: string): Value {
  switch (node.type) {
    case 'identifier': {
      const v = scope.lookup(node.text) ?? scope.globals?.lookup(node.text) ?? state.lib.builtins.get(node.text);
      if (v === undefined) throw new PyException('NameError', `name '${node.text}' is not defined`, state.loc(node, file));
      return v;
    }
    case 'integer': {
      const t = node.text.replace(/_/g, '').toLowerCase();
      if (t.endsWith('j')) return state.fail('complex numbers are not modelled', state.loc(node, file));
      const v = t.startsWith('0x') || t.startsWith('0o') || t.startsWith('0b') ? Number(t) : parseInt(t.replace(/l$/, ''), 10);
      return int(v);
    }
    case 'float': {
      const t = node.text.replace(/_/g, '');
      if (/j$/i.test(t)) return state.fail('complex numbers are not modelled', state.loc(node, file));
      return num(parseFloat(t), false);
    }
    case 'true':
      return TRUE;
    case 'false':
      return FALSE;
    case 'none':
      return NONE;
    case 'ellipsis':
      return state.lib.builtins.get('Ellipsis') ?? NONE;
    case 'string':
      return evalString(state, node, scope, file);
    case 'concatenated_string':
      return str(node.namedChildren.map((c) => (c ? evalString(state, c, scope, file) : str(''))).map((s) => (s.k === 'str' ? s.v : '')).join(''));
    case 'parenthesized_expression':
      return node.namedChildren[0] ? evalExpr(state, node.namedChildren.find((c) => c.type !== 'comment')!, scope, file) : tuple([]);
    case 'tuple':
    case 'expression_list':
      return tuple(evalItems(state, node.namedChildren, scope, file));
    case 'list':
      return list(evalItems(state, node.namedChildren, scope, file));
    case 'set':
      return makeSet(evalItems(state, node.namedChildren, scope, file));
    case 'dictionary':
      return evalDict(state, node, scope, file);
    case 'attribute': {
      const obj = evalExpr(state, node.childForFieldName('object')!, scope, file);
      return getattr(state, obj, node.childForFieldName('attribute')!.text, state.loc(node, file));
    }
    case 'subscript': {
      const obj = evalExpr(state, node.childForFieldName('value')!, scope, file);
      const idx = evalSubscriptIndex(state, node, scope, file);
      return getitem(state, obj, idx, state.loc(node, file));
    }
    case 'call':
      return evalCall(state, node, scope, file);
    case 'binary_operator': {
      const l = evalExpr(state, node.childForFieldName('left')!, scope, file);
      const r = evalExpr(state, node.childForFieldName('right')!, scope, file);
      return binaryOp(state, node.childForFieldName('operator')!.text, l, r, state.loc(node, file), false);
    }
    case 'unary_operator': {
      const v = evalExpr(state, node.childForFieldName('argument')!, scope, file);
      return unaryOp(state, node.childForFieldName('operator')!.text, v, state.loc(node, file));
    }
    case 'not_operator': {
      const at = state.loc(node, file);
      const t = truthy(state, evalExpr(state, node.childForFieldName('argument')!, scope, file), at);
      return t === undefined ? unknown('truth value unknown', at) : bool(!t);
    }
    case 'boolean_operator': {
      const at = state.loc(node, file);
      const op = node.childForFieldName('operator')!.text;
      const l = evalExpr(state, node.childForFieldName('left')!, scope, file);
      const t = truthy(state, l, at);
      if (t === undefined) return l.k === 'unknown' ? l : unknown('truth value unknown', at);
      if (op === 'and') return t ? evalExpr(state, node.childForFieldName('right')!, scope, file) : l;
      return t ? l : evalExpr(state, node.childForFieldName('right')!, scope, file);
    }
    case 'comparison_operator':
      return evalComparison(state, node, scope, file);
    case 'conditional_expression': {
      const at = state.loc(node, file);
      const [a, cond, b] = node.namedChildren.filter((c) => c.type !== 'comment');
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
      return list(collect(comprehension(state, node, scope, file, false) as Generator<Value>));
    case 'set_comprehension':
      return makeSet(collect(comprehension(state, node, scope, file, false) as Generator<Value>));
    case 'generator_expression':
      return lazyIterator('generator', comprehension(state, node, scope, file, false) as Generator<Value>);
    case 'dictionary_comprehension': {
      const d: DictV = { k: 'dict', map: new Map() };
      for (const [k, v] of collect(comprehension(state, node, scope, file, true) as Generator<[Value, Value]>)) d.map.set(keyOf(k), [k, v]);
      return d;
    }
    case 'named_expression': {
      const v = evalExpr(state, node.childForFieldName('value')!, scope, file);
      // `:=` in a comprehension binds in the enclosing function's scope.
      let target = scope;
      while (target.comprehension && target.parent) target = target.parent;
      bindName(state, target, node.childForFieldName('name')!.text, v);
      return v;
    }
    case 'keyword_argument':
      return evalExpr(state, node.childForFieldName('value')!, scope, file);
    // Annotations: `type[A] | None` parses as type nodes (evaluated as the expression they spell).
    case 'type':
      return evalExpr(state, node.namedChildren.find((c) => c.type !== 'comment')!, scope, file);
    case 'union_type': {
      const [l, r] = node.namedChildren.filter((c) => c.type !== 'comment');
      return binaryOp(state, '|', evalExpr(state, l, scope, file), evalExpr(state, r, scope, file), state.loc(node, file), false);
    }
    case 'generic_type': {
      const [base, params] = node.namedChildren.filter((c) => c.type !== 'comment');
      const b = evalExpr(state, base, scope, file);
      const items = (params?.namedChildren ?? []).filter((c) => c.type !== 'comment').map((c) => evalExpr(state, c, scope, file));
      return getitem(state, b, items.length === 1 ? items[0] : tuple(items), state.loc(node, file));
    }
    case 'yield':
      return state.fail('yield inside an expression is not modelled (only `yield x`, `x = yield y` and `yield from` statements)', state.loc(node, file));
    case 'await':
      return state.fail(`'await' is not modelled`, state.loc(node, file));
    default:
      return state.fail(`expression '${node.type}' is not modelled`, state.loc(node, file));
  }
}

/** Evaluates Python source text as an expression (a string annotation) in `scope`; an unknown when it does not parse or fails. */
export function evalSource(state: InterpreterState, text: string, scope: Scope, file: string, at: Loc): Value {
  const tree = parsePython(text);
  try {
    const root = syntaxRoot(tree);
    const stmt = root.namedChildren[0];
    const expr = stmt?.type === 'expression_statement' ? stmt.namedChildren[0] : null;
    if (root.hasError || !expr || root.namedChildren.length !== 1) return unknown(`cannot evaluate ${JSON.stringify(text)}`, at);
    return state.guarded(() => evalExpr(state, expr, scope, file));
  } finally {
    tree.delete();
  }
}

/** A comprehension's items, each produced when asked for (a generator expression is lazy, as in Python). */
function collect<T>(gen: Generator<T>): T[] {
  const out: T[] = [];
  for (const x of gen) out.push(x);
  return out;
}

/** A Python iterator over a JS generator's items. */
export function lazyIterator(name: string, gen: Generator<Value>): IterV {
  let done = false;
  return {
    k: 'iter', name, next: () => {
      if (done) return undefined;
      const r = gen.next();
      if (r.done) {
        done = true;
        return undefined;
      }
      return r.value;
    },
  };
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
      if (a.type === 'keyword_argument') {
        const name = a.childForFieldName('name')!.text;
        if (kw.has(name)) throw new PyException('SyntaxError', `keyword argument repeated: ${name}`, at);
        kw.set(name, evalExpr(state, a.childForFieldName('value')!, scope, file));
      } else if (a.type === 'list_splat') pos.push(...iterate(state, evalExpr(state, a.namedChildren[0]!, scope, file), at));
      else if (a.type === 'dictionary_splat') {
        const d = evalExpr(state, a.namedChildren[0]!, scope, file);
        if (d.k === 'unknown') {
          state.report(`keyword arguments from an unknown value (${d.reason}) are left out`, at);
          continue;
        }
        for (const [k, v] of pairsOf(state, d, at)) {
          const name = k.k === 'str' ? k.v : k.k === 'instance' && k.base?.k === 'str' ? k.base.v : undefined;
          if (name === undefined) throw new PyException('TypeError', 'keywords must be strings', at);
          if (kw.has(name)) throw new PyException('TypeError', `got multiple values for keyword argument '${name}'`, at);
          kw.set(name, v);
        }
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
      d.map.set(keyOf(k), [k, evalExpr(state, c.childForFieldName('value')!, scope, file)]);
    } else if (c.type === 'dictionary_splat') {
      const v = evalExpr(state, c.namedChildren[0]!, scope, file);
      if (v.k === 'unknown') {
        state.report(`entries of an unknown value (${v.reason}) are left out of the dict`, state.loc(c, file));
        continue;
      }
      for (const [k, x] of pairsOf(state, v, state.loc(c, file))) d.map.set(keyOf(k), [k, x]);
    }
  }
  return d;
}

/** A string literal, f-strings included. */
function evalString(state: InterpreterState, node: Node, scope: Scope, file: string): Value {
  if (node.type !== 'string') return evalExpr(state, node, scope, file);
  const plain = plainString(node.text);
  if (plain !== null) return str(plain);
  const raw = /^[a-zA-Z]*[rR]/.test(node.text);
  let out = '';
  for (const c of node.namedChildren) {
    if (!c) continue;
    if (c.type === 'string_content') out += contentOf(c, raw);
    else if (c.type === 'escape_sequence') out += raw ? c.text : unescape(c.text);
    else if (c.type === 'interpolation') out += interpolate(state, c, scope, file);
  }
  return str(out);
}

/** A string part's text with its escapes (`\n`, `{{` in an f-string) decoded. */
function contentOf(c: Node, raw: boolean): string {
  const parts = c.namedChildren;
  if (!parts.length) return c.text;
  let out = '';
  let rest = c.text;
  for (const p of parts) {
    const i = rest.indexOf(p.text);
    if (i < 0) continue;
    out += rest.slice(0, i);
    out += p.type === 'escape_interpolation' ? p.text[0] : raw ? p.text : unescape(p.text);
    rest = rest.slice(i + p.text.length);
  }
  return out + rest;
}

/** One `{expr!conv:spec}` of an f-string. */
function interpolate(state: InterpreterState, c: Node, scope: Scope, file: string): string {
  const at = state.loc(c, file);
  const e = c.namedChildren.find((x) => x.type !== 'type_conversion' && x.type !== 'format_specifier' && x.type !== 'comment');
  const v = e ? evalExpr(state, e, scope, file) : NONE;
  const conv = c.namedChildren.find((x) => x.type === 'type_conversion')?.text;
  const specNode = c.namedChildren.find((x) => x.type === 'format_specifier');
  let prefix = '';
  for (let i = 0; i < c.childCount; i++) if (c.child(i)!.type === '=') prefix = `${e?.text ?? ''}=`;
  if (v.k === 'unknown') return `<unknown>`;
  let text = conv === '!r' || conv === '!a' || (prefix && !conv && !specNode) ? pyRepr(v) : toStr(state, v, at);
  if (!specNode) return prefix + text;
  // The spec's text, with its nested `{…}` fields replaced by their values.
  let spec = '';
  let rest = specNode.text.replace(/^:/, '');
  for (const fe of specNode.namedChildren.filter((x) => x.type === 'format_expression')) {
    const i = rest.indexOf(fe.text);
    if (i < 0) continue;
    const inner = fe.namedChildren[0];
    spec += rest.slice(0, i) + (inner ? toStr(state, evalExpr(state, inner, scope, file), at) : '');
    rest = rest.slice(i + fe.text.length);
  }
  spec += rest;
  const formatted = conv ? formatSpec(str(text), spec, text) : formatValue(state, v, spec, text, at);
  if (formatted === undefined) throw new PyException('ValueError', `Invalid format specifier '${spec}' for object of type '${typeName(v)}'`, at);
  text = formatted;
  return prefix + text;
}

/** `format(v, spec)`: an instance's own `__format__`, else the format mini-language. */
export function formatValue(state: InterpreterState, v: Value, spec: string, text: string, at: Loc): string | undefined {
  if (v.k === 'instance') {
    const m = getattrOrUndefined(state, v, '__format__', at);
    if (m && m.k === 'bound' && m.fn.k === 'func') {
      const r = call(state, m, { pos: [str(spec)], kw: new Map() }, at);
      return r.k === 'str' ? r.v : undefined;
    }
    if (v.base) return formatSpec(v.base, spec, text);
  }
  return formatSpec(v, spec, text);
}

/** `a < b <= c`: each comparison in turn, stopping at the first that is not true. */
function evalComparison(state: InterpreterState, node: Node, scope: Scope, file: string): Value {
  const at = state.loc(node, file);
  const operands = node.namedChildren.filter((c): c is Node => !!c && c.type !== 'comment');
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
    if (i === ops.length - 1) return r;
    const t = truthy(state, r, at);
    if (t !== true) return t === undefined ? (r.k === 'unknown' ? r : unknown('truth value unknown', at)) : r;
    left = right;
  }
  return TRUE;
}

/**
 * The items a comprehension produces (key-value pairs for a dict comprehension), one at a time.
 * Its variables live in a scope of their own; the first iterable is evaluated where the
 * comprehension is (as Python does), when the first item is asked for.
 */
function* comprehension(state: InterpreterState, node: Node, scope: Scope, file: string, isDict: boolean): Generator<Value | [Value, Value]> {
  const at = state.loc(node, file);
  const body = node.childForFieldName('body')!;
  const clauses = node.namedChildren.filter((c): c is Node => !!c && (c.type === 'for_in_clause' || c.type === 'if_clause'));
  const inner = new Scope(scope, scope.globals ?? scope);
  inner.comprehension = true;
  let produced = 0;
  function* run(i: number): Generator<Value | [Value, Value]> {
    if (i === clauses.length) {
      if (++produced > state.budget.limits.loopIterations) {
        state.report(`comprehension of more than ${state.budget.limits.loopIterations} items exceeds the unroll limit`, at);
        return;
      }
      if (isDict) yield [evalExpr(state, body.childForFieldName('key')!, inner, file), evalExpr(state, body.childForFieldName('value')!, inner, file)];
      else yield evalExpr(state, body, inner, file);
      return;
    }
    const c = clauses[i];
    if (c.type === 'if_clause') {
      const cond = evalExpr(state, c.namedChildren[0]!, inner, file);
      const t = truthy(state, cond, at);
      if (t === undefined) state.report(`comprehension condition is unknown (${cond.k === 'unknown' ? cond.reason : 'truth value unknown'}); the item is kept`, at);
      if (t !== false) yield* run(i + 1);
      return;
    }
    const it = evalExpr(state, c.childForFieldName('right')!, i === 0 ? scope : inner, file);
    if (it.k === 'unknown') {
      state.report(`comprehension over an unknown value (${it.reason})`, at);
      return;
    }
    const items = iterator(state, it, at);
    for (let item = items.next(); item !== undefined; item = items.next()) {
      state.budget.step(at);
      assign(state, c.childForFieldName('left')!, item, inner, file);
      yield* run(i + 1);
    }
  }
  yield* run(0);
}

function evalSubscriptIndex(state: InterpreterState, node: Node, scope: Scope, file: string): Value {
  const subs = node.childrenForFieldName('subscript').filter((c): c is Node => !!c && c.type !== 'comment');
  const vals = subs.map((s) => (s.type === 'slice' ? evalSlice(state, s, scope, file) : evalExpr(state, s, scope, file)));
  return vals.length === 1 && !/,\s*\]$/.test(node.text) ? vals[0] : tuple(vals);
}

function evalSlice(state: InterpreterState, node: Node, scope: Scope, file: string): Value {
  // Children: [start] ':' [stop] [':' [step]]
  const parts: (Value | null)[] = [null, null, null];
  let slot = 0;
  for (let i = 0; i < node.childCount; i++) {
    const c = node.child(i)!;
    if (c.type === ':') slot++;
    else if (c.isNamed && c.type !== 'comment') parts[slot] = evalExpr(state, c, scope, file);
  }
  return { k: 'slice', start: parts[0] ?? NONE, stop: parts[1] ?? NONE, step: parts[2] ?? NONE };
}

// ── assignment targets ────────────────────────────────────────────────────

/** Binds `name` in `scope`, or where a `global`/`nonlocal` declaration of the scope says. */
export function bindName(state: InterpreterState, scope: Scope, name: string, value: Value): void {
  const target = declaredScope(scope, name);
  const old = target.vars.get(name);
  if (old !== undefined && old !== value) state.lib.unbound(old);
  target.vars.set(name, value);
  target.lazy.delete(name);
}

/** The scope an assignment to `name` in `scope` binds in. */
export function declaredScope(scope: Scope, name: string): Scope {
  if (scope.globalNames?.has(name)) return scope.globals ?? scope;
  if (scope.nonlocalNames?.has(name)) {
    for (let s = scope.parent; s; s = s.parent) if (s.vars.has(name) && s !== s.globals) return s;
  }
  return scope;
}

export function assign(state: InterpreterState, target: Node, value: Value, scope: Scope, file: string): void {
  switch (target.type) {
    case 'identifier':
      bindName(state, scope, target.text, value);
      return;
    case 'attribute': {
      const at = state.loc(target, file);
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
      setitem(state, obj, idx, value, state.loc(target, file));
      return;
    }
    case 'pattern_list':
    case 'tuple_pattern':
    case 'list_pattern':
    case 'expression_list':
    case 'tuple':
    case 'list': {
      const at = state.loc(target, file);
      const targets = target.namedChildren.filter((c): c is Node => !!c && c.type !== 'comment');
      const starIdx = targets.findIndex((t) => t.type === 'list_splat_pattern' || t.type === 'list_splat');
      const items = unpack(state, value, targets.length, starIdx, at);
      targets.forEach((t, i) => {
        if (t.type === 'list_splat_pattern' || t.type === 'list_splat') assign(state, t.namedChildren[0]!, items[i], scope, file);
        else assign(state, t, items[i], scope, file);
      });
      return;
    }
    case 'parenthesized_expression':
      assign(state, target.namedChildren.find((c) => c.type !== 'comment')!, value, scope, file);
      return;
    default:
      state.report(`assignment target '${target.type}' is not modelled`, state.loc(target, file));
  }
}

/** Splits a value for `a, b = v` (with at most one starred target). */
function unpack(state: InterpreterState, value: Value, n: number, starIdx: number, at: Loc): Value[] {
  if (value.k === 'unknown') return new Array<Value>(n).fill(value);
  const items = iterate(state, value, at);
  if (starIdx < 0) {
    if (items.length !== n) {
      throw new PyException('ValueError', items.length > n ? `too many values to unpack (expected ${n})` : `not enough values to unpack (expected ${n}, got ${items.length})`, at);
    }
    return items;
  }
  const after = n - starIdx - 1;
  if (items.length < n - 1) throw new PyException('ValueError', `not enough values to unpack (expected at least ${n - 1}, got ${items.length})`, at);
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

/** One escape sequence's character(s). */
function unescape(s: string): string {
  const map: Record<string, string> = { n: '\n', t: '\t', r: '\r', '\\': '\\', "'": "'", '"': '"', a: '\x07', b: '\b', f: '\f', v: '\v', '\n': '' };
  if (s.length === 2 && map[s[1]] !== undefined) return map[s[1]];
  const hex = /^\\(?:x([0-9a-fA-F]{2})|u([0-9a-fA-F]{4})|U([0-9a-fA-F]{8}))$/.exec(s);
  if (hex) return String.fromCodePoint(parseInt(hex[1] ?? hex[2] ?? hex[3], 16));
  const oct = /^\\([0-7]{1,3})$/.exec(s);
  if (oct) return String.fromCharCode(parseInt(oct[1], 8));
  return s;
}
