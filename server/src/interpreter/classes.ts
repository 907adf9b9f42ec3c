// Function and class definitions: `def` and `lambda` become functions closing over their scope,
// `class` bodies run into a namespace that becomes the class (enums and dataclasses on top).
import type { Node } from '../python/parser';
import { DataclassField, dataclassFields, isDataclassDecorator } from './dataClasses';
import { ENUM_MARKER, isEnumClass, makeEnumMembers } from './enums';
import { evalExpr } from './expressions';
import type { InterpreterState } from './state';
import { decorate, decoratorNames, execStmt } from './statements';
import { ClassV, FuncV, Lazy, PyException, Scope, Value, lazyValue } from './values';

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
  return { k: 'func', name, node, closure: scope, file, defaults, lazyDefaults, decorators };
}

/** A `class` statement: its bases, then its body run into a namespace, then what decorators and bases make of it. */
export function makeClass(state: InterpreterState, node: Node, scope: Scope, file: string, decorators: readonly string[]): ClassV {
  const at = state.loc(node, file);
  const name = node.childForFieldName('name')?.text ?? '?';
  const bases: ClassV[] = [];
  const unknownBases: { text: string; reason: string }[] = [];
  for (const b of node.childForFieldName('superclasses')?.namedChildren ?? []) {
    if (!b || b.type === 'keyword_argument') continue;
    const v = evalExpr(state, b, scope, file);
    if (v.k === 'class') bases.push(v);
    // Reported when the class is instantiated (calls.ts instantiate): a class nothing uses costs nothing.
    else if (v.k === 'unknown') unknownBases.push({ text: b.text, reason: v.reason });
  }
  const cls: ClassV = { k: 'class', name, bases, attrs: new Map(), loc: at, ...(unknownBases.length ? { unknownBases } : {}) };
  const body = new Scope(scope, scope.globals ?? scope);
  // Methods close over the enclosing scope, not the class body (Python scoping).
  const bodyNode = node.childForFieldName('body');
  const fields: DataclassField[] = [];
  for (const stmt of bodyNode?.namedChildren ?? []) {
    if (!stmt) continue;
    if (stmt.type === 'function_definition') {
      body.vars.set(stmt.childForFieldName('name')!.text, makeFunction(state, stmt, scope, file, []));
      continue;
    }
    if (stmt.type === 'decorated_definition') {
      const def = stmt.childForFieldName('definition')!;
      if (def.type === 'function_definition') {
        // Decorators are evaluated in the class body; the method closes over the enclosing scope.
        const fn = makeFunction(state, def, scope, file, decoratorNames(stmt));
        body.vars.set(def.childForFieldName('name')!.text, decorate(state, stmt, fn, body, file));
        continue;
      }
    }
    // Dataclass fields: `name: type = default` or `name: type`.
    const inner = stmt.type === 'expression_statement' ? stmt.namedChildren[0] : null;
    if (inner?.type === 'assignment' && inner.childForFieldName('type') && inner.childForFieldName('left')?.type === 'identifier') {
      const fname = inner.childForFieldName('left')!.text;
      const right = inner.childForFieldName('right');
      const dflt = right ? evalExpr(state, right, body, file) : undefined;
      fields.push({ name: fname, dflt });
      if (dflt) body.vars.set(fname, dflt);
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
  for (const [k, v] of body.vars) {
    cls.attrs.set(k, v);
    if (v.k === 'func') state.methodOwner.set(v.node, cls);
  }
  if (!cls.attrs.has('__module__')) {
    const moduleName = (scope.globals ?? scope).lookup('__name__');
    if (moduleName?.k === 'str') cls.attrs.set('__module__', moduleName);
  }
  if (isEnumClass(cls) && !cls.attrs.has(ENUM_MARKER)) makeEnumMembers(state, cls, at);
  if (decorators.some(isDataclassDecorator)) cls.dataclassFields = dataclassFields(bases, fields);
  return cls;
}

/** The name at the root of a dotted expression (`torch` for `torch.nn.init`), or null. */
function rootName(expr: Node): string | null {
  let n: Node | null = expr;
  while (n?.type === 'attribute') n = n.childForFieldName('object');
  return n?.type === 'identifier' ? n.text : null;
}
