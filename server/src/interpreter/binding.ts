import type { Node } from '../python/parser';
import { Args, DictV, FuncV, Loc, NONE, PyException, Scope, Value, list, str, tuple } from './values';

/** Binds a call's arguments to a Python function's parameters in its new local scope. */
export function bindParams(params: Node | null, fn: FuncV, a: Args, local: Scope, at: Loc): void {
  const pos = [...a.pos];
  const kw = new Map(a.kw);
  let keywordOnly = false;
  for (const p of params?.namedChildren ?? []) {
    if (!p) continue;
    switch (p.type) {
      case 'identifier':
      case 'typed_parameter':
      case 'default_parameter':
      case 'typed_default_parameter': {
        const inner = p.type === 'typed_parameter' ? p.namedChildren[0] : null;
        if (inner?.type === 'list_splat_pattern') {
          local.vars.set(inner.namedChildren[0]?.text ?? 'args', tuple(pos.splice(0)));
          keywordOnly = true;
          break;
        }
        if (inner?.type === 'dictionary_splat_pattern') {
          local.vars.set(inner.namedChildren[0]?.text ?? 'kwargs', kwDict(kw));
          kw.clear();
          break;
        }
        const name = p.type === 'identifier' ? p.text : p.type === 'typed_parameter' ? inner?.text ?? '?' : p.childForFieldName('name')!.text;
        let v: Value | undefined;
        if (!keywordOnly && pos.length > 0) v = pos.shift();
        else if (kw.has(name)) {
          v = kw.get(name);
          kw.delete(name);
        } else v = fn.defaults.get(name) ?? fn.lazyDefaults?.get(name)?.();
        if (v === undefined) throw new PyException('TypeError', `${fn.name}() missing required argument: '${name}'`, at);
        local.vars.set(name, v);
        break;
      }
      case 'list_splat_pattern':
        local.vars.set(p.namedChildren[0]?.text ?? 'args', tuple(pos.splice(0)));
        keywordOnly = true;
        break;
      case 'dictionary_splat_pattern':
        local.vars.set(p.namedChildren[0]?.text ?? 'kwargs', kwDict(kw));
        kw.clear();
        break;
      case 'keyword_separator':
        keywordOnly = true;
        break;
      default:
        break;
    }
  }
  if (pos.length > 0) throw new PyException('TypeError', `${fn.name}() takes fewer positional arguments than the ${a.pos.length} given`, at);
  if (kw.size > 0) throw new PyException('TypeError', `${fn.name}() got an unexpected keyword argument '${[...kw.keys()][0]}'`, at);
}

function kwDict(kw: Map<string, Value>): DictV {
  const d: DictV = { k: 'dict', map: new Map() };
  for (const [k, v] of kw) d.map.set(JSON.stringify(k), [str(k), v]);
  return d;
}

/** One parameter of a catalogued torch callable (server/catalog/torch-*.json). */
export interface CatalogParam {
  name: string;
  kind: 'positional' | 'normal' | 'keyword' | 'varargs' | 'varkw';
  required?: boolean;
  default?: unknown;
}

/** Converts a catalog default (JSON) to a value. */
function defaultValue(d: unknown): Value {
  if (d === null || d === undefined) return NONE;
  if (typeof d === 'boolean') return { k: 'bool', v: d };
  if (typeof d === 'number') return { k: 'num', v: d, int: Number.isInteger(d) };
  if (typeof d === 'string') return str(d);
  if (Array.isArray(d)) return tuple(d.map(defaultValue));
  return NONE;
}

/**
 * Binds a call against a catalogued signature; returns name → value with defaults filled in.
 * `*args` collects into a list value under its name.
 */
export function bindCatalog(callee: string, params: readonly CatalogParam[], a: Args, at: Loc): Map<string, Value> {
  const out = new Map<string, Value>();
  const pos = [...a.pos];
  const kw = new Map(a.kw);
  for (const p of params) {
    if (p.kind === 'varargs') {
      out.set(p.name, list(pos.splice(0)));
      continue;
    }
    if (p.kind === 'varkw') {
      const d: DictV = { k: 'dict', map: new Map() };
      for (const [k, v] of kw) d.map.set(JSON.stringify(k), [str(k), v]);
      kw.clear();
      out.set(p.name, d);
      continue;
    }
    let v: Value | undefined;
    if (p.kind !== 'keyword' && pos.length > 0) v = pos.shift();
    else if (kw.has(p.name)) {
      v = kw.get(p.name);
      kw.delete(p.name);
    }
    if (v === undefined) {
      if (p.required) throw new PyException('TypeError', `${callee}() missing required argument '${p.name}'`, at);
      v = defaultValue(p.default);
    }
    out.set(p.name, v);
  }
  if (pos.length > 0) throw new PyException('TypeError', `${callee}() takes ${params.filter((p) => p.kind !== 'keyword').length} positional arguments but ${a.pos.length} were given`, at);
  if (kw.size > 0) throw new PyException('TypeError', `${callee}() got an unexpected keyword argument '${[...kw.keys()][0]}'`, at);
  return out;
}
