import { iterate } from './objects';
import { completeRegistry } from './modules';
import { toInt } from './operators';
import type { InterpreterState } from './state';
import { braceFormat } from './stdlib/strformat';
import { Args, Loc, NONE, PyException, Value, bool, builtin, int, list, repr, str, tuple, typeName } from './values';

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
      // collections.deque is a list here.
      case 'appendleft': return m((a) => { obj.items.unshift(a.pos[0] ?? NONE); return NONE; });
      case 'popleft': return m((_a, where) => obj.items.shift() ?? raiseIndex(where));
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
      case 'get': return m((a, where) => {
        const key = a.pos[0] ?? NONE;
        let e = obj.map.get(repr(key));
        if (!e && key.k === 'str' && completeRegistry(state, key.v, where)) e = obj.map.get(repr(key));
        return e?.[1] ?? a.pos[1] ?? NONE;
      });
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
      case 'lower': case 'casefold': return m(() => str(obj.v.toLowerCase()));
      case 'upper': return m(() => str(obj.v.toUpperCase()));
      case 'title': return m(() => str(obj.v.replace(/[A-Za-z]+/g, (w) => w[0].toUpperCase() + w.slice(1).toLowerCase())));
      case 'capitalize': return m(() => str(obj.v.slice(0, 1).toUpperCase() + obj.v.slice(1).toLowerCase()));
      case 'swapcase': return m(() => str([...obj.v].map((c) => (c === c.toUpperCase() ? c.toLowerCase() : c.toUpperCase())).join('')));
      case 'strip': case 'lstrip': case 'rstrip': return m((a) => str(stripChars(obj.v, a.pos[0]?.k === 'str' ? a.pos[0].v : null, name)));
      case 'startswith': case 'endswith': return m((a) => {
        const p = a.pos[0];
        const prefixes = p?.k === 'str' ? [p.v] : p?.k === 'tuple' ? p.items.flatMap((x) => (x.k === 'str' ? [x.v] : [])) : [];
        return bool(prefixes.some((x) => (name === 'startswith' ? obj.v.startsWith(x) : obj.v.endsWith(x))));
      });
      case 'removeprefix': return m((a) => str(a.pos[0]?.k === 'str' && obj.v.startsWith(a.pos[0].v) ? obj.v.slice(a.pos[0].v.length) : obj.v));
      case 'removesuffix': return m((a) => str(a.pos[0]?.k === 'str' && a.pos[0].v && obj.v.endsWith(a.pos[0].v) ? obj.v.slice(0, -a.pos[0].v.length) : obj.v));
      case 'split': case 'rsplit': return m((a) => {
        const sep = a.pos[0] ?? a.kw.get('sep');
        const max = toInt(a.pos[1] ?? a.kw.get('maxsplit') ?? int(-1)) ?? -1;
        return list(splitString(obj.v, sep?.k === 'str' ? sep.v : null, max, name === 'rsplit').map(str));
      });
      case 'splitlines': return m(() => list(obj.v.split(/\r?\n/).filter((s, i, all) => i < all.length - 1 || s !== '').map(str)));
      case 'partition': case 'rpartition': return m((a) => {
        const sep = a.pos[0]?.k === 'str' ? a.pos[0].v : '';
        const i = name === 'partition' ? obj.v.indexOf(sep) : obj.v.lastIndexOf(sep);
        if (i < 0 || !sep) return name === 'partition' ? tuple([str(obj.v), str(''), str('')]) : tuple([str(''), str(''), str(obj.v)]);
        return tuple([str(obj.v.slice(0, i)), str(sep), str(obj.v.slice(i + sep.length))]);
      });
      case 'find': case 'index': return m((a, where) => {
        const i = a.pos[0]?.k === 'str' ? obj.v.indexOf(a.pos[0].v) : -1;
        if (i < 0 && name === 'index') throw new PyException('ValueError', 'substring not found', where);
        return int(i);
      });
      case 'rfind': case 'rindex': return m((a, where) => {
        const i = a.pos[0]?.k === 'str' ? obj.v.lastIndexOf(a.pos[0].v) : -1;
        if (i < 0 && name === 'rindex') throw new PyException('ValueError', 'substring not found', where);
        return int(i);
      });
      case 'count': return m((a) => int(a.pos[0]?.k === 'str' && a.pos[0].v ? obj.v.split(a.pos[0].v).length - 1 : 0));
      case 'isdigit': case 'isnumeric': case 'isdecimal': return m(() => bool(/^[0-9]+$/.test(obj.v)));
      case 'isalpha': return m(() => bool(/^[A-Za-z]+$/.test(obj.v)));
      case 'isalnum': return m(() => bool(/^[A-Za-z0-9]+$/.test(obj.v)));
      case 'isidentifier': return m(() => bool(/^[A-Za-z_]\w*$/.test(obj.v)));
      case 'islower': return m(() => bool(/[a-z]/.test(obj.v) && obj.v === obj.v.toLowerCase()));
      case 'isupper': return m(() => bool(/[A-Z]/.test(obj.v) && obj.v === obj.v.toUpperCase()));
      case 'isspace': return m(() => bool(/^\s+$/.test(obj.v)));
      case 'zfill': return m((a) => str(obj.v.padStart(toInt(a.pos[0] ?? int(0)) ?? 0, '0')));
      case 'ljust': case 'rjust': case 'center': return m((a) => {
        const w = toInt(a.pos[0] ?? int(0)) ?? 0;
        const fill = a.pos[1]?.k === 'str' && a.pos[1].v ? a.pos[1].v[0] : ' ';
        if (name === 'ljust') return str(obj.v.padEnd(w, fill));
        if (name === 'rjust') return str(obj.v.padStart(w, fill));
        const total = Math.max(0, w - obj.v.length);
        const left = Math.floor(total / 2) + (total % 2 && w % 2 ? 1 : 0);
        return str(fill.repeat(left) + obj.v + fill.repeat(total - left));
      });
      case 'encode': return m(() => obj);
      case 'join': return m((a, where) => str(iterate(state, a.pos[0] ?? list([]), where).map((x) => (x.k === 'str' ? x.v : repr(x))).join(obj.v)));
      case 'replace': return m((a) => str(a.pos[0]?.k === 'str' && a.pos[1]?.k === 'str' ? obj.v.split(a.pos[0].v).join(a.pos[1].v) : obj.v));
    }
  }
  if (obj.k === 'num' && name === 'is_integer') return m(() => bool(Number.isInteger(obj.v)));
  return undefined;
}

/** `str.strip/lstrip/rstrip(chars)`. */
function stripChars(s: string, chars: string | null, which: string): string {
  const drop = (c: string) => (chars === null ? /\s/.test(c) : chars.includes(c));
  let i = 0;
  let j = s.length;
  if (which !== 'rstrip') while (i < j && drop(s[i])) i++;
  if (which !== 'lstrip') while (j > i && drop(s[j - 1])) j--;
  return s.slice(i, j);
}

/** `str.split/rsplit(sep, maxsplit)`: whitespace runs when sep is None (empty parts dropped). */
function splitString(s: string, sep: string | null, max: number, fromRight: boolean): string[] {
  const parts = sep === null ? s.split(/\s+/).filter((x) => x !== '') : s.split(sep);
  if (max < 0 || parts.length <= max + 1) return parts;
  const joiner = sep ?? ' ';
  return fromRight ? [parts.slice(0, parts.length - max).join(joiner), ...parts.slice(parts.length - max)] : [...parts.slice(0, max), parts.slice(max).join(joiner)];
}

function raiseIndex(at: Loc): never {
  throw new PyException('IndexError', 'pop from an empty deque', at);
}
