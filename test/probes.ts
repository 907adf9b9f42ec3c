// Runs the measured per-op probes (test/fixtures/ops/probes-<release>.json, written by
// test/groundtruth/probe_ops.py on each PyTorch release) through the engine as model code reaches
// it: for every probed name one Python file whose model calls the name once per case, each call
// on its own line, interpreted and traced like any user file. A case passes when the engine's
// output has PyTorch's shape and dtype (and aliases the same argument), the call saves for
// backward the same storages (arguments, outputs, new tensors by bytes and dtype), and a call
// PyTorch rejected is rejected. Used by test/unit/probes.test.ts and `npm run probes`.
import * as fs from 'fs';
import * as path from 'path';
import { Storage, Tensor, catalogFor, tableRow } from '../kernels/src';
import { coverageOf } from '../kernels/src/coverage';
import { runModel } from '../server/src/engine/run';
import { findDirective } from '../server/src/engine/specs';
import type { Value } from '../server/src/interpreter/values';
import { parsePython } from '../server/src/python/parser';
import { DEFAULT_SETTINGS } from '../server/src/report/types';
import { FIXTURES } from './fixtures';

/** A probed argument: a tensor, a dtype, an indexing item, or plain JSON. */
type Arg = unknown;

interface TensorArg {
  tensor: number[];
  dtype: string;
  grad?: boolean;
  /** Nested like the tensor (a number for a 0-dim one). */
  values?: unknown;
}

interface OutTensor {
  tensor: number[];
  dtype: string;
  view?: boolean;
  alias?: number | string;
}

type Out = OutTensor | Out[] | { error: string } | { dtype: string } | number | boolean | null;

type Saved = { arg: number; item?: number } | { kwarg: string } | { out: number } | { param: string } | { buffer: string } | { shape: number[]; dtype: string; bytes: number };

export interface FunctionCase {
  name: string;
  args: Arg[];
  kwargs: Record<string, Arg>;
  out: Out;
  saved: { all: Saved[]; first?: Saved[] };
  savedBytes: { all: number; first?: number };
  /** The strides of each tensor output, when measured (hand-made cases; probe_ops.py does not record them). */
  strides?: number[][] | null;
}

export interface ModuleCase {
  name: string;
  init: { args: Arg[]; kwargs: Record<string, Arg> };
  forward: { args: Arg[]; kwargs: Record<string, Arg> };
  params: [string, number[], string][];
  buffers: [string, number[], string][];
  out: Out;
  saved: Saved[];
  savedBytes: number;
}

export type ProbeCase = FunctionCase | ModuleCase;

export interface ProbeFile {
  torch: string;
  release: string;
  cases: ProbeCase[];
}

export type Verdict = 'pass' | 'fail' | 'not modelled' | 'unsupported';

export interface CaseResult {
  readonly name: string;
  readonly index: number;
  readonly verdict: Verdict;
  readonly why: string;
}

export const isModuleCase = (c: ProbeCase): c is ModuleCase => 'init' in c;

export function readProbes(release: string): ProbeFile {
  return JSON.parse(markFloats(fs.readFileSync(path.join(FIXTURES, 'ops', `probes-${release}.json`), 'utf8'))) as ProbeFile;
}

/**
 * The probes' JSON with every float literal (`2.0`, `1e-05`: Python's json writes floats with a
 * point or an exponent) as `{"float": 2.0}`: JSON.parse would make `2.0` the int 2, and
 * `x.mul_(2.0)` is not `x.mul_(2)` (the wrapped number is float64, not int64).
 */
function markFloats(text: string): string {
  let out = '';
  let i = 0;
  while (i < text.length) {
    const c = text[i];
    if (c === '"') {
      // A string, escapes included.
      let j = i + 1;
      while (text[j] !== '"') j += text[j] === '\\' ? 2 : 1;
      out += text.slice(i, j + 1);
      i = j + 1;
    } else if (c === '-' || (c >= '0' && c <= '9')) {
      const m = /^-?\d+(\.\d+)?([eE][-+]?\d+)?/.exec(text.slice(i, i + 40))!;
      out += m[1] || m[2] ? `{"float": ${m[0]}}` : m[0];
      i += m[0].length;
    } else {
      out += c;
      i++;
    }
  }
  return out;
}

const isTensorArg = (a: Arg): a is TensorArg => typeof a === 'object' && a !== null && 'tensor' in a;
/** The items of a list argument or of a tuple (`{ tuple: [...] }`), else null. */
const itemsOf = (a: Arg): readonly Arg[] | null => (Array.isArray(a) ? a : typeof a === 'object' && a !== null && Array.isArray((a as { tuple?: Arg[] }).tuple) ? (a as { tuple: Arg[] }).tuple : null);
const isOutTensor = (o: Out): o is OutTensor => typeof o === 'object' && o !== null && !Array.isArray(o) && 'tensor' in o;

class Unsupported extends Error {}

const PY_DTYPES = new Set(['float16', 'bfloat16', 'float32', 'float64', 'int8', 'uint8', 'int16', 'int32', 'int64', 'bool', 'complex64', 'complex128']);

/** Python source for a JSON value (numbers, lists, dtypes, indexing items). */
function literal(a: Arg, tuple = false): string {
  if (a === null) return 'None';
  if (typeof a === 'boolean') return a ? 'True' : 'False';
  if (typeof a === 'number') {
    if (!Number.isFinite(a)) throw new Unsupported('non-finite number');
    return Number.isInteger(a) && !Object.is(a, -0) ? String(a) : repr(a);
  }
  if (typeof a === 'string') return JSON.stringify(a);
  if (Array.isArray(a)) {
    const items = a.map((x) => literal(x));
    return tuple ? `(${items.join(', ')}${items.length === 1 ? ',' : ''})` : `[${items.join(', ')}]`;
  }
  if (typeof a === 'object') {
    const o = a as Record<string, unknown>;
    if (typeof o.float === 'number' && Object.keys(o).length === 1) {
      if (!Number.isFinite(o.float)) throw new Unsupported('non-finite number');
      return repr(o.float);
    }
    if (typeof o.dtype === 'string' && Object.keys(o).length === 1) {
      if (!PY_DTYPES.has(o.dtype)) throw new Unsupported(`dtype ${o.dtype}`);
      return `torch.${o.dtype}`;
    }
    if (Array.isArray(o.slice)) return `slice(${(o.slice as Arg[]).map((x) => literal(x)).join(', ')})`;
    if (o.ellipsis === true) return '...';
    if (Array.isArray(o.tuple)) return literal(o.tuple, true);
  }
  throw new Unsupported(`argument ${JSON.stringify(a).slice(0, 60)}`);
}

/** Python's repr of a float (enough digits to round-trip). */
function repr(x: number): string {
  if (Object.is(x, -0)) return '-0.0';
  const s = String(x);
  return /[.e]/.test(s) ? s : `${s}.0`;
}

/** Statements that build one tensor argument as the probe passed it, bound to `v`. */
function tensorSource(t: TensorArg, v: string, param: string, init: string[], body: string[]): void {
  if (!PY_DTYPES.has(t.dtype)) throw new Unsupported(`tensor dtype ${t.dtype}`);
  const shape = t.tensor.join(', ') + (t.tensor.length === 1 ? ',' : '');
  if (t.grad) {
    // A leaf requiring grad, passed as `leaf.clone()` (a non-leaf), as probe_ops.py does.
    init.push(`self.${param} = nn.Parameter(torch.empty((${shape}), dtype=torch.${t.dtype}))`);
    body.push(`${v} = self.${param}.clone()`);
  } else if (t.values !== undefined && t.values !== null && t.tensor.every((d) => d > 0)) {
    // An empty tensor's nested list loses its trailing sizes (`[[]]` for [1, 0, 3]): built empty.
    body.push(`${v} = torch.tensor(${literal(t.values)}, dtype=torch.${t.dtype})`);
  } else {
    body.push(`${v} = torch.empty((${shape}), dtype=torch.${t.dtype})`);
  }
}

interface Built {
  /** Lines of the generated file: the class, one method per case, forward calling them. */
  readonly source: string;
  /** Case index → the line of its call, or why it cannot be written. */
  readonly calls: Map<number, number | string>;
}

/** The argument list `(a0, a1, k=a2)` of a call, building tensors into `body`. */
function argList(c: { args: Arg[]; kwargs: Record<string, Arg> }, prefix: string, skip: number, init: string[], body: string[], names: string[]): string {
  const parts: string[] = [];
  const one = (a: Arg, key: string): string => {
    if (isTensorArg(a)) {
      const v = `${prefix}_${key}`;
      tensorSource(a, v, `p_${v}`, init, body);
      names.push(v);
      return v;
    }
    if (Array.isArray(a) && a.some(isTensorArg)) {
      // A tensor list (`torch.cat([x, y])`): each item built, the list kept.
      const items = a.map((x, j) => one(x, `${key}_${j}`));
      return `[${items.join(', ')}]`;
    }
    const tuple = itemsOf(a);
    if (tuple && !Array.isArray(a) && tuple.some(isTensorArg)) {
      // A tuple holding tensors (an index `x[:, idx]`): likewise, as a tuple.
      const items = tuple.map((x, j) => one(x, `${key}_${j}`));
      return `(${items.join(', ')}${items.length === 1 ? ',' : ''})`;
    }
    return literal(a);
  };
  c.args.forEach((a, i) => {
    const s = one(a, String(i));
    if (i >= skip) parts.push(s);
  });
  for (const [k, a] of Object.entries(c.kwargs)) parts.push(`${k}=${one(a, k)}`);
  return parts.join(', ');
}

const OPERATORS: Readonly<Record<string, string>> = {
  __add__: '+', __sub__: '-', __mul__: '*', __truediv__: '/', __floordiv__: '//', __mod__: '%', __pow__: '**', __matmul__: '@',
  __and__: '&', __or__: '|', __xor__: '^', __lshift__: '<<', __rshift__: '>>', __eq__: '==', __ne__: '!=', __lt__: '<', __le__: '<=', __gt__: '>', __ge__: '>=',
};
const REFLECTED: Readonly<Record<string, string>> = { __radd__: '+', __rsub__: '-', __rmul__: '*', __rtruediv__: '/', __rfloordiv__: '//', __rpow__: '**', __rmatmul__: '@', __rand__: '&', __ror__: '|', __rxor__: '^' };
const INPLACE: Readonly<Record<string, string>> = { __iadd__: '+=', __isub__: '-=', __imul__: '*=', __itruediv__: '/=', __ifloordiv__: '//=', __imod__: '%=', __ipow__: '**=', __iand__: '&=', __ior__: '|=', __ixor__: '^=', __ilshift__: '<<=', __irshift__: '>>=' };
const UNARY: Readonly<Record<string, string>> = { __neg__: '-', __pos__: '+', __invert__: '~', __abs__: 'abs' };

/** The Python expression for calling `name` on built arguments. */
function callExpression(name: string, c: FunctionCase, i: number, init: string[], body: string[], names: string[]): string {
  const p = `a${i}`;
  if (name.startsWith('Tensor.')) {
    const method = name.slice(7);
    if (c.args.length === 0) throw new Unsupported('method without self');
    const selfNames: string[] = [];
    const self = argList({ args: [c.args[0]], kwargs: {} }, p, 0, init, body, selfNames);
    names.push(...selfNames);
    const rest = argList({ args: [...c.args.slice(1)], kwargs: c.kwargs }, `${p}r`, 0, init, body, names);
    if (method === '__getitem__') {
      if (c.args.length !== 2 || Object.keys(c.kwargs).length) throw new Unsupported('__getitem__ arguments');
      return `${self}[${indexSource(c.args[1], rest)}]`;
    }
    if (method in OPERATORS && c.args.length === 2) return `${self} ${OPERATORS[method]} ${rest}`;
    if (method in REFLECTED && c.args.length === 2) {
      // `a ** x` with a tensor `a` calls `a.__pow__(x)`, not `x.__rpow__(a)` (which the probe
      // measured): a tensor on the left is called explicitly.
      return isTensorArg(c.args[1]) ? `${self}.${method}(${rest})` : `${rest} ${REFLECTED[method]} ${self}`;
    }
    if (method in UNARY && c.args.length === 1) return method === '__abs__' ? `abs(${self})` : `${UNARY[method]}${self}`;
    if (method in INPLACE && c.args.length === 2) {
      body.push(`${self} ${INPLACE[method]} ${rest}`);
      return self;
    }
    const entry = catalogEntry(name);
    if (entry?.kind === 'property') return `${self}.${method}`;
    return `${self}.${method}(${rest})`;
  }
  const callee = name.startsWith('F.') ? `F.${name.slice(2)}` : name;
  return `${callee}(${argList(c, p, 0, init, body, names)})`;
}

/** `x[...]`'s index: the argument list holds the index already built (tensors) as `rest`. */
function indexSource(index: Arg, built: string): string {
  if (typeof index === 'object' && index !== null && !Array.isArray(index) && Array.isArray((index as { tuple?: Arg[] }).tuple)) {
    // `built` is the tuple literal; drop its parentheses.
    return built.replace(/^\(|,?\)$/g, '') || '()';
  }
  return built;
}

let currentRelease = '2.14';
function catalogEntry(name: string) {
  const [major, minor] = currentRelease.split('.').map(Number);
  return catalogFor([major, minor]).python[name];
}

/** One Python file for all cases of `name`; each call bound to `self.o<i>`, its arguments to `self.a<i>_…`. */
export function buildFile(name: string, cases: readonly ProbeCase[]): Built {
  const init: string[] = [];
  const methods: string[] = [];
  const calls = new Map<number, number | string>();
  const header = ['import torch', 'import torch.nn as nn', 'import torch.nn.functional as F', '', '', 'class Probe(nn.Module):', '    def __init__(self):', '        super().__init__()'];
  const pending: { i: number; lines: string[]; callAt: number }[] = [];
  cases.forEach((c, i) => {
    const caseInit: string[] = [];
    const body: string[] = [];
    const names: string[] = [];
    try {
      let expr: string;
      if (isModuleCase(c)) {
        const ctor = name.startsWith('nn.') ? name : `nn.${name}`;
        const initArgs = argList(c.init, `i${i}`, 0, caseInit, caseInit, []);
        caseInit.push(`self.m${i} = ${ctor}(${initArgs})`);
        const fwd = argList(c.forward, `a${i}`, 0, caseInit, body, names);
        expr = `self.m${i}(${fwd})`;
      } else {
        expr = callExpression(name, c, i, caseInit, body, names);
      }
      const lines = [`    def case${i}(self):`, ...body.map((l) => `        ${l}`)];
      for (const v of names) lines.push(`        self.${v} = ${v}`);
      lines.push(`        self.o${i} = ${expr}`);
      init.push(...caseInit.map((l) => `        ${l}`));
      pending.push({ i, lines, callAt: lines.length - 1 });
    } catch (e) {
      if (e instanceof Unsupported) calls.set(i, e.message);
      else throw e;
    }
  });
  let line = header.length + init.length + 1;
  for (const p of pending) {
    methods.push('', ...p.lines);
    calls.set(p.i, line + 1 + p.callAt);
    line += p.lines.length + 1;
  }
  const forward = ['', '    def forward(self, x):'];
  for (const p of pending) forward.push('        try:', `            self.case${p.i}()`, '        except Exception:', '            pass');
  forward.push('        return x');
  const source = [...header, ...init, ...methods, ...forward, '', '', '# memlens: entry=Probe() input=x:float32[1]', ''].join('\n');
  return { source, calls };
}

function tensorsOf(v: Value | undefined): Tensor[] {
  if (!v) return [];
  if (v.k === 'tensor') return [v.t];
  if (v.k === 'tuple' || v.k === 'list') return v.items.flatMap(tensorsOf);
  return [];
}

function outTensors(o: Out): (OutTensor | null)[] {
  if (isOutTensor(o)) return [o];
  if (Array.isArray(o)) return o.flatMap((x) => outTensors(x));
  return [];
}

const DTYPE_NAMES: Readonly<Record<string, string>> = { float32: 'float32', float16: 'float16', bfloat16: 'bfloat16', float64: 'float64', int64: 'int64', int32: 'int32', int16: 'int16', int8: 'int8', uint8: 'uint8', bool: 'bool', complex64: 'complex64', complex128: 'complex128' };

/** Describes a saved storage the way the probes do. */
type Desc = string;

/** Runs every case of `name` of one release's probes; one result per case. */
export function runName(release: string, name: string, cases: readonly ProbeCase[]): CaseResult[] {
  currentRelease = release;
  const built = buildFile(name, cases);
  const file = `/probes/${name.replace(/[^A-Za-z0-9_.]/g, '_')}.py`;
  const tree = parsePython(built.source);
  const results: CaseResult[] = [];
  let run;
  try {
    run = runModel({ file, tree, settings: { ...DEFAULT_SETTINGS, device: 'cpu', torch: release, optimizer: 'none' }, directive: findDirective(built.source), source: { readFile: () => undefined } });
  } catch (e) {
    tree.delete();
    return cases.map((_, index) => ({ name, index, verdict: 'fail' as const, why: `the file did not run: ${(e as Error).message}` }));
  }
  tree.delete();
  const attrs = run.model.attrs;
  const unknownAt = new Map<number, string>();
  for (const u of run.interp.unknowns) if (u.file === file && !unknownAt.has(u.line)) unknownAt.set(u.line, u.reason);
  const modelled = isModelled(release, name);
  cases.forEach((c, index) => {
    const at = built.calls.get(index);
    if (typeof at !== 'number') {
      results.push({ name, index, verdict: 'unsupported', why: at ?? 'not written' });
      return;
    }
    const verdict = (v: Verdict, why = ''): void => {
      results.push({ name, index, verdict: v, why });
    };
    const unknown = unknownAt.get(at);
    const got = attrs.get(`o${index}`);
    const wantError = typeof c.out === 'object' && c.out !== null && !Array.isArray(c.out) && 'error' in c.out;
    if (unknown && /not modelled|is not supported/.test(unknown)) return verdict('not modelled', unknown);
    if (wantError) {
      if (got === undefined || got.k === 'unknown') return verdict('pass');
      return verdict('fail', `PyTorch raised "${(c.out as { error: string }).error}", the engine did not`);
    }
    if (got === undefined) return verdict(modelled ? 'fail' : 'not modelled', `raised: ${unknown ?? 'an exception'}`);
    if (got.k === 'unknown') return verdict(modelled ? 'fail' : 'not modelled', got.reason);
    // Outputs.
    const wantOuts = outTensors(c.out);
    const gotOuts = tensorsOf(got);
    if (wantOuts.length !== gotOuts.length) return verdict('fail', `${gotOuts.length} tensor outputs, PyTorch ${wantOuts.length}`);
    const argStorage = (key: string): Storage | undefined => {
      const v = attrs.get(key);
      return v?.k === 'tensor' ? v.t.storage : undefined;
    };
    const argKey = (i: number | string, item?: number) => (item === undefined ? `a${index}_${i}` : `a${index}_${i}_${item}`);
    // Method cases name self `a<i>_0` and the rest `a<i>r_<j-1>`.
    const storageOfArg = (i: number | string, item?: number): Storage | undefined => {
      if (!isModuleCase(c) && c.name.startsWith('Tensor.')) {
        if (i === 0) return argStorage(`a${index}_0`);
        if (typeof i === 'string') return argStorage(`a${index}r_${i}`);
        return argStorage(item === undefined ? `a${index}r_${i - 1}` : `a${index}r_${i - 1}_${item}`);
      }
      return argStorage(argKey(i, item));
    };
    for (let k = 0; k < wantOuts.length; k++) {
      const w = wantOuts[k];
      const t = gotOuts[k];
      if (!w) continue;
      if (t.shape.join() !== w.tensor.join()) return verdict('fail', `output ${k} shape [${t.shape}], PyTorch [${w.tensor}]`);
      if (DTYPE_NAMES[t.dtype] !== w.dtype) return verdict('fail', `output ${k} dtype ${t.dtype}, PyTorch ${w.dtype}`);
      // Strides matter where a dim has more than one element (PyTorch's strides of size-1 dims are arbitrary).
      const ws = !isModuleCase(c) ? c.strides?.[k] : undefined;
      if (ws && t.shape.some((d, i) => d > 1 && ws[i] !== t.strides[i]) && !t.shape.includes(0)) return verdict('fail', `output ${k} strides [${t.strides}], PyTorch [${ws}]`);
      if (t.storage.bytes === 0) continue;
      if (w.alias !== undefined) {
        const s = storageOfArg(w.alias);
        if (s && s !== t.storage) return verdict('fail', `output ${k} does not alias argument ${w.alias}`);
      } else {
        const args = isModuleCase(c) ? c.forward.args : c.args;
        for (let j = 0; j < args.length; j++) if (isTensorArg(args[j]) && storageOfArg(j) === t.storage) return verdict('fail', `output ${k} aliases argument ${j}, PyTorch's is new`);
      }
    }
    // Saved storages: the ops the call line recorded.
    const want = isModuleCase(c) ? c.saved : c.saved.all;
    const saved: Storage[] = [];
    for (const op of run.tracer.ops) {
      if (op.line?.file !== file || op.line.line !== at) continue;
      for (const s of op.saved) if (!saved.includes(s)) saved.push(s);
    }
    const outStorages = gotOuts.map((t) => t.storage);
    const describe = (s: Storage): Desc => {
      const args = isModuleCase(c) ? c.forward.args : c.args;
      for (let j = 0; j < args.length; j++) {
        if (storageOfArg(j) === s) return `arg ${j}`;
        const a = args[j];
        const items = itemsOf(a);
        if (items) for (let m = 0; m < items.length; m++) if (storageOfArg(j, m) === s) return `arg ${j}[${m}]`;
      }
      for (const k of Object.keys(isModuleCase(c) ? c.forward.kwargs : c.kwargs)) if (storageOfArg(k) === s) return `kwarg ${k}`;
      const o = outStorages.indexOf(s);
      if (o >= 0) return `out ${o}`;
      if (s.kind === 'param' || s.kind === 'buffer') return s.kind;
      return `new ${s.bytes} ${s.dtype}`;
    };
    const wantDesc = (w: Saved): Desc => {
      if ('arg' in w) return w.item === undefined ? `arg ${w.arg}` : `arg ${w.arg}[${w.item}]`;
      if ('kwarg' in w) return `kwarg ${w.kwarg}`;
      if ('out' in w) return `out ${w.out}`;
      if ('param' in w) return 'param';
      if ('buffer' in w) return 'buffer';
      return `new ${w.bytes} ${w.dtype}`;
    };
    // Empty tensors have 0-byte storages, which the probes cannot tell apart: left out on both sides.
    const a = saved.filter((s) => s.bytes > 0).map(describe).sort();
    const b = want.filter((w) => !('bytes' in w) || w.bytes > 0).map(wantDesc).sort();
    if (a.join('|') !== b.join('|')) return verdict('fail', `saves {${a.join(', ')}}, PyTorch {${b.join(', ')}}`);
    verdict('pass');
  });
  return results;
}

function isModelled(release: string, name: string): boolean {
  const [major, minor] = release.split('.').map(Number);
  const entry = catalogFor([major, minor]).python[name];
  if (!entry) return !!tableRow(name);
  return coverageOf(name, entry) !== 'not modelled';
}

/** Every case of a release, grouped by name, run. */
export function runRelease(release: string, only?: (name: string) => boolean): CaseResult[] {
  const probes = readProbes(release);
  const byName = new Map<string, ProbeCase[]>();
  for (const c of probes.cases) {
    if (only && !only(c.name)) continue;
    byName.set(c.name, [...(byName.get(c.name) ?? []), c]);
  }
  const out: CaseResult[] = [];
  for (const [name, cases] of byName) out.push(...runName(release, name, cases));
  return out;
}
