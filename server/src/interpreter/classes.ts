// Function and class definitions: `def` and `lambda` become functions closing over their scope,
// `class` bodies run into a namespace that becomes the class (its annotations kept for
// dataclasses, its metaclass and `__init_subclass__` honoured, enums made on top).
import type { Node } from '../python/parser';
import { call } from './calls';
import { ENUM_MARKER, isEnumClass, makeEnumMembers } from './enums';
import { evalExpr } from './expressions';
import { lookupClassAttr } from './objects';
import type { InterpreterState } from './state';
import { decorate, decoratorNames, execStmt } from './statements';
import { ClassV, DictV, FuncV, Lazy, PyException, Scope, Value, keyOf, lazyValue, mro, str } from './values';

/** A `def` or `lambda` evaluated in `scope`: its defaults now, its body at each call. */
export function makeFunction(state: InterpreterState, node: Node, scope: Scope, file: string, decorators: readonly string[]): FuncV {
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
        const at = state.loc(expr, file);
        lazyDefaults.set(name, lazyValue(() => evalExpr(state, expr, scope, file), () => state.fail('a default value that reads itself', at)));
      } else defaults.set(name, evalExpr(state, expr, scope, file));
    }
  }
  const name = node.type === 'lambda' ? '<lambda>' : node.childForFieldName('name')?.text ?? '?';
  // `__new__` is a static method, `__init_subclass__` and `__class_getitem__` class methods, without saying so.
  const implicit = name === '__new__' ? ['staticmethod'] : name === '__init_subclass__' || name === '__class_getitem__' ? ['classmethod'] : [];
  return { k: 'func', name, node, closure: scope, file, defaults, lazyDefaults, decorators: implicit.length ? [...decorators, ...implicit] : decorators };
}

/** One annotated name of a class body (`x: int = 3`), in order: dataclasses read them. */
export interface Annotation {
  readonly name: string;
  /** The annotation's source text. */
  readonly text: string;
  /** The annotation expression, the class body it is evaluated in, and its file (evaluated when first read). */
  readonly node: Node;
  readonly scope: Scope;
  readonly file: string;
}

const annotationsOf = new WeakMap<ClassV, Annotation[]>();

/** The names a class body annotates, in order (its own, not its bases'). */
export function classAnnotations(cls: ClassV): readonly Annotation[] {
  return annotationsOf.get(cls) ?? [];
}

/** A `class` statement: its bases, then its body run into a namespace, then what its metaclass, bases and decorators make of it. */
export function makeClass(state: InterpreterState, node: Node, scope: Scope, file: string, _decorators: readonly string[]): ClassV {
  const at = state.loc(node, file);
  const name = node.childForFieldName('name')?.text ?? '?';
  const bases: ClassV[] = [];
  const unknownBases: { text: string; reason: string }[] = [];
  const keywords = new Map<string, Value>();
  for (const b of node.childForFieldName('superclasses')?.namedChildren ?? []) {
    if (!b || b.type === 'comment') continue;
    if (b.type === 'keyword_argument') {
      keywords.set(b.childForFieldName('name')!.text, evalExpr(state, b.childForFieldName('value')!, scope, file));
      continue;
    }
    const v = evalExpr(state, b, scope, file);
    if (v.k === 'class') bases.push(v);
    // Reported when the class is instantiated (calls.ts instantiate): a class nothing uses costs nothing.
    else if (v.k === 'unknown') unknownBases.push({ text: b.text, reason: v.reason });
  }
  const explicitMeta = keywords.get('metaclass');
  keywords.delete('metaclass');
  const meta = explicitMeta?.k === 'class' && explicitMeta.builtinType !== 'type' ? explicitMeta : bases.map((b) => b.meta).find((m) => m !== undefined);
  const cls: ClassV = { k: 'class', name, bases, attrs: new Map(), loc: at, ...(unknownBases.length ? { unknownBases } : {}) };
  if (meta) cls.meta = meta;
  const body = new Scope(scope, scope.globals ?? scope);
  body.vars.set('__qualname__', str(name));
  // Methods close over the enclosing scope, not the class body (Python scoping).
  const bodyNode = node.childForFieldName('body');
  const annotations: Annotation[] = [];
  for (const stmt of bodyNode?.namedChildren ?? []) {
    if (!stmt) continue;
    if (stmt.type === 'function_definition') {
      state.methodOwner.set(stmt, cls);
      body.vars.set(stmt.childForFieldName('name')!.text, makeFunction(state, stmt, scope, file, []));
      continue;
    }
    if (stmt.type === 'decorated_definition') {
      const def = stmt.childForFieldName('definition')!;
      if (def.type === 'function_definition') {
        // `super()` in a method finds its class lexically, whatever its decorators wrap it in.
        state.methodOwner.set(def, cls);
        // Decorators are evaluated in the class body; the method closes over the enclosing scope.
        const fn = makeFunction(state, def, scope, file, decoratorNames(stmt));
        body.vars.set(def.childForFieldName('name')!.text, decorate(state, stmt, fn, body, file));
        continue;
      }
    }
    // Annotated names: `name: type = default` or `name: type`.
    const inner = stmt.type === 'expression_statement' ? stmt.namedChildren[0] : null;
    if (inner?.type === 'assignment' && inner.childForFieldName('type') && inner.childForFieldName('left')?.type === 'identifier') {
      const fname = inner.childForFieldName('left')!.text;
      const typeNode = inner.childForFieldName('type')!;
      annotations.push({ name: fname, text: typeNode.text, node: typeNode.type === 'type' ? typeNode.namedChildren[0] ?? typeNode : typeNode, scope: body, file });
      const right = inner.childForFieldName('right');
      if (right) {
        try {
          body.vars.set(fname, evalExpr(state, right, body, file));
        } catch (e) {
          if (e instanceof PyException) state.report(e.message, e.at);
          else throw e;
        }
      }
      continue;
    }
    try {
      execStmt(state, stmt, body, file);
    } catch (e) {
      if (e instanceof PyException) state.report(e.message, e.at);
      else throw e;
    }
  }
  for (const k of [...body.lazy.keys()]) body.force(k);
  for (const [k, v] of body.vars) cls.attrs.set(k, v);
  if (annotations.length) annotationsOf.set(cls, annotations);
  if (!cls.attrs.has('__module__')) {
    const moduleName = (scope.globals ?? scope).lookup('__name__');
    if (moduleName?.k === 'str') cls.attrs.set('__module__', moduleName);
  }
  if (isEnumClass(cls) && !cls.attrs.has(ENUM_MARKER)) makeEnumMembers(state, cls, at);
  // The metaclass's `__init__`, then the nearest base's `__init_subclass__` (with the class keywords).
  if (meta) {
    const metaInit = lookupClassAttr(state, meta, '__init__');
    if (metaInit && metaInit.value.k === 'func') {
      const ns: DictV = { k: 'dict', map: new Map([...cls.attrs].map(([k, v]) => [keyOf(str(k)), [str(k), v]])) };
      call(state, metaInit.value, { pos: [cls, str(name), { k: 'tuple', items: bases }, ns], kw: new Map() }, at);
    }
  }
  for (const c of mro(cls).slice(1)) {
    const hook = c.attrs.get('__init_subclass__');
    if (hook === undefined) continue;
    if (hook.k === 'func') call(state, hook, { pos: [cls], kw: keywords }, at);
    break;
  }
  return cls;
}

const evaluatedAnnotations = new WeakMap<ClassV, DictV>();

/**
 * `cls.__annotations__`: the class body's annotations, evaluated when first read (Python evaluates
 * them with the class body; most are never read) — kept as their source text in a file with
 * `from __future__ import annotations`, as Python keeps them. One that cannot be evaluated is its text.
 */
export function annotationsDict(state: InterpreterState, cls: ClassV): DictV {
  let d = evaluatedAnnotations.get(cls);
  if (d) return d;
  d = { k: 'dict', map: new Map() };
  for (const a of classAnnotations(cls)) {
    const v = state.futureAnnotations.has(a.file) ? str(a.text) : evalAnnotation(state, a);
    d.map.set(keyOf(str(a.name)), [str(a.name), v]);
  }
  evaluatedAnnotations.set(cls, d);
  return d;
}

function evalAnnotation(state: InterpreterState, a: Annotation): Value {
  try {
    const v = evalExpr(state, a.node, a.scope, a.file);
    return v.k === 'unknown' ? str(a.text) : v;
  } catch (e) {
    if (e instanceof PyException) return str(a.text);
    throw e;
  }
}

/** The name at the root of a dotted expression (`torch` for `torch.nn.init`), or null. */
function rootName(expr: Node): string | null {
  let n: Node | null = expr;
  while (n?.type === 'attribute') n = n.childForFieldName('object');
  return n?.type === 'identifier' ? n.text : null;
}
