// Python string formatting (`"layer%d" % i`, `"{}_{}".format(a, b)`, f-strings): model files build
// module names with it (densenet's `"denselayer%d" % (i + 1)`), and a wrong name merges distinct layers.
import { Value, repr } from '../values';

/** Python's `repr()` of a float: shortest round-trip digits, `1.0`, `1e-05`, `inf`. */
export function floatRepr(n: number): string {
  if (Number.isNaN(n)) return 'nan';
  if (n === Infinity) return 'inf';
  if (n === -Infinity) return '-inf';
  if (Object.is(n, -0)) return '-0.0';
  const abs = Math.abs(n);
  if (abs !== 0 && (abs >= 1e16 || abs < 1e-4)) {
    // Exponent form: JS gives `1e-5`, Python `1e-05`.
    return n.toExponential().replace(/\.?0*e/, 'e').replace(/e([+-])(\d)$/, 'e$10$2');
  }
  const s = String(n);
  return /[.e]/.test(s) ? s : `${s}.0`;
}

/** `str(v)` of a value, as Python prints it (instances without a `__str__` the caller handles). */
export function pyStr(v: Value): string {
  if (v.k === 'str') return v.v;
  return pyRepr(v);
}

/** `repr(v)` as Python prints it: strings in single quotes, `True`, `None`, `1.0`. */
export function pyRepr(v: Value): string {
  switch (v.k) {
    case 'str': return strRepr(v.v);
    case 'num': return v.int ? String(v.v) : floatRepr(v.v);
    case 'bool': return v.v ? 'True' : 'False';
    case 'none': return 'None';
    case 'tuple': return `(${v.items.map(pyRepr).join(', ')}${v.items.length === 1 ? ',' : ''})`;
    case 'list': return `[${v.items.map(pyRepr).join(', ')}]`;
    case 'dict': return `{${[...v.map.values()].map(([k, x]) => `${pyRepr(k)}: ${pyRepr(x)}`).join(', ')}}`;
    case 'set': return v.map.size === 0 ? (v.frozen ? 'frozenset()' : 'set()') : `${v.frozen ? 'frozenset({' : '{'}${[...v.map.values()].map(pyRepr).join(', ')}}${v.frozen ? ')' : ''}`;
    case 'class': return `<class '${v.name}'>`;
    case 'instance': return v.base ? pyRepr(v.base) : repr(v);
    default: return repr(v);
  }
}

/** A str's repr: single quotes unless the text has one and no double quote. */
export function strRepr(s: string): string {
  const q = s.includes("'") && !s.includes('"') ? '"' : "'";
  let out = q;
  for (const c of s) {
    if (c === '\\') out += '\\\\';
    else if (c === q) out += `\\${q}`;
    else if (c === '\n') out += '\\n';
    else if (c === '\r') out += '\\r';
    else if (c === '\t') out += '\\t';
    else if (c < ' ' || c === '\x7f') out += `\\x${c.charCodeAt(0).toString(16).padStart(2, '0')}`;
    else out += c;
  }
  return out + q;
}

function numberOf(v: Value): number | undefined {
  if (v.k === 'num') return v.v;
  if (v.k === 'bool') return v.v ? 1 : 0;
  if (v.k === 'instance' && v.base) return numberOf(v.base);
  return undefined;
}

function isIntValue(v: Value): boolean {
  return (v.k === 'num' && v.int) || v.k === 'bool' || (v.k === 'instance' && !!v.base && isIntValue(v.base));
}

/** `%g`-style: precision significant digits, exponent form outside [1e-4, 10**p), trailing zeros dropped unless `alt`. */
function generalFormat(n: number, precision: number, alt: boolean, upper: boolean): string {
  if (!Number.isFinite(n)) return nonFinite(n, upper);
  const p = precision === 0 ? 1 : precision;
  if (n === 0) return alt ? `0.${'0'.repeat(p - 1)}` : '0';
  const exp = Math.floor(Math.log10(Math.abs(Number(n.toPrecision(p)))));
  let s: string;
  if (exp < -4 || exp >= p) {
    s = n.toExponential(p - 1);
    if (!alt) s = s.replace(/\.?0+e/, 'e');
    s = s.replace(/e([+-])(\d)$/, 'e$10$2');
  } else {
    s = n.toFixed(Math.max(0, p - 1 - exp));
    if (!alt && s.includes('.')) s = s.replace(/\.?0+$/, '');
  }
  return upper ? s.toUpperCase() : s;
}

function nonFinite(n: number, upper: boolean): string {
  const s = Number.isNaN(n) ? 'nan' : n > 0 ? 'inf' : '-inf';
  return upper ? s.toUpperCase() : s;
}

/** One number under a presentation type; undefined when the type does not apply to the value. */
function formatNumber(v: Value, conv: string, precision: number | undefined, alt = false): string | undefined {
  const n = numberOf(v);
  if (n === undefined) return undefined;
  switch (conv) {
    case 'd': case 'i': case 'u': case 'n':
      if (!isIntValue(v) && conv !== 'i' && conv !== 'u') return undefined;
      return String(Math.trunc(n));
    case 'f': case 'F': return Number.isFinite(n) ? n.toFixed(precision ?? 6) : nonFinite(n, conv === 'F');
    case 'e': case 'E': {
      if (!Number.isFinite(n)) return nonFinite(n, conv === 'E');
      const s = n.toExponential(precision ?? 6).replace(/e([+-])(\d)$/, 'e$10$2');
      return conv === 'E' ? s.toUpperCase() : s;
    }
    case 'g': case 'G': return generalFormat(n, precision ?? 6, alt, conv === 'G');
    case 'x': return (alt ? '0x' : '') + Math.trunc(n).toString(16);
    case 'X': return (alt ? '0X' : '') + Math.trunc(n).toString(16).toUpperCase();
    case 'o': return (alt ? '0o' : '') + Math.trunc(n).toString(8);
    case 'b': return (alt ? '0b' : '') + Math.trunc(n).toString(2);
    case '%': return Number.isFinite(n) ? `${(n * 100).toFixed(precision ?? 6)}%` : `${nonFinite(n, false)}%`;
    case 'c': return String.fromCodePoint(Math.trunc(n));
    default: return undefined;
  }
}

function pad(s: string, flags: string, width: number | undefined): string {
  if (!width || s.length >= width) return s;
  if (flags.includes('-') || flags.includes('<')) return s.padEnd(width);
  if (flags.includes('0')) return s.startsWith('-') ? `-${s.slice(1).padStart(width - 1, '0')}` : s.padStart(width, '0');
  return s.padStart(width);
}

/**
 * `format(v, spec)` for Python's format mini-language
 * (`[[fill]align][sign][z][#][0][width][grouping][.precision][type]`); `str` is the value's
 * `str()` (the caller's, which may run a `__str__`). Undefined when the spec does not apply.
 */
export function formatSpec(v: Value, spec: string, str: string): string | undefined {
  if (spec === '') return str;
  const m = /^(?:(.)?([<>=^]))?([+\- ]?)(z?)(#?)(0?)(\d*)([,_]?)(?:\.(\d+))?([bcdeEfFgGnosxX%]?)$/su.exec(spec);
  if (!m) return undefined;
  const [, fillChar, alignChar, sign, , alt, zero, w, grouping, p, type] = m;
  const width = w ? Number(w) : 0;
  const precision = p !== undefined ? Number(p) : undefined;
  const n = numberOf(v);
  const isNumber = n !== undefined && v.k !== 'str';
  let body: string;
  if (type === 's' || (type === '' && !isNumber)) {
    if (isNumber && type === 's') return undefined;
    body = precision !== undefined ? [...str].slice(0, precision).join('') : str;
  } else if (!isNumber) {
    return undefined;
  } else {
    const t = type || (isIntValue(v) ? 'd' : precision !== undefined ? 'g' : '');
    if (t === '') body = str;
    else {
      const abs = n! < 0 ? -n! : n!;
      const formatted = formatNumber({ k: 'num', v: abs, int: isIntValue(v) }, t, precision, alt === '#');
      if (formatted === undefined) return undefined;
      body = formatted;
    }
    if (t === '' && body.startsWith('-')) body = body.slice(1);
    if (grouping) {
      const [intPart, ...rest] = body.split('.');
      body = [intPart.replace(/\B(?=(\d{3})+(?!\d))/g, grouping), ...rest].join('.');
    }
    const neg = n! < 0 || Object.is(n, -0);
    const signStr = neg ? '-' : sign === '+' ? '+' : sign === ' ' ? ' ' : '';
    const align = alignChar || (zero ? '=' : '>');
    const fill = fillChar ?? (zero && !alignChar ? '0' : ' ');
    if (align === '=') return signStr + body.padStart(Math.max(0, width - signStr.length), fill);
    return aligned(signStr + body, alignChar || '>', fill, width);
  }
  return aligned(body, alignChar || '<', fillChar ?? ' ', width);
}

function aligned(s: string, align: string, fill: string, width: number): string {
  const len = [...s].length;
  if (len >= width) return s;
  const total = width - len;
  if (align === '<') return s + fill.repeat(total);
  if (align === '>') return fill.repeat(total) + s;
  const left = Math.floor(total / 2);
  return fill.repeat(left) + s + fill.repeat(total - left);
}

/** `fmt % args`; undefined when a conversion cannot be done (the caller reports it). */
export function percentFormat(fmt: string, args: Value, strOf: (v: Value) => string = pyStr): string | undefined {
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
    if (conv === 's') s = strOf(v);
    else if (conv === 'r' || conv === 'a') s = pyRepr(v);
    else if (conv === 'c') s = v.k === 'str' ? v.v : v.k === 'num' ? String.fromCharCode(v.v) : undefined;
    else s = formatNumber(v, conv === 'u' || conv === 'i' ? 'i' : conv!, precision, flags.includes('#'));
    if (s === undefined) {
      failed = true;
      return '';
    }
    if (flags.includes('+') && /^[0-9]/.test(s) && conv !== 's' && conv !== 'r') s = `+${s}`;
    return pad(s, flags, width);
  });
  return failed ? undefined : out;
}

/**
 * `fmt.format(*pos, **kw)`; undefined when a field cannot be filled. `strOf` gives a value's
 * `str()`, `attr`/`item` its `a.b` / `a[b]` fields.
 */
export function braceFormat(
  fmt: string, pos: readonly Value[], kw: ReadonlyMap<string, Value>,
  strOf: (v: Value) => string = pyStr,
  attr: (v: Value, name: string) => Value | undefined = () => undefined,
  item: (v: Value, key: Value) => Value | undefined = () => undefined,
): string | undefined {
  let auto = 0;
  let failed = false;
  const out = fmt.replace(/\{\{|\}\}|\{([^{}!:]*)(?:!([rsa]))?(?::((?:[^{}]|\{[^{}]*\})*))?\}/g, (m, field: string | undefined, conversion: string | undefined, spec: string | undefined) => {
    if (m === '{{') return '{';
    if (m === '}}') return '}';
    const fieldText = field ?? '';
    const head = /^[^.[]*/.exec(fieldText)![0];
    let v: Value | undefined = head === '' ? pos[auto++] : /^\d+$/.test(head) ? pos[Number(head)] : kw.get(head);
    for (const part of fieldText.slice(head.length).match(/\.\w+|\[[^\]]*\]/g) ?? []) {
      if (!v) break;
      if (part.startsWith('.')) v = attr(v, part.slice(1));
      else {
        const key = part.slice(1, -1);
        v = item(v, /^\d+$/.test(key) ? { k: 'num', v: Number(key), int: true } : { k: 'str', v: key });
      }
    }
    if (!v) {
      failed = true;
      return '';
    }
    // A nested field in the spec (`{:{width}}`).
    const fullSpec = (spec ?? '').replace(/\{([^{}]*)\}/g, (_x, inner: string) => {
      const iv = inner === '' ? pos[auto++] : /^\d+$/.test(inner) ? pos[Number(inner)] : kw.get(inner);
      return iv ? strOf(iv) : '';
    });
    const text = conversion === 'r' || conversion === 'a' ? pyRepr(v) : strOf(v);
    const formatted = formatSpec(conversion ? { k: 'str', v: text } : v, fullSpec, text);
    if (formatted === undefined) {
      failed = true;
      return '';
    }
    return formatted;
  });
  return failed ? undefined : out;
}
