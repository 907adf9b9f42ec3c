// Python string formatting (`"layer%d" % i`, `"{}_{}".format(a, b)`): model files build module
// names with it (densenet's `"denselayer%d" % (i + 1)`), and a wrong name merges distinct layers.
import { Value, repr } from '../values';

/** `str(v)` of a value, as Python prints it. */
function pyStr(v: Value): string {
  if (v.k === 'str') return v.v;
  if (v.k === 'num') return v.int ? String(v.v) : Number.isInteger(v.v) ? `${v.v}.0` : String(v.v);
  return repr(v);
}

function formatNumber(v: Value, conv: string, precision: number | undefined): string | undefined {
  const n = v.k === 'num' ? v.v : v.k === 'bool' ? (v.v ? 1 : 0) : undefined;
  if (n === undefined) return undefined;
  switch (conv) {
    case 'd': case 'i': case 'u': return String(Math.trunc(n));
    case 'f': case 'F': return n.toFixed(precision ?? 6);
    case 'e': case 'E': { const s = n.toExponential(precision ?? 6).replace(/e([+-])(\d)$/, 'e$10$2'); return conv === 'E' ? s.toUpperCase() : s; }
    case 'g': case 'G': return String(Number(n.toPrecision(precision ?? 6)));
    case 'x': return Math.trunc(n).toString(16);
    case 'X': return Math.trunc(n).toString(16).toUpperCase();
    case 'o': return Math.trunc(n).toString(8);
    case '%': return `${(n * 100).toFixed(precision ?? 6)}%`;
    default: return undefined;
  }
}

function pad(s: string, flags: string, width: number | undefined): string {
  if (!width || s.length >= width) return s;
  if (flags.includes('-') || flags.includes('<')) return s.padEnd(width);
  if (flags.includes('0')) return s.startsWith('-') ? `-${s.slice(1).padStart(width - 1, '0')}` : s.padStart(width, '0');
  return s.padStart(width);
}

/** `fmt % args`; undefined when a conversion cannot be done (the caller reports it). */
export function percentFormat(fmt: string, args: Value): string | undefined {
  const items = args.k === 'tuple' ? args.items : [args];
  let next = 0;
  let failed = false;
  const out = fmt.replace(/%(\(([^)]*)\))?([-+ #0]*)(\d+)?(?:\.(\d+))?([diouxXeEfFgGcrsa%])/g, (_m, _k, key: string | undefined, flags: string, w?: string, p?: string, conv?: string) => {
    if (conv === '%') return '%';
    let v: Value | undefined;
    if (key !== undefined) v = args.k === 'dict' ? args.map.get(JSON.stringify(key))?.[1] : undefined;
    else v = items[next++];
    if (!v) {
      failed = true;
      return '';
    }
    const width = w ? Number(w) : undefined;
    const precision = p ? Number(p) : undefined;
    let s: string | undefined;
    if (conv === 's') s = pyStr(v);
    else if (conv === 'r' || conv === 'a') s = repr(v);
    else if (conv === 'c') s = v.k === 'str' ? v.v : v.k === 'num' ? String.fromCharCode(v.v) : undefined;
    else s = formatNumber(v, conv!, precision);
    if (s === undefined) {
      failed = true;
      return '';
    }
    return pad(s, flags, width);
  });
  return failed ? undefined : out;
}

/** `fmt.format(*pos, **kw)`; undefined when a field cannot be filled. */
export function braceFormat(fmt: string, pos: readonly Value[], kw: ReadonlyMap<string, Value>): string | undefined {
  let auto = 0;
  let failed = false;
  const out = fmt.replace(/\{\{|\}\}|\{([^{}!:]*)(?:![rsa])?(?::([^{}]*))?\}/g, (m, field: string | undefined, spec: string | undefined) => {
    if (m === '{{') return '{';
    if (m === '}}') return '}';
    const name = field ?? '';
    const v = name === '' ? pos[auto++] : /^\d+$/.test(name) ? pos[Number(name)] : kw.get(name);
    if (!v) {
      failed = true;
      return '';
    }
    if (!spec) return pyStr(v);
    const sm = /^([<>^]?)([+ -]?)(0?)(\d*)(?:\.(\d+))?([a-zA-Z%]?)$/.exec(spec);
    if (!sm) return pyStr(v);
    const [, align, , zero, w, p, conv] = sm;
    const s = conv && conv !== 's' ? formatNumber(v, conv, p ? Number(p) : undefined) : p && v.k === 'num' ? formatNumber(v, 'f', Number(p)) : pyStr(v);
    if (s === undefined) {
      failed = true;
      return '';
    }
    return pad(s, `${align}${zero}`, w ? Number(w) : undefined);
  });
  return failed ? undefined : out;
}
