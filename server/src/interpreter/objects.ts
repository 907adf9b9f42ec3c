import type { Node } from '../python/parser';
import { Budget } from './budget';
import { builtinMethod, sliceItems } from './builtinTypes';
import type { Library, UnknownEntry } from './host';
import { percentFormat } from './stdlib/strformat';
import { enumByName, enumMembers, enumMembersDict, isEnumClass } from './pyenum';
import {
  Args, BudgetExceeded, ClassV, FuncV, InstanceV, Loc, NONE, PyException, Scope, UnknownV, Value, args, bool, builtin, classAttr, int, isSubclass, list, moduleAttr, mro, nativeOf, num, repr, str, tuple, typeName, unknown,
} from './values';

/**
 * Python's object model as the interpreter sees it: attributes, items, operators, truth,
 * iteration, and the reporting of what cannot be computed. Evaluation builds on it
 * (ExpressionEvaluator), and statements and modules on that (Interpreter).
 */
export abstract class ObjectModel {
  readonly unknowns: UnknownEntry[] = [];
  private readonly seenUnknown = new Set<string>();
  /** The innermost user-code location being evaluated. */
  current: Loc = { file: '', line: 1 };
  private nextInstance = 1;
  /** Python call frames (innermost last), for `super()` without arguments. */
  readonly frames: { fn: FuncV; scope: Scope }[] = [];
  /** The class whose body defined each method (Python's `__class__` cell). */
  readonly methodOwner = new WeakMap<Node, ClassV>();
  /** `instance.name` lookups running a user `__getattr__` (a hook that reads a missing attribute of itself). */
  protected readonly inGetattr = new Set<string>();

  constructor(readonly lib: Library, readonly budget: Budget) {}

  abstract call(fn: Value, a: Args, at: Loc): Value;
  /** The `__init__` a @dataclass generates, run on `self`. */
  protected abstract initDataclass(self: InstanceV, cls: ClassV, a: Args, at: Loc): void;

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
        const nv = native?.native.attr?.(obj, name, at, this.lib);
        if (nv !== undefined) return nv;
        if (name === '__class__') return obj.cls;
        if (name === '__dict__') return { k: 'dict', map: new Map([...obj.attrs].map(([k, v]) => [repr(str(k)), [str(k), v]])) };
        return this.userGetattr(obj, name, at);
      }
      case 'class': {
        if (obj.tupleFields && name === '_fields') return tuple(obj.tupleFields.map(str));
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
              if (obj.self.k === 'instance') native.init?.(obj.self, a, where, this.lib);
              return NONE;
            });
          }
          if (c.native && name === 'forward' && c.native.forward) {
            const native = c.native;
            return builtin(`${c.name}.forward`, (a, where) => (obj.self.k === 'instance' ? native.forward!(obj.self, a, where, this.lib) : NONE));
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
          return native?.native.attr?.(obj.self, name, at, this.lib);
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
      case 'tuple':
        if (obj.fields) {
          const i = obj.fields.indexOf(name);
          if (i >= 0) return obj.items[i];
          if (name === '_fields') return tuple(obj.fields.map(str));
        }
        return builtinMethod(this, obj, name, at);
      default:
        return builtinMethod(this, obj, name, at);
    }
  }

  /** A class's own `__getattr__`, called for attributes found nowhere else (AttributeError: none). */
  protected userGetattr(obj: InstanceV, name: string, at: Loc): Value | undefined {
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

  protected bindAttr(v: Value, self: Value, at: Loc): Value {
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
      // Library classes (nn.Module, nn.Sequential…) are shared by every analysis: patching them
      // would leak into the next file analyzed.
      if (obj.native) {
        this.report(`assigning ${obj.name}.${name} on a modelled torch class is not modelled; ignored`, at);
        return;
      }
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
    if (cls.k === 'class' && cls.tupleFields) return v.k === 'tuple' && v.fields === cls.tupleFields;
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

