// The standard library's system-facing modules library code imports at load time: os and
// os.path (the real environment and file system, read-only), importlib (what the user's
// environment has installed, and its versions), json, re (Python patterns on JS regular
// expressions), itertools, contextlib, plus packaging.version and huggingface_hub's few names
// transformers' model code needs (those packages are not read: see modules.ts NOT_READ).
import * as fs from 'fs';
import { readRegularFile } from '../files';
import * as os from 'os';
import * as path from 'path';
import { listIterator, makeDict } from '../builtinTypes';
import { call } from '../calls';
import { lazyIterator } from '../expressions';
import { getattrOrUndefined, iterate, iterator, truthy } from '../objects';
import { toInt } from '../operators';
import type { InterpreterState } from '../state';
import type { TorchLibrary } from '../torch/library';
import {
  Args, ClassV, DictV, InstanceV, IterV, Loc, ModuleV, NONE, PyException, Value, args, bool, builtin, builtinMethodOf, int, keyOf, list, num, raise, str, tuple, typeName,
} from '../values';
import { pyClass } from './builtins';
import { pyRepr } from './strformat';

const fn = (name: string, f: (a: Args, at: Loc) => Value) => builtin(name, f);
const strOf = (v: Value | undefined): string | undefined => (v?.k === 'str' ? v.v : v?.k === 'instance' && v.base?.k === 'str' ? v.base.v : undefined);

export function systemModules(lib: TorchLibrary): [string, Value][] {
  const st = (): InterpreterState => lib.interp.state;
  const osPath = osPathModule(lib);
  // The environment a script sees is empty but for HOME: launcher variables (RANK, WORLD_SIZE) and
  // switches in the editor's own environment must not change the numbers from one machine to another.
  const environ = makeDict(process.env.HOME ? [[str('HOME'), str(process.env.HOME)]] : []);
  const pathLike = pyClass('PathLike');
  pathLike.attrs.set('__abc__', bool(true));
  const osModule = lib.ns('os', {
    environ, path: osPath, sep: str('/'), altsep: NONE, pathsep: str(':'), linesep: str('\n'), name: str('posix'), curdir: str('.'), pardir: str('..'), devnull: str('/dev/null'), extsep: str('.'),
    PathLike: pathLike,
    getenv: fn('os.getenv', (a) => {
      const k = strOf(a.pos[0] ?? a.kw.get('key'));
      const e = k === undefined ? undefined : environ.map.get(keyOf(str(k)));
      return e?.[1] ?? a.pos[1] ?? a.kw.get('default') ?? NONE;
    }),
    getcwd: fn('os.getcwd', () => str(process.cwd())), getpid: fn('os.getpid', () => int(process.pid)), cpu_count: fn('os.cpu_count', () => int(os.cpus().length)),
    fspath: fn('os.fspath', (a, at) => {
      const v = a.pos[0] ?? NONE;
      if (strOf(v) !== undefined) return v;
      const m = v.k === 'instance' ? getattrOrUndefined(st(), v, '__fspath__', at) : undefined;
      return m ? call(st(), m, args([]), at) : raise('TypeError', `expected str or os.PathLike object, not ${typeName(v)}`, at);
    }),
    listdir: fn('os.listdir', (a, at) => {
      const p = strOf(a.pos[0]) ?? '.';
      try {
        return list(fs.readdirSync(p).sort().map(str));
      } catch {
        throw new PyException('FileNotFoundError', `No such file or directory: '${p}'`, at);
      }
    }),
    makedirs: fn('os.makedirs', (_a, at) => st().fail('os.makedirs() is not modelled (Memlens writes no files)', at)),
    remove: fn('os.remove', (_a, at) => st().fail('os.remove() is not modelled (Memlens writes no files)', at)),
    stat: fn('os.stat', (_a, at) => st().fail('os.stat() is not modelled', at)),
    walk: fn('os.walk', (_a, at) => st().fail('os.walk() is not modelled', at)),
    urandom: fn('os.urandom', (_a, at) => st().fail('os.urandom() is not modelled', at)),
  });
  return [
    ['os', osModule], ['os.path', osPath], ['posixpath', osPath],
    ...importlibModules(lib), ['json', jsonModule(lib)], ['re', reModule(lib)], ['itertools', itertoolsModule(lib)], ['contextlib', contextlibModule(lib)],
    ...packagingModules(lib), ...huggingfaceHubModules(lib),
    ['weakref', weakrefModule(lib)], ['threading', threadingModule(lib)], ['time', timeModule(lib)], ['platform', platformModule(lib)],
    ['string', lib.ns('string', {
      ascii_letters: str('abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ'), ascii_lowercase: str('abcdefghijklmnopqrstuvwxyz'), ascii_uppercase: str('ABCDEFGHIJKLMNOPQRSTUVWXYZ'),
      digits: str('0123456789'), hexdigits: str('0123456789abcdefABCDEF'), punctuation: str('!"#$%&\'()*+,-./:;<=>?@[\\]^_`{|}~'), whitespace: str(' \t\n\r\x0b\x0c'),
    })],
    ['numbers', numbersModule()],
  ];
}

// ── os.path ──────────────────────────────────────────────────────────────────

function osPathModule(lib: TorchLibrary): ModuleV {
  const st = () => lib.interp.state;
  const p1 = (name: string, f: (p: string, a: Args, at: Loc) => Value) => fn(`os.path.${name}`, (a, at) => {
    const v = a.pos[0] ?? NONE;
    if (v.k === 'unknown') return v;
    const s = strOf(v) ?? fspathOf(st(), v, at);
    return f(s, a, at);
  });
  const statOf = (p: string): fs.Stats | undefined => {
    try {
      return fs.statSync(p);
    } catch {
      return undefined;
    }
  };
  const expandUser = (p: string) => (p === '~' || p.startsWith('~/') ? os.homedir() + p.slice(1) : p);
  return lib.ns('os.path', {
    sep: str('/'),
    join: fn('os.path.join', (a, at) => {
      const u = a.pos.find((v) => v.k === 'unknown');
      if (u) return u;
      const parts = a.pos.map((v) => strOf(v) ?? fspathOf(st(), v, at));
      let out = '';
      for (const p of parts) out = p.startsWith('/') ? p : out === '' || out.endsWith('/') ? out + p : `${out}/${p}`;
      return str(out);
    }),
    dirname: p1('dirname', (p) => str(p.includes('/') ? p.slice(0, p.lastIndexOf('/')).replace(/\/+$/, '') || (p.startsWith('/') ? '/' : '') : '')),
    basename: p1('basename', (p) => str(p.slice(p.lastIndexOf('/') + 1))),
    split: p1('split', (p) => {
      const i = p.lastIndexOf('/');
      return tuple([str(i < 0 ? '' : p.slice(0, i).replace(/\/+$/, '') || (p.startsWith('/') ? '/' : '')), str(p.slice(i + 1))]);
    }),
    splitext: p1('splitext', (p) => {
      const base = p.slice(p.lastIndexOf('/') + 1);
      const dot = base.lastIndexOf('.');
      if (dot <= 0 || /^\.+$/.test(base.slice(0, dot + 1))) return tuple([str(p), str('')]);
      const cut = p.length - base.length + dot;
      return tuple([str(p.slice(0, cut)), str(p.slice(cut))]);
    }),
    exists: p1('exists', (p) => bool(statOf(p) !== undefined)),
    lexists: p1('lexists', (p) => bool(statOf(p) !== undefined)),
    isfile: p1('isfile', (p) => bool(statOf(p)?.isFile() ?? false)),
    isdir: p1('isdir', (p) => bool(statOf(p)?.isDirectory() ?? false)),
    islink: p1('islink', (p) => {
      try {
        return bool(fs.lstatSync(p).isSymbolicLink());
      } catch {
        return bool(false);
      }
    }),
    isabs: p1('isabs', (p) => bool(p.startsWith('/'))),
    abspath: p1('abspath', (p) => str(path.resolve(p))),
    realpath: p1('realpath', (p) => {
      try {
        return str(fs.realpathSync(p));
      } catch {
        return str(path.resolve(p));
      }
    }),
    normpath: p1('normpath', (p) => str(path.normalize(p).replace(/\/$/, '') || '/')),
    relpath: p1('relpath', (p, a) => str(path.relative(strOf(a.pos[1]) ?? process.cwd(), p))),
    expanduser: p1('expanduser', (p) => str(expandUser(p))),
    expandvars: p1('expandvars', (p) => str(p.replace(/\$(\w+)|\$\{(\w+)\}/g, (m, x, y) => process.env[x ?? y] ?? m))),
    getsize: p1('getsize', (p, _a, at) => int(statOf(p)?.size ?? raise('FileNotFoundError', `No such file or directory: '${p}'`, at))),
    commonprefix: fn('os.path.commonprefix', (a, at) => {
      const ps = iterate(st(), a.pos[0] ?? list([]), at).map((v) => strOf(v) ?? '');
      if (!ps.length) return str('');
      let pre = ps[0];
      for (const p of ps) while (!p.startsWith(pre)) pre = pre.slice(0, -1);
      return str(pre);
    }),
  });
}

function fspathOf(state: InterpreterState, v: Value, at: Loc): string {
  const m = v.k === 'instance' ? getattrOrUndefined(state, v, '__fspath__', at) : undefined;
  const r = m ? call(state, m, args([]), at) : undefined;
  const s = strOf(r);
  if (s === undefined) throw new PyException('TypeError', `expected str, bytes or os.PathLike object, not ${typeName(v)}`, at);
  return s;
}

// ── importlib ────────────────────────────────────────────────────────────────

/** `importlib`, `importlib.util` and `importlib.metadata`, answered from the analysis's environment. */
function importlibModules(lib: TorchLibrary): [string, Value][] {
  const st = () => lib.interp.state;
  const roots = () => st().source.libraryPaths ?? [];
  const torchVersion = () => `${lib.tracer.ctx.torch[0]}.${lib.tracer.ctx.torch[1]}.0`;
  const importModule = fn('importlib.import_module', (a, at) => {
    let name = strOf(a.pos[0]) ?? '';
    const pkg = strOf(a.pos[1] ?? a.kw.get('package'));
    if (name.startsWith('.')) {
      if (!pkg) throw new PyException('TypeError', `the 'package' argument is required to perform a relative import for '${name}'`, at);
      const level = /^\.+/.exec(name)![0].length;
      const base = pkg.split('.').slice(0, pkg.split('.').length - level + 1);
      name = [...base, name.slice(level)].filter(Boolean).join('.');
    }
    const m = lib.interp.importModule(name, at);
    if (m.k === 'unknown') throw new PyException('ModuleNotFoundError', `No module named '${name}' (${m.reason})`, at);
    return m;
  });
  const specCls = pyClass('ModuleSpec');
  /** Where `name` would be imported from: a modelled module, or a file or folder of the environment. */
  const locate = (name: string): string | null | undefined => {
    if (lib.module(name)) return null;
    const parts = name.split('.');
    for (const root of roots()) {
      const stem = path.join(root, ...parts);
      for (const candidate of [path.join(stem, '__init__.py'), `${stem}.py`]) if (isFile(candidate)) return candidate;
      if (isDir(stem)) return null;
      // Compiled extension modules (`_C.cpython-312-x86_64-linux-gnu.so`).
      try {
        const dir = path.dirname(stem);
        const base = path.basename(stem);
        if (fs.readdirSync(dir).some((f) => f.startsWith(`${base}.`) && /\.(so|pyd)$/.test(f))) return null;
      } catch {
        // not there
      }
    }
    return undefined;
  };
  const findSpec = fn('importlib.util.find_spec', (a) => {
    const name = strOf(a.pos[0]) ?? '';
    const where = locate(name);
    if (where === undefined) return NONE;
    return { k: 'instance', cls: specCls, attrs: new Map<string, Value>([['name', str(name)], ['origin', where === null ? NONE : str(where)], ['submodule_search_locations', NONE]]), id: lib.interp.newInstanceId() } as InstanceV;
  });
  const notFound = pyClass('PackageNotFoundError', [lib.builtins.get('ModuleNotFoundError') as ClassV]);
  const normalize = (n: string) => n.toLowerCase().replace(/[-_.]+/g, '_');
  /** The dist-info folder of an installed distribution, by its (normalized) name. */
  const distInfo = (name: string): string | undefined => {
    const want = normalize(name);
    return metadataFolders(roots()).find((d) => normalize(d.name) === want)?.dir;
  };
  const versionOf = (name: string, at: Loc): string => {
    if (normalize(name) === 'torch') return torchVersion();
    const dir = distInfo(name);
    if (dir) {
      const fromName = /-([^-]+)\.(dist-info|egg-info)$/.exec(dir)?.[1];
      try {
        const meta = readRegularFile(path.join(dir, dir.endsWith('.egg-info') ? 'PKG-INFO' : 'METADATA'), 1 << 20) ?? '';
        const v = /^Version:\s*(.+)$/m.exec(meta)?.[1]?.trim();
        if (v) return v;
      } catch {
        // fall back to the folder's name
      }
      if (fromName) return fromName;
    }
    throw new PyException('PackageNotFoundError', `No package metadata was found for ${name}`, at, {
      k: 'instance', cls: notFound, attrs: new Map([['args', tuple([str(name)])]]), id: lib.interp.newInstanceId(),
    });
  };
  let distributions: DictV | undefined;
  const packagesDistributions = fn('importlib.metadata.packages_distributions', () => {
    if (distributions) return distributions;
    const out = new Map<string, string[]>();
    for (const d of metadataFolders(roots())) {
      let tops: string[] = [];
      try {
        const listed = readRegularFile(path.join(d.dir, 'top_level.txt'), 1 << 16);
        if (listed === undefined) throw new Error('no top_level.txt');
        tops = listed.split(/\r?\n/).filter(Boolean);
      } catch {
        tops = [d.name.replace(/-/g, '_')];
      }
      for (const t of tops) out.set(t, [...(out.get(t) ?? []), d.name]);
    }
    distributions = makeDict([...out].map(([k, v]) => [str(k), list(v.map(str))]));
    return distributions;
  });
  const metadata = lib.ns('importlib.metadata', {
    version: fn('importlib.metadata.version', (a, at) => str(versionOf(strOf(a.pos[0]) ?? '', at))),
    PackageNotFoundError: notFound,
    packages_distributions: packagesDistributions,
    distributions: fn('importlib.metadata.distributions', () => list([])),
    entry_points: fn('importlib.metadata.entry_points', () => list([])),
    metadata: fn('importlib.metadata.metadata', (a, at) => makeDict([[str('Version'), str(versionOf(strOf(a.pos[0]) ?? '', at))], [str('Name'), a.pos[0] ?? NONE]])),
  });
  const util = lib.ns('importlib.util', {
    find_spec: findSpec,
    module_from_spec: fn('importlib.util.module_from_spec', (_a, at) => st().fail('importlib.util.module_from_spec() is not modelled', at)),
    spec_from_file_location: fn('importlib.util.spec_from_file_location', (_a, at) => st().fail('importlib.util.spec_from_file_location() is not modelled', at)),
  });
  const machinery = lib.ns('importlib.machinery', { ModuleSpec: specCls });
  const abc = lib.ns('importlib.abc', { MetaPathFinder: pyClass('MetaPathFinder'), Loader: pyClass('Loader'), PathEntryFinder: pyClass('PathEntryFinder') });
  const importlib = lib.ns('importlib', {
    import_module: importModule, util, metadata, machinery, abc,
    reload: fn('importlib.reload', (a) => a.pos[0] ?? NONE), invalidate_caches: fn('importlib.invalidate_caches', () => NONE),
  });
  return [['importlib', importlib], ['importlib.abc', abc], ['importlib.util', util], ['importlib.metadata', metadata], ['importlib.machinery', machinery], ['importlib_metadata', metadata]];
}

/** The installed distributions' metadata folders (`name-version.dist-info`, `.egg-info`) in the package folders. */
function metadataFolders(roots: readonly string[]): { name: string; dir: string }[] {
  const out: { name: string; dir: string }[] = [];
  for (const root of roots) {
    let entries: string[];
    try {
      entries = fs.readdirSync(root);
    } catch {
      continue;
    }
    for (const e of entries) {
      const m = /^(.+?)-([^-]+)\.(dist-info|egg-info)$/.exec(e);
      if (m) out.push({ name: m[1], dir: path.join(root, e) });
    }
  }
  return out;
}

function isFile(p: string): boolean {
  try {
    return fs.statSync(p).isFile();
  } catch {
    return false;
  }
}

function isDir(p: string): boolean {
  try {
    return fs.statSync(p).isDirectory();
  } catch {
    return false;
  }
}

// ── json ─────────────────────────────────────────────────────────────────────

function jsonModule(lib: TorchLibrary): ModuleV {
  const st = () => lib.interp.state;
  const decodeError = pyClass('JSONDecodeError', [lib.builtins.get('ValueError') as ClassV]);
  const loads = fn('json.loads', (a, at) => {
    const text = strOf(a.pos[0]);
    if (text === undefined) throw new PyException('TypeError', `the JSON object must be str, not ${typeName(a.pos[0] ?? NONE)}`, at);
    return parseJson(text, at);
  });
  const dumps = fn('json.dumps', (a, at) => {
    const indentV = a.kw.get('indent');
    const indent = indentV && indentV.k !== 'none' ? toInt(indentV) ?? 0 : undefined;
    const sortKeys = a.kw.get('sort_keys') ? truthy(st(), a.kw.get('sort_keys')!, at) === true : false;
    return str(dumpJson(a.pos[0] ?? NONE, indent, sortKeys, 0, at));
  });
  return lib.ns('json', {
    loads, dumps, JSONDecodeError: decodeError, JSONEncoder: pyClass('JSONEncoder'), JSONDecoder: pyClass('JSONDecoder'),
    load: fn('json.load', (a, at) => {
      const f = a.pos[0] ?? NONE;
      const read = getattrOrUndefined(st(), f, 'read', at);
      if (!read) throw new PyException('AttributeError', `'${typeName(f)}' object has no attribute 'read'`, at);
      return call(st(), loads, args([call(st(), read, args([]), at)]), at);
    }),
    dump: fn('json.dump', (_a, at) => st().fail('json.dump() is not modelled (Memlens writes no files)', at)),
  });
}

/** JSON text to Python values, as `json.loads` makes them (ints stay ints, `1.0` is a float). */
export function parseJson(text: string, at: Loc): Value {
  let i = 0;
  const fail = (msg: string): never => {
    throw new PyException('JSONDecodeError', `${msg}: char ${i}`, at);
  };
  const ws = () => {
    while (i < text.length && ' \t\n\r'.includes(text[i])) i++;
  };
  const value = (depth: number): Value => {
    if (depth > 512) fail('nested too deeply');
    ws();
    const c = text[i];
    if (c === '{') {
      i++;
      const d: DictV = { k: 'dict', map: new Map() };
      ws();
      if (text[i] === '}') {
        i++;
        return d;
      }
      for (;;) {
        ws();
        if (text[i] !== '"') fail('Expecting property name enclosed in double quotes');
        const k = string();
        ws();
        if (text[i++] !== ':') fail("Expecting ':' delimiter");
        d.map.set(keyOf(k), [k, value(depth + 1)]);
        ws();
        if (text[i] === ',') {
          i++;
          continue;
        }
        if (text[i++] !== '}') fail("Expecting ',' delimiter");
        return d;
      }
    }
    if (c === '[') {
      i++;
      const items: Value[] = [];
      ws();
      if (text[i] === ']') {
        i++;
        return list(items);
      }
      for (;;) {
        items.push(value(depth + 1));
        ws();
        if (text[i] === ',') {
          i++;
          continue;
        }
        if (text[i++] !== ']') fail("Expecting ',' delimiter");
        return list(items);
      }
    }
    if (c === '"') return string();
    for (const [word, v] of [['true', bool(true)], ['false', bool(false)], ['null', NONE], ['NaN', num(NaN, false)], ['Infinity', num(Infinity, false)], ['-Infinity', num(-Infinity, false)]] as const) {
      if (text.startsWith(word, i)) {
        i += word.length;
        return v;
      }
    }
    const m = /^-?(0|[1-9]\d*)(\.\d+)?([eE][+-]?\d+)?/.exec(text.slice(i, i + 400));
    if (!m) return fail('Expecting value');
    i += m[0].length;
    return m[2] || m[3] ? num(parseFloat(m[0]), false) : int(parseInt(m[0], 10));
  };
  const string = (): Value => {
    const start = i;
    i++;
    let out = '';
    for (;;) {
      if (i >= text.length) fail('Unterminated string starting at');
      const c = text[i++];
      if (c === '"') break;
      if (c === '\\') {
        const e = text[i++];
        const map: Record<string, string> = { '"': '"', '\\': '\\', '/': '/', b: '\b', f: '\f', n: '\n', r: '\r', t: '\t' };
        if (e === 'u') {
          out += String.fromCharCode(parseInt(text.slice(i, i + 4), 16));
          i += 4;
        } else if (map[e] !== undefined) out += map[e];
        else fail('Invalid \\escape');
      } else out += c;
    }
    void start;
    return str(out);
  };
  const v = value(0);
  ws();
  if (i < text.length) fail('Extra data');
  return v;
}

function dumpJson(v: Value, indent: number | undefined, sortKeys: boolean, depth: number, at: Loc): string {
  if (depth > 256) throw new PyException('RecursionError', 'nested too deeply', at);
  const nl = indent === undefined ? '' : `\n${' '.repeat(indent * (depth + 1))}`;
  const end = indent === undefined ? '' : `\n${' '.repeat(indent * depth)}`;
  const sep = indent === undefined ? ', ' : ',';
  switch (v.k) {
    case 'none': return 'null';
    case 'bool': return v.v ? 'true' : 'false';
    case 'num': return v.int ? String(v.v) : Number.isFinite(v.v) ? pyRepr(v) : Number.isNaN(v.v) ? 'NaN' : v.v > 0 ? 'Infinity' : '-Infinity';
    case 'str': return JSON.stringify(v.v);
    case 'list': case 'tuple': return v.items.length ? `[${nl}${v.items.map((x) => dumpJson(x, indent, sortKeys, depth + 1, at)).join(sep + nl)}${end}]` : '[]';
    case 'dict': {
      let entries = [...v.map.values()].map(([k, x]) => [k.k === 'str' ? k.v : k.k === 'num' || k.k === 'bool' || k.k === 'none' ? dumpJson(k, undefined, false, 0, at) : raise('TypeError', `keys must be str, int, float, bool or None, not ${typeName(k)}`, at), x] as const);
      if (sortKeys) entries = [...entries].sort((p, q) => (p[0] < q[0] ? -1 : p[0] > q[0] ? 1 : 0));
      return entries.length ? `{${nl}${entries.map(([k, x]) => `${JSON.stringify(k)}: ${dumpJson(x, indent, sortKeys, depth + 1, at)}`).join(sep + nl)}${end}}` : '{}';
    }
    case 'instance':
      if (v.base) return dumpJson(v.base, indent, sortKeys, depth, at);
      throw new PyException('TypeError', `Object of type ${typeName(v)} is not JSON serializable`, at);
    default: throw new PyException('TypeError', `Object of type ${typeName(v)} is not JSON serializable`, at);
  }
}

// ── re ───────────────────────────────────────────────────────────────────────

const RE_FLAGS: Record<string, number> = { IGNORECASE: 2, I: 2, LOCALE: 4, L: 4, MULTILINE: 8, M: 8, DOTALL: 16, S: 16, UNICODE: 32, U: 32, VERBOSE: 64, X: 64, ASCII: 256, A: 256, NOFLAG: 0 };

/** A Python pattern as a JS RegExp source and flags; undefined for a construct JS has not (reported). */
export function translatePattern(pattern: string, flags: number): { source: string; flags: string; names: string[] } | string {
  let f = flags;
  let p = pattern;
  // Leading inline flags `(?aiLmsux)`.
  p = p.replace(/^\(\?([aiLmsux]+)\)/, (_m, fl: string) => {
    for (const c of fl) f |= { a: 256, i: 2, L: 4, m: 8, s: 16, u: 32, x: 64 }[c] ?? 0;
    return '';
  });
  if (f & 64) p = stripVerbose(p);
  if (/\(\?[aiLmsux-]+[:)]/.test(p)) return 'scoped inline flags';
  if (/\(\?\(/.test(p)) return 'conditional groups';
  if (/\\[pP]\{/.test(p) === false && /\(\?#/.test(p)) p = p.replace(/\(\?#[^)]*\)/g, '');
  const names: string[] = [];
  let out = '';
  for (let i = 0; i < p.length; i++) {
    const c = p[i];
    if (c === '\\') {
      const d = p[i + 1];
      if (d === 'A') out += '^';
      else if (d === 'Z') out += '$(?![\\s\\S])';
      else out += c + (d ?? '');
      i++;
      continue;
    }
    if (p.startsWith('(?P<', i)) {
      const end = p.indexOf('>', i);
      names.push(p.slice(i + 4, end));
      out += `(?<${p.slice(i + 4, end)}>`;
      i = end;
      continue;
    }
    if (p.startsWith('(?P=', i)) {
      const end = p.indexOf(')', i);
      out += `\\k<${p.slice(i + 4, end)}>`;
      i = end;
      continue;
    }
    if (c === '(' && p[i + 1] !== '?') names.push('');
    out += c;
  }
  let jsFlags = '';
  if (f & 2) jsFlags += 'i';
  if (f & 8) jsFlags += 'm';
  if (f & 16) jsFlags += 's';
  try {
    new RegExp(out, jsFlags);
  } catch (e) {
    return `a pattern JavaScript cannot compile (${(e as Error).message})`;
  }
  return { source: out, flags: jsFlags, names };
}

function stripVerbose(p: string): string {
  let out = '';
  let inClass = false;
  for (let i = 0; i < p.length; i++) {
    const c = p[i];
    if (c === '\\') {
      out += c + (p[i + 1] ?? '');
      i++;
      continue;
    }
    if (inClass) {
      if (c === ']') inClass = false;
      out += c;
      continue;
    }
    if (c === '[') {
      inClass = true;
      out += c;
      continue;
    }
    if (/\s/.test(c)) continue;
    if (c === '#') {
      while (i < p.length && p[i] !== '\n') i++;
      continue;
    }
    out += c;
  }
  return out;
}

function reModule(lib: TorchLibrary): ModuleV {
  const st = () => lib.interp.state;
  const reError = pyClass('error', [lib.builtins.get('Exception') as ClassV]);
  const patternCls = pyClass('Pattern');
  const matchCls = pyClass('Match');
  const compiled = new WeakMap<InstanceV, { re: RegExp; groups: number; names: string[] }>();
  const matches = new WeakMap<InstanceV, { m: RegExpExecArray; input: string }>();
  const compile = (pat: Value, flagsV: Value | undefined, at: Loc): InstanceV => {
    if (pat.k === 'instance' && compiled.has(pat)) return pat;
    const source = strOf(pat);
    if (source === undefined) throw new PyException('TypeError', `first argument must be string or compiled pattern, not ${typeName(pat)}`, at);
    const flags = flagsV ? toInt(flagsV) ?? 0 : 0;
    const t = translatePattern(source, flags);
    if (typeof t === 'string') {
      st().report(`the regular expression ${pyRepr(str(source))} uses ${t}, which is not modelled`, at);
      throw new PyException('error', `unsupported pattern: ${t}`, at, { k: 'instance', cls: reError, attrs: new Map([['args', tuple([str(t)])]]), id: lib.interp.newInstanceId() });
    }
    const inst: InstanceV = { k: 'instance', cls: patternCls, attrs: new Map<string, Value>([['pattern', str(source)], ['flags', int(flags)], ['groups', int(t.names.length)]]), id: lib.interp.newInstanceId() };
    compiled.set(inst, { re: new RegExp(t.source, `${t.flags}g`), groups: t.names.length, names: t.names });
    return inst;
  };
  const makeMatch = (m: RegExpExecArray, input: string, pattern: InstanceV): InstanceV => {
    const inst: InstanceV = { k: 'instance', cls: matchCls, attrs: new Map<string, Value>([['string', str(input)], ['re', pattern], ['pos', int(0)], ['endpos', int(input.length)]]), id: lib.interp.newInstanceId() };
    let last: number | null = null;
    for (let g = m.length - 1; g >= 1; g--) if (m[g] !== undefined) {
      last = g;
      break;
    }
    inst.attrs.set('lastindex', last === null ? NONE : int(last));
    matches.set(inst, { m, input });
    return inst;
  };
  /** Runs a pattern at `pos`: 'match' anchors at pos, 'fullmatch' also at the end, 'search' anywhere. */
  const run = (p: InstanceV, s: string, mode: 'match' | 'fullmatch' | 'search', pos = 0): RegExpExecArray | null => {
    const { re } = compiled.get(p)!;
    if (mode === 'search') {
      re.lastIndex = pos;
      return re.exec(s);
    }
    const src = mode === 'fullmatch' ? `^(?:${re.source})$` : `^(?:${re.source})`;
    const anchored = new RegExp(src, re.flags.replace('g', '').replace('m', ''));
    const m = anchored.exec(s.slice(pos));
    if (m) m.index += pos;
    return m;
  };
  const group = (mi: InstanceV, g: Value, at: Loc): Value => {
    const { m } = matches.get(mi)!;
    if (g.k === 'str') {
      if (!m.groups || !(g.v in m.groups)) throw new PyException('IndexError', 'no such group', at);
      return m.groups[g.v] === undefined ? NONE : str(m.groups[g.v]!);
    }
    const i = toInt(g) ?? 0;
    if (i < 0 || i >= m.length) throw new PyException('IndexError', 'no such group', at);
    return m[i] === undefined ? NONE : str(m[i]!);
  };
  const m = (name: string, f: (self: InstanceV, a: Args, at: Loc) => Value) => builtinMethodOf(`Match.${name}`, (a, at) => f(a.pos[0] as InstanceV, { pos: a.pos.slice(1), kw: a.kw }, at));
  matchCls.attrs.set('group', m('group', (self, a, at) => (a.pos.length <= 1 ? group(self, a.pos[0] ?? int(0), at) : tuple(a.pos.map((g) => group(self, g, at))))));
  matchCls.attrs.set('__getitem__', m('__getitem__', (self, a, at) => group(self, a.pos[0] ?? int(0), at)));
  matchCls.attrs.set('groups', m('groups', (self, a) => {
    const { m: mm } = matches.get(self)!;
    return tuple([...mm].slice(1).map((x) => (x === undefined ? a.pos[0] ?? a.kw.get('default') ?? NONE : str(x))));
  }));
  matchCls.attrs.set('groupdict', m('groupdict', (self, a) => {
    const { m: mm } = matches.get(self)!;
    return makeDict(Object.entries(mm.groups ?? {}).map(([k, x]) => [str(k), x === undefined ? a.pos[0] ?? NONE : str(x)]));
  }));
  const span = (self: InstanceV, g: Value, at: Loc): [number, number] => {
    const { m: mm } = matches.get(self)!;
    const i = toInt(g) ?? 0;
    if (i === 0) return [mm.index, mm.index + mm[0].length];
    const text = group(self, g, at);
    if (text.k === 'none') return [-1, -1];
    // JS gives no group offsets without the `d` flag: find the group inside the match.
    const off = mm[0].indexOf((text as { v: string }).v);
    return [mm.index + off, mm.index + off + (text as { v: string }).v.length];
  };
  matchCls.attrs.set('start', m('start', (self, a, at) => int(span(self, a.pos[0] ?? int(0), at)[0])));
  matchCls.attrs.set('end', m('end', (self, a, at) => int(span(self, a.pos[0] ?? int(0), at)[1])));
  matchCls.attrs.set('span', m('span', (self, a, at) => tuple(span(self, a.pos[0] ?? int(0), at).map(int))));
  matchCls.attrs.set('__bool__', m('__bool__', () => bool(true)));
  const subst = (p: InstanceV, repl: Value, s: string, count: number, at: Loc): [string, number] => {
    const { re } = compiled.get(p)!;
    let n = 0;
    re.lastIndex = 0;
    const out = s.replace(re, (...parts) => {
      if (count > 0 && n >= count) return parts[0] as string;
      n++;
      const groupsEnd = parts.findIndex((x, i) => i > 0 && typeof x === 'number');
      const arr = parts.slice(0, groupsEnd) as string[];
      const mm = Object.assign([...arr], { index: parts[groupsEnd] as number, input: s, groups: typeof parts[parts.length - 1] === 'object' ? parts[parts.length - 1] : undefined }) as unknown as RegExpExecArray;
      if (repl.k === 'str') {
        return repl.v.replace(/\\(\d+)|\\g<(\w+)>|\\([ntr\\])/g, (_x, d: string | undefined, g: string | undefined, e: string | undefined) => {
          if (e) return { n: '\n', t: '\t', r: '\r', '\\': '\\' }[e]!;
          const key = d ?? g!;
          return (/^\d+$/.test(key) ? mm[Number(key)] : mm.groups?.[key]) ?? '';
        });
      }
      const r = call(st(), repl, args([makeMatch(mm, s, p)]), at);
      return strOf(r) ?? '';
    });
    return [out, n];
  };
  const pm = (name: string, f: (self: InstanceV, a: Args, at: Loc) => Value) => builtinMethodOf(`Pattern.${name}`, (a, at) => f(a.pos[0] as InstanceV, { pos: a.pos.slice(1), kw: a.kw }, at));
  const textArg = (v: Value | undefined, at: Loc): string => {
    const s = strOf(v);
    if (s === undefined) throw new PyException('TypeError', `expected string or bytes-like object, got '${typeName(v ?? NONE)}'`, at);
    return s;
  };
  for (const mode of ['match', 'fullmatch', 'search'] as const) {
    patternCls.attrs.set(mode, pm(mode, (self, a, at) => {
      const s = textArg(a.pos[0], at);
      const r = run(self, s, mode, toInt(a.pos[1] ?? int(0)) ?? 0);
      return r ? makeMatch(r, s, self) : NONE;
    }));
  }
  patternCls.attrs.set('sub', pm('sub', (self, a, at) => str(subst(self, a.pos[0] ?? str(''), textArg(a.pos[1], at), toInt(a.pos[2] ?? a.kw.get('count') ?? int(0)) ?? 0, at)[0])));
  patternCls.attrs.set('subn', pm('subn', (self, a, at) => {
    const [s, k] = subst(self, a.pos[0] ?? str(''), textArg(a.pos[1], at), toInt(a.pos[2] ?? a.kw.get('count') ?? int(0)) ?? 0, at);
    return tuple([str(s), int(k)]);
  }));
  const findAll = (self: InstanceV, s: string): RegExpExecArray[] => {
    const { re } = compiled.get(self)!;
    re.lastIndex = 0;
    const out: RegExpExecArray[] = [];
    for (let mm = re.exec(s); mm; mm = re.exec(s)) {
      out.push(mm);
      if (mm[0] === '') re.lastIndex++;
      if (out.length > 100_000) break;
    }
    return out;
  };
  patternCls.attrs.set('findall', pm('findall', (self, a, at) => list(findAll(self, textArg(a.pos[0], at)).map((mm) => {
    if (mm.length === 1) return str(mm[0]);
    if (mm.length === 2) return str(mm[1] ?? '');
    return tuple([...mm].slice(1).map((x) => str(x ?? '')));
  }))));
  patternCls.attrs.set('finditer', pm('finditer', (self, a, at) => {
    const s = textArg(a.pos[0], at);
    return listIterator(findAll(self, s).map((mm) => makeMatch(mm, s, self)), 'callable_iterator');
  }));
  patternCls.attrs.set('split', pm('split', (self, a, at) => {
    const s = textArg(a.pos[0], at);
    const max = toInt(a.pos[1] ?? a.kw.get('maxsplit') ?? int(0)) ?? 0;
    const out: Value[] = [];
    let last = 0;
    let n = 0;
    for (const mm of findAll(self, s)) {
      if (max > 0 && n >= max) break;
      out.push(str(s.slice(last, mm.index)));
      for (const g of [...mm].slice(1)) out.push(g === undefined ? NONE : str(g));
      last = mm.index + mm[0].length;
      n++;
    }
    out.push(str(s.slice(last)));
    return list(out);
  }));
  const viaPattern = (name: string, textIndex: number) => fn(`re.${name}`, (a, at) => {
    const p = compile(a.pos[0] ?? NONE, a.kw.get('flags') ?? a.pos[name === 'sub' || name === 'subn' ? 4 : name === 'split' ? 3 : 2], at);
    const rest = a.pos.slice(1, name === 'sub' || name === 'subn' ? 4 : name === 'split' ? 3 : 2);
    const kw = new Map([...a.kw].filter(([k]) => k !== 'flags'));
    void textIndex;
    return call(st(), { k: 'bound', fn: patternCls.attrs.get(name)!, self: p }, { pos: rest, kw }, at);
  });
  return lib.ns('re', {
    ...Object.fromEntries(Object.entries(RE_FLAGS).map(([k, v]) => [k, int(v)])),
    compile: fn('re.compile', (a, at) => compile(a.pos[0] ?? NONE, a.pos[1] ?? a.kw.get('flags'), at)),
    match: viaPattern('match', 1), fullmatch: viaPattern('fullmatch', 1), search: viaPattern('search', 1), sub: viaPattern('sub', 2), subn: viaPattern('subn', 2),
    split: viaPattern('split', 1), findall: viaPattern('findall', 1), finditer: viaPattern('finditer', 1),
    escape: fn('re.escape', (a) => str((strOf(a.pos[0]) ?? '').replace(/[^A-Za-z0-9_]/g, (c) => `\\${c}`))),
    error: reError, Pattern: patternCls, Match: matchCls, purge: fn('re.purge', () => NONE),
  });
}

// ── itertools ────────────────────────────────────────────────────────────────

function itertoolsModule(lib: TorchLibrary): ModuleV {
  const st = () => lib.interp.state;
  const limit = () => lib.interp.budget.limits.loopIterations;
  const gen = (name: string, g: Generator<Value>): IterV => lazyIterator(`itertools.${name}`, g);
  const chain = fn('itertools.chain', (a, at) => gen('chain', (function* () {
    for (const src of a.pos) {
      const it = iterator(st(), src, at);
      for (let v = it.next(); v !== undefined; v = it.next()) yield v;
    }
  })()));
  const chainCls = pyClass('chain');
  chainCls.native = { construct: (a, at) => call(st(), chain, a, at) };
  chainCls.attrs.set('from_iterable', fn('itertools.chain.from_iterable', (a, at) => gen('chain', (function* () {
    const outer = iterator(st(), a.pos[0] ?? list([]), at);
    for (let src = outer.next(); src !== undefined; src = outer.next()) {
      const it = iterator(st(), src, at);
      for (let v = it.next(); v !== undefined; v = it.next()) yield v;
    }
  })())));
  const product = fn('itertools.product', (a, at) => {
    const repeat = toInt(a.kw.get('repeat') ?? int(1)) ?? 1;
    const pools: Value[][] = [];
    for (let r = 0; r < repeat; r++) for (const p of a.pos) pools.push(iterate(st(), p, at));
    const total = pools.reduce((n, p) => n * p.length, 1);
    if (total > limit()) return st().fail(`itertools.product of ${total} items exceeds the unroll limit`, at);
    let rows: Value[][] = [[]];
    for (const pool of pools) rows = rows.flatMap((row) => pool.map((x) => [...row, x]));
    return listIterator(rows.map(tuple), 'itertools.product');
  });
  const combos = (items: Value[], r: number, ordered: boolean): Value[][] => {
    const out: Value[][] = [];
    const pick = (start: number, used: boolean[], cur: Value[]) => {
      if (out.length > limit()) return;
      if (cur.length === r) {
        out.push([...cur]);
        return;
      }
      for (let i = ordered ? 0 : start; i < items.length; i++) {
        if (used[i]) continue;
        used[i] = true;
        cur.push(items[i]);
        pick(i + 1, used, cur);
        cur.pop();
        used[i] = false;
      }
    };
    pick(0, items.map(() => false), []);
    return out;
  };
  return lib.ns('itertools', {
    chain: chainCls, product,
    repeat: fn('itertools.repeat', (a, at) => {
      const v = a.pos[0] ?? NONE;
      const times = a.pos[1] ?? a.kw.get('times');
      const n = times ? toInt(times) ?? 0 : undefined;
      let i = 0;
      return { k: 'iter', name: 'itertools.repeat', next: () => {
        if (n !== undefined ? i >= n : i > limit()) {
          if (n === undefined) st().report('itertools.repeat() without a count ran past the unroll limit', at);
          return undefined;
        }
        i++;
        return v;
      } } satisfies IterV;
    }),
    count: fn('itertools.count', (a, at) => {
      const start = a.pos[0] ?? a.kw.get('start') ?? int(0);
      const step = a.pos[1] ?? a.kw.get('step') ?? int(1);
      let cur = start;
      let i = 0;
      return { k: 'iter', name: 'itertools.count', next: () => {
        if (i++ > limit()) {
          st().report('itertools.count() ran past the unroll limit', at);
          return undefined;
        }
        const v = cur;
        cur = lib.interp.binaryOp('+', cur, step, at, false);
        return v;
      } } satisfies IterV;
    }),
    cycle: fn('itertools.cycle', (a, at) => {
      const items = iterate(st(), a.pos[0] ?? list([]), at);
      let i = 0;
      return { k: 'iter', name: 'itertools.cycle', next: () => (items.length && i <= limit() ? items[i++ % items.length] : undefined) } satisfies IterV;
    }),
    islice: fn('itertools.islice', (a, at) => {
      const [src, ...bounds] = a.pos;
      const [start, stop, step] = bounds.length === 1 ? [int(0), bounds[0], int(1)] : [bounds[0] ?? int(0), bounds[1] ?? NONE, bounds[2] ?? int(1)];
      const s0 = start.k === 'none' ? 0 : toInt(start) ?? 0;
      const s1 = stop.k === 'none' ? Infinity : toInt(stop) ?? Infinity;
      const sp = step.k === 'none' ? 1 : toInt(step) ?? 1;
      const it = iterator(st(), src ?? list([]), at);
      return gen('islice', (function* () {
        for (let i = 0; i < s1; i++) {
          const v = it.next();
          if (v === undefined) return;
          if (i >= s0 && (i - s0) % sp === 0) yield v;
        }
      })());
    }),
    accumulate: fn('itertools.accumulate', (a, at) => {
      const items = iterate(st(), a.pos[0] ?? list([]), at);
      const f = a.pos[1] ?? a.kw.get('func');
      const init = a.kw.get('initial');
      const out: Value[] = init && init.k !== 'none' ? [init] : [];
      for (const v of items) out.push(out.length ? (f && f.k !== 'none' ? call(st(), f, args([out[out.length - 1], v]), at) : lib.interp.binaryOp('+', out[out.length - 1], v, at, false)) : v);
      return listIterator(out, 'itertools.accumulate');
    }),
    zip_longest: fn('itertools.zip_longest', (a, at) => {
      const seqs = a.pos.map((s) => iterate(st(), s, at));
      const fill = a.kw.get('fillvalue') ?? NONE;
      const n = Math.max(0, ...seqs.map((s) => s.length));
      return listIterator(Array.from({ length: n }, (_, i) => tuple(seqs.map((s) => s[i] ?? fill))), 'itertools.zip_longest');
    }),
    combinations: fn('itertools.combinations', (a, at) => listIterator(combos(iterate(st(), a.pos[0] ?? list([]), at), toInt(a.pos[1] ?? int(0)) ?? 0, false).map(tuple), 'itertools.combinations')),
    permutations: fn('itertools.permutations', (a, at) => {
      const items = iterate(st(), a.pos[0] ?? list([]), at);
      const r = a.pos[1] && a.pos[1].k !== 'none' ? toInt(a.pos[1]) ?? items.length : items.length;
      return listIterator(combos(items, r, true).map(tuple), 'itertools.permutations');
    }),
    groupby: fn('itertools.groupby', (a, at) => {
      const items = iterate(st(), a.pos[0] ?? list([]), at);
      const key = a.pos[1] ?? a.kw.get('key');
      const groups: Value[] = [];
      let curKey: Value | undefined;
      let cur: Value[] = [];
      for (const v of items) {
        const k = key && key.k !== 'none' ? call(st(), key, args([v]), at) : v;
        if (curKey === undefined || keyOf(k) !== keyOf(curKey)) {
          if (curKey !== undefined) groups.push(tuple([curKey, listIterator(cur)]));
          curKey = k;
          cur = [];
        }
        cur.push(v);
      }
      if (curKey !== undefined) groups.push(tuple([curKey, listIterator(cur)]));
      return listIterator(groups, 'itertools.groupby');
    }),
    starmap: fn('itertools.starmap', (a, at) => listIterator(iterate(st(), a.pos[1] ?? list([]), at).map((v) => call(st(), a.pos[0] ?? NONE, args(iterate(st(), v, at)), at)), 'itertools.starmap')),
    takewhile: fn('itertools.takewhile', (a, at) => {
      const it = iterator(st(), a.pos[1] ?? list([]), at);
      return gen('takewhile', (function* () {
        for (let v = it.next(); v !== undefined; v = it.next()) {
          if (truthy(st(), call(st(), a.pos[0] ?? NONE, args([v]), at), at) !== true) return;
          yield v;
        }
      })());
    }),
    dropwhile: fn('itertools.dropwhile', (a, at) => {
      const it = iterator(st(), a.pos[1] ?? list([]), at);
      return gen('dropwhile', (function* () {
        let dropping = true;
        for (let v = it.next(); v !== undefined; v = it.next()) {
          if (dropping && truthy(st(), call(st(), a.pos[0] ?? NONE, args([v]), at), at) === true) continue;
          dropping = false;
          yield v;
        }
      })());
    }),
    filterfalse: fn('itertools.filterfalse', (a, at) => listIterator(iterate(st(), a.pos[1] ?? list([]), at).filter((v) => truthy(st(), a.pos[0]?.k === 'none' ? v : call(st(), a.pos[0] ?? NONE, args([v]), at), at) === false), 'itertools.filterfalse')),
    compress: fn('itertools.compress', (a, at) => {
      const data = iterate(st(), a.pos[0] ?? list([]), at);
      const sel = iterate(st(), a.pos[1] ?? list([]), at);
      return listIterator(data.filter((_, i) => i < sel.length && truthy(st(), sel[i], at) === true), 'itertools.compress');
    }),
    pairwise: fn('itertools.pairwise', (a, at) => {
      const items = iterate(st(), a.pos[0] ?? list([]), at);
      return listIterator(items.slice(1).map((v, i) => tuple([items[i], v])), 'itertools.pairwise');
    }),
    tee: fn('itertools.tee', (a, at) => {
      const items = iterate(st(), a.pos[0] ?? list([]), at);
      const n = toInt(a.pos[1] ?? int(2)) ?? 2;
      return tuple(Array.from({ length: n }, () => listIterator(items)));
    }),
    batched: fn('itertools.batched', (a, at) => {
      const items = iterate(st(), a.pos[0] ?? list([]), at);
      const n = toInt(a.pos[1] ?? int(1)) ?? 1;
      const out: Value[] = [];
      for (let i = 0; i < items.length; i += n) out.push(tuple(items.slice(i, i + n)));
      return listIterator(out, 'itertools.batched');
    }),
  });
}

// ── contextlib ───────────────────────────────────────────────────────────────

function contextlibModule(lib: TorchLibrary): ModuleV {
  const st = () => lib.interp.state;
  /** A context manager class with Python-visible `__enter__`/`__exit__` implemented here. */
  const cmClass = (name: string, enter: (self: InstanceV, at: Loc) => Value, exit: (self: InstanceV, exc: Value[], at: Loc) => boolean): ClassV => {
    const c = pyClass(name);
    c.attrs.set('__enter__', builtinMethodOf(`${name}.__enter__`, (a, at) => enter(a.pos[0] as InstanceV, at)));
    c.attrs.set('__exit__', builtinMethodOf(`${name}.__exit__`, (a, at) => bool(exit(a.pos[0] as InstanceV, a.pos.slice(1), at))));
    return c;
  };
  const inst = (c: ClassV, attrs: [string, Value][] = []): InstanceV => ({ k: 'instance', cls: c, attrs: new Map(attrs), id: lib.interp.newInstanceId() });
  // @contextmanager: the generator runs to its yield on __enter__, and on to its end (or the exception thrown in) on __exit__.
  const gcm = cmClass('_GeneratorContextManager', (self, at) => {
    const g = self.attrs.get('gen');
    const v = g?.k === 'iter' ? g.next() : undefined;
    if (v === undefined) throw new PyException('RuntimeError', "generator didn't yield", at);
    return v;
  }, (self, exc, at) => {
    const g = self.attrs.get('gen');
    if (g?.k !== 'iter') return false;
    const [type, value] = exc;
    if (!type || type.k === 'none') {
      if (g.next() !== undefined) throw new PyException('RuntimeError', "generator didn't stop", at);
      return false;
    }
    const thrown = value && value.k === 'instance' ? new PyException(value.cls.name, '', at, value) : new PyException(type.k === 'class' ? type.name : 'Exception', '', at);
    try {
      if (g.gen!.throw(thrown) !== undefined) throw new PyException('RuntimeError', "generator didn't stop after throw()", at);
      return true;
    } catch (e) {
      if (e === thrown || (e instanceof PyException && e.value !== undefined && e.value === thrown.value)) return false;
      if (e instanceof PyException && e.type === 'StopIteration') return true;
      throw e;
    }
  });
  gcm.attrs.set('__call__', builtinMethodOf('_GeneratorContextManager.__call__', (a) => {
    // Used as a decorator: each call of the function runs inside a fresh context.
    const [self, f] = a.pos;
    const factory = self?.k === 'instance' ? self.attrs.get('factory') : undefined;
    const fArgs = self?.k === 'instance' ? self.attrs.get('args') : undefined;
    return builtinMethodOf('contextmanager.<decorated>', (b, where) => {
      const cm = call(st(), factory ?? NONE, { pos: fArgs?.k === 'tuple' ? fArgs.items : [], kw: new Map() }, where);
      const enter = getattrOrUndefined(st(), cm, '__enter__', where)!;
      const exit = getattrOrUndefined(st(), cm, '__exit__', where)!;
      call(st(), enter, args([]), where);
      try {
        const r = call(st(), f ?? NONE, b, where);
        call(st(), exit, args([NONE, NONE, NONE]), where);
        return r;
      } catch (e) {
        if (e instanceof PyException) {
          const suppressed = truthy(st(), call(st(), exit, args([lib.builtins.get(e.type) ?? NONE, e.value ?? NONE, NONE]), where), where);
          if (suppressed) return NONE;
        }
        throw e;
      }
    });
  }));
  const contextmanager = fn('contextlib.contextmanager', (a) => {
    const f = a.pos[0] ?? NONE;
    const factory: Value = builtin(`${f.k === 'func' ? f.name : 'contextmanager'}`, (b, at) => {
      const g = call(st(), f, b, at);
      if (g.k === 'unknown') return g;
      return inst(gcm, [['gen', g], ['factory', factory], ['args', tuple(b.pos)]]);
    });
    return factory;
  });
  const nullcontext = cmClass('nullcontext', (self) => self.attrs.get('enter_result') ?? NONE, () => false);
  nullcontext.attrs.set('__init__', builtinMethodOf('nullcontext.__init__', (a) => {
    if (a.pos[0]?.k === 'instance') a.pos[0].attrs.set('enter_result', a.pos[1] ?? a.kw.get('enter_result') ?? NONE);
    return NONE;
  }));
  const suppress = cmClass('suppress', () => NONE, (self, exc) => {
    const t = exc[0];
    if (!t || t.k !== 'class') return false;
    const kinds = self.attrs.get('kinds');
    return kinds?.k === 'tuple' && kinds.items.some((k) => k.k === 'class' && (k === t || lib.interp.isInstance({ k: 'instance', cls: t, attrs: new Map(), id: 0 }, k) === true));
  });
  suppress.attrs.set('__init__', builtinMethodOf('suppress.__init__', (a) => {
    if (a.pos[0]?.k === 'instance') a.pos[0].attrs.set('kinds', tuple(a.pos.slice(1)));
    return NONE;
  }));
  // ExitStack: contexts entered through it exit (in reverse) when it does.
  const exitStack = cmClass('ExitStack', (self) => self, (self, exc, at) => {
    const stack = self.attrs.get('_exits');
    let suppressed = false;
    if (stack?.k === 'list') {
      for (const exit of [...stack.items].reverse()) {
        const r = call(st(), exit, args(suppressed ? [NONE, NONE, NONE] : exc.length ? exc : [NONE, NONE, NONE]), at);
        if (truthy(st(), r, at) === true) suppressed = true;
      }
      stack.items.length = 0;
    }
    return suppressed;
  });
  exitStack.attrs.set('__init__', builtinMethodOf('ExitStack.__init__', (a) => {
    if (a.pos[0]?.k === 'instance') a.pos[0].attrs.set('_exits', list([]));
    return NONE;
  }));
  const pushExit = (self: Value, exit: Value) => {
    const stack = self.k === 'instance' ? self.attrs.get('_exits') : undefined;
    if (stack?.k === 'list') stack.items.push(exit);
  };
  exitStack.attrs.set('enter_context', builtinMethodOf('ExitStack.enter_context', (a, at) => {
    const [self, cm] = a.pos;
    const enter = getattrOrUndefined(st(), cm ?? NONE, '__enter__', at);
    const exit = getattrOrUndefined(st(), cm ?? NONE, '__exit__', at);
    if (!enter || !exit) {
      if (cm?.k === 'unknown') return cm;
      throw new PyException('TypeError', `'${typeName(cm ?? NONE)}' object does not support the context manager protocol`, at);
    }
    const v = call(st(), enter, args([]), at);
    pushExit(self ?? NONE, exit);
    return v;
  }));
  exitStack.attrs.set('callback', builtinMethodOf('ExitStack.callback', (a) => {
    const [self, f, ...rest] = a.pos;
    pushExit(self ?? NONE, builtin('ExitStack.<callback>', (_b, at) => {
      call(st(), f ?? NONE, { pos: rest, kw: a.kw }, at);
      return bool(false);
    }));
    return f ?? NONE;
  }));
  exitStack.attrs.set('push', builtinMethodOf('ExitStack.push', (a, at) => {
    const [self, exit] = a.pos;
    pushExit(self ?? NONE, getattrOrUndefined(st(), exit ?? NONE, '__exit__', at) ?? exit ?? NONE);
    return exit ?? NONE;
  }));
  exitStack.attrs.set('close', builtinMethodOf('ExitStack.close', (a, at) => {
    call(st(), exitStack.attrs.get('__exit__')!, args([a.pos[0] ?? NONE, NONE, NONE, NONE]), at);
    return NONE;
  }));
  exitStack.attrs.set('pop_all', builtinMethodOf('ExitStack.pop_all', (a) => {
    const self = a.pos[0];
    const fresh = inst(exitStack, [['_exits', list(self?.k === 'instance' && self.attrs.get('_exits')?.k === 'list' ? [...(self.attrs.get('_exits') as { items: Value[] }).items] : [])]]);
    if (self?.k === 'instance') self.attrs.set('_exits', list([]));
    return fresh;
  }));
  const closing = cmClass('closing', (self) => self.attrs.get('thing') ?? NONE, (self, _exc, at) => {
    const close = getattrOrUndefined(st(), self.attrs.get('thing') ?? NONE, 'close', at);
    if (close) call(st(), close, args([]), at);
    return false;
  });
  closing.attrs.set('__init__', builtinMethodOf('closing.__init__', (a) => {
    if (a.pos[0]?.k === 'instance') a.pos[0].attrs.set('thing', a.pos[1] ?? NONE);
    return NONE;
  }));
  const abstractCm = pyClass('AbstractContextManager');
  abstractCm.attrs.set('__enter__', builtinMethodOf('AbstractContextManager.__enter__', (a) => a.pos[0] ?? NONE));
  const contextDecorator = pyClass('ContextDecorator');
  contextDecorator.attrs.set('__call__', builtinMethodOf('ContextDecorator.__call__', (a) => {
    const [self, f] = a.pos;
    return builtinMethodOf('ContextDecorator.<decorated>', (b, at) => {
      const enter = getattrOrUndefined(st(), self ?? NONE, '__enter__', at);
      const exit = getattrOrUndefined(st(), self ?? NONE, '__exit__', at);
      if (enter) call(st(), enter, args([]), at);
      try {
        return call(st(), f ?? NONE, b, at);
      } finally {
        if (exit) call(st(), exit, args([NONE, NONE, NONE]), at);
      }
    });
  }));
  const noop = cmClass('redirect_stdout', () => NONE, () => false);
  return lib.ns('contextlib', {
    contextmanager, nullcontext, suppress, ExitStack: exitStack, closing, AbstractContextManager: abstractCm, ContextDecorator: contextDecorator,
    redirect_stdout: noop, redirect_stderr: noop,
  });
}

// ── packaging ────────────────────────────────────────────────────────────────

/** A PEP 440 version, ordered as `packaging.version.Version` orders them. */
interface ParsedVersion {
  epoch: number;
  release: number[];
  pre: [string, number] | null;
  post: number | null;
  dev: number | null;
  local: string | null;
}

export function parseVersion(text: string): ParsedVersion | undefined {
  const m = /^\s*v?(?:(\d+)!)?(\d+(?:\.\d+)*)(?:[-_.]?(a|b|c|rc|alpha|beta|pre|preview)[-_.]?(\d*))?(?:(?:-(\d+))|(?:[-_.]?(post|rev|r)[-_.]?(\d*)))?(?:[-_.]?(dev)[-_.]?(\d*))?(?:\+([a-z0-9]+(?:[-_.][a-z0-9]+)*))?\s*$/i.exec(text);
  if (!m) return undefined;
  const preKind = m[3]?.toLowerCase();
  const pre: [string, number] | null = preKind ? [preKind === 'alpha' ? 'a' : preKind === 'beta' ? 'b' : preKind === 'c' || preKind === 'pre' || preKind === 'preview' ? 'rc' : preKind, Number(m[4] || 0)] : null;
  const post = m[5] !== undefined ? Number(m[5]) : m[6] ? Number(m[7] || 0) : null;
  const dev = m[8] ? Number(m[9] || 0) : null;
  return { epoch: Number(m[1] ?? 0), release: m[2].split('.').map(Number), pre, post, dev, local: m[10]?.toLowerCase() ?? null };
}

export function compareVersions(a: ParsedVersion, b: ParsedVersion): number {
  if (a.epoch !== b.epoch) return a.epoch - b.epoch;
  const n = Math.max(a.release.length, b.release.length);
  for (let i = 0; i < n; i++) {
    const d = (a.release[i] ?? 0) - (b.release[i] ?? 0);
    if (d) return d;
  }
  // Pre-releases sort before the release; a dev release of a release sorts before its pre-releases.
  const preKey = (v: ParsedVersion): [number, number] => (v.pre ? [['a', 'b', 'rc'].indexOf(v.pre[0]), v.pre[1]] : v.dev !== null && v.post === null ? [-2, 0] : [9, 0]);
  const [pa, pb] = [preKey(a), preKey(b)];
  if (pa[0] !== pb[0]) return pa[0] - pb[0];
  if (pa[1] !== pb[1]) return pa[1] - pb[1];
  const postKey = (v: ParsedVersion) => (v.post === null ? -1 : v.post);
  if (postKey(a) !== postKey(b)) return postKey(a) - postKey(b);
  const devKey = (v: ParsedVersion) => (v.dev === null ? Infinity : v.dev);
  if (devKey(a) !== devKey(b)) return devKey(a) < devKey(b) ? -1 : 1;
  if ((a.local ?? '') !== (b.local ?? '')) return (a.local ?? '') < (b.local ?? '') ? -1 : 1;
  return 0;
}

function packagingModules(lib: TorchLibrary): [string, Value][] {
  const invalid = pyClass('InvalidVersion', [lib.builtins.get('ValueError') as ClassV]);
  const versionCls = pyClass('Version');
  versionCls.attrs.set('__module__', str('packaging.version'));
  const parsedOf = new WeakMap<InstanceV, ParsedVersion>();
  const make = (text: string, at: Loc): InstanceV => {
    const p = parseVersion(text);
    if (!p) throw new PyException('InvalidVersion', `Invalid version: '${text}'`, at, { k: 'instance', cls: invalid, attrs: new Map([['args', tuple([str(`Invalid version: '${text}'`)])]]), id: lib.interp.newInstanceId() });
    const base = `${p.epoch ? `${p.epoch}!` : ''}${p.release.join('.')}`;
    const pub = `${base}${p.pre ? `${p.pre[0]}${p.pre[1]}` : ''}${p.post !== null ? `.post${p.post}` : ''}${p.dev !== null ? `.dev${p.dev}` : ''}`;
    const v: InstanceV = {
      k: 'instance', cls: versionCls, id: lib.interp.newInstanceId(),
      attrs: new Map<string, Value>([
        ['major', int(p.release[0] ?? 0)], ['minor', int(p.release[1] ?? 0)], ['micro', int(p.release[2] ?? 0)], ['release', tuple(p.release.map(int))], ['epoch', int(p.epoch)],
        ['base_version', str(base)], ['public', str(pub)], ['local', p.local ? str(p.local) : NONE],
        ['pre', p.pre ? tuple([str(p.pre[0]), int(p.pre[1])]) : NONE], ['post', p.post === null ? NONE : int(p.post)], ['dev', p.dev === null ? NONE : int(p.dev)],
        ['is_prerelease', bool(p.pre !== null || p.dev !== null)], ['is_devrelease', bool(p.dev !== null)], ['is_postrelease', bool(p.post !== null)],
        ['_text', str(p.local ? `${pub}+${p.local}` : pub)],
      ]),
    };
    parsedOf.set(v, p);
    return v;
  };
  versionCls.native = { construct: (a, at) => make(strOf(a.pos[0]) ?? '', at) };
  const cmp = (name: string, test: (d: number) => boolean) => versionCls.attrs.set(name, builtinMethodOf(`Version.${name}`, (a, at) => {
    const [x, y] = a.pos;
    const px = x?.k === 'instance' ? parsedOf.get(x) : undefined;
    const py = y?.k === 'instance' ? parsedOf.get(y) : strOf(y) !== undefined ? parseVersion(strOf(y)!) : undefined;
    if (!px || !py) return name === '__eq__' ? bool(false) : name === '__ne__' ? bool(true) : raise('TypeError', `'${name}' not supported for Version and ${typeName(y ?? NONE)}`, at);
    return bool(test(compareVersions(px, py)));
  }));
  cmp('__lt__', (d) => d < 0);
  cmp('__le__', (d) => d <= 0);
  cmp('__gt__', (d) => d > 0);
  cmp('__ge__', (d) => d >= 0);
  cmp('__eq__', (d) => d === 0);
  cmp('__ne__', (d) => d !== 0);
  versionCls.attrs.set('__str__', builtinMethodOf('Version.__str__', (a) => (a.pos[0]?.k === 'instance' ? a.pos[0].attrs.get('_text') ?? str('') : str(''))));
  versionCls.attrs.set('__hash__', builtinMethodOf('Version.__hash__', (a) => int(a.pos[0]?.k === 'instance' ? a.pos[0].id : 0)));
  const parse = fn('packaging.version.parse', (a, at) => make(strOf(a.pos[0]) ?? '', at));
  const version = lib.ns('packaging.version', { Version: versionCls, parse, InvalidVersion: invalid });
  const packaging = lib.ns('packaging', { version });
  return [['packaging', packaging], ['packaging.version', version]];
}

// ── huggingface_hub (not read: its few names model code uses) ───────────────────

/**
 * huggingface_hub is not read (modules.ts NOT_READ: it is mostly network code). transformers'
 * model code uses `huggingface_hub.dataclasses.strict` on its configs: a validation of field types
 * on assignment, modelled as the class itself (a config that would fail validation is analyzed
 * as given); and from_pretrained resolves files in the local hub cache, which `hf_hub_download`
 * here reads without downloading.
 */
function huggingfaceHubModules(lib: TorchLibrary): [string, Value][] {
  const st = () => lib.interp.state;
  const strict = fn('huggingface_hub.dataclasses.strict', (a) => {
    const target = a.pos[0];
    if (target?.k === 'class') return target;
    return fn('huggingface_hub.dataclasses.strict.<decorator>', (b) => b.pos[0] ?? NONE);
  });
  // A validated field is a dataclasses.field() whose metadata holds the validator; validation is not run.
  const field = (a: Args, at: Loc): Value => {
    const dc = lib.module('dataclasses');
    const f = dc?.k === 'module' ? dc.attrs.get('field') : undefined;
    const kw = new Map([...a.kw].filter(([k]) => k !== 'validator' && k !== 'metadata'));
    return f ? call(st(), f, { pos: [], kw }, at) : st().fail('dataclasses.field is not available', at);
  };
  const dataclasses = lib.ns('huggingface_hub.dataclasses', {
    strict,
    as_validated_field: fn('huggingface_hub.dataclasses.as_validated_field', () => fn('as_validated_field.<field>', field)),
    validated_field: fn('huggingface_hub.dataclasses.validated_field', (a, at) => field({ pos: [], kw: a.kw }, at)),
  });
  const hub = lib.ns('huggingface_hub', { dataclasses });
  return [['huggingface_hub', hub], ['huggingface_hub.dataclasses', dataclasses]];
}

// ── small modules ─────────────────────────────────────────────────────────────

function weakrefModule(lib: TorchLibrary): ModuleV {
  const refCls = pyClass('ref');
  refCls.native = { construct: (a) => ({ k: 'instance', cls: refCls, attrs: new Map([['__target__', a.pos[0] ?? NONE]]), id: lib.interp.newInstanceId() }) };
  refCls.attrs.set('__call__', builtinMethodOf('ref.__call__', (a) => (a.pos[0]?.k === 'instance' ? a.pos[0].attrs.get('__target__') ?? NONE : NONE)));
  const dictCls = lib.builtins.get('dict') as ClassV;
  return lib.ns('weakref', {
    ref: refCls, proxy: fn('weakref.proxy', (a) => a.pos[0] ?? NONE),
    WeakValueDictionary: dictCls, WeakKeyDictionary: dictCls, WeakSet: lib.builtins.get('set') as ClassV,
    finalize: fn('weakref.finalize', () => NONE),
  });
}

function threadingModule(lib: TorchLibrary): ModuleV {
  const lock = pyClass('Lock');
  lock.attrs.set('__enter__', builtinMethodOf('Lock.__enter__', () => bool(true)));
  lock.attrs.set('__exit__', builtinMethodOf('Lock.__exit__', () => bool(false)));
  lock.attrs.set('acquire', builtinMethodOf('Lock.acquire', () => bool(true)));
  lock.attrs.set('release', builtinMethodOf('Lock.release', () => NONE));
  const local = pyClass('local');
  const event = pyClass('Event');
  event.attrs.set('is_set', builtinMethodOf('Event.is_set', () => bool(false)));
  event.attrs.set('set', builtinMethodOf('Event.set', () => NONE));
  return lib.ns('threading', {
    Lock: lock, RLock: lock, local, Event: event,
    current_thread: fn('threading.current_thread', () => lib.ns('thread', { name: str('MainThread') })),
    main_thread: fn('threading.main_thread', () => lib.ns('thread', { name: str('MainThread') })),
    get_ident: fn('threading.get_ident', () => int(1)),
    Thread: fn('threading.Thread', (_a, at) => lib.interp.fail('threading.Thread is not modelled', at)),
  });
}

function timeModule(lib: TorchLibrary): ModuleV {
  const now = () => num(Date.now() / 1000, false);
  return lib.ns('time', {
    time: fn('time.time', now), perf_counter: fn('time.perf_counter', now), monotonic: fn('time.monotonic', now), process_time: fn('time.process_time', now),
    time_ns: fn('time.time_ns', () => int(Date.now() * 1e6)), perf_counter_ns: fn('time.perf_counter_ns', () => int(Date.now() * 1e6)),
    sleep: fn('time.sleep', () => NONE), strftime: fn('time.strftime', (_a, at) => lib.interp.fail('time.strftime() is not modelled', at)),
  });
}

function platformModule(lib: TorchLibrary): ModuleV {
  return lib.ns('platform', {
    system: fn('platform.system', () => str(os.type() === 'Darwin' ? 'Darwin' : os.type() === 'Windows_NT' ? 'Windows' : 'Linux')),
    machine: fn('platform.machine', () => str(os.arch() === 'x64' ? 'x86_64' : os.arch())),
    python_version: fn('platform.python_version', () => str('3.12.0')),
    python_implementation: fn('platform.python_implementation', () => str('CPython')),
    platform: fn('platform.platform', () => str(`${os.type()}-${os.release()}`)),
    release: fn('platform.release', () => str(os.release())),
    node: fn('platform.node', () => str('localhost')),
    uname: fn('platform.uname', () => tuple([str(os.type()), str('localhost'), str(os.release()), str(''), str(os.arch())])),
  });
}

function numbersModule(): ModuleV {
  const abstract = (name: string, bases: ClassV[] = []) => {
    const c = pyClass(name, bases);
    c.attrs.set('__abc__', bool(true));
    return c;
  };
  const number = abstract('Number');
  const complex = abstract('Complex', [number]);
  const real = abstract('Real', [complex]);
  const rational = abstract('Rational', [real]);
  const integral = abstract('Integral', [rational]);
  return { k: 'module', name: 'numbers', attrs: new Map<string, Value>([['Number', number], ['Complex', complex], ['Real', real], ['Rational', rational], ['Integral', integral]]), modelled: true };
}

