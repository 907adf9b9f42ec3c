import { iterate } from './objects';
import { toInt } from './operators';
import type { InterpreterState } from './state';
import { braceFormat } from './stdlib/strformat';
import { Args, Loc, NONE, Value, bool, builtin, int, list, repr, str, tuple, typeName } from './values';

/** Items picked by a Python slice. */
export function sliceItems<T>(items: readonly T[], s: { start: Value; stop: Value; step: Value }): T[] {
  const n = items.length;
  const step = s.step.k === 'none' ? 1 : toInt(s.step) ?? 1;
  const norm = (v: Value, dflt: number): number => {
    if (v.k === 'none') return dflt;
    const i = toInt(v) ?? dflt;
    const j = i < 0 ? i + n : i;
    return step > 0 ? Math.min(Math.max(j, 0), n) : Math.min(Math.max(j, -1), n - 1);
  };
  const start = norm(s.start, step > 0 ? 0 : n - 1);
  const stop = norm(s.stop, step > 0 ? n : -1);
  const out: T[] = [];
  if (step > 0) for (let i = start; i < stop; i += step) out.push(items[i]);
  else for (let i = start; i > stop; i += step) out.push(items[i]);
  return out;
}

/** Methods of Python's built-in types (list.append, dict.items, str.format…). */
export function builtinMethod(state: InterpreterState, obj: Value, name: string): Value | undefined {
  const m = (fn: (a: Args, where: Loc) => Value) => builtin(`${typeName(obj)}.${name}`, fn);
  if (obj.k === 'list') {
    switch (name) {
      case 'append': return m((a) => { obj.items.push(a.pos[0] ?? NONE); return NONE; });
      case 'extend': return m((a, where) => { obj.items.push(...iterate(state, a.pos[0] ?? list([]), where)); return NONE; });
      case 'insert': return m((a) => { obj.items.splice(toInt(a.pos[0] ?? int(0)) ?? 0, 0, a.pos[1] ?? NONE); return NONE; });
      case 'pop': return m((a) => {
        const i = a.pos[0] ? toInt(a.pos[0]) ?? -1 : -1;
        const [v] = obj.items.splice(i < 0 ? obj.items.length + i : i, 1);
        return v ?? NONE;
      });
      case 'reverse': return m(() => { obj.items.reverse(); return NONE; });
      case 'copy': return m(() => list([...obj.items]));
      case 'index': return m((a) => int(obj.items.findIndex((x) => repr(x) === repr(a.pos[0] ?? NONE))));
      case 'count': return m((a) => int(obj.items.filter((x) => repr(x) === repr(a.pos[0] ?? NONE)).length));
    }
  }
  if (obj.k === 'tuple') {
    if (name === 'index') return m((a) => int(obj.items.findIndex((x) => repr(x) === repr(a.pos[0] ?? NONE))));
    if (name === 'count') return m((a) => int(obj.items.filter((x) => repr(x) === repr(a.pos[0] ?? NONE)).length));
  }
  if (obj.k === 'dict') {
    switch (name) {
      case 'items': return m(() => list([...obj.map.values()].map(([k, v]) => tuple([k, v]))));
      case 'keys': return m(() => list([...obj.map.values()].map(([k]) => k)));
      case 'values': return m(() => list([...obj.map.values()].map(([, v]) => v)));
      case 'get': return m((a) => obj.map.get(repr(a.pos[0] ?? NONE))?.[1] ?? a.pos[1] ?? NONE);
      case 'pop': return m((a) => {
        const key = repr(a.pos[0] ?? NONE);
        const e = obj.map.get(key);
        obj.map.delete(key);
        return e?.[1] ?? a.pos[1] ?? NONE;
      });
      case 'setdefault': return m((a) => {
        const key = repr(a.pos[0] ?? NONE);
        if (!obj.map.has(key)) obj.map.set(key, [a.pos[0] ?? NONE, a.pos[1] ?? NONE]);
        return obj.map.get(key)![1];
      });
      case 'update': return m((a) => {
        const d = a.pos[0];
        if (d?.k === 'dict') for (const [k, e] of d.map) obj.map.set(k, e);
        for (const [k, v] of a.kw) obj.map.set(repr(str(k)), [str(k), v]);
        return NONE;
      });
      case 'copy': return m(() => ({ k: 'dict', map: new Map(obj.map) }));
    }
  }
  if (obj.k === 'str') {
    switch (name) {
      case 'format': return m((a, where) => {
        const formatted = braceFormat(obj.v, a.pos, a.kw);
        return formatted === undefined ? state.fail(`${repr(obj)}.format() with these arguments is not modelled`, where) : str(formatted);
      });
      case 'lower': return m(() => str(obj.v.toLowerCase()));
      case 'upper': return m(() => str(obj.v.toUpperCase()));
      case 'strip': return m(() => str(obj.v.trim()));
      case 'startswith': return m((a) => bool(a.pos[0]?.k === 'str' && obj.v.startsWith(a.pos[0].v)));
      case 'endswith': return m((a) => bool(a.pos[0]?.k === 'str' && obj.v.endsWith(a.pos[0].v)));
      case 'split': return m((a) => list(obj.v.split(a.pos[0]?.k === 'str' ? a.pos[0].v : /\s+/).filter((s) => a.pos[0] || s).map(str)));
      case 'join': return m((a, where) => str(iterate(state, a.pos[0] ?? list([]), where).map((x) => (x.k === 'str' ? x.v : repr(x))).join(obj.v)));
      case 'replace': return m((a) => str(a.pos[0]?.k === 'str' && a.pos[1]?.k === 'str' ? obj.v.split(a.pos[0].v).join(a.pos[1].v) : obj.v));
    }
  }
  if (obj.k === 'num' && name === 'is_integer') return m(() => bool(Number.isInteger(obj.v)));
  return undefined;
}
