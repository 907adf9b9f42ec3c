// Python's operators on the values the interpreter models: arithmetic, comparison, identity and
// membership. Tensor operands go to the library; instances to their dunder methods.
import { completeRegistry } from './modules';
import { call } from './calls';
import { getattrOrUndefined, truthy } from './objects';
import type { InterpreterState } from './state';
import { percentFormat } from './stdlib/strformat';
import { Loc, PyException, Value, args, bool, int, list, num, repr, str, tuple, typeName, unknown } from './values';

/** An int (or bool) as a JS number; undefined for anything else. */
export function toInt(v: Value): number | undefined {
  if (v.k === 'num' && Number.isInteger(v.v)) return v.v;
  if (v.k === 'bool') return v.v ? 1 : 0;
  return undefined;
}

/** `l op r`; `inplace` for augmented assignment (`+=` extends a list in place). */
export function binaryOp(state: InterpreterState, op: string, l: Value, r: Value, at: Loc, inplace: boolean): Value {
  const bare = op.replace(/=$/, '');
  if (l.k === 'unknown') return l;
  if (r.k === 'unknown') return r;
  if (l.k === 'tensor' || r.k === 'tensor') {
    return state.lib.tensorBinary(inplace ? `${bare}=` : bare, l, r, at) ?? state.fail(`operator ${op} on tensors is not modelled`, at);
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
        if (total > state.budget.limits.sequenceLength) return state.fail(`a sequence of ${total} items exceeds the limit`, at);
        const items: Value[] = [];
        for (let i = 0; i < n; i++) items.push(...seq.items);
        return seq.k === 'list' ? list(items) : tuple(items);
      }
      if (seq.k === 'str') return str(seq.v.repeat(Math.max(0, Math.min(n, state.budget.limits.sequenceLength))));
    }
  }
  if (bare === '%' && l.k === 'str') {
    const formatted = percentFormat(l.v, r);
    return formatted === undefined ? state.fail(`string formatting ${repr(l)} % ${repr(r)} is not modelled`, at) : str(formatted);
  }
  if (bare === '|' && l.k === 'dict' && r.k === 'dict') return { k: 'dict', map: new Map([...l.map, ...r.map]) };
  if (l.k === 'instance') {
    const m = getattrOrUndefined(state, l, dunder(bare), at);
    if (m) return call(state, m, args([r]), at);
  }
  if (bare === '|' && (l.k === 'class' || l.k === 'none' || l.k === 'builtin')) return l; // `int | None` annotations
  return state.fail(`operator ${bare} is not supported between ${typeName(l)} and ${typeName(r)}`, at);
}

export function unaryOp(state: InterpreterState, op: string, v: Value, at: Loc): Value {
  if (v.k === 'unknown') return v;
  if (v.k === 'tensor') return state.lib.tensorUnary(op, v, at) ?? state.fail(`unary ${op} on tensors is not modelled`, at);
  const a = numeric(v);
  if (a === undefined) return state.fail(`bad operand type for unary ${op}: '${typeName(v)}'`, at);
  if (op === '-') return num(-a, isIntLike(v));
  if (op === '+') return num(a, isIntLike(v));
  if (op === '~') return int(~a);
  return state.fail(`unary ${op} is not modelled`, at);
}

/** One comparison of a chain (`<`, `==`, `in`, `is not`…). */
export function compare(state: InterpreterState, op: string, l: Value, r: Value, at: Loc): Value {
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
    const found = contains(state, r, l, at);
    if (found === undefined) return unknown('membership unknown', at);
    return bool(op === 'in' ? found : !found);
  }
  if (l.k === 'tensor' || r.k === 'tensor') return state.lib.tensorBinary(op, l, r, at) ?? unknown('tensor comparison', at);
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
      if (la[i] !== ra[i]) return compare(state, op, num(la[i]!), num(ra[i]!), at);
    }
    return compare(state, op, int(la.length), int(ra.length), at);
  }
  return state.fail(`comparison ${op} between ${typeName(l)} and ${typeName(r)} is not modelled`, at);
}

/** `item in container`; undefined when it cannot be known. */
function contains(state: InterpreterState, container: Value, item: Value, at: Loc): boolean | undefined {
  switch (container.k) {
    case 'str': return item.k === 'str' ? container.v.includes(item.v) : undefined;
    case 'tuple': case 'list': return container.items.some((x) => x.k === item.k && repr(x) === repr(item));
    case 'dict':
      if (container.map.has(repr(item))) return true;
      return item.k === 'str' && completeRegistry(state, item.v, at) ? container.map.has(repr(item)) : false;
    case 'instance': {
      if (container.module && item.k === 'str') return container.module.children.has(item.v);
      const m = getattrOrUndefined(state, container, '__contains__', at);
      if (m) return truthy(state, call(state, m, args([item]), at), at);
      return undefined;
    }
    default: return undefined;
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
