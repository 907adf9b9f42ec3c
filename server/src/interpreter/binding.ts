// Argument binding, done one way for every callable: Python functions (their parameter list read
// once from the `def`), catalogued torch functions and layer constructors (server/catalog).
import type { Node } from '../python/parser';
import { Args, DictV, Loc, NONE, PyException, Value, str, tuple } from './values';

/**
 * One parameter of a signature, in the catalog's form (server/catalog/torch-*.json): `positional`
 * is positional-only, `normal` positional-or-keyword, `keyword` keyword-only, `varargs` `*args`,
 * `varkw` `**kwargs`. A catalogued parameter carries its default as JSON; a Python function's
 * defaults are values of its closure, looked up when a call needs them.
 */
export interface Parameter {
  readonly name: string;
  readonly kind: 'positional' | 'normal' | 'keyword' | 'varargs' | 'varkw';
  readonly required?: boolean;
  readonly default?: unknown;
}

/**
 * Binds a call's arguments to parameters, into `bound` (name → value in parameter order; a
 * function's new local variables), `*args` as a tuple and `**kwargs` as a dict. Parameters the
 * call leaves out get `defaultOf(p)`. A call Python would refuse raises the TypeError Python
 * raises, checked in CPython's order.
 */
export function bindArguments(
  callee: string, params: readonly Parameter[], a: Args, at: Loc, defaultOf: (p: Parameter) => Value | undefined, bound = new Map<string, Value>(),
): Map<string, Value> {
  // Every call of a Python function or a torch callable binds here: one pass, few allocations.
  let next = 0;
  const kw = a.kw.size > 0 ? new Map(a.kw) : null;
  const given: (Value | undefined)[] = new Array(params.length);
  let missing = false;
  for (let i = 0; i < params.length; i++) {
    const p = params[i];
    let v: Value | undefined;
    if (p.kind === 'varargs') {
      v = tuple(a.pos.slice(next));
      next = a.pos.length;
    } else if (p.kind === 'varkw') {
      v = keywordDict(kw);
      kw?.clear();
    } else if (p.kind !== 'keyword' && next < a.pos.length) v = a.pos[next++];
    else if (kw?.has(p.name)) {
      v = kw.get(p.name);
      kw.delete(p.name);
    } else missing ||= p.required === true;
    given[i] = v;
  }
  for (const name of kw?.keys() ?? []) {
    // A keyword left over names a parameter only when a positional argument already filled it.
    const filled = params.some((p) => p.name === name && p.kind !== 'varargs' && p.kind !== 'varkw');
    throw typeError(callee, filled ? `got multiple values for argument '${name}'` : `got an unexpected keyword argument '${name}'`, at);
  }
  if (next < a.pos.length) throw typeError(callee, tooManyPositional(params, a.pos.length), at);
  if (missing) {
    for (const keywordOnly of [false, true]) {
      const absent = params.filter((p, i) => given[i] === undefined && p.required && (p.kind === 'keyword') === keywordOnly);
      if (absent.length) throw missingArguments(callee, absent, keywordOnly, at);
    }
  }
  for (let i = 0; i < params.length; i++) {
    const p = params[i];
    const v = given[i] ?? defaultOf(p);
    if (v === undefined) throw missingArguments(callee, [p], p.kind === 'keyword', at);
    bound.set(p.name, v);
  }
  return bound;
}

/** The arguments a call gives, bound to `params` (those it leaves out absent): for library code with defaults of its own. */
export function bindGiven(callee: string, params: readonly Parameter[], a: Args, at: Loc): Map<string, Value> {
  const absent: Value = { k: 'none' };
  const bound = bindArguments(callee, params, a, at, () => absent);
  for (const [k, v] of bound) if (v === absent) bound.delete(k);
  return bound;
}

/** Binds a call against a catalogued signature; defaults come from the catalog. */
export function bindCatalog(callee: string, params: readonly Parameter[], a: Args, at: Loc): Map<string, Value> {
  return bindArguments(callee, params, a, at, (p) => catalogDefault(p.default));
}

/** A catalog default (JSON) as a value. */
function catalogDefault(d: unknown): Value {
  if (d === null || d === undefined) return NONE;
  if (typeof d === 'boolean') return { k: 'bool', v: d };
  if (typeof d === 'number') return { k: 'num', v: d, int: Number.isInteger(d) };
  if (typeof d === 'string') return str(d);
  if (Array.isArray(d)) return tuple(d.map(catalogDefault));
  return NONE;
}

// Calls read a function's parameters on every call; the syntax tree is walked once per `def`.
const pythonParameters = new WeakMap<Node, readonly Parameter[]>();

/** The parameters of a Python `def` or `lambda` (its syntax node), in the binder's form. */
export function parametersOf(fn: Node): readonly Parameter[] {
  let params = pythonParameters.get(fn);
  if (!params) {
    params = readParameters(fn.childForFieldName('parameters'));
    pythonParameters.set(fn, params);
  }
  return params;
}

function readParameters(list: Node | null): Parameter[] {
  const out: Parameter[] = [];
  let keywordOnly = false;
  for (const p of list?.namedChildren ?? []) {
    if (!p) continue;
    const inner = p.type === 'typed_parameter' ? p.namedChildren[0] : p;
    if (inner?.type === 'list_splat_pattern') {
      out.push({ name: inner.namedChildren[0]?.text ?? 'args', kind: 'varargs' });
      keywordOnly = true;
    } else if (inner?.type === 'dictionary_splat_pattern') {
      out.push({ name: inner.namedChildren[0]?.text ?? 'kwargs', kind: 'varkw' });
    } else if (p.type === 'keyword_separator') {
      keywordOnly = true;
    } else if (p.type === 'positional_separator') {
      out.forEach((q, i) => {
        if (q.kind === 'normal') out[i] = { ...q, kind: 'positional' };
      });
    } else if (p.type === 'identifier' || p.type === 'typed_parameter' || p.type === 'default_parameter' || p.type === 'typed_default_parameter') {
      const name = p.type === 'identifier' ? p.text : p.type === 'typed_parameter' ? inner?.text ?? '?' : p.childForFieldName('name')?.text ?? '?';
      const required = p.type !== 'default_parameter' && p.type !== 'typed_default_parameter';
      out.push({ name, kind: keywordOnly ? 'keyword' : 'normal', required });
    }
  }
  return out;
}

function keywordDict(kw: ReadonlyMap<string, Value> | null): DictV {
  const d: DictV = { k: 'dict', map: new Map() };
  for (const [k, v] of kw ?? []) d.map.set(JSON.stringify(k), [str(k), v]);
  return d;
}

function typeError(callee: string, message: string, at: Loc): PyException {
  return new PyException('TypeError', `${callee}() ${message}`, at);
}

/** "takes 2 positional arguments but 3 were given", as CPython words it. */
function tooManyPositional(params: readonly Parameter[], given: number): string {
  const positional = params.filter((p) => p.kind === 'positional' || p.kind === 'normal');
  const required = positional.filter((p) => p.required).length;
  const takes = required === positional.length
    ? `${positional.length} positional argument${positional.length === 1 ? '' : 's'}`
    : `from ${required} to ${positional.length} positional arguments`;
  return `takes ${takes} but ${given} ${given === 1 ? 'was' : 'were'} given`;
}

/** "missing 2 required positional arguments: 'a' and 'b'", as CPython words it. */
function missingArguments(callee: string, missing: readonly Parameter[], keywordOnly: boolean, at: Loc): PyException {
  const names = missing.map((p) => `'${p.name}'`);
  const listed = names.length === 1 ? names[0] : names.length === 2 ? `${names[0]} and ${names[1]}` : `${names.slice(0, -1).join(', ')}, and ${names[names.length - 1]}`;
  const kind = keywordOnly ? 'keyword-only' : 'positional';
  return typeError(callee, `missing ${missing.length} required ${kind} argument${missing.length === 1 ? '' : 's'}: ${listed}`, at);
}
