// Python's operators on the values the interpreter models: arithmetic, comparison, identity and
// membership. Tensor operands go to the library; instances to their dunder methods (reflected
// ones when the left operand declines), sets to set algebra.
import { makeSet } from './builtinTypes';
import { call } from './calls';
import { bindAttr, contains, getattrOrUndefined, iterate, lookupClassAttr, pyEqualsOrUndefined, toStr, truthy } from './objects';
import type { InterpreterState } from './state';
import { percentFormat } from './stdlib/strformat';
import { InstanceV, Loc, PyException, SetV, Value, args, bool, int, list, mro, num, str, tuple, typeName, unknown } from './values';

/** An int (or bool) as a JS number; undefined for anything else. */
export function toInt(v: Value): number | undefined {
  if (v.k === 'num' && Number.isInteger(v.v)) return v.v;
  if (v.k === 'bool') return v.v ? 1 : 0;
  if (v.k === 'instance' && v.base && (v.base.k === 'num' || v.base.k === 'bool')) return toInt(v.base);
  return undefined;
}

const DUNDERS: Record<string, [string, string, string]> = {
  '+': ['__add__', '__radd__', '__iadd__'], '-': ['__sub__', '__rsub__', '__isub__'], '*': ['__mul__', '__rmul__', '__imul__'],
  '/': ['__truediv__', '__rtruediv__', '__itruediv__'], '//': ['__floordiv__', '__rfloordiv__', '__ifloordiv__'], '%': ['__mod__', '__rmod__', '__imod__'],
  '**': ['__pow__', '__rpow__', '__ipow__'], '@': ['__matmul__', '__rmatmul__', '__imatmul__'], '&': ['__and__', '__rand__', '__iand__'],
  '|': ['__or__', '__ror__', '__ior__'], '^': ['__xor__', '__rxor__', '__ixor__'], '<<': ['__lshift__', '__rlshift__', '__ilshift__'],
  '>>': ['__rshift__', '__rrshift__', '__irshift__'],
};

/** `l op r`; `inplace` for augmented assignment (`+=` extends a list in place). */
export function binaryOp(state: InterpreterState, op: string, l: Value, r: Value, at: Loc, inplace: boolean): Value {
  const bare = op.replace(/=$/, '');
  if (l.k === 'unknown') return l;
  if (r.k === 'unknown') return r;
  if (l.k === 'tensor' || r.k === 'tensor') {
    return state.lib.tensorBinary(inplace ? `${bare}=` : bare, l, r, at) ?? state.fail(`operator ${op} on tensors is not modelled`, at);
  }
  if (l.k === 'instance' || r.k === 'instance') {
    const viaDunder = instanceOp(state, bare, l, r, at, inplace);
    if (viaDunder !== undefined) return viaDunder;
    const lb = l.k === 'instance' ? l.base : l;
    const rb = r.k === 'instance' ? r.base : r;
    if (lb && rb) return binaryOp(state, op, lb, rb, at, inplace);
    throw unsupported(bare, l, r, at);
  }
  const result = primitiveOp(state, bare, l, r, at, inplace);
  if (result !== undefined) return result;
  if (bare === '|' && (l.k === 'class' || l.k === 'none' || l.k === 'builtin') && (r.k === 'class' || r.k === 'none' || r.k === 'builtin' || r.k === 'str')) return l; // `int | None` annotations
  throw unsupported(bare, l, r, at);
}

function unsupported(op: string, l: Value, r: Value, at: Loc): PyException {
  return new PyException('TypeError', `unsupported operand type(s) for ${op}: '${typeName(l)}' and '${typeName(r)}'`, at);
}

/** `l op r` where an operand is an instance: `__iop__`, `__op__`, then the right operand's `__rop__`. */
function instanceOp(state: InterpreterState, op: string, l: Value, r: Value, at: Loc, inplace: boolean): Value | undefined {
  const names = DUNDERS[op];
  if (!names) return undefined;
  const [fwd, rev, inp] = names;
  const tryCall = (obj: Value, name: string, other: Value): Value | undefined => {
    if (obj.k !== 'instance') return undefined;
    const m = getattrOrUndefined(state, obj, name, at);
    if (!m) return undefined;
    const res = call(state, m, args([other]), at);
    return isNotImplemented(res) ? undefined : res;
  };
  if (inplace) {
    const res = tryCall(l, inp, r);
    if (res !== undefined) return res;
  }
  // A right operand of a subclass of the left's class gets the first say, as in Python.
  const rFirst = l.k === 'instance' && r.k === 'instance' && r.cls !== l.cls && mro(r.cls).includes(l.cls) && ownAttr(r, rev);
  if (rFirst) {
    const res = tryCall(r, rev, l);
    if (res !== undefined) return res;
  }
  return tryCall(l, fwd, r) ?? (rFirst ? undefined : tryCall(r, rev, l));
}

function ownAttr(v: InstanceV, name: string): boolean {
  for (const c of mro(v.cls)) {
    if (c.attrs.has(name)) return true;
    if (c.builtinType) return false;
  }
  return false;
}

export function isNotImplemented(v: Value): boolean {
  return v.k === 'builtin' && v.name === 'NotImplemented';
}

function primitiveOp(state: InterpreterState, bare: string, l: Value, r: Value, at: Loc, inplace: boolean): Value | undefined {
  const a = numeric(l);
  const b = numeric(r);
  if (a !== undefined && b !== undefined) {
    const bothInt = isIntLike(l) && isIntLike(r);
    switch (bare) {
      case '+': return num(a + b, bothInt);
      case '-': return num(a - b, bothInt);
      case '*': return num(a * b, bothInt);
      case '/':
        if (b === 0) throw new PyException('ZeroDivisionError', 'division by zero', at);
        return num(a / b, false);
      case '//':
        if (b === 0) throw new PyException('ZeroDivisionError', 'integer division or modulo by zero', at);
        return num(Math.floor(a / b), bothInt);
      case '%':
        if (b === 0) throw new PyException('ZeroDivisionError', 'integer division or modulo by zero', at);
        return num(a - b * Math.floor(a / b), bothInt);
      case '**':
        if (a === 0 && b < 0) throw new PyException('ZeroDivisionError', '0.0 cannot be raised to a negative power', at);
        return num(a ** b, bothInt && b >= 0);
      case '<<': return int(a * 2 ** b);
      case '>>': return int(Math.floor(a / 2 ** b));
      case '&': return bothBool(l, r) ? bool(Boolean(a & b)) : int(Number(BigInt(a) & BigInt(b)));
      case '|': return bothBool(l, r) ? bool(Boolean(a | b)) : int(Number(BigInt(a) | BigInt(b)));
      case '^': return bothBool(l, r) ? bool(Boolean(a ^ b)) : int(Number(BigInt(a) ^ BigInt(b)));
      default: return undefined;
    }
  }
  if (l.k === 'set' && r.k === 'set') return setOp(bare, l, r, inplace);
  // A dict's keys view combines with any iterable, giving a set.
  if ((l.k === 'set' && l.view) || (r.k === 'set' && r.view)) {
    const asSet = (v: Value) => (v.k === 'set' ? { ...v, frozen: false, view: false } : makeSet(iterate(state, v, at)));
    return setOp(bare, asSet(l), asSet(r), false);
  }
  if (l.k === 'dict' && r.k === 'dict' && bare === '|') {
    if (inplace) {
      for (const [k, e] of r.map) l.map.set(k, e);
      return l;
    }
    return { k: 'dict', map: new Map([...l.map, ...r.map]), ...(l.cls ? { cls: l.cls } : {}) };
  }
  if (bare === '+') {
    if (l.k === 'str' && r.k === 'str') {
      const total = l.v.length + r.v.length;
      if (total > state.budget.limits.sequenceLength) return state.fail(`a string of ${total} characters exceeds the limit`, at);
      state.budget.charge(total, at);
      return str(l.v + r.v);
    }
    if ((l.k === 'list' && r.k === 'list') || (l.k === 'tuple' && r.k === 'tuple')) {
      const total = l.items.length + r.items.length;
      if (total > state.budget.limits.sequenceLength) return state.fail(`a sequence of ${total} items exceeds the limit`, at);
      state.budget.charge(total, at);
      if (l.k === 'tuple') return tuple(l.items.concat(r.items));
      if (inplace) {
        for (const item of r.items) l.items.push(item);
        return l;
      }
      return list(l.items.concat(r.items));
    }
    if (l.k === 'list' && inplace && (r.k === 'tuple' || r.k === 'set' || r.k === 'iter' || r.k === 'dict' || r.k === 'str')) {
      l.items.push(...iterate(state, r, at));
      return l;
    }
  }
  if (bare === '*') {
    const [seq, n] = a !== undefined && isIntLike(l) ? [r, a] : [l, isIntLike(r) ? b : undefined];
    if (n !== undefined && Number.isInteger(n)) {
      if (seq.k === 'list' || seq.k === 'tuple') {
        const total = seq.items.length * Math.max(n, 0);
        if (total > state.budget.limits.sequenceLength) return state.fail(`a sequence of ${total} items exceeds the limit`, at);
        state.budget.charge(total, at);
        const items: Value[] = seq.items.length === 1 ? new Array<Value>(total).fill(seq.items[0]) : [];
        if (seq.items.length !== 1) for (let i = 0; i < n; i++) for (const item of seq.items) items.push(item);
        if (inplace && seq.k === 'list' && seq === l) {
          l.items.splice(0, l.items.length, ...items);
          return l;
        }
        return seq.k === 'list' ? list(items) : tuple(items);
      }
      if (seq.k === 'str') {
        if (seq.v.length * n > state.budget.limits.sequenceLength) return state.fail(`a string of ${seq.v.length * n} characters exceeds the limit`, at);
        state.budget.charge(seq.v.length * n, at);
        return str(seq.v.repeat(Math.max(0, n)));
      }
    }
  }
  if (bare === '%' && l.k === 'str') {
    const formatted = percentFormat(l.v, r, (v) => toStr(state, v, at));
    return formatted === undefined ? state.fail(`string formatting ${JSON.stringify(l.v)} % ${typeName(r)} is not modelled`, at) : str(formatted);
  }
  return undefined;
}

function setOp(op: string, l: SetV, r: SetV, inplace: boolean): Value | undefined {
  let keep: [string, Value][];
  switch (op) {
    case '|': keep = [...l.map, ...[...r.map].filter(([k]) => !l.map.has(k))]; break;
    case '&': keep = [...l.map].filter(([k]) => r.map.has(k)); break;
    case '-': keep = [...l.map].filter(([k]) => !r.map.has(k)); break;
    case '^': keep = [...[...l.map].filter(([k]) => !r.map.has(k)), ...[...r.map].filter(([k]) => !l.map.has(k))]; break;
    default: return undefined;
  }
  if (inplace && !l.frozen) {
    l.map.clear();
    for (const [k, v] of keep) l.map.set(k, v);
    return l;
  }
  return makeSet(keep.map(([, v]) => v), l.frozen);
}

export function unaryOp(state: InterpreterState, op: string, v: Value, at: Loc): Value {
  if (v.k === 'unknown') return v;
  if (v.k === 'tensor') return state.lib.tensorUnary(op, v, at) ?? state.fail(`unary ${op} on tensors is not modelled`, at);
  if (v.k === 'instance') {
    const name = op === '-' ? '__neg__' : op === '+' ? '__pos__' : op === '~' ? '__invert__' : '';
    const m = name ? getattrOrUndefined(state, v, name, at) : undefined;
    if (m) return call(state, m, args([]), at);
    if (v.base) return unaryOp(state, op, v.base, at);
  }
  const a = numeric(v);
  if (a === undefined) throw new PyException('TypeError', `bad operand type for unary ${op}: '${typeName(v)}'`, at);
  if (op === '-') return num(-a, isIntLike(v));
  if (op === '+') return num(a, isIntLike(v));
  if (op === '~') return int(~a);
  return state.fail(`unary ${op} is not modelled`, at);
}

const REFLECTED: Record<string, string> = { '<': '>', '<=': '>=', '>': '<', '>=': '<=', '==': '==', '!=': '!=' };
const COMPARE_DUNDERS: Record<string, string> = { '<': '__lt__', '<=': '__le__', '>': '__gt__', '>=': '__ge__', '==': '__eq__', '!=': '__ne__' };

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
  if (op === '<>') op = '!=';
  if (l.k === 'instance' || r.k === 'instance') {
    const res = instanceCompare(state, op, l, r, at);
    if (res !== undefined) return res;
  }
  if (op === '==' || op === '!=') {
    const eq = pyEqualsOrUndefined(state, l, r, at);
    if (eq === undefined) return unknown('equality unknown', at);
    return bool(op === '==' ? eq : !eq);
  }
  const order = ordering(state, l, r, at);
  if (order === undefined) throw new PyException('TypeError', `'${op}' not supported between instances of '${typeName(l)}' and '${typeName(r)}'`, at);
  if (order === 'unknown') return unknown('comparison of unknown values', at);
  if (typeof order === 'object') {
    // Sets: subset and superset.
    switch (op) {
      case '<': return bool(order.sub && !order.sup);
      case '<=': return bool(order.sub);
      case '>': return bool(order.sup && !order.sub);
      default: return bool(order.sup);
    }
  }
  switch (op) {
    case '<': return bool(order < 0);
    case '<=': return bool(order <= 0);
    case '>': return bool(order > 0);
    default: return bool(order >= 0);
  }
}

/** A comparison on an instance: its rich-comparison dunder, the reflected one of the other operand, else its base value. */
function instanceCompare(state: InterpreterState, op: string, l: Value, r: Value, at: Loc): Value | undefined {
  const name = COMPARE_DUNDERS[op];
  if (!name) return undefined;
  // A comparison dunder a class defines (in Python or as a modelled class's method), not the built-in types' own.
  const viaPython = (obj: Value, dunder: string, other: Value): Value | undefined => {
    if (obj.k !== 'instance') return undefined;
    const m = lookupClassAttr(state, obj.cls, dunder);
    if (!m || m.owner.builtinType || (m.value.k !== 'func' && m.value.k !== 'builtin')) return undefined;
    const res = call(state, bindAttr(state, m.value, obj, obj.cls, at), args([other]), at);
    return isNotImplemented(res) ? undefined : res;
  };
  const res = viaPython(l, name, r) ?? viaPython(r, COMPARE_DUNDERS[REFLECTED[op]], l);
  if (res !== undefined) return res;
  if (op === '!=') {
    const eq = viaPython(l, '__eq__', r) ?? viaPython(r, '__eq__', l);
    if (eq !== undefined) {
      const t = truthy(state, eq, at);
      return t === undefined ? unknown('equality unknown', at) : bool(!t);
    }
  }
  const lb = l.k === 'instance' ? l.base : l;
  const rb = r.k === 'instance' ? r.base : r;
  if (lb && rb && (lb !== l || rb !== r)) return compare(state, op, lb, rb, at);
  if (op === '==' || op === '!=') return bool((l === r) === (op === '=='));
  return undefined;
}

/** Order of two values: negative, zero, positive; subset flags for sets; undefined when Python refuses. */
function ordering(state: InterpreterState, l: Value, r: Value, at: Loc): number | { sub: boolean; sup: boolean } | 'unknown' | undefined {
  const a = numeric(l);
  const b = numeric(r);
  if (a !== undefined && b !== undefined) return a < b ? -1 : a > b ? 1 : a === b ? 0 : NaN;
  if (l.k === 'str' && r.k === 'str') return l.v < r.v ? -1 : l.v > r.v ? 1 : 0;
  if (l.k === 'set' && r.k === 'set') {
    return { sub: [...l.map.keys()].every((k) => r.map.has(k)), sup: [...r.map.keys()].every((k) => l.map.has(k)) };
  }
  if ((l.k === 'tuple' && r.k === 'tuple') || (l.k === 'list' && r.k === 'list')) {
    const n = Math.min(l.items.length, r.items.length);
    for (let i = 0; i < n; i++) {
      const eq = pyEqualsOrUndefined(state, l.items[i], r.items[i], at);
      if (eq === undefined) return 'unknown';
      if (!eq) return ordering(state, l.items[i], r.items[i], at);
    }
    return l.items.length - r.items.length;
  }
  return undefined;
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
  if (a.k === 'num' && b.k === 'num') return a.v === b.v && a.int === b.int;
  if (a.k === 'str' && b.k === 'str') return a.v === b.v;
  if (a.k === 'dtype' && b.k === 'dtype') return a.v === b.v;
  if (a.k === 'builtin' && b.k === 'builtin') return a === b || a.name === b.name && a.name === 'NotImplemented';
  if (a.k === 'bound' && b.k === 'bound') return false;
  return a === b;
}
