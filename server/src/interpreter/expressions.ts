import type { Node } from '../python/parser';
import { bindParams } from './binding';
import { ObjectModel } from './objects';
import { ReturnSignal } from './signals';
import { enumByValue, enumMembers, isEnumClass } from './pyenum';
import {
  Args, ClassV, DictV, FALSE, FuncV, InstanceV, Lazy, Loc, NONE, Scope, TRUE, Value, args, bool, classAttr, int, lazyValue, list, mro, nativeOf, num, repr, str, tuple, typeName, unknown,
} from './values';

/** Evaluation of Python expressions, calls and assignment targets. */
export abstract class ExpressionEvaluator extends ObjectModel {
  /** Runs a block of statements (function bodies). */
  abstract execBlock(block: Node | null, scope: Scope, file: string): void;

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
  protected unpack(value: Value, n: number, starIdx: number, at: Loc): Value[] {
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

  protected evalItems(nodes: readonly (Node | null)[], scope: Scope, file: string): Value[] {
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

  protected evalDict(node: Node, scope: Scope, file: string): DictV {
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

  protected evalString(node: Node, scope: Scope, file: string): Value {
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

  protected evalComparison(node: Node, scope: Scope, file: string): Value {
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

  protected evalComprehension(node: Node, scope: Scope, file: string, isDict: boolean): (Value | [Value, Value])[] {
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

  protected evalSubscriptIndex(node: Node, scope: Scope, file: string): Value {
    const subs = node.childrenForFieldName('subscript').filter((c): c is Node => !!c);
    const vals = subs.map((s) => (s.type === 'slice' ? this.evalSlice(s, scope, file) : this.evalExpr(s, scope, file)));
    return vals.length === 1 ? vals[0] : tuple(vals);
  }

  protected evalSlice(node: Node, scope: Scope, file: string): Value {
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

  protected evalCall(node: Node, scope: Scope, file: string): Value {
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
        if (fn.tupleFields) return this.namedTuple(fn, fn.tupleFields, a, at);
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
      native.native.init(self, a, at, this.lib);
    } else if (cls.dataclassFields) {
      this.initDataclass(self, cls, a, at);
    } else if (init) {
      this.call(init.value, { pos: [self, ...a.pos], kw: a.kw }, at);
    }
    const post = classAttr(cls, '__post_init__');
    if (cls.dataclassFields && post) this.call(post.value, args([self]), at);
    return self;
  }

  /** `Point(1, y=2)` for a `collections.namedtuple` class: a tuple whose items have names. */
  private namedTuple(cls: ClassV, fields: readonly string[], a: Args, at: Loc): Value {
    const items = fields.map((f, i) => (i < a.pos.length ? a.pos[i] : a.kw.get(f)));
    const missing = fields.filter((_, i) => items[i] === undefined);
    if (missing.length || a.pos.length > fields.length) this.raise('TypeError', `${cls.name}() takes ${fields.join(', ')}; got ${a.pos.length} positional and ${[...a.kw.keys()].join(', ') || 'no'} keyword arguments`, at);
    return { k: 'tuple', items: items as Value[], fields };
  }

  protected initDataclass(self: InstanceV, cls: ClassV, a: Args, at: Loc): void {
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

/** `a` for `a`, `a.b.c`: the name an attribute chain starts from. */

function unescape(s: string): string {
  const map: Record<string, string> = { n: '\n', t: '\t', r: '\r', '\\': '\\', "'": "'", '"': '"', '0': '\0' };
  return s.length === 2 && map[s[1]] !== undefined ? map[s[1]] : s;
}

/** The name at the root of a dotted expression (`torch` for `torch.nn.init`), or null. */
function rootName(expr: Node): string | null {
  let n: Node | null = expr;
  while (n?.type === 'attribute') n = n.childForFieldName('object');
  return n?.type === 'identifier' ? n.text : null;
}
